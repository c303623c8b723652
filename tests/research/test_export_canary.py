"""THE canary test of the research export: distinctive names, identifiers and exact dates are
planted in every free-text and name field of a youth's file, and none of them appears in any
exported byte — CSV and Parquet, the codebook and the manifest included. Choosing a free-text
column brings exactly that text in (so the test can fail).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.test import override_settings

from tests.jobs.conftest import export_through_the_page
from tests.research.evidence.conftest import Registry, at
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, Wave
from yim.programmes.models import ProgrammeModel
from yim.research.export import build_export, write_export
from yim.trajectories.models import (
    AgeBand,
    CarePlan,
    ConsentDecision,
    ConsentParty,
    Goal,
    LivingSituationRecord,
    Meeting,
    MeetingKind,
    NetworkPerson,
    PlacementDecision,
    PlacementEpisode,
    Relation,
    Response,
    SafetyPlan,
    Trajectory,
    Youth,
)

pytestmark = pytest.mark.django_db

KEY = b"canary-test-key-" + b"k" * 32
D = dt.date
FILE_NUMBER = 90817263541
BORN = D(2009, 3, 27)
REFERRED = D(2025, 1, 14)

#: Every planted value; none may appear in an export without its free-text column.
NAMES = {
    "youth name": "Zwaantje Qorvendijk",
    "network person": "Hildegard Vonkenburg",
    "declining candidate": "Barthold Ijzerbroek",
    "parent giving consent": "Gerolda Pluimstra",
    "meeting attendee": "Ottokar Wendelmoes",
    "second attendee": "Griselda Mooijenkamp",
    "second youth": "Fenneke Schraverlaan",
    "professional first name": "Reinoud",
    "professional last name": "Kwakkelstein",
    "team": "Team Canaryveld",
    "organisation": "Jeugdzorg Canarystad",
    "file number": str(FILE_NUMBER),
    "date of birth": "2009-03-27",
    "date of birth, Dutch": "27-03-2009",
    "date of birth, compact": "20090327",
    "referral day": "2025-01-14",
    "acceptance day": "2025-02-19",
    "closure day": "2025-09-23",
    "placement day": "2025-05-12",
    "network note": "CANARY-NETWORK-NOTE",
    "decline reason": "CANARY-DECLINE-REASON",
    "consent note": "CANARY-CONSENT-NOTE",
    "meeting notes": "CANARY-MEETING-NOTES",
    "meeting decisions": "CANARY-MEETING-DECISIONS",
    "youth's view": "CANARY-YOUTH-VIEW",
    "JIM's input": "CANARY-JIM-INPUT",
    "care plan": "CANARY-CARE-PLAN",
    "goal": "CANARY-GOAL",
    "safety concerns": "CANARY-SAFETY-CONCERNS",
    "safety measures": "CANARY-SAFETY-MEASURES",
    "decision rationale": "CANARY-RATIONALE",
    "options considered": "CANARY-OPTIONS",
    "decision youth view": "CANARY-DECISION-YOUTH-VIEW",
    "JIM's advice": "CANARY-ADVICE",
    "weighing": "CANARY-WEIGHING",
    "no-JIM explanation": "CANARY-NO-JIM-EXPLANATION",
    "alternatives tried": "CANARY-ALTERNATIVES",
    "living situation note": "CANARY-LIVING-NOTE",
    "phase note": "CANARY-PHASE-NOTE",
}
#: Free text that a chosen column brings in: column → the values it must then show.
FREE = {
    "referral_reason": ["CANARY-REFERRAL-REASON"],
    "notes": ["CANARY-CLOSURE-NOTE", "CANARY-EPISODE-NOTE", "CANARY-FOLLOW-UP-NOTE"],
    "open_answer": ["CANARY-ANSWER-AS-CORRECTED"],
    "revision_history": ["CANARY-ANSWER-AS-FIRST-GIVEN", "CANARY-ANSWER-AS-CORRECTED"],
}
ALL_FREE = sorted({value for values in FREE.values() for value in values})

RISK = {
    "rule_breaking_conduct": 2,
    "school_absence": 1,
    "placement_threat": 3,
    "family_conflict": 2,
    "peers_negative": 0,
    "substance_use": 1,
    "mental_health_mood": 2,
    "safety_home": 0,
}


@dataclass
class Planted:
    youth: Youth
    trajectory: Trajectory


def plant(world) -> Planted:  # type: ignore[no-untyped-def]
    """A youth whose every free-text and name field holds a canary."""
    world.org.name = NAMES["organisation"]
    world.org.save()
    world.team_a.name = NAMES["team"]
    world.team_a.save()
    prof = world.professional
    prof.first_name, prof.last_name = (
        NAMES["professional first name"],
        NAMES["professional last name"],
    )
    prof.save()
    programme = ProgrammeModel.standard("indicated")
    youth = Youth.objects.create(
        pk=FILE_NUMBER,
        organisation=world.org,
        team=world.team_a,
        professional=prof,
        display_name=NAMES["youth name"],
        date_of_birth=BORN,
        gender="girl",
    )
    t = Trajectory.start(
        youth=youth,
        programme=programme,
        professional=prof,
        referred_on=REFERRED,
        referral_source="school",
        referral_reason=FREE["referral_reason"][0],
        at=at(REFERRED),
    )
    t.advance_to("network_exploration", at=at(D(2025, 1, 15)), note=NAMES["phase note"])
    LivingSituationRecord.objects.create(
        youth=youth,
        situation="one_parent",
        since=D(2025, 6, 2),
        note=NAMES["living situation note"],
    )
    round_ = t.start_round(on=REFERRED)
    decliner = NetworkPerson.objects.create(
        youth=youth,
        display_name=NAMES["declining candidate"],
        relation=Relation.AUNT_UNCLE,
        age_band=AgeBand.AGE_40_64,
    )
    round_.add_candidate(decliner, named_on=REFERRED).record_response(
        Response.DECLINED,
        D(2025, 2, 1),
        decline_reason=NAMES["decline reason"],
        asked_on=REFERRED,
    )
    person = NetworkPerson.objects.create(
        youth=youth,
        display_name=NAMES["network person"],
        relation=Relation.GRANDPARENT,
        age_band=AgeBand.AGE_40_64,
        note=NAMES["network note"],
    )
    jim = round_.add_candidate(person, named_on=REFERRED)
    jim.record_response(Response.ACCEPTED, D(2025, 2, 19), asked_on=REFERRED)
    jim.record_consent(
        party=ConsentParty.YOUTH,
        decision=ConsentDecision.YES,
        given_at=at(D(2025, 2, 21)),
        note=NAMES["consent note"],
    )
    jim.record_consent(
        party=ConsentParty.PARENT,
        parent_name=NAMES["parent giving consent"],
        decision=ConsentDecision.YES,
        given_at=at(D(2025, 2, 21)),
    )
    meeting = Meeting.objects.create(
        trajectory=t,
        kind=MeetingKind.POSITIONING,
        held_on=D(2025, 3, 4),
        notes=NAMES["meeting notes"],
        decisions=NAMES["meeting decisions"],
        youth_view=NAMES["youth's view"],
        jim_input=NAMES["JIM's input"],
    )
    meeting.add_attendee("jim", name=NAMES["meeting attendee"])
    meeting.add_attendee("parent", name=NAMES["second attendee"])
    plan = CarePlan.objects.create(trajectory=t, made_on=D(2025, 3, 4), summary=NAMES["care plan"])
    Goal.objects.create(plan=plan, description=NAMES["goal"])
    SafetyPlan.objects.create(
        trajectory=t,
        made_on=D(2025, 3, 5),
        concerns=NAMES["safety concerns"],
        measures=NAMES["safety measures"],
    )
    decision = PlacementDecision.objects.create(
        trajectory=t,
        placement_type="foster_care",
        decided_on=D(2025, 5, 7),
        options_considered=NAMES["options considered"],
        rationale=NAMES["decision rationale"],
        youth_view=NAMES["decision youth view"],
    )
    decision.record_consultation(
        consulted_on=D(2025, 5, 6), advice=NAMES["JIM's advice"], weighing=NAMES["weighing"]
    )
    decision.finalise(by=prof, at=at(D(2025, 5, 7), 15))
    PlacementEpisode.record_for_decision(
        decision,
        carried_out=True,
        started_on=D(2025, 5, 12),
        ended_on=D(2025, 8, 18),
        note=FREE["notes"][1],
    )
    assessment, _created = Assessment.start(
        youth=youth,
        trajectory=t,
        instrument=instruments.get("risk_domains"),
        respondent=prof,
        wave=Wave.current(t),
    )
    assessment.save_answers({**RISK, "remarks": FREE["revision_history"][0]}, by=prof)
    assessment.submit(by=prof)
    assessment.edit_submitted(
        {"remarks": FREE["open_answer"][0]}, by=prof, expected_version=assessment.version
    )
    t.refresh_from_db()
    t.close(
        reason="goals_achieved",
        jim_relationship="continuing",
        at=at(D(2025, 9, 23)),
        note=FREE["notes"][0],
    )
    t.follow_ups.get(months=6).record(
        done_on=D(2026, 3, 30),
        jim_contact_continues=True,
        placement_after_all=False,
        contact_frequency="monthly",
        note=FREE["notes"][2],
    )
    # A second youth, whose search ended without a JIM.
    registry = Registry(world=world, programme=programme)
    other = registry.trajectory(NAMES["second youth"], D(2025, 4, 8))
    other.record_no_jim(
        recorded_on=D(2025, 6, 3),
        reason="other",
        explanation=NAMES["no-JIM explanation"],
        alternatives_tried=NAMES["alternatives tried"],
    )
    return Planted(youth, t)


def exported_text(folder: Path) -> str:
    """Every byte written, as text, plus every value of every Parquet file decoded (its
    pages may be compressed)."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        parts.append(path.read_bytes().decode("utf-8", errors="replace"))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            parts.append(str(table.schema.metadata))
            for column in table.column_names:
                parts.append(column)
                parts.extend(str(value) for value in table.column(column).to_pylist())
    return "\n".join(parts).casefold()


