"""The stored facts of a trajectory (its search for a JIM, its next evaluation due) follow
every write they depend on.

Each test records through the domain's own methods (save() and delete(), as the pages, the
API and the portals do) and then compares the stored row with the days worked out by hand,
with :func:`facts.rows` from the records and with the trajectory's own evaluation schedule.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import transaction

from tests.research.evidence.conftest import D, Registry, at
from tests.security.test_concurrency import shared_database, thread_connection  # noqa: F401
from yim.cli import main
from yim.programmes.models import ProgrammeModel
from yim.trajectories import facts
from yim.trajectories.models import (
    AgeBand,
    Candidate,
    ConsentDecision,
    ConsentParty,
    JimEndReason,
    Meeting,
    MeetingKind,
    NetworkPerson,
    NotAskedReason,
    Relation,
    Response,
    Trajectory,
    TrajectoryFacts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(world) -> Registry:  # type: ignore[no-untyped-def]
    return Registry(world=world, programme=ProgrammeModel.standard("indicated"))


def stored_row(t: Trajectory) -> facts.Row | None:
    row = TrajectoryFacts.objects.filter(trajectory=t).first()
    found = None if row is None else facts.Row(*(getattr(row, f) for f in facts.Row._fields))
    # The row always equals the days computed from the records, and its next evaluation the
    # one the trajectory's page shows (from the schedule, today).
    assert found == facts.rows(Trajectory.objects.filter(pk=t.pk)).get(t.pk)
    shown = Trajectory.objects.get(pk=t.pk).next_evaluation_due()
    assert (found.next_evaluation_on if found else None) == shown
    return found


def stored(t: Trajectory) -> facts.Facts | None:
    """The stored days of the search for a JIM (None: not one of them)."""
    row = stored_row(t)
    days = None if row is None else facts.Facts(*row[:3])
    return None if days == (None, None, None) else days


def test_a_trajectory_without_a_search_event_has_its_next_evaluation_then_its_follow_ups(
    registry,
):
    t = registry.trajectory("A", D(2025, 9, 1))
    assert stored_row(t) == (None, None, None, D(2025, 11, 1), None, None, False)  # 2 months
    registry.close(t, D(2025, 10, 1), "no_jim")
    assert stored_row(t) == (None, None, None, None, None, D(2026, 4, 1), False)
    for months, done in ((6, D(2026, 4, 2)), (12, D(2026, 6, 1))):
        registry.follow_up(t, months, done, contact=None, placed=False)  # never had a JIM
    assert stored_row(t).follow_up_due_on == D(2027, 10, 1)  # the one at 24 months


def test_what_is_due_follows_an_emergency_placement_its_confirmation_and_consultation(
    registry, world
):
    t = registry.trajectory("A", D(2025, 9, 1))
    registry.jim(t, D(2025, 9, 5))  # to be consulted
    registry.decision(t, D(2025, 9, 10))  # no emergency: nothing due
    assert stored_row(t)[4:] == (None, None, False)
    emergency = registry.decision(t, D(2025, 9, 20), emergency=True)
    assert stored_row(t)[4:] == (None, None, True)  # awaits a team lead
    emergency.finalise(world.professional)
    assert stored_row(t)[4:] == (D(2025, 9, 27), None, True)  # the consultation is owed
    emergency.refresh_from_db()
    emergency.confirm_emergency(by=world.team_lead)
    assert stored_row(t)[4:] == (D(2025, 9, 27), None, False)
    emergency.refresh_from_db()
    consultation = emergency.record_consultation(
        consulted_on=D(2025, 9, 25), advice="Stay with the aunt.", weighing="Followed."
    )
    assert stored_row(t)[4:] == (None, None, False)
    consultation.delete()
    assert stored_row(t)[4:] == (D(2025, 9, 27), None, False)


def test_the_next_evaluation_follows_evaluations_held_corrected_and_the_programme_interval(
    registry,
):
    t = registry.trajectory("A", D(2025, 9, 1))
    other = registry.trajectory("B", D(2025, 9, 1))
    Meeting.objects.create(trajectory=t, kind=MeetingKind.SCHOOL, held_on=D(2025, 10, 1))
    assert stored_row(t).next_evaluation_on == D(2025, 11, 1)  # not an evaluation
    held = Meeting.objects.create(
        trajectory=t, kind=MeetingKind.EVALUATION, held_on=D(2025, 10, 20)
    )
    assert stored_row(t).next_evaluation_on == D(2025, 12, 20)  # two months after it was held
    held.refresh_from_db()
    held.held_on = D(2025, 10, 25)  # corrected
    held.save()
    assert stored_row(t).next_evaluation_on == D(2025, 12, 25)
    registry.programme.refresh_from_db()
    registry.programme.evaluation_interval_months = 3
    registry.programme.save()
    assert stored_row(t).next_evaluation_on == D(2026, 1, 25)
    assert stored_row(other).next_evaluation_on == D(2025, 12, 1)
    held.delete()
    assert stored_row(t).next_evaluation_on == D(2025, 12, 1)
    t.refresh_from_db()
    t.referred_on = D(2025, 8, 25)  # the referral day corrected
    t.save()
    assert stored_row(t).next_evaluation_on == D(2025, 11, 25)


def test_acceptance_consent_and_a_meeting_with_the_jim_are_stored_as_they_happen(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    assert stored(t) == (D(2025, 9, 10), None, None)
    registry.meeting_with_jim(t, D(2025, 9, 12))  # before consent: not positioned
    assert stored(t) == (D(2025, 9, 10), None, None)
    registry.consent(jim, D(2025, 9, 14))
    assert stored(t) == (D(2025, 9, 10), None, None)  # consent alone is no positioning
    registry.meeting_with_jim(t, D(2025, 9, 20))
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
    jim.refresh_from_db()
    jim.end_jim(on=D(2025, 9, 28), reason=JimEndReason.JIM_STOPPED)  # after that meeting
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
    registry.no_jim(t, D(2025, 10, 1))  # recorded later: stored, the first event stays
    assert stored(t) == (D(2025, 9, 10), D(2025, 10, 1), D(2025, 9, 20))


def test_an_absent_jim_positions_nobody_until_the_attendance_is_corrected(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    registry.consent(jim, D(2025, 9, 11))
    meeting = registry.meeting_with_jim(t, D(2025, 9, 20))
    attendee = meeting.attendees.get()
    attendee.present = False
    attendee.save()
    assert stored(t) == (D(2025, 9, 10), None, None)
    attendee.refresh_from_db()
    attendee.present = True
    attendee.save()
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
    attendee.refresh_from_db()
    attendee.delete()
    assert stored(t) == (D(2025, 9, 10), None, None)


def test_a_refused_consent_before_the_meeting_and_a_jim_who_stopped_position_nobody(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    registry.consent(jim, D(2025, 9, 11))
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.REFUSED, given_at=at(D(2025, 9, 12))
    )
    registry.meeting_with_jim(t, D(2025, 9, 20))
    assert stored(t) == (D(2025, 9, 10), None, None)
    jim.record_consent(
        party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=at(D(2025, 9, 25))
    )
    registry.meeting_with_jim(t, D(2025, 9, 30))
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 30))
    jim.refresh_from_db()
    jim.end_jim(on=D(2025, 9, 28), reason=JimEndReason.JIM_STOPPED)  # before that meeting
    assert stored(t) == (D(2025, 9, 10), None, None)


def test_a_corrected_response_date_moves_the_day_the_jim_was_found(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    jim.refresh_from_db()
    jim.correct_response(
        jim.version, response=Response.ACCEPTED, on=D(2025, 9, 8), asked_on=D(2025, 9, 1)
    )
    assert stored(t) == (D(2025, 9, 8), None, None)


def test_a_corrected_birth_date_changes_whose_consent_was_needed(registry):
    # 16 on the day of consent: the youth alone consents, so the meeting positions the JIM.
    t = registry.trajectory("A", D(2025, 9, 1), born=D(2009, 1, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    registry.consent(jim, D(2025, 9, 11))
    registry.meeting_with_jim(t, D(2025, 9, 20))
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
    youth = t.youth
    youth.refresh_from_db()
    youth.date_of_birth = D(2010, 1, 1)  # 15 then: a parent's consent was needed too
    youth.save()
    assert stored(t) == (D(2025, 9, 10), None, None)


def holder(t: Trajectory, name: str, *, authority: bool = True) -> NetworkPerson:
    return NetworkPerson.objects.create(
        youth=t.youth, display_name=name, relation=Relation.PARENT,
        age_band=AgeBand.AGE_40_64, has_parental_authority=authority,
    )  # fmt: skip


def test_every_holder_of_parental_authority_settles_consent_as_on_the_consent_page(registry):
    # 15: the youth and the parents consent; both parents hold authority (joint custody).
    t = registry.trajectory("A", D(2025, 9, 1))
    mother, father = holder(t, "Mother"), holder(t, "Father")
    jim = registry.jim(t, D(2025, 9, 10))

    def complete() -> bool:
        return Candidate.objects.get(pk=jim.pk).consent_status().complete

    youth_yes = at(D(2025, 9, 12))
    jim.record_consent(party=ConsentParty.YOUTH, decision=ConsentDecision.YES, given_at=youth_yes)
    jim.record_consent(
        party=ConsentParty.PARENT, holder=mother, decision=ConsentDecision.YES,
        given_at=at(D(2025, 9, 12)),
    )  # fmt: skip
    registry.meeting_with_jim(t, D(2025, 9, 15))
    assert not complete()  # the father has not decided: the meeting positions nobody
    assert stored(t) == (D(2025, 9, 10), None, None)
    jim.record_consent(
        party=ConsentParty.PARENT, holder=father, decision=ConsentDecision.NOT_ASKED,
        not_asked_reason=NotAskedReason.WHEREABOUTS_UNKNOWN, given_at=at(D(2025, 9, 18)),
    )  # fmt: skip
    assert complete()  # not asked, with the reason recorded, settles the father's part
    assert stored(t) == (D(2025, 9, 10), None, None)  # no meeting with the JIM since
    registry.meeting_with_jim(t, D(2025, 9, 20))
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))

    # A third holder recorded on the file: consent is open again on the page, and the stored
    # day follows (a person saved without authority changes nothing; given it, it does).
    guardian = holder(t, "Guardian", authority=False)
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
    guardian.has_parental_authority = True
    guardian.save()
    assert not complete()
    assert stored(t) == (D(2025, 9, 10), None, None)
    guardian.delete()
    assert complete()
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))


def test_a_programme_saved_with_its_interval_unchanged_leaves_the_rows_and_a_new_one_rewrites_all(
    registry, monkeypatch
):
    monkeypatch.setattr(facts, "CHUNK", 2)  # three trajectories: two rounds in one transaction
    ts = [registry.trajectory(name, D(2025, 9, 1)) for name in ("A", "B", "C")]
    TrajectoryFacts.objects.update(next_evaluation_on=D(2030, 1, 1))  # behind the models' back
    programme = ProgrammeModel.objects.get(pk=registry.programme.pk)
    programme.name = "Renamed"
    programme.save()
    assert set(TrajectoryFacts.objects.values_list("next_evaluation_on", flat=True)) == {
        D(2030, 1, 1)
    }
    programme.evaluation_interval_months = 4
    programme.save()
    assert [stored_row(t).next_evaluation_on for t in ts] == [D(2026, 1, 1)] * 3


def test_saves_of_a_trajectory_or_youth_that_leave_what_the_facts_read_refresh_nothing(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    TrajectoryFacts.objects.update(next_evaluation_on=D(2030, 1, 1))  # behind the models' back
    t.refresh_from_db()
    t.referral_reason = "Threatened placement; school refusal too."
    t.save()
    youth = t.youth
    youth.refresh_from_db()
    youth.display_name = "Renamed"
    youth.save()
    assert TrajectoryFacts.objects.get(trajectory=t).next_evaluation_on == D(2030, 1, 1)
    t.referred_on = D(2025, 8, 31)  # a field the facts read: recomputed
    t.save()
    assert stored_row(t).next_evaluation_on == D(2025, 10, 31)


def test_deleting_a_trajectory_takes_its_row_along(registry):
    t = registry.trajectory("A", D(2025, 9, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    registry.consent(jim, D(2025, 9, 11))
    registry.meeting_with_jim(t, D(2025, 9, 20))
    assert stored(t) is not None
    pk = t.pk
    Trajectory.objects.filter(pk=pk).delete()
    assert not TrajectoryFacts.objects.filter(trajectory_id=pk).exists()


def test_rows_changed_behind_the_models_back_are_found_and_recomputed(registry, capsys):
    a = registry.trajectory("A", D(2025, 9, 1))
    registry.jim(a, D(2025, 9, 10))
    b = registry.trajectory("B", D(2025, 9, 1))
    registry.no_jim(b, D(2025, 9, 30))
    TrajectoryFacts.objects.filter(trajectory=a).update(jim_found_on=D(2025, 9, 9))
    TrajectoryFacts.objects.filter(trajectory=b).delete()
    due, nothing = D(2025, 11, 1), (None, None, False)
    assert facts.differences() == [
        (
            a.pk,
            (D(2025, 9, 9), None, None, due, *nothing),
            (D(2025, 9, 10), None, None, due, *nothing),
        ),
        (b.pk, None, (None, D(2025, 9, 30), None, due, *nothing)),
    ]
    assert main(["evidence", "refresh-facts", "--check"]) == 1
    assert "2 trajectories whose stored facts differ" in capsys.readouterr().out
    assert main(["evidence", "refresh-facts"]) == 0
    assert facts.differences() == []
    assert main(["evidence", "refresh-facts", "--check"]) == 0


def test_migrating_forward_recomputes_every_row_and_backward_touches_none(registry):
    a = registry.trajectory("A", D(2025, 9, 1))
    registry.jim(a, D(2025, 9, 10))
    TrajectoryFacts.objects.filter(trajectory=a).update(jim_found_on=D(2025, 9, 9))
    facts._after_migrate(sender=None, plan=[(object(), True)])  # backwards: left alone
    assert facts.differences() != []
    facts._after_migrate(sender=None, plan=[])  # nothing migrated: left alone
    assert facts.differences() != []
    facts._after_migrate(sender=None, plan=[(object(), False)])
    assert facts.differences() == []


def test_refresh_all_in_small_rounds_gives_the_same_rows(registry):
    for i, day in enumerate((D(2025, 9, 10), D(2025, 9, 12), D(2025, 9, 14))):
        t = registry.trajectory(f"T{i}", D(2025, 9, 1))
        jim = registry.jim(t, day)
        registry.consent(jim, day)
        registry.meeting_with_jim(t, day + dt.timedelta(days=3))
    before = list(TrajectoryFacts.objects.order_by("pk").values_list())
    TrajectoryFacts.objects.all().delete()
    assert facts.refresh_all(chunk=2) == 3
    assert list(TrajectoryFacts.objects.order_by("pk").values_list()) == before


@pytest.mark.django_db(transaction=True)
def test_two_people_recording_for_one_youth_at_once_leave_the_days_of_both(
    flushable,
    registry,
    shared_database,  # noqa: F811
):
    # The meeting alone positions nobody (no consent yet), nor does the consent alone (no
    # meeting yet): only a refresh that sees both writes stores the day. The second writer's
    # refresh waits for the first writer's transaction (PostgreSQL: the trajectory's row lock;
    # SQLite: the write lock), so it sees both.
    # 16 years old: the youth's consent alone is complete, so the consent is one write.
    t = registry.trajectory("A", D(2025, 9, 1), born=D(2009, 1, 1))
    jim = registry.jim(t, D(2025, 9, 10))
    meeting_recorded = threading.Event()
    errors: list[BaseException] = []

    def record_meeting() -> None:
        with thread_connection(shared_database), transaction.atomic():
            registry.meeting_with_jim(t, D(2025, 9, 20))
            meeting_recorded.set()
            time.sleep(0.5)  # still uncommitted while the consent is recorded

    def record_consent() -> None:
        with thread_connection(shared_database):
            assert meeting_recorded.wait(timeout=30)
            registry.consent(jim, D(2025, 9, 14))

    def run(work):  # type: ignore[no-untyped-def]
        def wrapped() -> None:
            try:
                work()
            except BaseException as exc:  # reported below
                errors.append(exc)

        return threading.Thread(target=wrapped)

    threads = [run(record_meeting), run(record_consent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert stored(t) == (D(2025, 9, 10), None, D(2025, 9, 20))
