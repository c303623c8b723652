"""Large codebooks (issue 14, item 1): the codebook and coding pages stay light at 1,000 codes.

The codebook page lists one light row per code; the forms to change a code are rendered once,
for the code chosen with ``?code=<id>``, and move and merge take their target from one shared
list that posts a code id, checked against the project on the server. The coding page lists
each code once, as one checkbox. Neither page's query count grows with the number of codes.
(Server times are measured in ``benchmarks/qualitative/``; no test asserts a time.)
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.qualitative.web_fixtures import TRANSCRIPT, utf16
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

LIMIT = 300 * 1024  # bytes: the goal for 1,000 codes


def add_codes(project: m.Project, n: int) -> list[m.Code]:
    """``n`` codes in a three-level tree (a fifth of them themes), with 30-character names,
    every third with a description, as a MAXQDA codebook has them."""
    themes = m.Code.objects.bulk_create(
        m.Code(project=project, name=f"Thema {i:04d} over steun en netwerk", color="#4e79a7")
        for i in range(max(1, n // 5))
    )
    middle = m.Code.objects.bulk_create(
        m.Code(
            project=project,
            parent=themes[i % len(themes)],
            name=f"Subcode {i:04d} praktische hulp",
            color="#f28e2b",
            description="Passages waarin de JIM praktisch helpt." if i % 3 == 0 else "",
        )
        for i in range((n - len(themes)) // 2)
    )
    leaves = m.Code.objects.bulk_create(
        m.Code(
            project=project,
            parent=middle[i % len(middle)] if middle else themes[0],
            name=f"Detail {i:04d} over school en thuis",
            color="#e15759",
        )
        for i in range(n - len(themes) - len(middle))
    )
    return themes + middle + leaves


def get(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(queries)


def codebook_url(project: m.Project, code: m.Code | None = None) -> str:
    url = f"/qualitative/{project.pk}/codebook/"
    return f"{url}?code={code.pk}" if code is not None else url


def test_the_codebook_of_1000_codes_is_light_and_its_query_count_does_not_grow(client_for, project):
    client = client_for("researcher")
    add_codes(project, 10)
    _small, small_queries = get(client, codebook_url(project))
    chosen_small = project.codes.order_by("pk")[5]
    _page, small_chosen_queries = get(client, codebook_url(project, chosen_small))

    codes = add_codes(project, 990)
    assert project.codes.count() == 1000
    large, large_queries = get(client, codebook_url(project))
    chosen = codes[500]
    large_chosen, large_chosen_queries = get(client, codebook_url(project, chosen))

    assert len(large.content) < LIMIT
    assert len(large_chosen.content) < LIMIT
    assert large_queries == small_queries
    assert large_chosen_queries == small_chosen_queries
    # Every code has its row; the page without a chosen code has no list of codes at all.
    assert large.content.count(b'class="codebook-code') == 1000
    assert large.content.count(b"<option") == 0
    # With a code chosen: one form set for that code, and one list of targets.
    html = large_chosen.content.decode()
    assert html.count("<select") == 1
    assert html.count("<option") <= 1000
    assert html.count(f' action="/qualitative/{project.pk}/codes/') == 2  # edit; move (+merge)
    assert f"/codes/{chosen.pk}/merge/" in html


def test_the_target_list_leaves_out_the_code_and_its_sub_codes(client_for, project, codes):
    response = client_for("researcher").get(codebook_url(project, codes["theme"]))
    (select,) = re.findall(r"<select.*?</select>", response.content.decode(), re.S)
    offered = set(re.findall(r'<option value="([^"]+)"', select))
    assert offered == {"top", str(codes["home"].pk)}
    response = client_for("researcher").get(codebook_url(project, codes["practical"]))
    (select,) = re.findall(r"<select.*?</select>", response.content.decode(), re.S)
    offered = set(re.findall(r'<option value="([^"]+)"', select))
    assert offered == {
        "top",
        str(codes["theme"].pk),
        str(codes["emotional"].pk),
        str(codes["home"].pk),
    }


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999", "9" * 40, "٣", ""])
def test_choosing_a_code_that_is_not_in_the_project_answers_404(client_for, project, value):
    response = client_for("researcher").get(f"/qualitative/{project.pk}/codebook/?code={value}")
    assert response.status_code == 404


def test_a_code_of_another_project_cannot_be_chosen_moved_under_or_merged_into(
    client_for, project, codes
):
    other = m.Project.objects.create(name="ander project")
    foreign = m.Code.objects.create(project=other, name="Vreemd")
    client = client_for("researcher")
    assert client.get(codebook_url(project, foreign)).status_code == 404
    home = codes["home"]
    for action in ("move", "merge"):
        response = client.post(
            f"/qualitative/{project.pk}/codes/{home.pk}/{action}/",
            {"version": 1, "target": foreign.pk},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        texts = [str(message) for message in response.context["messages"]]
        assert any("not in this project" in text for text in texts), texts
    home.refresh_from_db()
    assert home.parent is None and home.version == 1
    assert m.Code.objects.filter(pk=foreign.pk, parent=None).exists()
    # The code itself must belong to the project, too.
    response = client.post(
        f"/qualitative/{project.pk}/codes/{foreign.pk}/move/", {"version": 1, "target": "top"}
    )
    assert response.status_code == 404


def test_move_and_merge_through_the_shared_list(client_for, project, document, codes):
    client = client_for("researcher")
    home, practical, emotional = codes["home"], codes["practical"], codes["emotional"]
    response = client.post(
        f"/qualitative/{project.pk}/codes/{home.pk}/move/",
        {"version": 1, "target": codes["theme"].pk},
    )
    assert response.status_code == 302
    assert response["Location"] == codebook_url(project, home)  # its panel stays open
    home.refresh_from_db()
    assert home.parent == codes["theme"] and home.version == 2
    client.post(f"/qualitative/{project.pk}/codes/{home.pk}/move/", {"version": 2, "target": "top"})
    home.refresh_from_db()
    assert home.parent is None

    start, end = utf16(TRANSCRIPT, "rustiger")
    client.post(
        f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
        {"start": start, "end": end, "codes": [practical.pk]},
        content_type="application/json",
    )
    refused = client.post(
        f"/qualitative/{project.pk}/codes/{practical.pk}/merge/",
        {"version": 1, "target": "top"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert any("merge into" in str(x) for x in refused.context["messages"])
    assert m.Code.objects.filter(pk=practical.pk).exists()
    response = client.post(
        f"/qualitative/{project.pk}/codes/{practical.pk}/merge/",
        {"version": 1, "target": emotional.pk},
    )
    assert response["Location"] == codebook_url(project, emotional)
    assert not m.Code.objects.filter(pk=practical.pk).exists()
    assert m.Coding.objects.get().code == emotional


@pytest.mark.parametrize(
    "target", ["", "  ", "1.5", "x" * 30, "9" * 20, "99999999999999999999", "٣", "-3"]
)
def test_a_missing_or_malformed_target_changes_nothing(client_for, project, codes, target):
    home = codes["home"]
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/codes/{home.pk}/move/",
        {"version": 1, "target": target},
        follow=True,
    )
    assert response.status_code == 200
    assert list(response.context["messages"])
    home.refresh_from_db()
    assert home.version == 1


def test_a_new_sub_code_is_added_under_the_chosen_code(client_for, project, codes):
    client = client_for("researcher")
    page = client.get(codebook_url(project, codes["home"]))
    assert page.context["sub_form"]["parent"].value() == codes["home"].pk
    response = client.post(
        f"/qualitative/{project.pk}/codebook/", {"name": "Eigen kamer", "parent": codes["home"].pk}
    )
    new = project.codes.get(name="Eigen kamer")
    assert new.parent == codes["home"]
    assert response["Location"] == codebook_url(project, new)
    foreign = m.Code.objects.create(project=m.Project.objects.create(name="x"), name="x")
    response = client.post(
        f"/qualitative/{project.pk}/codebook/", {"name": "Inbraak", "parent": foreign.pk}
    )
    assert response.status_code == 400
    assert not m.Code.objects.filter(name="Inbraak").exists()


def test_the_coding_page_of_1000_codes_is_light_and_its_query_count_does_not_grow(
    client_for, project, document
):
    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/documents/{document.pk}/"
    codes = add_codes(project, 10)
    for fragment, code in [("de JIM hielp", codes[3]), ("rustiger", codes[4])]:
        start, end = utf16(TRANSCRIPT, fragment)
        client.post(
            f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
            {"start": start, "end": end, "codes": [code.pk]},
            content_type="application/json",
        )
    _small, small_queries = get(client, url)
    add_codes(project, 990)
    large, large_queries = get(client, url)
    assert len(large.content) < LIMIT
    assert large_queries == small_queries
    html = large.content.decode()
    assert html.count('class="code-choice d') == 1000
    assert html.count("<option") == 0
    # One form (and CSRF token) for all "remove" buttons, not a form per coding.
    transcript = html[html.index('id="coding-text"') : html.index('<form id="uncode"')]
    assert "csrfmiddlewaretoken" not in transcript and "<form" not in transcript
    assert transcript.count('form="uncode"') == 2