def export(tmp_path: Path, fmt: str, include: tuple[str, ...] = ()) -> tuple[Path, str]:
    tables = build_export(
        as_of=D(2026, 6, 17), include=include, key=KEY, organisation_id=None, team_id=None
    )
    folder = write_export(tables, tmp_path / f"export-{fmt}-{'-'.join(include) or 'none'}", fmt)
    return folder, exported_text(folder)


@pytest.fixture
def planted(world) -> Planted:  # type: ignore[no-untyped-def]
    return plant(world)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_no_planted_name_identifier_exact_date_or_free_text_appears_in_any_exported_byte(
    planted, tmp_path, fmt
):
    folder, text = export(tmp_path, fmt)
    assert {p.name for p in folder.iterdir()} >= {"codebook.csv", "codebook.md", "export.json"}
    assert "2009-03" in text and "2025-01" in text  # months are there, so the files are read
    assert "girl" in text
    leaked = {label: value for label, value in NAMES.items() if value.casefold() in text}
    leaked |= {value: value for value in ALL_FREE if value.casefold() in text}
    assert leaked == {}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("column", sorted(FREE))
def test_a_chosen_free_text_column_brings_in_exactly_its_text(planted, tmp_path, fmt, column):
    _folder, text = export(tmp_path, fmt, (column,))
    for value in FREE[column]:
        assert value.casefold() in text
    others = [v for v in ALL_FREE if v not in FREE[column]]
    assert [v for v in others if v.casefold() in text] == []
    assert [v for v in NAMES.values() if v.casefold() in text] == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_archive_from_the_page_holds_no_planted_value_either(
    planted, client_for, tmp_path, fmt, django_capture_on_commit_callbacks
):
    with override_settings(EXPORT_KEY_FILE=tmp_path / "export.key"):
        response = export_through_the_page(
            client_for("researcher"),
            django_capture_on_commit_callbacks,
            {"as_of": "2026-06-17", "format": fmt},
        )
    assert response.status_code == 200
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(folder)
    text = exported_text(folder)
    assert "2009-03" in text
    assert [v for v in [*NAMES.values(), *ALL_FREE] if v.casefold() in text] == []
