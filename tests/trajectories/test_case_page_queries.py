"""The case pages (the youth page and the trajectory page) in a fixed number of queries: as
many for a file with one JIM as for one with five — each with consent by two holders of
parental authority, meetings and placement decisions — and what they read once (consent,
the active JIM) judged exactly as when it is read record by record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import prefetch_related_objects
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yim.audit.models import AuditEvent, verify_chain
from yim.trajectories.models import (
    Candidate,
    ConsentDecision,
    ConsentParty,
    JimEndReason,
    Meeting,
    MeetingKind,
    PlacementDecision,
    Response,
)
from yim.trajectories.models.consent import authority_holders_prefetch

pytestmark = pytest.mark.django_db

# The pinned counts: session and user (2), the scoped lookup (1), the audit entry (a
# transaction: the chain's head and one INSERT, 4 statements in a test's savepoint; on
# PostgreSQL one more, the advisory lock that serialises appends to the chain), the page's
# records (one query per kind), and the session's save (3). They may only go down. The
# youth page takes its holders of parental authority, the invitation form's people and the
# charts' JIM day from the network and candidates it loaded (no query of their own).
YOUTH_PAGE_QUERIES = 25
TRAJECTORY_PAGE_QUERIES = 26


def pinned(count: int) -> int:
    """A pinned count on the database the suite runs on (see above)."""
    return count + (1 if connection.vendor == "postgresql" else 0)


def a_file_with_jims(make_case, jims: int):  # type: ignore[no-untyped-def]
    """A 15-year-old with two holders of parental authority and ``jims`` JIMs one after
    another (each accepted, consented to by the youth and both parents, then stopped but
    the last), an evaluation and a placement decision per JIM."""
    case = make_case(started_days_ago=300)
    case.person("Moeder Anna", relation="parent", has_parental_authority=True)
    case.person("Vader Bas", relation="parent", has_parental_authority=True)
    case.explore()
    for i in range(jims):
        start = 10 + 20 * i
        round_ = case.trajectory.start_round(on=case.day(start))
        candidate = round_.add_candidate(case.person(f"JIM {i}"), named_on=case.day(start))
        candidate.record_response(
            Response.ACCEPTED, case.day(start + 2), asked_on=case.day(start + 1)
        )
        case.consent(candidate, offset=start + 3)
        Meeting.objects.create(
            trajectory=case.trajectory, kind=MeetingKind.EVALUATION, held_on=case.day(start + 4)
        )
        PlacementDecision.objects.create(
            trajectory=case.trajectory,
            placement_type="foster_care",
            decided_on=case.day(start + 5),
            rationale="Not safe at home",
            youth_view="Wants to stay nearby",
        )
        if i < jims - 1:
            candidate.end_jim(on=case.day(start + 6), reason=JimEndReason.MOVED)
    return case


def queries_of(client, path: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", ["youth", "trajectory"])
def test_the_case_pages_take_as_many_queries_for_one_jim_as_for_five(make_case, client_for, page):
    client = client_for("team_lead")
    counts = []
    for jims in (1, 5):
        case = a_file_with_jims(make_case, jims)
        path = (
            f"/youth/{case.youth.pk}/"
            if page == "youth"
            else f"/trajectories/{case.trajectory.pk}/"
        )
        counts.append(queries_of(client, path))
    assert counts[0] == counts[1]


def test_the_youth_page_takes_its_pinned_number_of_queries(make_case, client_for):
    case = a_file_with_jims(make_case, 3)
    assert queries_of(client_for("team_lead"), f"/youth/{case.youth.pk}/") == pinned(
        YOUTH_PAGE_QUERIES
    )


def test_the_trajectory_page_takes_its_pinned_number_of_queries(make_case, client_for):
    case = a_file_with_jims(make_case, 3)
    path = f"/trajectories/{case.trajectory.pk}/"
    assert queries_of(client_for("team_lead"), path) == pinned(TRAJECTORY_PAGE_QUERIES)


def test_the_trajectory_page_shows_every_jims_consent_and_the_active_jim(make_case, client_for):
    case = a_file_with_jims(make_case, 3)
    response = client_for("team_lead").get(f"/trajectories/{case.trajectory.pk}/")
    consent = response.context["consent"]
    assert [c.person.display_name for c, _ in consent] == ["JIM 0", "JIM 1", "JIM 2"]
    assert all(status.complete for _, status in consent)
    assert [h.name for h in consent[0][1].holders] == ["Moeder Anna", "Vader Bas"]
    assert response.context["active_jim"].person.display_name == "JIM 2"


def test_consent_read_from_prefetched_records_equals_consent_read_record_by_record(make_case):
    case = a_file_with_jims(make_case, 1)
    jim = case.trajectory.active_jim
    assert jim is not None
    mother = case.youth.network.get(display_name="Moeder Anna")
    later = timezone.now() - dt.timedelta(days=1)
    jim.record_consent(
        party=ConsentParty.PARENT, holder=mother, decision=ConsentDecision.REFUSED, given_at=later
    )
    plain = Candidate.objects.get(pk=jim.pk)
    loaded = Candidate.objects.prefetch_related("consents").get(pk=jim.pk)
    prefetch_related_objects([loaded.trajectory.youth], authority_holders_prefetch())
    with CaptureQueriesContext(connection) as captured:
        from_prefetch = loaded.consent_status()
    assert len(captured.captured_queries) == 0
    assert from_prefetch == plain.consent_status()
    assert from_prefetch.refused and not from_prefetch.complete


def test_every_read_of_a_case_page_is_audited_and_the_chain_stays_whole(make_case, client_for):
    case = a_file_with_jims(make_case, 2)
    client = client_for("team_lead")
    before = AuditEvent.objects.count()
    client.get(f"/youth/{case.youth.pk}/")
    client.get(f"/trajectories/{case.trajectory.pk}/")
    events = list(AuditEvent.objects.order_by("id"))[before:]
    assert [(e.action, e.youth_id) for e in events] == [("view", case.youth.pk)] * 2
    checked, problems = verify_chain()
    assert checked == before + 2 and problems == []
