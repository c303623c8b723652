"""The dated living-situation history (the current situation derived from it) and follow-ups
tied to the JIM they are about and to who reported, with "not reached" as its own outcome."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.trajectories.conftest import messages
from tests.trajectories.test_api import bearer
from tests.trajectories.web_fixtures import close, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.trajectories.models import FollowUp, LivingSituationRecord, Youth

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- living situation --------------------------------------------------------------------


def test_the_current_living_situation_is_the_latest_one_begun(world):  # type: ignore[no-untyped-def]
    youth = world.youth_file
    LivingSituationRecord.record(youth, situation="both_parents", since=dt.date(2024, 1, 1))
    LivingSituationRecord.record(youth, situation="foster_family", since=dt.date(2026, 3, 1))
    # An earlier day recorded later does not replace the current situation.
    LivingSituationRecord.record(youth, situation="one_parent", since=dt.date(2025, 5, 1))
    youth.refresh_from_db()
    assert youth.living_situation == "foster_family"
    assert LivingSituationRecord.current_for(youth, dt.date(2025, 12, 31)) == "one_parent"
    assert LivingSituationRecord.current_for(youth, dt.date(2023, 12, 31)) == ""
    assert [h.situation for h in youth.living_history.all()] == [
        "both_parents", "one_parent", "foster_family"
    ]  # fmt: skip


def test_a_living_situation_is_not_dated_in_the_future_or_twice_on_one_day(world):  # type: ignore[no-untyped-def]
    youth = world.youth_file
    with pytest.raises(ValidationError) as refused:
        LivingSituationRecord.record(youth, situation="residential", since=dt.date(2026, 7, 1))
    assert "in the future" in messages(refused.value, "since")
    LivingSituationRecord.record(youth, situation="residential", since=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError) as twice:
        LivingSituationRecord.record(youth, situation="homeless", since=dt.date(2026, 6, 1))
    assert "already recorded" in messages(twice.value, "since")
    youth.refresh_from_db()
    assert youth.living_situation == "residential"


def test_intake_starts_the_history_at_the_referral_date(world, client_for):  # type: ignore[no-untyped-def]
    from yim.programmes.models import ProgrammeModel

    programme = ProgrammeModel.standard("indicated")
    response = client_for("professional").post(
        "/trajectories/intake/",
        {"display_name": "Mo R.", "date_of_birth": "2011-02-03", "living_situation": "one_parent",
         "programme": programme.pk, "referred_on": "2026-06-01",
         "referral_source": "neighbourhood_team", "referral_reason": "Threatened placement",
         "requested_placement": "residential", "placement_basis": "requested"},
        **EN,
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    youth = Youth.objects.get(display_name="Mo R.")
    assert [(h.situation, h.since) for h in youth.living_history.all()] == [
        ("one_parent", dt.date(2026, 6, 1))
    ]


def test_the_living_situation_page_records_a_change_and_refuses_a_stale_one(world, client_for):  # type: ignore[no-untyped-def]
    youth = world.youth_file
    client = client_for("professional")
    url = f"/trajectories/youth/{youth.pk}/living-situation/"
    assert client.get(url, **EN).status_code == 200
    ok = client.post(url, {"situation": "other_family", "since": "2026-05-01", "version": 1}, **EN)
    assert ok.status_code == 302
    stale = client.post(url, {"situation": "homeless", "since": "2026-06-01", "version": 1}, **EN)
    assert stale.status_code == 200 and "Someone else changed" in stale.content.decode()
    youth.refresh_from_db()
    assert youth.living_situation == "other_family"
    assert youth.living_history.count() == 1
    assert AuditEvent.objects.filter(youth_id=youth.pk, detail="living situation").exists()
    assert client_for("other_team_professional").get(url).status_code == 404


def test_the_api_keeps_the_history_with_409_and_422(world):  # type: ignore[no-untyped-def]
    youth = world.youth_file
    headers = bearer(world.professional)
    path = f"/api/v1/youth/{youth.pk}/living-situations"

    def post(body: dict) -> object:
        return Client().post(path, json.dumps(body), content_type="application/json", **headers)

    created = post({"situation": "foster_family", "since": "2026-04-01", "version": 1})
    assert created.status_code == 201, created.content
    assert created.json()["current"] == "foster_family"
    assert post({"situation": "castle", "since": "2026-05-01", "version": 2}).status_code == 422
    stale = post({"situation": "residential", "since": "2026-05-01", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    read = Client().get(path, **headers).json()
    assert [h["situation"] for h in read["history"]] == ["foster_family"]
    other = Client().get(path, **bearer(world.other_team_professional))
    assert other.status_code == 404


# --- follow-ups --------------------------------------------------------------------------


def test_a_follow_up_is_about_the_trajectorys_jim_and_says_who_reported(records):  # noqa: F811
    follow_up = close(records.case)
    follow_up.record(
        done_on=dt.date(2026, 6, 17), jim_contact_continues=True, contact_frequency="monthly",
        placement_after_all=False, reported_by="jim",
    )  # fmt: skip
    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert stored.jim.person == records.aunt
    assert stored.reported_by == "jim"


def test_not_reached_is_its_own_outcome_without_answers(records):  # noqa: F811
    follow_up = close(records.case)
    with pytest.raises(ValidationError) as refused:
        follow_up.record(
            done_on=dt.date(2026, 6, 17), jim_contact_continues=False, placement_after_all=None,
            outcome="not_reached",
        )  # fmt: skip
    assert "leave the answers empty" in messages(refused.value, "outcome")
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    follow_up.record(
        done_on=dt.date(2026, 6, 17), jim_contact_continues=None, placement_after_all=None,
        outcome="not_reached", reported_by="professional",
    )  # fmt: skip
    assert FollowUp.objects.get(pk=follow_up.pk).outcome == "not_reached"


def test_the_follow_up_lists_agree_with_each_follow_up_on_every_day(records):  # noqa: F811
    # open, due and overdue are the queries the work lists and the stored facts read; each
    # must hold exactly the follow-ups that say so of themselves, the day before, on and
    # after the due day, before and after one is done.
    first = close(records.case)

    def agree() -> None:
        mine = FollowUp.objects.filter(trajectory=records.case.trajectory)
        stored = list(mine)
        assert len(stored) > 1
        assert set(mine.open()) == {f for f in stored if not f.is_done}
        for shift in (-1, 0, 1):
            day = first.due_on + dt.timedelta(days=shift)
            assert set(mine.overdue(day)) == {f for f in stored if f.is_overdue(day)}
            assert set(mine.due(day)) == {f for f in stored if not f.is_done and f.due_on <= day}

    agree()
    assert first in FollowUp.objects.due(first.due_on)
    assert first not in FollowUp.objects.overdue(first.due_on)
    first.record(
        done_on=dt.date(2026, 6, 17), jim_contact_continues=True, contact_frequency="monthly",
        placement_after_all=False, reported_by="jim",
    )  # fmt: skip
    agree()  # done on the frozen day, months before the due day
    assert first not in FollowUp.objects.open()
    assert first not in FollowUp.objects.due(first.due_on)


def test_a_youth_who_never_had_a_jim_gets_no_jim_contact_question(case, client_for):  # type: ignore[no-untyped-def]
    case.trajectory.close(reason="care_elsewhere", jim_relationship="no_jim", by=None)
    follow_up = FollowUp.objects.get(trajectory=case.trajectory, months=6)
    with pytest.raises(ValidationError) as refused:
        follow_up.record(
            done_on=dt.date(2026, 6, 17), jim_contact_continues=False, placement_after_all=False
        )
    assert "never had a JIM" in messages(refused.value, "jim_contact_continues")
    url = f"/trajectories/follow-ups/{follow_up.pk}/"
    client = client_for("professional")
    form = client.get(url, **EN).context["form"]
    assert "jim_contact_continues" not in form.fields and "jim" not in form.fields
    response = client.post(
        url,
        {"version": 1, "done_on": "2026-06-17", "outcome": "answered", "reported_by": "parent",
         "placement_after_all": "no", "placement_type": "", "note": ""},
        **EN,
    )  # fmt: skip
    assert response.status_code == 302
    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert (stored.jim_contact_continues, stored.jim, stored.reported_by) == (None, None, "parent")
