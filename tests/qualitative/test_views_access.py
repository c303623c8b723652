"""Every qualitative page against every persona: members in, everyone else 404."""

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS, signed_in
from yim.audit.models import AuditEvent
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

PAGES = [
    "/qualitative/{p}/",
    "/qualitative/{p}/participants/",
    "/qualitative/{p}/participants/{participant}/",
    "/qualitative/{p}/documents/{d}/",
    "/qualitative/{p}/documents/{d}/coders/",
    "/qualitative/{p}/codebook/",
    "/qualitative/{p}/memos/",
    "/qualitative/{p}/segments/",
    "/qualitative/{p}/segments/?format=csv",
    "/qualitative/{p}/frequencies/",
    "/qualitative/{p}/cooccurrence/",
    "/qualitative/{p}/agreement/",
    "/qualitative/{p}/export.qdpx",
    "/qualitative/{p}/export.qdc",
]
OWNER_PAGES = ["/qualitative/{p}/members/", "/qualitative/{p}/pseudonyms/"]


@pytest.fixture
def urls(project, document, codes):
    participant = m.Participant.objects.create(project=project, name="Jongere A1")

    def fill(template: str) -> str:
        return template.format(p=project.pk, d=document.pk, participant=participant.pk)

    return fill


@pytest.mark.parametrize("page", PAGES + OWNER_PAGES)
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_only_members_of_the_project_reach_its_pages(world, client_for, urls, persona, page):
    response = client_for(persona).get(urls(page))
    expected = 200 if persona == "researcher" else 404
    assert response.status_code == expected, f"{persona} on {page}"


@pytest.mark.parametrize("page", PAGES + OWNER_PAGES)
def test_a_researcher_who_is_not_a_member_gets_404_everywhere(second_researcher, urls, page):
    assert signed_in(second_researcher).get(urls(page)).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_a_coder_member_reaches_the_pages(second_researcher, project, urls, page):
    m.Membership.objects.create(project=project, user=second_researcher)
    assert signed_in(second_researcher).get(urls(page)).status_code == 200


@pytest.mark.parametrize("page", OWNER_PAGES)
def test_a_coder_member_does_not_manage_the_project(second_researcher, project, urls, page):
    m.Membership.objects.create(project=project, user=second_researcher)
    assert signed_in(second_researcher).get(urls(page)).status_code == 404


def test_the_project_list_is_for_researchers_and_shows_only_their_projects(
    world,
    client_for,
    project,
    second_researcher,
):
    other = m.Project.objects.create(name="Geheim project van iemand anders")
    m.Membership.objects.create(project=other, user=second_researcher, role="owner")
    response = client_for("researcher").get("/qualitative/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [project]
    for persona in ("professional", "team_lead", "admin", "youth_user", "jim", "parent"):
        assert client_for(persona).get("/qualitative/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(urls):
    response = Client().get(urls("/qualitative/{p}/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unsafe_endpoints_refuse_outsiders_without_changing_anything(
    world,
    client_for,
    second_researcher,
    project,
    document,
    codes,
    urls,
):
    outsider = signed_in(second_researcher)
    before = m.Coding.objects.count(), m.Code.objects.count()
    posts = [
        ("/qualitative/{p}/codebook/", {"name": "Inbraak"}),
        (
            "/qualitative/{p}/codes/" + str(codes["home"].pk) + "/edit/",
            {f"edit{codes['home'].pk}-version": 1},
        ),
        ("/qualitative/{p}/memos/", {"text": "x"}),
        ("/qualitative/{p}/participants/", {"name": "x"}),
    ]
    for url, data in posts:
        assert outsider.post(urls(url), data).status_code == 404
    response = outsider.post(
        urls("/qualitative/{p}/documents/{d}/codings/"),
        {"start": 0, "end": 5, "codes": [codes["home"].pk]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert (m.Coding.objects.count(), m.Code.objects.count()) == before


def test_reading_a_transcript_and_exporting_are_audited(client_for, urls):
    before = AuditEvent.objects.count()
    client_for("researcher").get(urls("/qualitative/{p}/documents/{d}/"))
    client_for("researcher").get(urls("/qualitative/{p}/export.qdpx"))
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == ["view", "export"]
    assert events[0].object_type == "document" and events[0].youth_id is None
