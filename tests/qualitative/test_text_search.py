"""Text search in the transcripts (issue 14, item 4): occurrences with context, downloads."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from yim.qualitative import models as m
from yim.qualitative.pseudonyms import PseudonymTable
from yim.qualitative.pseudonyms_apply import apply_pseudonyms
from yim.qualitative.queries import text_search

pytestmark = pytest.mark.django_db


def test_the_search_ignores_case_also_outside_ascii_and_gives_the_context(project, document):
    hits = text_search(project, "ÉÉN KEER", context=10)
    assert len(hits) == 1
    hit = hits[0]
    assert document.text[hit.start : hit.end] == "één keer"
    assert hit.match == "één keer"
    assert hit.before == "Ik vond het "[-10:]
    assert hit.after == " lastig 😟,"
    assert hit.document == document.name


def test_every_occurrence_is_found_in_transcript_order(project, document):
    other = m.Document.objects.create(project=project, name="A eerst", text="jim JIM Jim")
    hits = text_search(project, "jim")
    assert [(h.document, h.start) for h in hits] == [
        ("A eerst", 0),
        ("A eerst", 4),
        ("A eerst", 8),
        (document.name, document.text.index("JIM")),
        (document.name, document.text.index("JIM", document.text.index("JIM") + 1)),
    ]
    assert all(h.match.casefold() == "jim" for h in hits)
    assert other.pk == hits[0].document_id


def test_an_empty_search_is_refused_by_the_function():
    with pytest.raises(ValueError):
        text_search(m.Project(), "")


def test_the_page_shows_the_hits_a_page_at_a_time(client_for, project, document):
    m.Document.objects.create(project=project, name="lang", text="thuis " * 30)
    client = client_for("researcher")
    response = client.get(f"/qualitative/{project.pk}/search/?q=Thuis")
    assert response.status_code == 200
    assert response.context["count"] == 32  # 30 + "thuis" twice in the interview
    assert len(response.context["page"].object_list) == 25
    assert "<mark>Thuis</mark>" in response.content.decode()
    second = client.get(f"/qualitative/{project.pk}/search/?q=Thuis&page=2")
    assert len(second.context["page"].object_list) == 7


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter the text to search for."),
        ("   ", "Enter the text to search for."),
        ("x" * 201, "Search for at most 200 characters."),
    ],
)
def test_an_empty_or_too_long_search_says_what_is_wrong(client_for, project, query, message):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/search/", {"q": query}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["searched"] is False


def test_a_search_without_hits_says_so(client_for, project, document):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/search/?q=zeppelin", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "does not occur in any transcript" in response.content.decode()


def test_the_hits_download_as_csv_and_xlsx_with_the_participants_attributes(
    client_for, project, document
):
    youth = m.Participant.objects.create(project=project, name="Jongere A1")
    youth.documents.add(document)
    role = project.variables.get(name="role")
    m.AttributeValue.objects.create(variable=role, participant=youth, value="youth")
    client = client_for("researcher")
    response = client.get(f"/qualitative/{project.pk}/search/?q=thuis&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["document", "participant", "role", "before", "text", "after", "start", "end"]
    assert [r[4] for r in rows[1:]] == ["thuis", "Thuis"]
    assert rows[1][1:3] == ["Jongere A1", "youth"]
    workbook = client.get(f"/qualitative/{project.pk}/search/?q=thuis&format=xlsx")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 3


def test_after_the_pseudonym_table_is_applied_no_real_name_is_found_or_exported(
    client_for, project
):
    document = m.Document.objects.create(
        project=project, name="Interview Fatima", text="Jongere: Fatima helpt mij. FATIMA!\n"
    )
    person = m.Participant.objects.create(project=project, name="Fatima")
    person.documents.add(document)
    apply_pseudonyms(project, PseudonymTable({"Fatima": "Sara"}))
    client = client_for("researcher")
    assert client.get(f"/qualitative/{project.pk}/search/?q=fatima").context["count"] == 0
    response = client.get(f"/qualitative/{project.pk}/search/?q=helpt&format=csv")
    assert b"Sara" in response.content
    assert b"fatima" not in response.content.lower()


def test_a_search_with_too_many_hits_shows_the_first_ones_and_says_so(
    client_for, project, monkeypatch
):
    from yim.qualitative import views_queries

    monkeypatch.setattr(views_queries, "MAX_HITS", 5)
    m.Document.objects.create(project=project, name="lang", text="e" * 7)
    client = client_for("researcher")
    response = client.get(f"/qualitative/{project.pk}/search/?q=e", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["count"] == 5
    assert "Only the first 5 occurrences are shown and downloaded" in response.content.decode()
    download = client.get(f"/qualitative/{project.pk}/search/?q=e&format=csv")
    assert len(download.content.decode("utf-8-sig").splitlines()) == 6


def test_the_search_and_query_pages_of_another_project_are_not_found(client_for, project):
    other = m.Project.objects.create(name="ander")
    client = client_for("researcher")
    assert client.get(f"/qualitative/{other.pk}/search/?q=a").status_code == 404
    assert client.get(f"/qualitative/{other.pk}/code-query/?a=1").status_code == 404
