"""``positioned_on`` (the stored facts, worked out set-based by ``yim.trajectories.facts``:
three queries and sorted arrays) against a straightforward reference that asks the database
per trajectory, per meeting and per JIM, on the generated demo registry (seeded) as of several
days and for several scopes; and the stored days as of a day against the days computed from
the records as of that day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Count

from tests.research.evidence.conftest import D, Registry, at
from yim.demo import registry
from yim.research.evidence import definitions as d
from yim.trajectories import facts, positioned
from yim.trajectories.models import (
    AttendeeRole,
    Candidate,
    ConsentDecision,
    ConsentParty,
    ConsentRecord,
    Meeting,
    MeetingStatus,
    NetworkPerson,
    Response,
    Trajectory,
)

SEED, YOUTH = 7, 300
DAYS = (registry.DEMO_TODAY, dt.date(2026, 3, 1), dt.date(2025, 9, 1))


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A seeded demo registry, rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert registry.load(seed=SEED, youth_count=YOUTH) == YOUTH
        yield
        transaction.set_rollback(True)


def complete_on(jim: Candidate, day: dt.date) -> bool:
    """Consent complete on ``day``: ``Candidate.consent_status`` itself (the rule the consent
    page shows: the age rule, and every holder of parental authority on the file), given
    only the records given by the end of that Amsterdam day."""
    records = list(
        ConsentRecord.objects.filter(candidate=jim, given_at__lt=d.ends_of_day(day)).order_by(
            "given_at", "pk"
        )
    )
    jim = Candidate.objects.select_related("trajectory__youth").get(pk=jim.pk)
    jim._prefetched_objects_cache = {"consents": records}  # what consent_status reads
    return jim.consent_status().complete


def reference_positioned_on(scope: d.Scope) -> dict[int, dt.date]:
    """Trajectory by trajectory, meeting by meeting (earliest first), JIM by JIM."""
    result = {}
    for trajectory in d.cohort(scope).select_related("youth"):
        held = sorted(
            set(
                Meeting.objects.filter(
                    trajectory=trajectory,
                    status=MeetingStatus.HELD,
                    held_on__lte=scope.as_of,
                    attendees__role=AttendeeRole.JIM,
                    attendees__present=True,
                ).values_list("held_on", flat=True)
            )
        )
        jims = list(
            Candidate.objects.filter(
                trajectory=trajectory, response=Response.ACCEPTED, response_on__lte=scope.as_of
            ).select_related("trajectory__youth")
        )
        for day in held:
            if any(
                jim.response_on <= day
                and (jim.jim_ended_on is None or jim.jim_ended_on >= day)
                and complete_on(jim, day)
                for jim in jims
            ):
                result[trajectory.pk] = day
                break
    return result


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", DAYS)
def test_positioned_on_equals_the_per_trajectory_reference_on_a_generated_registry(
    generated, as_of
):
    scope = d.Scope(as_of=as_of)
    expected = reference_positioned_on(scope)
    with_jim = {s.trajectory_id for s in d.searches(scope) if s.jim_on is not None}
    # The comparison means something: many positioned, and some with a JIM who are not; and
    # some of the positioned youth have two holders of parental authority (joint authority),
    # both of whom had to consent.
    assert len(expected) >= 10
    assert with_jim - expected.keys()
    joint = (
        NetworkPerson.objects.filter(has_parental_authority=True)
        .values("youth_id")
        .annotate(holders=Count("pk"))
        .filter(holders__gt=1)
        .values("youth_id")
    )
    assert Trajectory.objects.filter(pk__in=expected, youth_id__in=joint).exists()
    assert d.positioned_on(scope) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", DAYS)
def test_the_stored_days_as_of_a_day_are_the_days_computed_from_the_records_as_of_it(
    generated, as_of
):
    scope = d.Scope(as_of=as_of)
    computed = facts.compute(d.cohort(scope), as_of)
    positioned = {pk: f.jim_positioned_on for pk, f in computed.items() if f.jim_positioned_on}
    assert len(positioned) >= 10
    assert d.positioned_on(scope) == positioned
    events = {s.trajectory_id: (s.jim_on, s.no_jim_on) for s in d.searches(scope)}
    assert {pk: days for pk, days in events.items() if days != (None, None)} == {
        pk: (f.jim_found_on, f.no_jim_on)
        for pk, f in computed.items()
        if (f.jim_found_on, f.no_jim_on) != (None, None)
    }
    assert facts.differences() == []  # the demo's bulk load refreshed every row


@pytest.mark.django_db
def test_positioned_on_equals_the_reference_per_team_and_from_a_referral_day(generated):
    team_id = d.cohort(d.Scope(as_of=registry.DEMO_TODAY)).values_list("team_id", flat=True)[0]
    for scope in (
        d.Scope(as_of=registry.DEMO_TODAY, team_id=team_id),
        d.Scope(as_of=registry.DEMO_TODAY, referred_from=dt.date(2026, 1, 1)),
    ):
        expected = reference_positioned_on(scope)
        assert expected
        assert d.positioned_on(scope) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("in_list_limit", [500, 0])
def test_consent_completed_after_the_first_meeting_positions_at_a_later_one(
    registry: Registry, world, monkeypatch, in_list_limit
):
    # 0: the later meetings are read through the scope's subquery instead of a list of ids.
    monkeypatch.setattr(positioned, "IN_LIST_LIMIT", in_list_limit)
    r = registry
    # P1: a meeting with the JIM before consent, consent, then the positioning meeting.
    p1 = r.trajectory("P1", D(2025, 9, 1))
    jim1 = r.jim(p1, D(2025, 9, 10))
    r.meeting_with_jim(p1, D(2025, 9, 15))
    r.consent(jim1, D(2025, 9, 20))
    r.meeting_with_jim(p1, D(2025, 9, 30))
    # P2: consent, withdrawn by the youth before two meetings, given again at 00:30 on a
    # meeting day (its Amsterdam day; in UTC still the day of the meeting before).
    p2 = r.trajectory("P2", D(2025, 9, 1))
    jim2 = r.jim(p2, D(2025, 9, 10))
    r.consent(jim2, D(2025, 9, 12))
    jim2.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.REFUSED, given_at=at(D(2025, 9, 14))
    )
    r.meeting_with_jim(p2, D(2025, 9, 16))
    r.meeting_with_jim(p2, D(2025, 9, 19))
    r.meeting_with_jim(p2, D(2025, 9, 20))
    jim2.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(D(2025, 9, 20), 0, 30)
    )
    r.meeting_with_jim(p2, D(2025, 9, 25))
    # P3: consent only after the first meeting, and the JIM stopped before the next one.
    p3 = r.trajectory("P3", D(2025, 9, 1))
    jim3 = r.jim(p3, D(2025, 9, 10))
    r.meeting_with_jim(p3, D(2025, 9, 12))
    r.consent(jim3, D(2025, 9, 14))
    Candidate.objects.filter(pk=jim3.pk).update(jim_ended_on=D(2025, 9, 20))
    r.meeting_with_jim(p3, D(2025, 9, 25))

    org = world.org.pk  # (this module's generated registry has organisations of its own)
    for as_of in (D(2025, 9, 19), D(2025, 9, 28), D(2026, 6, 1)):
        scope = d.Scope(as_of=as_of, organisation_id=org)
        assert d.positioned_on(scope) == reference_positioned_on(scope)
    assert d.positioned_on(d.Scope(D(2025, 9, 28), organisation_id=org)) == {p2.pk: D(2025, 9, 20)}
    assert d.positioned_on(d.Scope(D(2026, 6, 1), organisation_id=org)) == {
        p1.pk: D(2025, 9, 30),
        p2.pk: D(2025, 9, 20),
    }
