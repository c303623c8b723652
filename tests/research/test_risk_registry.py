"""Risk trajectories from the registry: the frame as of a day (JIM time-varying, from the
definitions module), and ``yim evidence risk``. The demo generator is not used: these youth
are recorded here through the domain's own methods."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from tests.conftest import FROZEN_NOW
from tests.research.evidence.conftest import Registry, at
from yim.cli import main
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, Wave
from yim.programmes.models import ProgrammeModel
from yim.research.evidence import definitions as d
from yim.research.evidence.risk import (
    DAYS_PER_YEAR,
    RiskModelError,
    fit_risk_trajectories,
    risk_domains,
    risk_frame,
)

D = dt.date
WAVE_DAYS = (0, 91, 182, 365)
#: Youth 0–5 find a JIM on day 60 and their risk falls after it; 6–11 stay without one.
N_YOUTH, WITH_JIM = 12, 6
REFERRED = D(2025, 1, 6)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The messages are checked in English (the interface's default language is Dutch)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def item_values(youth: int, wave: int, codes: list[str]) -> dict[str, int]:
    """Each item: 2 at intake, falling by about one point a wave with a JIM, level without,
    with noise of one point either way (a fixed seed per youth and wave)."""
    rng = np.random.default_rng(1000 * youth + wave)
    mean = 2 - (min(wave, 2) if youth < WITH_JIM else 0)
    return {code: int(np.clip(mean + rng.integers(-1, 2), 0, 3)) for code in codes}


def record_risk(t, wave: Wave, values: dict[str, int], professional, clock) -> Assessment:  # type: ignore[no-untyped-def]
    definition = instruments.get("risk_domains")
    clock.move_to(at(wave.on, 15))
    assessment, _created = Assessment.start(
        youth=t.youth,
        trajectory=t,
        instrument=definition,
        respondent=professional,
        wave=wave,
        assessed_on=wave.on,
    )
    assessment.save_answers(values, by=professional)
    assessment.submit(by=professional)
    return assessment


@pytest.fixture
def risk_registry(world, frozen_clock) -> Registry:  # type: ignore[no-untyped-def]
    registry = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    codes = [item.code for item in instruments.get("risk_domains").items if item.is_scored]
    for i in range(N_YOUTH):
        t = registry.trajectory(f"R{i}", REFERRED + dt.timedelta(days=7 * i))
        if i < WITH_JIM:
            registry.jim(t, t.referred_on + dt.timedelta(days=60))
    for i in range(N_YOUTH):
        t = registry.trajectories[f"R{i}"]
        for k, offset in enumerate(WAVE_DAYS):
            if i == N_YOUTH - 1 and k == 2:
                continue  # a missing wave: this youth stays in
            kind, number = ("intake", 0) if k == 0 else ("evaluation", k)
            wave = Wave.objects.create(
                trajectory=t, kind=kind, number=number, on=t.referred_on + dt.timedelta(offset)
            )
            record_risk(t, wave, item_values(i, k, codes), world.professional, frozen_clock)
    frozen_clock.move_to(FROZEN_NOW)
    return registry


@pytest.mark.django_db
def test_the_frame_has_a_row_per_assessment_and_domain_with_jim_from_the_acceptance_day(
    risk_registry,
):
    frame = risk_frame(d.Scope(as_of=FROZEN_NOW.date()))
    domains = risk_domains()
    assert domains[:3] == ["rule_breaking", "school_dropout", "out_of_home_placement"]
    assert len(frame) == (N_YOUTH * 4 - 1) * len(domains)
    assert frame["assessment"].nunique() == N_YOUTH * 4 - 1
    first = risk_registry.trajectories["R0"].pk
    rows = frame[(frame["unit"] == first) & (frame["domain"] == "rule_breaking")]
    assert rows["time"].tolist() == pytest.approx([o / DAYS_PER_YEAR for o in WAVE_DAYS])
    # The JIM accepted on day 60: the intake (day 0) is without, the waves after with.
    assert rows["jim"].tolist() == [0, 1, 1, 1]
    scores = [
        item_values(0, k, ["rule_breaking_conduct", "rule_breaking_police"]) for k in range(4)
    ]
    assert rows["score"].tolist() == [sum(v.values()) / 2 for v in scores]
    assert rows["wave"].tolist() == ["intake:0", "evaluation:1", "evaluation:2", "evaluation:3"]
    never = risk_registry.trajectories["R7"].pk
    assert frame.loc[frame["unit"] == never, "jim"].eq(0).all()


@pytest.mark.django_db
def test_as_of_a_past_day_the_frame_leaves_out_later_assessments_and_later_jims(risk_registry):
    # As of 2025-03-01: R0 (referred 2025-01-06) had its intake; its JIM came on 2025-03-07.
    frame = risk_frame(d.Scope(as_of=D(2025, 3, 1)))
    first = risk_registry.trajectories["R0"].pk
    assert set(frame.loc[frame["unit"] == first, "jim"]) == {0}
    assert frame.groupby("unit")["assessment"].nunique().max() == 1
    assert risk_frame(d.Scope(as_of=D(2025, 1, 5))).empty


@pytest.mark.django_db
def test_the_fit_finds_the_risk_falling_faster_with_a_jim_in_every_domain(risk_registry):
    result = fit_risk_trajectories()
    assert result.as_of == FROZEN_NOW.date()
    assert [f.domain for f in result.domains] == risk_domains()
    for fit in result.domains:
        assert fit.n_youth == N_YOUTH and fit.n_assessments == N_YOUTH * 4 - 1
        assert fit.converged and fit.slope_difference is not None, fit.error
        assert fit.slope_difference.estimate < 0
        assert fit.gee is not None and fit.gee.estimate < 0
    # Twelve youth: wide intervals, but the plainest domain is clear.
    assert result.domain("out_of_home_placement").slope_difference.ci[1] < 0


@pytest.mark.django_db
def test_too_few_youth_in_the_selection_is_a_clear_message(risk_registry):
    with pytest.raises(RiskModelError, match="at least 10 are needed"):
        fit_risk_trajectories(as_of=D(2025, 4, 15))


@pytest.mark.django_db
def test_yim_evidence_risk_prints_the_figures_per_domain_as_json_and_text(risk_registry, capsys):
    assert main(["evidence", "risk", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-06-17"
    assert [x["domain"] for x in data["domains"]] == risk_domains()
    for domain in data["domains"]:
        for key in ("slope_difference", "se", "ci", "n_youth", "n_assessments"):
            assert domain[key] is not None
    assert main(["evidence", "risk", "--team", "Team A"]) == 0
    text = capsys.readouterr().out
    assert "Risk trajectories — Team A, as of 2026-06-17" in text
    assert "rule_breaking: n youth 12, n assessments 47" in text
    assert "GEE (bias-reduced SE)" in text


@pytest.mark.django_db
def test_yim_evidence_risk_refuses_too_little_data_with_exit_status_2(risk_registry, capsys):
    assert main(["evidence", "risk", "--as-of", "2025-02-01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("yim evidence risk: Too few youth") and "Traceback" not in err
    assert main(["evidence", "risk", "--as-of", "2026-06-18"]) == 2
    assert "lies in the future" in capsys.readouterr().err


@pytest.mark.parametrize("action", ["risk", "moderators"])
def test_the_commands_run_in_a_fresh_process_and_ask_for_the_schema_first(action, tmp_path):
    """In a new process Django is set up by the command itself (an import of the models
    before that fails); a database without the schema is a message, not a traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "YIM_DATA_DIR": str(tmp_path), "YIM_DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("YIM_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "yim.cli", "evidence", action, "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "run 'yim db upgrade' first" in done.stderr and "Traceback" not in done.stderr
