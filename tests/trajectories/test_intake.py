"""The intake (issue 12, item 4 and "Bad input"): the age shown with the date of birth, a
future date of birth refused, an age outside 12–23 only with a reason, and a possible
duplicate shown before anything is saved.

Messages are asserted in Dutch, the interface language. The clock is frozen at
2026-06-17 12:00 Amsterdam (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import signed_in
from tests.trajectories.conftest import messages
from tests.trajectories.test_api import bearer
from yim.audit.models import AuditEvent
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Candidate, Trajectory, Youth

pytestmark = pytest.mark.django_db
NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}
INTAKE = "/trajectories/intake/"
AGE_RULE = "De JIM-aanpak is voor jongeren van 12 tot en met 23 jaar; geef een reden"


def intake_data(**overrides: object) -> dict[str, object]:
    return {
        "display_name": "Jesse P.",
        "date_of_birth": "2010-03-01",
        "programme": ProgrammeModel.standard("indicated").pk,
        "referred_on": "2026-06-10",
        "referral_source": "school",
        "referral_reason": "Dropout and conflicts at home.",
        "requested_placement": "none",
        "placement_basis": "",
        **overrides,
    }


def field_errors(response, field: str) -> str:  # type: ignore[no-untyped-def]
    """The field's messages as the page rendered them (in the request's language)."""
    html = response.content.decode()
    start = html.index(f'data-field="{field}"')
    return html[start : html.index("</div>", start)]


# --- the age with the date of birth ---------------------------------------------------------


def test_the_age_today_comes_with_the_date_of_birth_on_the_youth_list_and_page(world):
    client = signed_in(world.professional)
    youth = world.youth_file  # born 17 May 2010: 16 on 17 June 2026
    assert youth.age == 16
    assert "17-5-2010 (16 jaar)" in client.get("/youth/", **NL).content.decode()
    assert "17 mei 2010 (16 jaar)" in client.get(f"/youth/{youth.pk}/", **NL).content.decode()


def test_the_age_goes_up_on_the_birthday(world):
    youth = world.youth_file
    assert youth.age_on(dt.date(2026, 5, 16)) == 15
    assert youth.age_on(dt.date(2026, 5, 17)) == 16


# --- bad input ------------------------------------------------------------------------------


def test_a_date_of_birth_in_the_future_is_refused_in_dutch_and_nothing_is_saved(world):
    response = signed_in(world.professional).post(
        INTAKE, intake_data(date_of_birth="2026-06-18"), **NL
    )
    assert response.status_code == 200
    assert "Deze datum ligt in de toekomst." in field_errors(response, "date_of_birth")
    assert not Youth.objects.filter(display_name="Jesse P.").exists()


@pytest.mark.parametrize(
    "born,age",
    [("2014-06-18", 11), ("2002-06-17", 24)],
    ids=["eleven", "twenty-four"],
)
def test_an_age_outside_12_to_23_asks_for_a_reason_and_saves_nothing_without_one(world, born, age):
    client = signed_in(world.professional)
    refused = client.post(INTAKE, intake_data(date_of_birth=born, referred_on="2026-06-17"), **NL)
    assert refused.status_code == 200
    shown = field_errors(refused, "age_exception_reason")
    assert AGE_RULE in shown and f"op de aanmelddatum {age} jaar was" in shown
    assert not Youth.objects.filter(display_name="Jesse P.").exists()
    reason = "Broer van een jongere in zorg; het team kent het gezin."
    data = intake_data(date_of_birth=born, referred_on="2026-06-17", age_exception_reason=reason)
    assert client.post(INTAKE, data, **NL).status_code == 302
    assert Trajectory.objects.get(youth__display_name="Jesse P.").age_exception_reason == reason


@pytest.mark.parametrize("born", ["2014-06-17", "2002-06-18"], ids=["twelve", "twenty-three"])
def test_12_and_23_on_the_referral_date_need_no_reason(world, born):
    data = intake_data(date_of_birth=born, referred_on="2026-06-17")
    assert signed_in(world.professional).post(INTAKE, data, **NL).status_code == 302


def test_the_age_counts_on_the_referral_date_not_on_the_day_of_registration(world):
    """Eleven when referred, twelve by the registration: still a reason is asked."""
    data = intake_data(date_of_birth="2014-06-15", referred_on="2026-06-10")
    response = signed_in(world.professional).post(INTAKE, data, **NL)
    assert AGE_RULE in field_errors(response, "age_exception_reason")


def test_changing_the_referral_date_to_an_age_outside_the_range_asks_for_a_reason(
    make_case, client_for
):
    trajectory = make_case(age_years=15).trajectory
    eleven = trajectory.youth.date_of_birth.replace(year=trajectory.youth.date_of_birth.year + 11)
    data = {
        "version": trajectory.version,
        "referred_on": eleven.isoformat(),
        "referral_source": "school",
        "referral_reason": "Dropout.",
        "requested_placement": "none",
        "placement_basis": "",
        "age_exception_reason": "",
    }
    path = f"/trajectories/{trajectory.pk}/referral/"
    refused = client_for("professional").post(path, data, **NL)
    assert AGE_RULE in field_errors(refused, "age_exception_reason")
    trajectory.refresh_from_db()
    assert trajectory.referred_on != eleven


def test_an_older_trajectory_outside_the_range_is_saved_until_its_referral_date_changes(make_case):
    """The rule judges an opened or re-dated referral; a record from before it is not
    blocked on every later save."""
    case = make_case(age_years=15)
    Youth.objects.filter(pk=case.youth.pk).update(date_of_birth=dt.date(2016, 1, 1))
    trajectory = Trajectory.objects.get(pk=case.trajectory.pk)
    trajectory.referral_reason = "More context."
    trajectory.save()
    trajectory.referred_on = trajectory.referred_on - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        trajectory.save()
    assert "give a reason" in messages(refused.value, "age_exception_reason")


def test_a_parent_named_as_candidate_is_refused_in_dutch(make_case, client_for):
    case = make_case()
    case.explore()
    mother = case.person("Moeder", relation="parent")
    response = client_for("professional").post(
        f"/trajectories/{case.trajectory.pk}/candidates/add/",
        {"person": mother.pk, "named_on": "2026-06-17"},
        **NL,
    )
    assert "Een ouder, stiefouder of voogd kan nooit de JIM zijn." in field_errors(
        response, "person"
    )
    assert not Candidate.objects.filter(person=mother).exists()


# --- a possible duplicate -------------------------------------------------------------------


def test_a_youth_with_the_same_name_and_birth_date_in_the_team_is_shown_before_saving(world):
    client = signed_in(world.professional)
    known = world.youth_file  # "Sam B.", born 17 May 2010, team A
    before = Youth.objects.count()
    data = intake_data(display_name="  sam b. ", date_of_birth="2010-05-17")
    warned = client.post(INTAKE, data, **NL)
    assert warned.status_code == 200
    html = warned.content.decode()
    assert 'id="possible-duplicates"' in html
    assert f'href="/youth/{known.pk}/"' in html and "17 mei 2010 (16 jaar)" in html
    assert "Dit is een andere jongere" in html
    assert Youth.objects.count() == before  # nothing saved until confirmed
    assert AuditEvent.objects.filter(youth_id=known.pk, detail__contains="duplicate").exists()
    saved = client.post(INTAKE, {**data, "not_a_duplicate": "on"}, **NL)
    assert saved.status_code == 302
    assert Youth.objects.count() == before + 1


def test_a_duplicate_in_another_team_is_only_said_to_exist(world):
    other = world.other_youth_file  # "Noa K.", born 17 May 2010, team B
    data = intake_data(display_name="Noa K.", date_of_birth="2010-05-17")
    warned = signed_in(world.professional).post(INTAKE, data, **NL)
    html = warned.content.decode()
    assert "Een jongere met deze naam en geboortedatum bestaat in een ander team." in html
    assert f"/youth/{other.pk}/" not in html and "Team B" not in html
    assert not Youth.objects.filter(display_name="Noa K.", team=world.team_a).exists()


def test_the_duplicate_check_stays_inside_the_organisation_and_on_the_birth_date(world):
    client = signed_in(world.professional)
    foreign = intake_data(display_name="Daan V.", date_of_birth="2010-05-17")
    assert client.post(INTAKE, foreign, **NL).status_code == 302  # another organisation's
    other_day = intake_data(display_name="Sam B.", date_of_birth="2010-05-18")
    assert client.post(INTAKE, other_day, **NL).status_code == 302
    assert Youth.objects.filter(display_name="Sam B.").count() == 2


def test_possible_duplicates_match_the_trimmed_name_regardless_of_case(world):
    same = Youth.possible_duplicates(
        organisation_id=world.org.pk, display_name=" SAM b. ", date_of_birth=dt.date(2010, 5, 17)
    )
    assert list(same) == [world.youth_file]
    assert not Youth.possible_duplicates(
        organisation_id=world.org.pk, display_name="Sam", date_of_birth=dt.date(2010, 5, 17)
    ).exists()


# --- the API: the same model rules ----------------------------------------------------------


def test_the_api_that_creates_a_youth_refuses_a_future_date_of_birth_on_its_field(world):
    """The API's creation endpoint (a comparison-group youth with their trajectory) meets
    the youth's own rule: 422 with the model's message on the field, nothing saved."""
    body = {
        "programme_id": ProgrammeModel.standard("indicated").pk,
        "referred_on": "2026-06-10",
        "date_of_birth": "2026-06-18",
    }
    refused = Client().post(
        "/api/v1/comparison-trajectories",
        json.dumps(body),
        content_type="application/json",
        **bearer(world.professional),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["date_of_birth"] == ["This date lies in the future."]
    assert not Trajectory.objects.filter(cohort="comparison").exists()
