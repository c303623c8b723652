"""The agreement endpoint's unit (issue 14, item 4): speaker turns, characters or coded segments,
computed by the same function as the agreement page, so both give the same numbers."""

from typing import get_args

import pytest
from django.test import Client

from yim.accounts.models import ApiToken
from yim.qualitative import analysis
from yim.qualitative import api as qualitative_api
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

API = "/api/v1/qualitative/projects"


def api_client(user):
    _, token = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def code(document, coder, code, start, end):
    segment, _ = m.Segment.objects.get_or_create(
        document=document, coder=coder, start=start, end=end
    )
    m.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)


@pytest.fixture
def two_coders(world, second_researcher, project, document, codes):
    """Two coders over a transcript with turns and field notes without turns."""
    m.Membership.objects.create(project=project, user=second_researcher)
    notes = m.Document.objects.create(
        project=project, name="Veldnotities", text="abcdefghijklmnopqrst"
    )
    assert not notes.turns.exists() and document.turns.exists()
    anna, bram = project.coder_for(world.researcher), project.coder_for(second_researcher)
    x, y = codes["home"], codes["practical"]
    for coder, chosen, start, end in [
        (anna, x, 0, 10),
        (anna, y, 5, 15),
        (bram, x, 2, 10),
        (bram, y, 12, 20),
    ]:
        code(notes, coder, chosen, start, end)
    start = document.text.index("rustiger")
    code(document, anna, x, start, start + 8)
    code(document, bram, y, start, start + 8)
    return {"notes": notes, "anna": anna, "bram": bram}


def assert_same_report(body, page):
    expected = page.context["report"]
    assert expected is not None
    assert body["n_units"] == expected.n_units > 0  # the number the page shows
    assert body["unit"] == expected.unit
    report = body["report"]
    assert report["overall_percent_agreement"] == pytest.approx(
        expected.overall_percent_agreement, rel=1e-12
    )
    assert report["overall_cohens_kappa"] == pytest.approx(expected.overall_cohens_kappa, rel=1e-12)
    assert report["overall_krippendorff_alpha"] == pytest.approx(
        expected.overall_krippendorff_alpha, rel=1e-12
    )
    assert report["exact_set_agreement"] == pytest.approx(expected.exact_set_agreement, rel=1e-12)
    assert [
        (
            c["code"],
            c["n_units"],
            c["n_units_coded"],
            c["percent_agreement"],
            c["cohens_kappa"],
            c["krippendorff_alpha"],
        )
        for c in report["per_code"]
    ] == [
        (
            c.code,
            c.n_units,
            c.n_units_coded,
            c.percent_agreement,
            c.cohens_kappa,
            c.krippendorff_alpha,
        )
        for c in expected.per_code
    ]


@pytest.mark.parametrize(
    ("unit", "name"),
    [("character", "character"), ("segment", "coded segment"), ("turn", "speaker turn")],
)
def test_each_unit_gives_the_numbers_of_the_agreement_page_with_that_unit(
    world, client_for, project, two_coders, unit, name
):
    page = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/", {"unit": unit})
    response = api_client(world.researcher).get(f"{API}/{project.pk}/agreement", {"unit": unit})
    assert response.status_code == 200
    body = response.json()
    assert body["unit"] == name
    assert_same_report(body, page)


def test_characters_and_segments_give_different_numbers_for_the_same_transcript(
    world, project, two_coders
):
    client = api_client(world.researcher)
    query = {"document": two_coders["notes"].pk}
    characters = client.get(f"{API}/{project.pk}/agreement", {**query, "unit": "character"})
    segments = client.get(f"{API}/{project.pk}/agreement", {**query, "unit": "segment"})
    assert characters.json()["n_units"] == 20  # every character of the field notes
    assert segments.json()["n_units"] == 4  # the coders' distinct segments
    kappas = {r.json()["report"]["overall_cohens_kappa"] for r in (characters, segments)}
    assert len(kappas) == 2


def test_without_a_unit_a_transcript_without_turns_is_compared_on_characters_like_the_page(
    world, client_for, project, two_coders
):
    query = {"document": two_coders["notes"].pk}
    page = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/", query)
    body = api_client(world.researcher).get(f"{API}/{project.pk}/agreement", query).json()
    assert page.context["unit"] == "character" and body["unit"] == "character"
    assert_same_report(body, page)


def test_without_a_unit_transcripts_with_turns_are_compared_on_turns(world, project, two_coders):
    body = api_client(world.researcher).get(f"{API}/{project.pk}/agreement").json()
    assert body["unit"] == "speaker turn"


@pytest.mark.parametrize("unit", ["word", "", "Character", "turns"])
def test_an_unknown_unit_is_refused_on_its_field_in_the_one_shape(world, project, two_coders, unit):
    response = api_client(world.researcher).get(f"{API}/{project.pk}/agreement", {"unit": unit})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["unit"]
    assert body["errors"]["unit"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_the_units_the_api_accepts_are_the_units_the_page_knows():
    assert set(get_args(qualitative_api.AgreementUnit)) == set(analysis.AGREEMENT_UNITS)


def test_the_schema_states_the_units_and_the_refusal():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"][f"{API}/{{project_id}}/agreement"]["get"]
    unit = next(p for p in operation["parameters"] if p["name"] == "unit")
    text = str(unit["schema"])
    for value in ("turn", "character", "segment"):
        assert value in text
    assert "characters" in unit.get("description", unit["schema"].get("description", ""))
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Invalid"
    }
