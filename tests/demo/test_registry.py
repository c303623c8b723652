"""The demo registry, generated from processes, lands near the published figures on the
default seed and obeys the rules of the approach.

The margins are computed here with plain ORM queries (definitions in ``margins.py``); the
generator writes none of them.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery

from tests.demo.conftest import DEMO_EVENING
from tests.demo.margins import margins, team_found_shares
from yim.accounts.models import PortalLink, Role
from yim.demo.measures import RISK_INSTRUMENT, scores_of
from yim.monitoring import models as mm
from yim.trajectories import models as tm
from yim.trajectories.rules import age_on, amsterdam_day, required_consent

pytestmark = pytest.mark.django_db

#: Tolerances on the default seed: about two standard errors of a registry of ~400 JIM
#: trajectories (a share near 0.85 of ~380 finished searches has SE ≈ 0.018; a mean of
#: ~33 days with SD ≈ 20 over ~320 found has SE ≈ 1.1 day).
FOUND_SHARE, FOUND_TOLERANCE = 0.83, 0.05
MEAN_DAYS, DAYS_TOLERANCE = 33.0, 5.0
AMBULATORY_SHARE, AMBULATORY_TOLERANCE = 0.90, 0.05


def jim_cohort():  # type: ignore[no-untyped-def]
    return tm.Trajectory.objects.filter(cohort=tm.Cohort.JIM)


def test_the_default_seed_lands_near_the_published_figures(demo):
    m = margins()
    assert m["n_jim_cohort"] == 401 and m["comparison"] == 99
    assert m["found_share"] == pytest.approx(FOUND_SHARE, abs=FOUND_TOLERANCE), m
    assert m["mean_days"] == pytest.approx(MEAN_DAYS, abs=DAYS_TOLERANCE), m
    assert m["ambulatory_share"] == pytest.approx(AMBULATORY_SHARE, abs=AMBULATORY_TOLERANCE), m


def test_the_margins_are_not_written_by_the_generator():
    from yim.demo import mechanisms, registry

    for name in ("FOUND_SHARE", "MEAN_DAYS_TO_JIM", "AMBULATORY_SHARE_WITH_JIM"):
        assert not hasattr(registry, name) and not hasattr(mechanisms, name)


def test_one_team_is_clearly_better_and_one_clearly_worse(demo):
    shares = team_found_shares()
    assert len(shares) == 6
    assert max(shares, key=shares.get) == "Noord-2", shares
    assert min(shares, key=shares.get) == "Zuid-3", shares
    assert shares["Noord-2"] - shares["Zuid-3"] >= 0.15, shares


def test_youth_without_a_jim_are_placed_more_often(demo):
    placed = tm.PlacementDecision.objects.filter(
        trajectory=OuterRef("pk"), status="finalised", placement_type__in=list(tm.OUT_OF_HOME)
    )
    rows = jim_cohort().annotate(
        had_jim=Exists(tm.Candidate.objects.filter(trajectory=OuterRef("pk"), response="accepted")),
        placed=Exists(placed),
    )
    share = {}
    for had_jim in (True, False):
        group = rows.filter(had_jim=had_jim)
        share[had_jim] = group.filter(placed=True).count() / group.count()
    assert share[False] > share[True] + 0.05, share
    comparison = tm.Trajectory.objects.filter(cohort=tm.Cohort.COMPARISON).annotate(
        placed=Exists(placed)
    )
    assert comparison.filter(placed=True).count() / comparison.count() > share[True]


def test_every_youth_is_12_to_23_on_the_referral_date(demo):
    for referred_on, born in tm.Trajectory.objects.values_list(
        "referred_on", "youth__date_of_birth"
    ):
        assert 12 <= age_on(born, referred_on) <= 23, (born, referred_on)
    assert jim_cohort().count() == 401


def test_every_jim_cohort_youth_has_a_submitted_risk_assessment(demo):
    assessed = mm.Assessment.objects.submitted().filter(
        trajectory=OuterRef("pk"), instrument=RISK_INSTRUMENT
    )
    assert not jim_cohort().exclude(Exists(assessed)).exists()
    # …at intake, by the professional, in a wave on the trajectory's start.
    intake = mm.Assessment.objects.filter(wave__kind="intake", instrument=RISK_INSTRUMENT)
    for a in intake.select_related("wave", "trajectory")[:50]:
        assert a.respondent_role == "professional"
        assert a.wave.on == a.trajectory.started_on


def test_stored_scores_are_what_the_scoring_module_makes_of_the_answers(demo):
    sample = mm.Assessment.objects.prefetch_related("answers").order_by("pk")[::37]
    assert len(sample) > 100
    instruments = set()
    for a in sample:
        assert a.status == "submitted" and a.submitted_at >= a.started_at
        assert a.assessed_on == amsterdam_day(a.submitted_at)
        assert a.scores == scores_of(a.instrument, a.answers_dict())
        instruments.add(a.instrument)
    assert RISK_INSTRUMENT in instruments and "stakeholder_feedback" in instruments


def test_risk_falls_faster_with_a_jim(demo):
    """Per youth: (last evaluation score − intake score) per month, with vs without a JIM."""
    risk = mm.Assessment.objects.filter(instrument=RISK_INSTRUMENT).exclude(wave__kind="follow_up")
    series: dict[int, list[tuple]] = defaultdict(list)
    for trajectory_id, on, scores in risk.values_list("trajectory_id", "wave__on", "scores"):
        values = [v for v in scores.values() if v is not None]
        series[trajectory_id].append((on, sum(values) / len(values)))
    had_jim = set(
        tm.Candidate.objects.filter(response="accepted", jim_ended_on=None).values_list(
            "trajectory_id", flat=True
        )
    )
    slopes: dict[bool, list[float]] = {True: [], False: []}
    for trajectory_id, points in series.items():
        points.sort()
        months = (points[-1][0] - points[0][0]).days / 30.44
        if months >= 4:
            slopes[trajectory_id in had_jim].append((points[-1][1] - points[0][1]) / months)
    mean = {k: sum(v) / len(v) for k, v in slopes.items()}
    assert len(slopes[False]) > 30 and len(slopes[True]) > 100
    assert mean[True] < mean[False] - 0.02, mean


def test_youth_jims_and_parents_give_feedback(demo):
    roles = dict(
        mm.Assessment.objects.filter(instrument="stakeholder_feedback")
        .values_list("respondent_role")
        .annotate(n=Count("pk"))
    )
    assert all(roles.get(r, 0) > 50 for r in ("youth", "jim", "parent")), roles
    # Every portal respondent is linked to the youth in the role they answered in.
    links = set(PortalLink.objects.values_list("user_id", "youth_id", "relation"))
    portal = mm.Assessment.objects.exclude(respondent_role="professional")
    for user_id, youth_id, role in portal.values_list(
        "respondent_id", "youth_id", "respondent_role"
    )[::25]:
        assert (user_id, youth_id, role) in links
    # A JIM's link belongs to the JIM of that youth.
    for link in PortalLink.objects.filter(relation=Role.JIM).select_related("person")[:100]:
        assert link.person is not None and link.person.youth_id == link.youth_id
        assert link.person.candidacies.filter(response="accepted").exists()


def test_closures_agree_with_realised_placements(demo):
    placed = tm.PlacementDecision.objects.filter(
        trajectory=OuterRef("trajectory"),
        status="finalised",
        placement_type__in=list(tm.OUT_OF_HOME),
    )
    closures = tm.Closure.objects.annotate(placed=Exists(placed))
    assert closures.filter(reason="placement").count() > 20
    assert not closures.filter(reason="placement", placed=False).exists()
    assert not closures.filter(placed=True).exclude(reason="placement").exists()
    # The placement began when ambulatory care closed: an episode from the decision.
    for closure in closures.filter(reason="placement").select_related("trajectory__youth")[:60]:
        episode = tm.PlacementEpisode.objects.realised().get(trajectory=closure.trajectory_id)
        assert episode.source == "decision" and episode.started_on == closure.closed_on
        assert episode.decision.trajectory_id == closure.trajectory_id
        youth = closure.trajectory.youth
        history = list(youth.living_history.order_by("since"))
        assert history[-1].situation == youth.living_situation
        assert any(h.since == episode.started_on for h in history)
    # Placements heard of at a follow-up are recorded afterwards.
    afterwards = tm.PlacementEpisode.objects.filter(source="recorded_afterwards")
    assert (
        afterwards.exists() and not afterwards.exclude(trajectory__closed_at__isnull=False).exists()
    )


def test_every_youth_has_a_dated_living_situation_that_is_the_current_one(demo):
    latest = tm.LivingSituationRecord.objects.filter(youth=OuterRef("pk")).order_by("-since")
    youth = tm.Youth.objects.annotate(
        first=Min("living_history__since"), latest=Subquery(latest.values("situation")[:1])
    )
    assert youth.count() == 500
    for row in youth.values("living_situation", "latest", "first", "trajectories__referred_on"):
        assert row["latest"] == row["living_situation"]
        assert row["first"] == row["trajectories__referred_on"]


def test_follow_ups_ask_about_the_jim_only_when_there_was_one(demo):
    had_jim = Exists(
        tm.Candidate.objects.filter(trajectory=OuterRef("trajectory"), response="accepted")
    )
    done = tm.FollowUp.objects.filter(done_on__isnull=False)
    answered = done.filter(outcome="answered")
    assert answered.filter(had_jim).count() > 50 and answered.exclude(had_jim).count() > 20
    assert not answered.exclude(had_jim).filter(jim_contact_continues__isnull=False).exists()
    assert not answered.filter(had_jim).filter(jim_contact_continues__isnull=True).exists()
    assert not answered.filter(placement_after_all__isnull=True).exists()
    assert not answered.filter(reported_by="").exists()
    assert not answered.exclude(had_jim).filter(reported_by="jim").exists()
    # About the youth's JIM; "not reached" keeps the answers empty.
    assert not tm.FollowUp.objects.filter(had_jim, jim=None).exists()
    assert not tm.FollowUp.objects.exclude(had_jim).exclude(jim=None).exists()
    not_reached = done.filter(outcome="not_reached")
    assert not_reached.count() > 10
    assert not not_reached.exclude(jim_contact_continues=None, placement_after_all=None).exists()


def test_comparison_youth_get_care_as_usual(demo):
    comparison = tm.Trajectory.objects.filter(cohort=tm.Cohort.COMPARISON)
    assert comparison.count() == 99
    assert not tm.NominationRound.objects.filter(trajectory__in=comparison).exists()
    assert not tm.Candidate.objects.filter(trajectory__in=comparison).exists()
    assert not tm.NoJimOutcome.objects.filter(trajectory__in=comparison).exists()
    assert not comparison.filter(
        phase__in=["network_exploration", "candidates", "consent", "positioning", "collaboration"]
    ).exists()


def test_the_demo_covers_every_phase_and_flags_a_missed_consultation(demo):
    phases = set(tm.Trajectory.objects.values_list("phase", flat=True))
    assert phases == set(tm.Phase.values)
    assert tm.PlacementDecision.objects.consultation_overdue(demo.DEMO_TODAY).exists()
    assert tm.PlacementDecision.objects.awaiting_confirmation().exists()
    assert tm.NoJimOutcome.objects.filter(reason="consent_refused").exists()
    assert tm.Candidate.objects.filter(jim_end_reason="consent_refused").exists()


def test_the_demo_obeys_the_rules_of_the_approach(demo, frozen_clock):
    frozen_clock.move_to(DEMO_EVENING)
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
    for r in tm.ConsentRecord.objects.select_related("trajectory__youth", "holder"):
        assert r.party in required_consent(r.trajectory.youth.date_of_birth, r.given_at).parties
        if r.party == "parent":  # the holder of parental authority decides
            assert r.holder.has_parental_authority and r.holder.youth_id == r.trajectory.youth_id
    # Phase histories run forward in time and end in the trajectory's current phase.
    for t in tm.Trajectory.objects.prefetch_related("transitions").select_related("youth"):
        history = list(t.transitions.all())
        assert [h.entered_at for h in history] == sorted(h.entered_at for h in history)
        assert history[-1].phase == t.phase and history[-1].entered_at == t.phase_entered_at
        assert amsterdam_day(history[0].entered_at) >= t.youth.date_of_birth
        assert (t.closed_at is None) == (not hasattr(t, "closure"))


def test_nothing_happens_after_the_demos_today(demo):
    days = [
        (tm.Trajectory, "referred_on"), (tm.Candidate, "response_on"), (tm.Meeting, "held_on"),
        (tm.PlacementDecision, "decided_on"), (tm.Closure, "closed_on"),
        (tm.FollowUp, "done_on"), (mm.Wave, "on"), (tm.NoJimOutcome, "recorded_on"),
    ]  # fmt: skip
    for model, field in days:
        assert model.objects.aggregate(last=Max(field))["last"] <= demo.DEMO_TODAY, model
    moments = [
        (tm.PhaseTransition, "entered_at"), (tm.ConsentRecord, "given_at"),
        (tm.PlacementDecision, "confirmed_at"), (mm.Assessment, "submitted_at"),
    ]  # fmt: skip
    for model, field in moments:
        assert model.objects.aggregate(last=Max(field))["last"] <= DEMO_EVENING, model


def test_a_sample_of_records_passes_full_validation(demo, frozen_clock):
    """Records of open trajectories (those of a closed one are frozen and refuse a save by
    design), the follow-ups and placement episodes of closed ones, living situations."""
    frozen_clock.move_to(DEMO_EVENING)
    open_ids = list(tm.Trajectory.objects.open().order_by("pk").values_list("pk", flat=True))
    closed_ids = list(tm.Trajectory.objects.closed().order_by("pk").values_list("pk", flat=True))
    assert len(open_ids) > 50 and len(closed_ids) > 100
    path = {
        tm.Youth: "trajectories__in",
        tm.Trajectory: "pk__in",
        tm.NetworkPerson: "youth__trajectories__in",
        tm.Attendee: "meeting__trajectory__in",
        tm.JimConsultation: "decision__trajectory__in",
        tm.Goal: "plan__trajectory__in",
    }
    models = [
        tm.Youth, tm.Trajectory, tm.NetworkPerson, tm.NominationRound, tm.Candidate,
        tm.NoJimOutcome, tm.Meeting, tm.Attendee, tm.PlacementDecision, tm.JimConsultation,
        tm.SafetyPlan, tm.CarePlan, tm.Goal,
    ]  # fmt: skip
    checked = 0
    for model in models:
        rows = model.objects.filter(**{path.get(model, "trajectory__in"): open_ids}).distinct()
        for obj in rows.order_by("pk")[:60]:
            obj.full_clean()
            checked += 1
    # What may still be written after closure: follow-ups and placement episodes.
    for model in (tm.FollowUp, tm.PlacementEpisode):
        for obj in model.objects.filter(trajectory__in=closed_ids).order_by("pk")[::3][:150]:
            obj.full_clean()
            checked += 1
    for record in tm.LivingSituationRecord.objects.order_by("pk")[::5][:150]:
        record.full_clean()
        checked += 1
    assert checked > 600


def test_sam_keeps_the_demo_logins_story(demo):
    sam = PortalLink.objects.get(user__username="jongere.sam").youth
    assert sam.display_name == "Sam B." and sam.date_of_birth.isoformat() == "2011-03-14"
    assert sam.team.name == "Noord-1" and sam.professional.username == "prof.noord"
    t = sam.trajectories.get()
    assert t.phase == tm.Phase.COLLABORATION and t.closed_at is None and t.cohort == "jim"
    jim = t.active_jim
    assert jim is not None and jim.person.display_name == "Marieke"
    assert jim.person.relation == "aunt_uncle"
    assert jim.consent_status().complete
    link = PortalLink.objects.get(user__username="jim.tante")
    assert link.youth_id == sam.pk and link.person_id == jim.person_id
    for username in ("jongere.sam", "ouder.sam"):
        assert PortalLink.objects.filter(user__username=username, youth=sam).exists()
    # Sam fills in the relationship questionnaire herself (the browser test does).
    assert not mm.Assessment.objects.filter(
        respondent__username="jongere.sam", instrument="relationship_quality"
    ).exists()
