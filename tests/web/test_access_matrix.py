"""Every page against every persona: who may, and who may not (404, never a leak)."""

import re

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS

pytestmark = pytest.mark.django_db

# page -> personas that get 200; everyone else signed in gets 404 (or a redirect for home).
MATRIX = {
    "/home/": set(ALL_PERSONAS),
    "/me/": set(ALL_PERSONAS),
    "/youth/": {"professional", "team_lead", "other_team_professional", "foreign_professional"},
    # Portal users have the portal; the staff page (file number, birth date, team, the
    # professional's name) is not theirs, even with everything shared (security finding 5).
    "/youth/{youth}/": {"professional", "team_lead"},
    "/audit/": {"team_lead", "admin"},
    "/users/": {"admin"},
    "/research/": {"researcher"},
    "/my-file/views/": {"youth_user"},
}


def _url(template: str, world) -> str:
    return template.format(youth=world.youth_file.pk)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("page", list(MATRIX))
def test_page_access_follows_the_policy(world, client_for, persona, page):
    response = client_for(persona).get(_url(page, world))
    expected = 200 if persona in MATRIX[page] else 404
    assert response.status_code == expected, f"{persona} on {page}"


@pytest.mark.parametrize("page", list(MATRIX))
def test_anonymous_visitors_are_sent_to_sign_in(world, page):
    response = Client().get(_url(page, world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_youth_file_of_another_team_is_not_found_even_for_its_team_lead(world, client_for):
    assert client_for("team_lead").get(f"/youth/{world.other_youth_file.pk}/").status_code == 404


def test_a_nonexistent_youth_file_looks_exactly_like_a_forbidden_one(world, client_for):
    client = client_for("other_team_professional")
    forbidden = client.get(f"/youth/{world.youth_file.pk}/")
    missing = client.get("/youth/999999/")
    assert forbidden.status_code == missing.status_code == 404

    def main_content(html: bytes) -> str:
        return re.search(r"<main.*?</main>", html.decode(), re.S).group(0)

    assert main_content(forbidden.content) == main_content(missing.content)


def test_the_caseload_lists_only_the_teams_youth(world, client_for):
    response = client_for("professional").get("/youth/")
    names = [y.display_name for y in response.context["page"].object_list]
    assert names == ["Sam B."]


def test_a_portal_link_that_was_switched_off_closes_the_file_at_once(world, client_for):
    client = client_for("youth_user")
    assert client.get(f"/portal/{world.youth_file.pk}/").status_code == 200
    world.youth_user.portal_links.update(active=False)
    assert client.get(f"/portal/{world.youth_file.pk}/").status_code == 404


def test_break_the_glass_opens_a_file_of_the_same_organisation_and_logs_the_reason(
    world, client_for
):
    from yim.audit.models import AuditEvent

    client = client_for("other_team_professional")
    response = client.post(
        "/youth/break-glass/",
        {"youth_id": world.youth_file.pk, "reason": "Crisis at night, own worker unreachable"},
    )
    assert response.status_code == 302
    page = client.get(f"/youth/{world.youth_file.pk}/")
    assert page.status_code == 200
    assert page.context["via_break_glass"] is True
    event = AuditEvent.objects.filter(capacity="break_glass").latest("id")
    assert event.break_glass_reason == "Crisis at night, own worker unreachable"
    assert event.youth_id == world.youth_file.pk


def test_break_the_glass_never_crosses_organisations(world, client_for):
    response = client_for("foreign_professional").post(
        "/youth/break-glass/",
        {"youth_id": world.youth_file.pk, "reason": "I would like to see this file"},
    )
    assert response.status_code == 404


def test_break_the_glass_needs_a_reason_and_a_refusal_keeps_what_was_typed(world, client_for):
    client = client_for("other_team_professional")
    response = client.post(
        "/youth/break-glass/",
        {"youth_id": world.youth_file.pk, "reason": "urgent"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    form = response.context["break_glass_form"]
    assert "at least 10 characters" in str(form.errors["reason"])
    html = response.content.decode()
    assert 'id="break-glass" open' in html
    assert f'value="{world.youth_file.pk}"' in html and "urgent</textarea>" in html
    assert client.get(f"/youth/{world.youth_file.pk}/").status_code == 404


def test_the_caseload_is_paginated_with_a_constant_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    from yim.trajectories.models import Youth

    client = client_for("professional")
    client.get("/youth/")  # warm up the session
    Youth.objects.bulk_create(
        Youth(
            organisation=world.org,
            team=world.team_a,
            professional=world.professional,
            display_name=f"Jongere {i:03d}",
            date_of_birth=world.youth_file.date_of_birth,
        )
        for i in range(120)
    )
    with django_assert_max_num_queries(12):
        response = client.get("/youth/", {"page": 2})
    assert response.context["page"].paginator.num_pages == 5
    assert len(response.context["page"].object_list) == 25
