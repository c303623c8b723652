"""The youth's timeline: every event of all the youth's trajectories, newest first, read in a
fixed number of queries — one per kind of record for all the trajectories, none per
trajectory, meeting or decision — and in the order that reading each kind with its own query
gives (events of one day and kind in their records' order)."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yim.trajectories.models import (
    Candidate,
    ConsentRecord,
    FollowUp,
    JimConsultation,
    Meeting,
    MeetingKind,
    NoJimOutcome,
    NoJimReason,
    NominationRound,
    Phase,
    PhaseTransition,
    PlacementDecision,
    Response,
    Trajectory,
)
from yim.trajectories.models.closure import ClosureReason, JimRelationship
from yim.trajectories.rules import amsterdam_day
from yim.trajectories.timeline import timeline_for

from .conftest import at

pytestmark = pytest.mark.django_db

ORDER = {"phase": 0, "nomination": 1, "consent": 2, "meeting": 3, "decision": 4}


def a_youth_with_trajectories(make_case, trajectories: int, meetings: int):  # type: ignore[no-untyped-def]
    """A youth with ``trajectories`` trajectories one after another (all closed but the last,
    each followed up once), each with a round that found no JIM and one that found a JIM
    (consent by the youth and two holders of authority), ``meetings`` meetings held on one day
    and a placement decision with a JIM consultation on one day."""
    first = make_case(started_days_ago=200 * trajectories + 60)
    first.person("Moeder Anna", relation="parent", has_parental_authority=True)
    first.person("Vader Bas", relation="parent", has_parental_authority=True)
    case = first
    for i in range(trajectories):
        if i:
            start = first.day(200 * i)
            case = dataclasses.replace(
                first,
                trajectory=Trajectory.start(
                    youth=first.youth,
                    programme=first.trajectory.programme,
                    professional=first.world.professional,
                    referred_on=start,
                    referral_source="school",
                    referral_reason="Again at risk of placement.",
                    at=at(start, 9),
                    by=first.world.professional,
                ),
            )
        case.explore(5)
        case.trajectory.advance_to(Phase.CANDIDATES, at=at(case.day(8)))
        declined = case.trajectory.start_round(on=case.day(10)).add_candidate(
            case.person(f"Oom {i}"), named_on=case.day(10)
        )
        declined.record_response(
            Response.DECLINED, case.day(12), asked_on=case.day(11), decline_reason="Too busy"
        )
        case.trajectory.record_no_jim(
            recorded_on=case.day(14),
            reason=NoJimReason.ALL_DECLINED,
            alternatives_tried="Asked an uncle.",
        )
        jim = case.jim(offset=30, person=case.person(f"JIM {i}"))
        case.consent(jim, offset=32)
        for n in range(meetings):
            kind = MeetingKind.EVALUATION if n % 2 == 0 else MeetingKind.SCHOOL
            Meeting.objects.create(trajectory=case.trajectory, kind=kind, held_on=case.day(40))
        decision = PlacementDecision.objects.create(
            trajectory=case.trajectory,
            placement_type="foster_care",
            decided_on=case.day(50),
            rationale="Not safe at home",
            youth_view="Wants to stay nearby",
        )
        decision.record_consultation(
            consulted_on=case.day(50), advice="Stay close to me", weighing="Followed"
        )
        if i < trajectories - 1:
            case.trajectory.close(
                reason=ClosureReason.MOVED,
                jim_relationship=JimRelationship.CONTINUING,
                at=at(case.day(100)),
            )
            follow_up = case.trajectory.follow_ups.order_by("months").first()
            follow_up.record(
                done_on=case.day(190),
                jim_contact_continues=True,
                contact_frequency="weekly",
                placement_after_all=False,
            )
    return first.youth


def events_read_kind_by_kind(youth):  # type: ignore[no-untyped-def]
    """(day, kind, link) of every event, each kind read with its own query in its model's
    order, then sorted as the timeline sorts: newest first, by kind within a day."""

    def detail(trajectory_id: int, anchor: str) -> str:
        return reverse("trajectories:detail", args=[trajectory_id]) + "#" + anchor

    rows = []
    for t in PhaseTransition.objects.filter(trajectory__youth=youth):
        rows.append((amsterdam_day(t.entered_at), "phase", detail(t.trajectory_id, "phase")))
    for r in NominationRound.objects.filter(trajectory__youth=youth):
        rows.append((r.started_on, "nomination", detail(r.trajectory_id, "nomination")))
        if r.closed_on:
            rows.append((r.closed_on, "nomination", detail(r.trajectory_id, "nomination")))
    for c in Candidate.objects.filter(trajectory__youth=youth):
        url = detail(c.trajectory_id, "nomination")
        rows.append((c.named_on, "nomination", url))
        if c.response_on and c.response != Response.PENDING:
            rows.append((c.response_on, "nomination", url))
        if c.jim_ended_on:
            rows.append((c.jim_ended_on, "nomination", url))
    for cr in ConsentRecord.objects.filter(trajectory__youth=youth):
        rows.append((amsterdam_day(cr.given_at), "consent", detail(cr.trajectory_id, "consent")))
    for o in NoJimOutcome.objects.filter(trajectory__youth=youth):
        rows.append((o.recorded_on, "nomination", detail(o.trajectory_id, "nomination")))
    for m in Meeting.objects.held().filter(trajectory__youth=youth):
        rows.append((m.held_on, "meeting", reverse("trajectories:meeting", args=[m.pk])))
    for d in PlacementDecision.objects.filter(trajectory__youth=youth):
        rows.append((d.decided_on, "decision", reverse("trajectories:placement", args=[d.pk])))
    for jc in JimConsultation.objects.filter(decision__trajectory__youth=youth):
        url = reverse("trajectories:placement", args=[jc.decision_id])
        rows.append((jc.consulted_on, "decision", url))
    for t in Trajectory.objects.filter(youth=youth, closure__isnull=False):
        rows.append((t.closure.closed_on, "closure", detail(t.pk, "closure")))
    for f in FollowUp.objects.filter(trajectory__youth=youth, done_on__isnull=False):
        rows.append((f.done_on, "follow_up", detail(f.trajectory_id, "closure")))
    rows.sort(key=lambda row: (row[0], ORDER.get(row[1], 5)), reverse=True)
    return rows


def test_the_timeline_shows_every_kind_of_event_in_the_order_of_reading_kind_by_kind(
    make_case,
):
    youth = a_youth_with_trajectories(make_case, trajectories=3, meetings=2)
    events = timeline_for(youth)
    assert [(e.day, e.kind, e.url) for e in events] == events_read_kind_by_kind(youth)
    kinds = {e.kind for e in events}
    assert kinds == {
        "phase",
        "nomination",
        "consent",
        "meeting",
        "decision",
        "closure",
        "follow_up",
    }
    assert "Meeting: Evaluation" in [e.text for e in events]


def queries_of_timeline(youth) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        timeline_for(youth)
    return len(captured.captured_queries)


def test_the_timeline_takes_as_many_queries_for_three_trajectories_as_for_one(make_case):
    one = a_youth_with_trajectories(make_case, trajectories=1, meetings=1)
    three = a_youth_with_trajectories(make_case, trajectories=3, meetings=4)
    assert len(timeline_for(three)) > 2 * len(timeline_for(one))
    assert queries_of_timeline(one) == queries_of_timeline(three) == 10


def test_the_youth_page_takes_as_many_queries_for_three_trajectories_as_for_one(
    make_case, client_for
):
    client = client_for("team_lead")
    counts = []
    for trajectories, meetings in ((1, 1), (3, 4)):
        youth = a_youth_with_trajectories(make_case, trajectories, meetings)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/youth/{youth.pk}/")
        assert response.status_code == 200
        assert len(response.context["timeline"]) > 10
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
