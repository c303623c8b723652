"""What works for whom from the registry: the frame of moderators per trajectory as of a
day, and ``yim evidence moderators``. The demo generator is not used: these trajectories are
recorded here through the domain's own methods."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.conftest import FROZEN_NOW
from tests.research.evidence.conftest import Registry, at
from yim.cli import main
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, Wave
from yim.programmes.models import ProgrammeModel
from yim.research.evidence import definitions as d
from yim.research.evidence.moderator_frame import age_band, fit_moderators, moderator_frame
from yim.research.evidence.moderators import AMBULATORY
from yim.trajectories.models import Youth

D = dt.date
#: name: (born, gender, JIM on day, closed on day, placed on day, intake risk item value)
PLAN = {
    "M0": (D(2011, 3, 1), "girl", 20, 200, None, 3),
    "M1": (D(2011, 3, 1), "boy", 40, 200, None, 0),
    "M2": (D(2008, 9, 1), "girl", None, 150, None, None),
    "M3": (D(2006, 1, 1), "boy", None, 150, 100, None),
    "M4": (D(2006, 1, 1), "", 300, None, None, 1),
}
REFERRED = D(2025, 1, 6)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The messages are checked in English (the interface's default language is Dutch)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def none(value: object) -> object:
    """Not recorded (None or NaN in the frame) as None."""
    return None if pd.isna(value) else value


@pytest.fixture
def moderated(world, frozen_clock) -> Registry:  # type: ignore[no-untyped-def]
    r = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    definition = instruments.get("risk_domains")
    for name, (born, gender, jim_day, closed_day, placed_day, risk) in PLAN.items():
        t = r.trajectory(name, REFERRED, born=born)
        Youth.objects.filter(pk=t.youth_id).update(gender=gender)
        if jim_day is not None:
            r.jim(t, REFERRED + dt.timedelta(jim_day))
        if placed_day is not None:
            decided = REFERRED + dt.timedelta(placed_day)
            decision = r.decision(t, decided, no_jim_reason="No JIM could be found in time.")
            decision.finalise(by=world.professional, at=at(decided, 15))
            r.placed(decision, decided)
        if closed_day is not None:
            relationship = "continuing" if jim_day is not None else "no_jim"
            r.close(t, REFERRED + dt.timedelta(closed_day), relationship)
        if risk is not None:
            wave = Wave.objects.create(trajectory=t, kind="intake", number=0, on=REFERRED)
            frozen_clock.move_to(at(REFERRED, 15))
            assessment, _created = Assessment.start(
                youth=t.youth, trajectory=t, instrument=definition,
                respondent=world.professional, wave=wave, assessed_on=REFERRED,
            )  # fmt: skip
            values = {item.code: risk for item in definition.items if item.is_scored}
            assessment.save_answers(values, by=world.professional)
            assessment.submit(by=world.professional)
            frozen_clock.move_to(FROZEN_NOW)
    return r


def test_the_age_band_is_the_age_on_the_referral_day():
    assert age_band(D(2011, 3, 1), D(2025, 1, 6)) == "12_15"
    assert age_band(D(2009, 1, 6), D(2025, 1, 6)) == "16_17"  # 16 that very day
    assert age_band(D(2009, 1, 7), D(2025, 1, 6)) == "12_15"
    assert age_band(D(2006, 1, 1), D(2025, 1, 6)) == "18_23"
    assert age_band(D(2001, 1, 1), D(2025, 1, 6)) == "24_plus"


@pytest.mark.django_db
def test_the_frame_has_each_trajectorys_outcomes_and_moderators(moderated):
    frame = moderator_frame(d.Scope(as_of=FROZEN_NOW.date())).set_index("unit")
    row = {name: frame.loc[t.pk] for name, t in moderated.trajectories.items()}
    assert len(frame) == len(PLAN)
    assert row["M0"][["jim", "closed", "ambulatory", "days", "status"]].tolist() == [
        1, 1, 1, 20.0, 1,
    ]  # fmt: skip
    assert row["M3"][["jim", "closed", "ambulatory"]].tolist() == [0, 1, 0]  # placed on day 100
    assert row["M4"]["closed"] == 0 and pd.isna(row["M4"]["ambulatory"])
    assert [row[n]["age_band"] for n in PLAN] == ["12_15", "12_15", "16_17", "18_23", "18_23"]
    assert [none(row[n]["gender"]) for n in PLAN] == ["girl", "boy", "girl", "boy", None]
    assert {row[n]["programme"] for n in PLAN} == {"indicated"}
    assert [none(row[n]["jim_relation"]) for n in PLAN] == [
        "aunt_uncle",
        "aunt_uncle",
        None,
        None,
        "aunt_uncle",
    ]
    assert [none(row[n]["intake_risk"]) for n in PLAN] == ["high", "low", None, None, "elevated"]


@pytest.mark.django_db
def test_as_of_a_past_day_later_jims_and_closures_do_not_count(moderated):
    frame = moderator_frame(d.Scope(as_of=D(2025, 3, 1))).set_index("unit")
    m1 = frame.loc[moderated.trajectories["M1"].pk]
    assert m1["jim"] == 1 and m1["closed"] == 0
    m4 = frame.loc[moderated.trajectories["M4"].pk]
    assert m4["jim"] == 0 and pd.isna(m4["jim_relation"]) and m4["status"] == 0


@pytest.mark.django_db
def test_a_selection_with_one_programme_says_so_per_outcome(moderated):
    result = fit_moderators(threshold=1)
    programme = result.outcome(AMBULATORY).moderator("programme")
    assert "Only one level (indicated)" in programme.error


@pytest.mark.django_db
def test_yim_evidence_moderators_prints_json_and_text_and_refuses_bad_input(moderated, capsys):
    assert main(["evidence", "moderators", "--format", "json", "--threshold", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-06-17"
    assert [o["outcome"] for o in data["outcomes"]] == [AMBULATORY, "time_to_jim", "risk_change"]
    # Three youth with one risk assessment each: no subgroup has a slope difference.
    risk_change = data["outcomes"][2]
    assert all(m["p"] is None and m["error"] for m in risk_change["moderators"])
    assert main(["evidence", "moderators", "--threshold", "1"]) == 0
    text = capsys.readouterr().out
    assert "What works for whom — all teams, as of 2026-06-17" in text
    assert "programme: not tested: Only one level (indicated)" in text
    assert main(["evidence", "moderators", "--team", "Team Z"]) == 2
    assert "no team named 'Team Z'" in capsys.readouterr().err
    assert main(["evidence", "moderators", "--as-of", "2024-12-31"]) == 2
    assert "nothing to analyse" in capsys.readouterr().err
