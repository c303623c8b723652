"""Code × document and code × participant-attribute matrices (issue 14, item 4)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yim.qualitative import models as m
from yim.qualitative.matrices import (
    code_attribute_matrix,
    code_document_matrix,
    matrix_table,
    table_to_csv,
    table_to_xlsx,
)

pytestmark = pytest.mark.django_db


def code(document, coder, fragment, *code_list):
    start = document.text.index(fragment)
    seg = m.Segment.objects.create(
        document=document, coder=coder, start=start, end=start + len(fragment)
    )
    for c in code_list:
        m.Coding.objects.create(document=document, segment=seg, code=c, coder=coder)
    return seg


@pytest.fixture
def coded(world, project, document, codes):
    anna = project.coder_for(world.researcher)
    other = m.Document.objects.create(
        project=project, name="Interview JIM B2", text="JIM: ik help met school en thuis.\n"
    )
    code(document, anna, "de JIM hielp", codes["emotional"], codes["practical"])
    code(document, anna, "Thuis is het rustiger", codes["home"])
    code(document, anna, "lastig", codes["emotional"])
    code(other, anna, "thuis", codes["home"])
    # A coding of the whole transcript is not a segment: not counted.
    m.Coding.objects.create(document=other, code=codes["home"], coder=anna)
    youth = m.Participant.objects.create(project=project, name="Jongere A1")
    jim = m.Participant.objects.create(project=project, name="JIM B2")
    youth.documents.add(document)
    jim.documents.add(other)
    role = project.variables.get(name="role")
    m.AttributeValue.objects.create(variable=role, participant=youth, value="youth")
    m.AttributeValue.objects.create(variable=role, participant=jim, value="=jim")
    return document, other, role


def test_the_code_by_document_matrix_counts_segment_codings_per_code_and_transcript(
    project, codes, coded
):
    document, other, _role = coded
    matrix = code_document_matrix(project)
    assert [label for _key, label in matrix.columns] == ["Interview JIM B2", "Interview jongere A1"]
    assert [path for _pk, path in matrix.rows] == [
        "Steun/Emotionele steun",
        "Steun/Praktische steun",
        "Thuis",
    ]
    assert matrix.count(codes["emotional"].pk, str(document.pk)) == 2
    assert matrix.count(codes["emotional"].pk, str(other.pk)) == 0
    assert matrix.count(codes["home"].pk, str(other.pk)) == 1  # the whole-text coding is not
    assert matrix.count(codes["practical"].pk, str(document.pk)) == 1


def test_the_code_by_attribute_matrix_counts_codings_per_value_of_the_participants(
    project, codes, coded
):
    _document, _other, role = coded
    matrix = code_attribute_matrix(project, role)
    assert [key for key, _label in matrix.columns] == ["=jim", "youth"]
    assert matrix.row_cells(codes["home"].pk) == [("=jim", 1), ("youth", 1)]
    assert matrix.row_cells(codes["emotional"].pk) == [("=jim", 0), ("youth", 2)]


def test_a_coding_counts_once_per_value_however_many_participants_share_it(project, codes, coded):
    document, _other, role = coded
    sibling = m.Participant.objects.create(project=project, name="Broer A1")
    sibling.documents.add(document)
    m.AttributeValue.objects.create(variable=role, participant=sibling, value="youth")
    matrix = code_attribute_matrix(project, role)
    assert matrix.count(codes["emotional"].pk, "youth") == 2


def test_a_matrix_of_a_large_codebook_takes_two_queries(world, project, document):
    anna = project.coder_for(world.researcher)
    many = m.Code.objects.bulk_create(
        m.Code(project=project, name=f"code {i:04d}") for i in range(300)
    )
    segment = m.Segment.objects.create(document=document, coder=anna, start=0, end=5)
    m.Coding.objects.bulk_create(
        m.Coding(document=document, segment=segment, code=c, coder=anna) for c in many
    )
    with CaptureQueriesContext(connection) as queries:
        matrix = code_document_matrix(project)
    assert len(queries) == 2
    assert len(matrix.rows) == 300


def test_the_downloads_hold_the_counts_with_formulas_neutralised(project, codes, coded):
    _document, _other, role = coded
    header, body = matrix_table(code_attribute_matrix(project, role))
    assert header == ["code", "=jim", "youth", "total"]
    text = table_to_csv(header, body).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["code", "'=jim", "youth", "total"]
    assert rows[-1] == ["Thuis", "1", "1", "2"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(table_to_xlsx(header, body, sheet_title="matrix"))).active
    assert [c.value for c in sheet[1]] == ["code", "'=jim", "youth", "total"]
    assert [c.value for c in sheet[4]] == ["Thuis", 1, 1, 2]


def test_the_matrix_page_links_each_count_to_its_segments(client_for, project, codes, coded):
    document, _other, _role = coded
    client = client_for("researcher")
    response = client.get(f"/qualitative/{project.pk}/matrix/")
    assert response.status_code == 200
    html = response.content.decode()
    query = f"a={codes['emotional'].pk}&amp;document={document.pk}"
    link = f"/qualitative/{project.pk}/code-query/?{query}"
    assert f'<a href="{link}">2</a>' in html
    followed = client.get(link.replace("&amp;", "&"))
    assert followed.context["count"] == 2


def test_the_attribute_matrix_page_and_its_downloads(client_for, project, codes, coded):
    _document, _other, role = coded
    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/matrix/?kind=attribute&variable={role.pk}"
    response = client.get(url)
    html = response.content.decode()
    link = f"?a={codes['home'].pk}&amp;variable={role.pk}&amp;value=youth"
    assert link in html
    followed = client.get(f"/qualitative/{project.pk}/code-query/" + link.replace("&amp;", "&"))
    assert followed.context["count"] == 1
    download = client.get(url + "&format=csv")
    assert download["Content-Type"].startswith("text/csv")
    assert b"Thuis,1,1,2" in download.content
    xlsx = client.get(url + "&format=xlsx")
    assert xlsx.content.startswith(b"PK")


def test_an_attribute_matrix_without_an_attribute_says_so(client_for, project, coded):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/matrix/?kind=attribute", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Choose the attribute whose values are the columns." in response.content.decode()
    assert response.context["matrix"] is None


def test_the_matrix_of_another_project_is_not_found(client_for, project, coded):
    other = m.Project.objects.create(name="ander")
    assert client_for("researcher").get(f"/qualitative/{other.pk}/matrix/").status_code == 404
