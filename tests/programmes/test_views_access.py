"""Who reaches the programme pages: admins of the owning organisation, nobody else (404)."""

from __future__ import annotations

import pytest

from tests.conftest import ALL_PERSONAS, make_user, signed_in
from tests.programmes.conftest import form_data
from yim.accounts.models import Role
from yim.audit.models import AuditEvent
from yim.programmes.models import ProgrammeModel

pytestmark = pytest.mark.django_db

DENIED = [p for p in ALL_PERSONAS if p != "admin"]


def _pages(own: ProgrammeModel) -> list[str]:
    standard = ProgrammeModel.standard("indicated").pk
    return [
        "/programmes/",
        "/programmes/new/",
        f"/programmes/{own.pk}/",
        f"/programmes/{own.pk}/copy/",
        f"/programmes/{standard}/copy/",
    ]


def _posts(own: ProgrammeModel) -> list[tuple[str, dict[str, object]]]:
    return [
        ("/programmes/new/", form_data(code="nieuw")),
        (f"/programmes/{own.pk}/", form_data(own, name="Hijacked")),
        (f"/programmes/{own.pk}/copy/", form_data(code="kopie")),
        (f"/programmes/{own.pk}/deactivate/", {}),
        (f"/programmes/{own.pk}/reactivate/", {}),
    ]


def test_the_admin_opens_every_page(world, client_for, own_programme):
    client = client_for("admin")
    for url in _pages(own_programme):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", DENIED)
def test_every_other_persona_gets_404_on_every_page(world, client_for, own_programme, persona):
    client = client_for(persona)
    for url in _pages(own_programme):
        assert client.get(url).status_code == 404, f"{persona} on {url}"


@pytest.mark.parametrize("persona", DENIED)
def test_every_other_persona_changes_nothing(world, client_for, own_programme, persona):
    client = client_for(persona)
    before = AuditEvent.objects.count()
    for url, data in _posts(own_programme):
        assert client.post(url, data).status_code == 404, f"{persona} posting {url}"
    own_programme.refresh_from_db()
    assert own_programme.name == "Eigen aanpak" and own_programme.is_active
    assert own_programme.version == 1
    assert not ProgrammeModel.objects.filter(code__in=["nieuw", "kopie"]).exists()
    assert AuditEvent.objects.count() == before


def test_an_admin_of_another_organisation_gets_404_on_our_programme(world, own_programme):
    client = signed_in(make_user("admin_x", Role.ORG_ADMIN, world.other_org))
    assert client.get("/programmes/").status_code == 200
    for url in _pages(own_programme)[2:4]:
        assert client.get(url).status_code == 404, url
    for url, data in _posts(own_programme)[1:]:
        assert client.post(url, data).status_code == 404, url
    own_programme.refresh_from_db()
    assert own_programme.name == "Eigen aanpak" and own_programme.is_active
    assert not ProgrammeModel.objects.filter(code="kopie").exists()


def test_the_list_does_not_show_another_organisations_programmes(
    world, client_for, own_programme, foreign_programme
):
    response = client_for("admin").get("/programmes/")
    shown = [row["programme"] for row in response.context["own_rows"]]
    assert shown == [own_programme]
    assert foreign_programme.name not in response.content.decode()


@pytest.mark.parametrize("code", ["indicated", "selective", "universal"])
def test_a_standard_programme_cannot_be_edited_by_anyone(world, client_for, code):
    standard = ProgrammeModel.standard(code)
    url = f"/programmes/{standard.pk}/"
    admin = client_for("admin")
    assert admin.get(url).status_code == 404
    assert admin.post(url, form_data(standard, name="Changed")).status_code == 404
    assert admin.post(f"{url}deactivate/").status_code == 404
    standard.refresh_from_db()
    assert standard.name != "Changed" and standard.is_active


def test_a_deactivated_admin_account_gets_no_page(world, own_programme):
    client = signed_in(world.admin)
    world.admin.is_active = False
    world.admin.save()
    for url in _pages(own_programme):
        assert client.get(url).status_code in (302, 404), url


def test_anonymous_visitors_are_sent_to_sign_in(world, client, own_programme):
    for url in _pages(own_programme):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_only_the_admin_sees_the_programmes_menu_entry(world, client_for):
    for persona in ALL_PERSONAS:
        items = [name for name, _ in client_for(persona).get("/me/").context["nav_items"]]
        assert ("programmes:list" in items) == (persona == "admin"), persona
