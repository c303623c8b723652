"""Coding at work (issue 14, item 4): code colours, the codebook API as a list, sets.

* a new code gets a distinct colour from the palette, never black by default, and editing a
  code that has no colour keeps it without one;
* ``GET …/codebook`` answers ``{items, count}`` like every other list of the API;
* sets that came in with an imported project are called sets, not triads.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.qualitative.test_api import API, api_client
from yim.qualitative import models as m
from yim.qualitative.colours import NO_COLOUR_SUBMITTED, PALETTE, next_colour

pytestmark = pytest.mark.django_db


def test_the_palette_has_distinct_colours_and_no_black():
    assert len(set(PALETTE)) == len(PALETTE) >= 10
    assert NO_COLOUR_SUBMITTED not in PALETTE
    for colour in PALETTE:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert max(red, green, blue) >= 0x76  # light enough to read text through


def test_the_palette_module_is_pure():
    code = (
        "import sys, yim.qualitative.colours\n"
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_next_colour_is_the_least_used_one():
    assert next_colour([]) == PALETTE[0]
    assert next_colour(PALETTE[:3]) == PALETTE[3]
    assert next_colour([PALETTE[0].upper(), "", "#123456"]) == PALETTE[1]
    assert next_colour(PALETTE + PALETTE[:5]) == PALETTE[5]


def test_new_codes_get_distinct_colours_from_the_palette(client_for, project):
    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/codebook/"
    for i in range(len(PALETTE) + 2):
        page = client.get(url)
        offered = page.context["form"]["color"].value()
        assert offered == PALETTE[i % len(PALETTE)]
        # What a browser sends: the colour input's value, as offered.
        assert client.post(url, {"name": f"code {i}", "color": offered}).status_code == 302
    colours = list(project.codes.order_by("pk").values_list("color", flat=True))
    assert colours[: len(PALETTE)] == list(PALETTE)
    assert NO_COLOUR_SUBMITTED not in colours


def test_a_code_added_without_a_colour_gets_one_from_the_palette(client_for, project, codes):
    client_for("researcher").post(f"/qualitative/{project.pk}/codebook/", {"name": "Nieuw"})
    colour = project.codes.get(name="Nieuw").color
    assert colour in PALETTE and colour != NO_COLOUR_SUBMITTED
    used = set(project.codes.exclude(name="Nieuw").values_list("color", flat=True))
    assert colour not in used


def test_the_sub_code_form_offers_a_palette_colour_too(client_for, project, codes):
    page = client_for("researcher").get(
        f"/qualitative/{project.pk}/codebook/?code={codes['home'].pk}"
    )
    assert page.context["sub_form"]["color"].value() in PALETTE
    assert b'id="sub_id_color"' not in page.content  # its own ids next to the "new code" form
    assert b'id="sub_color"' in page.content


def edit(client, project, code, **fields):
    data = {f"edit{code.pk}-{key}": value for key, value in fields.items()}
    return client.post(f"/qualitative/{project.pk}/codes/{code.pk}/edit/", data)


def test_editing_a_code_without_a_colour_keeps_it_without_one(client_for, project, codes):
    practical = codes["practical"]
    assert practical.color == ""
    # The browser's colour input shows black for an empty value and sends it back.
    response = edit(
        client_for("researcher"),
        project,
        practical,
        version=1,
        name="Praktische hulp",
        color=NO_COLOUR_SUBMITTED,
    )
    assert response.status_code == 302
    practical.refresh_from_db()
    assert (practical.name, practical.color, practical.version) == ("Praktische hulp", "", 2)


def test_editing_a_coloured_code_keeps_or_changes_its_colour(client_for, project, codes):
    client = client_for("researcher")
    emotional = codes["emotional"]
    edit(client, project, emotional, version=1, name="Emotionele steun", color="#ff0000")
    emotional.refresh_from_db()
    assert emotional.color == "#ff0000"
    edit(client, project, emotional, version=2, name="Emotionele steun", color="#000000")
    emotional.refresh_from_db()
    assert emotional.color == "#000000"  # chosen on purpose: a coloured code may become black
    edit(client, project, emotional, version=3, name="Emotionele steun", color="#59a14f")
    emotional.refresh_from_db()
    assert emotional.color == "#59a14f"


def test_the_codebook_api_answers_items_and_count_like_every_list(world, project, codes):
    client = api_client(world.researcher)
    body = client.get(f"{API}/{project.pk}/codebook").json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 2  # top-level codes; sub-codes are nested in their parent
    assert [c["name"] for c in body["items"]] == ["Steun", "Thuis"]
    assert [c["name"] for c in body["items"][0]["children"]] == [
        "Emotionele steun",
        "Praktische steun",
    ]
    page = client.get(f"{API}/{project.pk}/codebook", {"limit": 1, "offset": 1}).json()
    assert page == {"items": [body["items"][1]], "count": 2}
    assert client.get(f"{API}/{project.pk}/codebook", {"limit": 0}).status_code == 422
    schema = client.get("/api/v1/openapi.json").json()
    answer = schema["paths"]["/api/v1/qualitative/projects/{project_id}/codebook"]["get"]
    ref = answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]) == {
        "items",
        "count",
    }


def test_sets_are_called_sets_not_triads(client_for, project, document, codes):
    imported = m.CodeSet.objects.create(project=project, name="Documentgroep 1")
    participant = m.Participant.objects.create(project=project, name="P1", code_set=imported)
    participant.documents.add(document)
    segment = m.Segment.objects.create(document=document, start=0, end=11)
    m.Coding.objects.create(document=document, segment=segment, code=codes["home"])
    client = client_for("researcher")
    page = client.get(f"/qualitative/{project.pk}/participants/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "<h2>Sets</h2>" in html and '<th scope="col">Set</th>' in html
    assert "Triads" not in html and "Add triad" not in html
    assert page.context["form"]["code_set"].label == "Set"
    page = client.get(f"/qualitative/{project.pk}/frequencies/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Codings by set" in page.content.decode()
    csv = client.get(f"/qualitative/{project.pk}/segments/?format=csv").content.decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert header.split(",") == [
        "code",
        "document",
        "participant",
        "set",
        "text",
        "start",
        "end",
        "coder",
    ]
    assert "Documentgroep 1" in row
