"""Retention and erasure: a file is flagged 20 years after care ended (never before), a
request for destruction is decided within three months with its exceptions, and destruction
leaves a tombstone and an audit entry (time travel with the test clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.trajectories.conftest import at
from yim.audit.models import AuditEvent
from yim.monitoring.models import JimSharingScope
from yim.trajectories.models import Trajectory, Youth
from yim.trajectories.models.retention import (
    ErasureBasis,
    ErasureRequest,
    RefusalGround,
    Requester,
    RequestStatus,
    Tombstone,
    due_for_destruction,
    erase_youth,
    retention_ends,
)
from yim.trajectories.rules import AMSTERDAM

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_file(make_case):  # type: ignore[no-untyped-def]
    """A youth whose only trajectory closed 100 days into it, with network and a JIM."""
    case = make_case(age_years=15, started_days_ago=400)
    case.explore()
    case.jim(30)
    case.trajectory.close(reason="moved", jim_relationship="continuing", at=at(case.day(100)))
    return case


def _travel_to(frozen_clock, day: dt.date) -> None:  # type: ignore[no-untyped-def]
    frozen_clock.move_to(dt.datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM))


def test_a_file_is_flagged_on_the_day_twenty_years_after_closure_and_not_the_day_before(
    closed_file, frozen_clock
):
    youth = closed_file.youth
    closed_on = closed_file.trajectory.closure.closed_on
    ends = retention_ends(closed_on)
    assert ends == closed_on.replace(year=closed_on.year + 20)
    _travel_to(frozen_clock, ends - dt.timedelta(days=1))
    assert list(due_for_destruction(youth.organisation_id)) == []
    with pytest.raises(ValidationError):
        erase_youth(youth, by=None, basis=ErasureBasis.RETENTION_EXPIRED)
    _travel_to(frozen_clock, ends)
    assert [y.pk for y in due_for_destruction(youth.organisation_id)] == [youth.pk]


def test_an_open_trajectory_keeps_the_file_out_of_the_list(closed_file, frozen_clock, indicated):
    youth = closed_file.youth
    Trajectory.start(
        youth=youth,
        programme=indicated,
        professional=closed_file.world.professional,
        referred_on=closed_file.day(200),
        referral_source="school",
        referral_reason="again",
        at=at(closed_file.day(200)),
    )
    _travel_to(frozen_clock, retention_ends(closed_file.trajectory.closure.closed_on))
    assert list(due_for_destruction(youth.organisation_id)) == []


def test_destruction_removes_the_file_and_leaves_a_tombstone_and_an_audit_entry(
    closed_file, frozen_clock
):
    youth, world = closed_file.youth, closed_file.world
    JimSharingScope.decide(youth, {"plan": True}, by=world.youth_user)
    file_number = youth.pk
    _travel_to(frozen_clock, retention_ends(closed_file.trajectory.closure.closed_on))
    tombstone = erase_youth(youth, by=world.admin, basis=ErasureBasis.RETENTION_EXPIRED)
    assert not Youth.objects.filter(pk=file_number).exists()
    assert not Trajectory.objects.filter(youth_id=file_number).exists()
    assert not JimSharingScope.objects.filter(youth_id=file_number).exists()
    assert (tombstone.file_number, tombstone.basis) == (file_number, "retention_expired")
    event = AuditEvent.objects.get(object_type="tombstone")
    assert (event.action, event.youth_id, event.actor_id) == ("delete", file_number, world.admin.pk)
    assert Tombstone.objects.count() == 1


def test_a_request_is_decided_within_three_months_and_carried_out(closed_file):
    youth, world = closed_file.youth, closed_file.world
    received = dt.date(2026, 1, 31)  # the test clock stands on 17 June 2026
    request = ErasureRequest.receive(
        youth=youth, requested_on=received, requested_by=Requester.YOUTH, by=world.admin
    )
    assert request.due_on == dt.date(2026, 4, 30)  # three months; April has no 31st
    assert not request.is_overdue(dt.date(2026, 4, 30))
    assert request.is_overdue(dt.date(2026, 5, 1))
    tombstone = request.carry_out(by=world.admin)
    request.refresh_from_db()
    assert request.status == RequestStatus.CARRIED_OUT and request.youth is None
    assert (tombstone.basis, tombstone.request) == ("request", request)
    with pytest.raises(ValidationError):
        request.carry_out(by=world.admin)


def test_a_refusal_names_its_statutory_ground_and_keeps_the_file(closed_file):
    youth, world = closed_file.youth, closed_file.world
    request = ErasureRequest.receive(
        youth=youth,
        requested_on=closed_file.day(150),
        requested_by=Requester.YOUTH,
        by=world.admin,
    )
    with pytest.raises(ValidationError) as refused:
        request.refuse(ground="", reason="", by=world.admin)
    assert {"refusal_ground", "decision_note"} <= set(refused.value.message_dict)
    request = ErasureRequest.objects.get(pk=request.pk)
    request.refuse(
        ground=RefusalGround.STATUTORY_DUTY,
        reason="Child protection order in force",
        by=world.admin,
    )
    assert Youth.objects.filter(pk=youth.pk).exists()
    assert ErasureRequest.objects.get(pk=request.pk).status == RequestStatus.REFUSED


def test_who_may_ask_follows_the_youths_age(closed_file):
    youth, world = closed_file.youth, closed_file.world
    asked_on = closed_file.day(150)

    def born_years_before(years: int) -> dt.date:
        return asked_on - dt.timedelta(days=365 * years + 30)

    Youth.objects.filter(pk=youth.pk).update(date_of_birth=born_years_before(11))
    youth.refresh_from_db()
    with pytest.raises(ValidationError) as too_young:
        ErasureRequest.receive(
            youth=youth, requested_on=asked_on, requested_by="youth", by=world.admin
        )
    assert "from 12" in str(too_young.value)
    Youth.objects.filter(pk=youth.pk).update(date_of_birth=born_years_before(17))
    youth.refresh_from_db()
    with pytest.raises(ValidationError) as parent:
        ErasureRequest.receive(
            youth=youth, requested_on=asked_on, requested_by="parent", by=world.admin
        )
    assert "From 16 the youth decides alone" in str(parent.value)
    assert not ErasureRequest.objects.exists()


def test_the_retention_commands_list_and_destroy_only_what_is_due(
    closed_file, frozen_clock, capsys
):
    from yim.cli import main

    youth, world = closed_file.youth, closed_file.world
    org = world.org.name
    assert main(["retention", "due", "--organisation", org]) == 0
    assert "0 file(s)" in capsys.readouterr().out
    assert main(["retention", "destroy", str(youth.pk), "--by", "admin"]) == 1
    assert "has not ended" in capsys.readouterr().err
    _travel_to(frozen_clock, retention_ends(closed_file.trajectory.closure.closed_on))
    assert main(["retention", "due", "--organisation", org]) == 0
    assert f"file {youth.pk}:" in capsys.readouterr().out
    assert main(["retention", "destroy", str(youth.pk), "--by", "prof_x"]) == 1  # other org
    assert main(["retention", "destroy", str(youth.pk), "--by", "admin"]) == 0
    assert not Youth.objects.filter(pk=youth.pk).exists()
    assert main(["retention", "due", "--organisation", "Nobody"]) == 1
