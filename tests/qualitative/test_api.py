"""The read-only REST API of interview projects: scope, filters, the agreement page's numbers."""

import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS
from tests.qualitative.web_fixtures import TRANSCRIPT
from yim.accounts.models import ApiToken
from yim.audit.models import AuditEvent
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

API = "/api/v1/qualitative/projects"


def api_client(user):
    _, token = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def coding(document, coder, code, fragment):
    start = document.text.index(fragment)
    segment, _ = m.Segment.objects.get_or_create(
        document=document, coder=coder, start=start, end=start + len(fragment)
    )
    return m.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)


@pytest.fixture
def coded(world, second_researcher, project, document, codes):
    """Two coders who agree on one turn and disagree on another; a second transcript."""
    m.Membership.objects.create(project=project, user=second_researcher)
    me, other = project.coder_for(world.researcher), project.coder_for(second_researcher)
    coding(document, me, codes["emotional"], "de JIM hielp")
    coding(document, other, codes["emotional"], "de JIM hielp")
    coding(document, me, codes["home"], "rustiger")
    coding(document, other, codes["practical"], "rustiger")
    second = m.Document.objects.create(
        project=project, name="Interview JIM A1", text="Interviewer: Hoi\nJIM: Hallo daar\n"
    )
    second.rebuild_turns()
    coding(second, me, codes["home"], "Hallo")
    return {"me": me, "other": other, "second": second}


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p != "researcher"])
def test_only_researchers_use_the_qualitative_api(world, project, persona):
    user = world.persona(persona)
    client = api_client(user)
    for path in (API, f"{API}/{project.pk}", f"{API}/{project.pk}/codebook"):
        response = client.get(path)
        assert response.status_code == 403, (persona, path)
        assert set(response.json()) == {"detail", "code"}


def test_without_a_token_the_api_answers_401(project):
    response = Client().get(f"{API}/{project.pk}/codebook")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "path",
    ["", "/codebook", "/documents", "/documents?text=1", "/segments", "/agreement"],
)
def test_a_researcher_who_is_not_a_member_gets_404_with_a_json_error(
    second_researcher, project, document, codes, path
):
    response = api_client(second_researcher).get(f"{API}/{project.pk}{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_project_list_shows_only_the_callers_projects_paginated(
    world, second_researcher, project
):
    for i in range(3):
        extra = m.Project.objects.create(name=f"Project {i}")
        m.Membership.objects.create(project=extra, user=world.researcher)
    hidden = m.Project.objects.create(name="Geheim")
    m.Membership.objects.create(project=hidden, user=second_researcher, role="owner")
    client = api_client(world.researcher)
    body = client.get(API, {"limit": 2, "offset": 1}).json()
    assert body["count"] == 4
    assert [p["name"] for p in body["items"]] == ["Project 0", "Project 1"]
    everything = client.get(API).json()["items"]
    assert {p["name"] for p in everything} == {"JIM triades", "Project 0", "Project 1", "Project 2"}
    assert {p["role"] for p in everything if p["name"] == "JIM triades"} == {"owner"}
    assert client.get(API, {"limit": 0}).status_code == 422


def test_the_codebook_is_a_tree(world, project, codes):
    body = api_client(world.researcher).get(f"{API}/{project.pk}/codebook").json()["items"]
    assert [c["name"] for c in body] == ["Steun", "Thuis"]
    steun = body[0]
    assert [c["name"] for c in steun["children"]] == ["Emotionele steun", "Praktische steun"]
    assert steun["is_codable"] is False and steun["children"][0]["color"] == "#ff0000"


def test_documents_come_without_text_unless_asked(world, project, document, coded):
    client = api_client(world.researcher)
    plain = client.get(f"{API}/{project.pk}/documents").json()
    assert plain["count"] == 2
    first = next(d for d in plain["items"] if d["id"] == document.pk)
    assert first["text"] is None
    assert first["length"] == len(TRANSCRIPT) and first["n_turns"] == 4
    assert first["n_segments"] == 4
    before = AuditEvent.objects.filter(object_type="document", action="view").count()
    full = client.get(f"{API}/{project.pk}/documents", {"text": 1}).json()
    assert {d["id"]: d["text"] for d in full["items"]}[document.pk] == TRANSCRIPT
    after = AuditEvent.objects.filter(object_type="document", action="view").count()
    assert after - before == 2  # every transcript read is audited


