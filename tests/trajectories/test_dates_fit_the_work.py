"""Dates that fit the work (issue 12, item 4): a trajectory starts on its referral date.

The steps taken between referral and registration (``started_at``) can be recorded on the
page and through the API; a date before the referral is refused with the model's message.
Time to a JIM and the evaluation schedule count from the referral date too. The clock is
frozen at 2026-06-17 12:00 Amsterdam (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import signed_in
from tests.trajectories.conftest import at, messages, years_ago
from tests.trajectories.test_api import bearer
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    AgeBand,
    Meeting,
    MeetingKind,
    NetworkPerson,
    NominationRound,
    Phase,
    Relation,
    Response,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import add_months

pytestmark = pytest.mark.django_db
NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}

REFERRED = dt.date(2026, 3, 2)
REGISTERED = dt.date(2026, 3, 16)  # two weeks later: the team took the youth on
BETWEEN = dt.date(2026, 3, 9)
BEFORE = dt.date(2026, 3, 1)


@pytest.fixture
def late_registration(world) -> Trajectory:  # type: ignore[no-untyped-def]
    """A 15-year-old referred on 2 March 2026 and registered on 16 March."""
    youth = Youth.objects.create(
        organisation=world.org,
        team=world.team_a,
        professional=world.professional,
        display_name="Lina T.",
        date_of_birth=years_ago(15, days=200),
    )
    return Trajectory.start(
        youth=youth,
        programme=ProgrammeModel.standard("indicated"),
        professional=world.professional,
        referred_on=REFERRED,
        referral_source="neighbourhood_team",
        referral_reason="Threatened placement after school dropout.",
        at=at(REGISTERED, 9),
        by=world.professional,
    )


def aunt(trajectory: Trajectory) -> NetworkPerson:
    return NetworkPerson.objects.create(
        youth=trajectory.youth,
        display_name="Tante Marieke",
        relation=Relation.AUNT_UNCLE,
        age_band=AgeBand.AGE_40_64,
    )


# --- the models ---------------------------------------------------------------------------


def test_a_round_a_candidate_and_a_meeting_between_referral_and_registration_are_accepted(
    late_registration,
):
    trajectory = late_registration
    assert trajectory.started_on == REGISTERED  # the registration moment is kept
    round_ = trajectory.start_round(on=BETWEEN)
    candidate = round_.add_candidate(aunt(trajectory), named_on=BETWEEN, asked_on=BETWEEN)
    meeting = Meeting.objects.create(
        trajectory=trajectory, kind=MeetingKind.OTHER, held_on=BETWEEN, notes="First talk."
    )
    assert (round_.started_on, candidate.named_on, meeting.held_on) == (BETWEEN,) * 3


def test_a_round_before_the_referral_date_is_refused_on_its_date(late_registration):
    with pytest.raises(ValidationError) as refused:
        late_registration.start_round(on=BEFORE)
    assert "This date lies before the referral date." in messages(refused.value, "started_on")
    assert not NominationRound.objects.exists()


def test_a_meeting_on_the_referral_date_is_accepted_and_one_the_day_before_refused(
    late_registration,
):
    Meeting.objects.create(trajectory=late_registration, kind=MeetingKind.OTHER, held_on=REFERRED)
    with pytest.raises(ValidationError) as refused:
        Meeting.objects.create(trajectory=late_registration, kind=MeetingKind.OTHER, held_on=BEFORE)
    assert "before the referral date" in messages(refused.value, "held_on")
    assert Meeting.objects.count() == 1


def test_time_to_a_jim_counts_from_the_referral_date(late_registration):
    trajectory = late_registration
    candidate = trajectory.start_round(on=BETWEEN).add_candidate(aunt(trajectory), named_on=BETWEEN)
    candidate.record_response(Response.ACCEPTED, dt.date(2026, 3, 12), asked_on=BETWEEN)
    assert trajectory.time_to_mentor == dt.timedelta(days=10)  # 2 → 12 March
    row = trajectory.mentor_search()
    assert (row.days, row.found) == (10, True)


def test_evaluations_fall_due_from_the_referral_date(late_registration):
    schedule = late_registration.evaluations_due()
    interval = late_registration.programme.evaluation_interval_months
    assert schedule[0].due_on == add_months(REFERRED, interval)
    assert schedule[0].due_on != add_months(REGISTERED, interval)


def test_phases_still_begin_at_registration(late_registration):
    """Phase moves are timestamps of the work in yim: none before the registration."""
    with pytest.raises(ValidationError, match="cannot start before the current phase"):
        late_registration.advance_to(Phase.NETWORK_EXPLORATION, at=at(BETWEEN))


# --- the page and the API -----------------------------------------------------------------


def test_the_round_page_accepts_a_date_between_referral_and_registration(world, late_registration):
    client = signed_in(world.professional)
    path = f"/trajectories/{late_registration.pk}/rounds/start/"
    response = client.post(path, {"started_on": BETWEEN.isoformat()}, **NL)
    assert response.status_code == 302
    assert NominationRound.objects.get().started_on == BETWEEN


def test_the_round_page_refuses_a_date_before_the_referral_in_dutch(world, late_registration):
    client = signed_in(world.professional)
    path = f"/trajectories/{late_registration.pk}/rounds/start/"
    response = client.post(path, {"started_on": BEFORE.isoformat()}, **NL)
    assert response.status_code == 200
    assert "Deze datum ligt vóór de aanmelddatum." in response.content.decode()
    assert not NominationRound.objects.exists()


def test_the_api_accepts_a_round_between_referral_and_registration_and_refuses_one_before(
    world, late_registration
):
    headers = bearer(world.professional)
    path = f"/api/v1/trajectories/{late_registration.pk}/nominations"

    def post(day: dt.date):  # type: ignore[no-untyped-def]
        body = json.dumps({"started_on": day.isoformat()})
        return Client().post(path, body, content_type="application/json", **headers)

    refused = post(BEFORE)
    assert refused.status_code == 422
    assert refused.json()["errors"]["started_on"] == ["This date lies before the referral date."]
    accepted = post(BETWEEN)
    assert accepted.status_code == 201
    assert accepted.json()["started_on"] == BETWEEN.isoformat()


def test_a_referral_date_after_the_registration_is_refused_in_dutch_with_that_day(
    world, late_registration
):
    trajectory = late_registration
    data = {
        "version": trajectory.version,
        "referred_on": "2026-03-20",
        "referral_source": "school",
        "referral_reason": "Dropout.",
        "requested_placement": "none",
        "placement_basis": "",
        "age_exception_reason": "",
    }
    response = signed_in(world.professional).post(
        f"/trajectories/{trajectory.pk}/referral/", data, **NL
    )
    assert response.status_code == 200
    assert (
        "De aanmelddatum ligt na de dag waarop het traject is geregistreerd (16-3-2026)."
        in response.content.decode()
    )
    trajectory.refresh_from_db()
    assert trajectory.referred_on == REFERRED
