"""Code queries (issue 14, item 4): A AND / OR / NOT B on a segment or a transcript, A NEAR B.

The transcript of the fixtures, with the segments coded here::

    Jongere: Ik vond het [één keer [lastig]] 😟, maar [de JIM] hielp.
                          home      emotional       emotional
                                                (maar de JIM hielp: practical)
    Jongere: [Thuis is het rustiger] (emotional and home on one segment)

and a second transcript with one practical segment.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from yim.qualitative import models as m
from yim.qualitative.pseudonyms import PseudonymTable
from yim.qualitative.pseudonyms_apply import apply_pseudonyms
from yim.qualitative.queries import MAX_DISTANCE, CodeQuery, Operator, Scope, code_query

pytestmark = pytest.mark.django_db


def code(document, coder, fragment, *code_list):
    start = document.text.index(fragment)
    seg = m.Segment.objects.create(
        document=document, coder=coder, start=start, end=start + len(fragment)
    )
    return [
        m.Coding.objects.create(document=document, segment=seg, code=c, coder=coder).pk
        for c in code_list
    ]


@pytest.fixture
def coded(world, project, document, codes):
    anna = project.coder_for(world.researcher)
    other = m.Document.objects.create(project=project, name="Interview JIM", text="JIM: ik help.")
    emotional, practical, home = codes["emotional"], codes["practical"], codes["home"]
    ids = {
        "lastig": code(document, anna, "lastig", emotional)[0],
        "één keer": code(document, anna, "één keer lastig", home)[0],
        "maar": code(document, anna, "maar de JIM hielp", practical)[0],
        "de JIM": code(document, anna, "de JIM", emotional)[0],
        "other": code(other, anna, "ik help", practical)[0],
    }
    ids["thuis emotional"], ids["thuis home"] = code(
        document, anna, "Thuis is het rustiger", emotional, home
    )
    return ids


def ask(project, codes, a, operator=None, b=None, **options):
    query = CodeQuery(
        codes[a].pk, codes[b].pk if b else None, Operator(operator) if operator else None, **options
    )
    return code_query(project, query)


def test_a_alone_gives_its_codings_in_reading_order(project, codes, coded):
    assert ask(project, codes, "emotional") == [
        coded["lastig"],
        coded["de JIM"],
        coded["thuis emotional"],
    ]


def test_and_on_a_segment_needs_an_overlap_or_the_same_segment(project, codes, coded):
    assert ask(project, codes, "emotional", "and", "home") == [
        coded["lastig"],
        coded["thuis emotional"],
    ]


def test_not_on_a_segment_keeps_the_codings_that_overlap_nothing_coded_b(project, codes, coded):
    assert ask(project, codes, "emotional", "not", "home") == [coded["de JIM"]]


def test_or_gives_the_codings_of_either_code(project, codes, coded):
    result = ask(project, codes, "emotional", "or", "practical")
    assert sorted(result) == sorted(
        [coded[k] for k in ("lastig", "de JIM", "thuis emotional", "maar", "other")]
    )
    assert result[0] == coded["other"]  # transcripts by name: "Interview JIM" first


def test_and_and_not_on_a_transcript(project, codes, coded):
    both = ask(project, codes, "practical", "and", "emotional", scope=Scope.DOCUMENT)
    assert coded["other"] not in both
    assert sorted(both) == sorted(
        [coded[k] for k in ("maar", "lastig", "de JIM", "thuis emotional")]
    )
    assert ask(project, codes, "practical", "not", "emotional", scope=Scope.DOCUMENT) == [
        coded["other"]
    ]


def test_near_counts_the_characters_between_the_segments(project, codes, coded):
    # "één keer lastig" ends 4 code points before "maar" (" 😟, ": the emoji is one).
    assert ask(project, codes, "home", "near", "practical", distance=3) == []
    assert ask(project, codes, "home", "near", "practical", distance=4) == [coded["één keer"]]
    # Overlapping segments are near at any distance.
    assert ask(project, codes, "emotional", "near", "practical", distance=0) == [coded["de JIM"]]


def test_sub_codes_count_for_their_parent_only_when_asked(project, codes, coded):
    assert ask(project, codes, "theme", "and", "home") == []
    assert ask(project, codes, "theme", "and", "home", with_subcodes=True) == [
        coded["lastig"],
        coded["thuis emotional"],
    ]


def test_the_function_refuses_a_distance_outside_its_range(project, codes, coded):
    for distance in (-1, MAX_DISTANCE + 1):
        with pytest.raises(ValueError):
            ask(project, codes, "home", "near", "practical", distance=distance)


def url(project, **params):
    return f"/qualitative/{project.pk}/code-query/", params


def test_the_page_shows_the_segments_and_downloads_them(client_for, project, codes, coded):
    client = client_for("researcher")
    path, params = url(project, a=codes["emotional"].pk, operator="and", b=codes["home"].pk)
    response = client.get(path, params)
    assert response.status_code == 200
    assert response.context["count"] == 2
    assert [r.text for r in response.context["rows"]] == ["lastig", "Thuis is het rustiger"]
    csv_response = client.get(path, {**params, "format": "csv"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["code", "document"]
    assert [r[-4] for r in rows[1:]] == ["lastig", "Thuis is het rustiger"]
    xlsx = client.get(path, {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3


def test_the_page_is_paginated(client_for, world, project, document, codes):
    anna = project.coder_for(world.researcher)
    segment = m.Segment.objects.create(document=document, coder=anna, start=0, end=5)
    m.Coding.objects.bulk_create(
        m.Coding(document=document, segment=segment, code=codes["home"], coder=anna)
        for _ in range(30)
    )
    client = client_for("researcher")
    path, params = url(project, a=codes["home"].pk)
    assert len(client.get(path, params).context["rows"]) == 25
    assert len(client.get(path, {**params, "page": 2}).context["rows"]) == 5


def test_the_download_holds_pseudonyms_only(client_for, project, document, codes, coded):
    person = m.Participant.objects.create(project=project, name="Fatima Bakker")
    person.documents.add(document)
    apply_pseudonyms(project, PseudonymTable({"Fatima Bakker": "Sara de Boer"}))
    path, params = url(project, a=codes["emotional"].pk, format="csv")
    content = client_for("researcher").get(path, params).content
    assert b"Sara de Boer" in content
    assert b"Fatima" not in content


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"a": "999999"}, "a", "This code is not in this project"),
        ({"a": "abc"}, "a", "This code is not in this project"),
        ({"operator": "and"}, "a", "Choose code A."),
        ({"a": "{emotional}", "operator": "and"}, "b", "Choose code B for AND, OR, NOT and NEAR."),
        ({"a": "{emotional}", "operator": "xor", "b": "{home}"}, "operator", "Choose AND, OR"),
        (
            {"a": "{emotional}", "operator": "near", "b": "{home}", "distance": "-1"},
            "distance",
            "The distance cannot be negative.",
        ),
        (
            {"a": "{emotional}", "operator": "near", "b": "{home}", "distance": "99999999"},
            "distance",
            "The distance can be at most 1000000 characters.",
        ),
        (
            {"a": "{emotional}", "operator": "near", "b": "{home}", "distance": "veel"},
            "distance",
            "Enter the distance as a whole number.",
        ),
        (
            {"a": "{emotional}", "operator": "near", "b": "{home}"},
            "distance",
            "Enter the distance for NEAR.",
        ),
        ({"a": "{emotional}", "document": "999999"}, "document", "This transcript is not in"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_answer(
    client_for, project, codes, coded, params, field, message
):
    filled = {k: v.format(**{n: c.pk for n, c in codes.items()}) for k, v in params.items()}
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/code-query/", filled, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.context["answered"] is False
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in response.content.decode()


def test_a_code_of_another_project_is_refused(client_for, project, codes, coded):
    other = m.Project.objects.create(name="ander")
    foreign = m.Code.objects.create(project=other, name="Geheim")
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/code-query/",
        {"a": foreign.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "This code is not in this project" in response.content.decode()


def test_the_empty_form_asks_nothing_yet(client_for, project, codes):
    response = client_for("researcher").get(f"/qualitative/{project.pk}/code-query/")
    assert response.status_code == 200
    assert response.context["answered"] is False
    assert not response.context["form"].errors