def test_segments_filter_by_code_with_its_sub_codes_and_by_coder(
    world, project, document, codes, coded
):
    client = api_client(world.researcher)
    everything = client.get(f"{API}/{project.pk}/segments").json()
    assert everything["count"] == 5
    by_theme = client.get(f"{API}/{project.pk}/segments", {"code": codes["theme"].pk}).json()
    assert sorted(s["code"] for s in by_theme["items"]) == [
        "Steun/Emotionele steun",
        "Steun/Emotionele steun",
        "Steun/Praktische steun",
    ]
    mine = client.get(f"{API}/{project.pk}/segments", {"coder": coded["me"].pk}).json()
    assert mine["count"] == 3 and {s["coder_id"] for s in mine["items"]} == {coded["me"].pk}
    both = client.get(
        f"{API}/{project.pk}/segments", {"coder": coded["other"].pk, "code": codes["home"].pk}
    ).json()
    assert both["count"] == 0
    first = client.get(
        f"{API}/{project.pk}/segments", {"code": codes["emotional"].pk, "limit": 1}
    ).json()
    assert first["count"] == 2 and len(first["items"]) == 1
    assert first["items"][0]["text"] == "de JIM hielp"


def test_a_filter_outside_the_project_is_an_error_on_that_field(
    world, second_researcher, project, coded
):
    other = m.Project.objects.create(name="Ander")
    foreign = m.Code.objects.create(project=other, name="Geheim")
    response = api_client(world.researcher).get(
        f"{API}/{project.pk}/segments", {"code": foreign.pk}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and "code" in response.json()["errors"]


def test_the_agreement_equals_the_agreement_page(world, client_for, project, coded):
    page = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/")
    expected = page.context["report"]
    body = api_client(world.researcher).get(f"{API}/{project.pk}/agreement").json()
    report = body["report"]
    assert body["n_units"] == page.context["n_units"]
    assert report["overall_cohens_kappa"] == pytest.approx(expected.overall_cohens_kappa)
    assert report["overall_krippendorff_alpha"] == pytest.approx(
        expected.overall_krippendorff_alpha
    )
    assert report["exact_set_agreement"] == pytest.approx(expected.exact_set_agreement)
    assert [
        (c["code"], c["n_units_coded"], c["percent_agreement"]) for c in report["per_code"]
    ] == [(c.code, c.n_units_coded, c.percent_agreement) for c in expected.per_code]
    assert {c["id"] for c in body["coders"]} == {coded["me"].pk, coded["other"].pk}


def test_the_agreement_over_a_chosen_transcript_equals_the_page_with_that_choice(
    world, client_for, project, document, coded
):
    query = {"document": [document.pk], "coder": [coded["me"].pk, coded["other"].pk]}
    page = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/", query)
    body = api_client(world.researcher).get(f"{API}/{project.pk}/agreement", query).json()
    assert [d["id"] for d in body["documents"]] == [document.pk]
    assert body["n_units"] == page.context["n_units"] == 4
    assert body["report"]["overall_percent_agreement"] == pytest.approx(
        page.context["report"].overall_percent_agreement
    )


def test_agreement_with_one_coder_has_no_report(world, project, coded):
    body = (
        api_client(world.researcher)
        .get(f"{API}/{project.pk}/agreement", {"coder": coded["me"].pk})
        .json()
    )
    assert body["report"] is None and len(body["coders"]) == 1


def test_api_reads_are_audited(world, project, coded):
    client = api_client(world.researcher)
    before = AuditEvent.objects.count()
    for path in ("", "/codebook", "/documents", "/segments", "/agreement"):
        assert client.get(f"{API}/{project.pk}{path}").status_code == 200
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.detail for e in events] == [
        "api project",
        "api codebook",
        "api documents",
        "api segments",
        "api agreement",
    ]
    assert all(e.actor_id == world.researcher.pk and e.object_id == str(project.pk) for e in events)


def test_the_pseudonym_table_never_leaves_through_the_api(world, project, coded):
    m.PseudonymEntry.objects.create(project=project, real_name="Fatima Zahra", pseudonym="Sara")
    client = api_client(world.researcher)
    for path in ("", "/codebook", "/documents?text=1", "/segments", "/agreement"):
        assert b"Fatima" not in client.get(f"{API}/{project.pk}{path}").content


def test_list_query_counts_do_not_grow_with_rows(
    world, project, document, codes, coded, django_assert_max_num_queries
):
    for i in range(20):
        extra = m.Document.objects.create(project=project, name=f"Doc {i}", text="Jongere: ja\n")
        coding(extra, coded["me"], codes["home"], "ja")
    client = api_client(world.researcher)
    with django_assert_max_num_queries(16):
        assert client.get(f"{API}/{project.pk}/documents", {"limit": 50}).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(f"{API}/{project.pk}/segments", {"limit": 50}).status_code == 200
