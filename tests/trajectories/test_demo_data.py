"""The synthetic demo registry obeys the domain rules and follows the published margins."""

from __future__ import annotations

import pytest
from django.db.models import Count

from yim.demo import registry
from yim.trajectories import models as tm
from yim.trajectories.rules import amsterdam_day, required_consent


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    assert registry.load() == 500
    return registry


def demo_margins() -> dict[str, float]:
    """Share finding a JIM (of those with an outcome), mean days to JIM, share ambulatory."""
    jim_cohort = (
        tm.Trajectory.objects.filter(cohort=tm.Cohort.JIM)
        .with_mentor_dates()
        .annotate(no_jim=Count("no_jim_outcomes"))
    )
    found = [t for t in jim_cohort if t.first_jim_on is not None]
    not_found = [t for t in jim_cohort if t.first_jim_on is None and t.no_jim]
    placed = set(
        tm.PlacementDecision.objects.filter(
            status=tm.DecisionStatus.FINALISED, placement_type__in=list(tm.OUT_OF_HOME)
        ).values_list("trajectory_id", flat=True)
    )
    return {
        "found_share": len(found) / (len(found) + len(not_found)),
        "mean_days": sum(t.time_to_mentor.days for t in found) / len(found),
        "ambulatory_share": sum(t.pk not in placed for t in found) / len(found),
        "comparison": tm.Trajectory.objects.filter(cohort=tm.Cohort.COMPARISON).count(),
    }


def test_the_demo_follows_the_published_margins(demo):
    margins = demo_margins()
    assert margins["found_share"] == pytest.approx(0.83, abs=0.04)
    assert margins["mean_days"] == pytest.approx(33, abs=4)
    assert margins["ambulatory_share"] == pytest.approx(0.90, abs=0.04)
    assert 80 <= margins["comparison"] <= 120


def test_the_demo_covers_every_phase_and_flags_a_missed_consultation(demo):
    phases = set(tm.Trajectory.objects.values_list("phase", flat=True))
    assert phases == set(tm.Phase.values)
    assert tm.PlacementDecision.objects.consultation_overdue(registry.date(2026, 11, 1)).exists()


def test_the_demo_obeys_the_rules_of_the_approach(demo):
    # No parent, step-parent or guardian is ever a candidate; minors are confirmed.
    for c in tm.Candidate.objects.select_related("person"):
        assert not c.person.is_parental
        if c.is_jim and c.person.is_minor:
            assert c.minor_confirmed_on and c.minor_confirmation
    # The gate: every final out-of-home placement has a consultation or a no-JIM reason,
    # unless it was an emergency (then it is flagged while pending).
    for d in tm.PlacementDecision.objects.filter(status=tm.DecisionStatus.FINALISED):
        assert d.gate_error() is None
    # Consent by the right party for the age on the day.
    for r in tm.ConsentRecord.objects.select_related("trajectory__youth"):
        assert r.party in required_consent(r.trajectory.youth.date_of_birth, r.given_at).parties
    # Phase histories run forward in time and end in the trajectory's current phase.
    for t in tm.Trajectory.objects.prefetch_related("transitions"):
        history = list(t.transitions.all())
        assert [h.entered_at for h in history] == sorted(h.entered_at for h in history)
        assert history[-1].phase == t.phase
        assert amsterdam_day(history[0].entered_at) >= t.youth.date_of_birth
    # Open trajectories' records pass full validation as they stand.
    open_ids = tm.Trajectory.objects.open().values_list("pk", flat=True)[:40]
    for model in (tm.Meeting, tm.NetworkPerson, tm.SafetyPlan, tm.NoJimOutcome):
        field = "youth__trajectories__in" if model is tm.NetworkPerson else "trajectory__in"
        for obj in model.objects.filter(**{field: open_ids}).distinct()[:200]:
            obj.full_clean()
    for c in tm.Candidate.objects.filter(trajectory__in=open_ids)[:200]:
        c.full_clean()
