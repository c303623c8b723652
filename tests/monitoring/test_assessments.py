"""Assessments in waves: drafts saved page by page, submission, history, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.monitoring.conftest import build_file
from yim.monitoring import instruments
from yim.monitoring.models import (
    AlreadySubmitted,
    Assessment,
    AssessmentRevision,
    StaleAnswers,
    Wave,
)
from yim.monitoring.waves import WaveKind, wave_slots
from yim.trajectories.models import Meeting, MeetingKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def file(world):  # type: ignore[no-untyped-def]
    return build_file(world.youth_file, world.professional)


def _risk(file, user, wave=None):  # type: ignore[no-untyped-def]
    wave = wave or Wave.current(file.trajectory)
    assessment, _created = Assessment.start(
        youth=file.youth,
        trajectory=file.trajectory,
        instrument=instruments.get("risk_domains"),
        respondent=user,
        wave=wave,
    )
    return assessment


REQUIRED_RISK = {
    "rule_breaking_conduct": 2,
    "school_absence": 1,
    "placement_threat": 3,
    "family_conflict": 2,
    "peers_negative": 0,
    "substance_use": 1,
    "mental_health_mood": 2,
    "safety_home": 0,
}


def test_waves_follow_the_trajectory_intake_then_each_evaluation(file):
    slots = wave_slots(file.trajectory)
    assert [(s.kind, s.number) for s in slots] == [(WaveKind.INTAKE, 0), (WaveKind.EVALUATION, 1)]
    Meeting.objects.create(
        trajectory=file.trajectory,
        kind=MeetingKind.EVALUATION,
        held_on=file.evaluation.held_on + dt.timedelta(days=20),
    )
    current = Wave.current(file.trajectory)
    assert (current.kind, current.number) == (WaveKind.EVALUATION, 2)
    assert str(current.label) == "Evaluation 2"
    # Asking again gives the same wave, not a second one.
    assert Wave.current(file.trajectory).pk == current.pk


def test_a_draft_is_saved_page_by_page_and_submitted_with_scores(file, world):
    assessment = _risk(
        file, world.professional, Wave.for_slot(file.trajectory, wave_slots(file.trajectory)[0])
    )
    assessment.save_answers(
        {"rule_breaking_conduct": 2, "rule_breaking_police": 3}, by=world.professional
    )
    assessment.save_answers(
        {k: v for k, v in REQUIRED_RISK.items() if k != "rule_breaking_conduct"},
        by=world.professional,
    )
    assessment.submit(by=world.professional)
    assessment.refresh_from_db()
    assert assessment.is_submitted
    assert assessment.scores["rule_breaking"] == 2.5
    assert assessment.scores["out_of_home_placement"] == 3.0
    actions = list(assessment.revisions.values_list("action", flat=True))
    assert actions == ["started", "saved", "saved", "submitted"]


def test_submitting_without_a_required_answer_is_refused_and_keeps_the_answers(file, world):
    assessment = _risk(file, world.professional)
    assessment.save_answers({"rule_breaking_conduct": 2}, by=world.professional)
    with pytest.raises(ValidationError) as refused:
        assessment.submit(by=world.professional)
    assert "school_absence" in refused.value.message_dict
    assessment.refresh_from_db()
    assert assessment.status == "draft"
    assert assessment.answers_dict() == {"rule_breaking_conduct": 2}


def test_an_answer_out_of_range_refuses_the_page_and_loses_nothing_saved(file, world):
    assessment = _risk(file, world.professional)
    assessment.save_answers({"rule_breaking_conduct": 2}, by=world.professional)
    with pytest.raises(ValidationError) as refused:
        assessment.save_answers(
            {"rule_breaking_conduct": 1, "school_absence": 7}, by=world.professional
        )
    assert "Choose an answer from 0 to 3." in refused.value.message_dict["school_absence"]
    assert assessment.answers_dict() == {"rule_breaking_conduct": 2}


def test_a_questionnaire_submitted_twice_is_refused_the_second_time(file, world):
    assessment = _risk(file, world.professional)
    assessment.save_answers(REQUIRED_RISK, by=world.professional)
    stale_copy = Assessment.objects.get(pk=assessment.pk)
    assessment.submit(by=world.professional)
    with pytest.raises(AlreadySubmitted):
        stale_copy.submit(by=world.professional)
    with pytest.raises(AlreadySubmitted):
        stale_copy.save_answers({"remarks": "late"}, by=world.professional)
    assert AssessmentRevision.objects.filter(assessment=assessment, action="submitted").count() == 1


def test_two_tabs_saving_the_same_draft_do_not_overwrite_each_other(file, world):
    assessment = _risk(file, world.professional)
    version = assessment.version
    assessment.save_answers(
        {"rule_breaking_conduct": 1}, by=world.professional, expected_version=version
    )
    with pytest.raises(StaleAnswers):
        assessment.save_answers(
            {"rule_breaking_conduct": 3}, by=world.professional, expected_version=version
        )
    assert assessment.answers_dict() == {"rule_breaking_conduct": 1}


def test_a_correction_after_submission_is_rescored_and_kept_in_the_history(file, world):
    assessment = _risk(file, world.professional)
    assessment.save_answers(REQUIRED_RISK, by=world.professional)
    assessment.submit(by=world.professional)
    assessment.edit_submitted(
        {"placement_threat": 1}, by=world.team_lead, expected_version=assessment.version
    )
    assessment.refresh_from_db()
    assert assessment.scores["out_of_home_placement"] == 1.0
    last = assessment.revisions.last()
    assert (last.action, last.by, last.changes) == (
        "edited",
        world.team_lead,
        [{"item": "placement_threat", "old": 3, "new": 1}],
    )
    with pytest.raises(PermissionError):
        last.delete()


def test_missing_waves_are_allowed_and_each_wave_is_filled_in_once(file, world):
    intake, evaluation = (Wave.for_slot(file.trajectory, s) for s in wave_slots(file.trajectory))
    first = _risk(file, world.professional, evaluation)  # the intake stays missing
    again = _risk(file, world.professional, evaluation)
    assert first.pk == again.pk
    assert not Assessment.objects.filter(wave=intake).exists()


def test_a_questionnaire_is_only_for_its_respondents(file, world):
    with pytest.raises(ValidationError, match="not meant to be filled in by you"):
        Assessment.start(
            youth=file.youth,
            trajectory=file.trajectory,
            instrument=instruments.get("risk_domains"),
            respondent=world.youth_user,
            wave=Wave.current(file.trajectory),
        )
