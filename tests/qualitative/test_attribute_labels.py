"""The interview tool shows its standard attributes and participant roles by their labels, not
their stored codes (issue 12: "age_band" and "Parent" on the pages); the stored codes and
the exports stay as they are."""

import re

import pytest

from yim.qualitative import labels
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(world, project, document, codes):
    sam = m.Participant.objects.create(project=project, name="Sam")
    variables = {v.name: v for v in project.variables.all()}
    for name, value in [("role", "parent"), ("age_band", "40-64"), ("jim_relation", "tante")]:
        m.AttributeValue.objects.create(participant=sam, variable=variables[name], value=value)
    document.participants.add(sam)
    coder = project.coder_for(world.researcher)
    segment = m.Segment.objects.create(document=document, coder=coder, start=0, end=5)
    m.Coding.objects.create(document=document, segment=segment, code=codes["home"], coder=coder)
    return sam


def visible_text(response) -> str:
    html = response.content.decode()
    html = html[html.index("<main") :]
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def page(client, project, path, language="nl"):
    response = client.get(f"/qualitative/{project.pk}/{path}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return visible_text(response)


def assert_no_codes(text):
    for code in ("age_band", "jim_relation", "role", ": parent", "Parent"):
        assert code not in text, code


def test_the_participant_list_shows_labels_and_role_words_not_codes(
    client_for, project, participant
):
    client = client_for("researcher")
    dutch = page(client, project, "participants/")
    assert_no_codes(dutch)
    assert "Rol: ouder" in dutch
    english = page(client, project, "participants/", "en")
    assert "Age band: 40-64" in english
    assert "Relation to the JIM: tante" in english
    assert "youth, JIM, parent or professional" in english  # the standard description
    assert "(text)" in english and "(Text)" not in english


def test_the_participant_form_labels_its_attribute_fields(client_for, project, participant):
    english = page(client_for("researcher"), project, f"participants/{participant.pk}/", "en")
    assert "Age band" in english and "Relation to the JIM" in english
    assert "age_band" not in english and "jim_relation" not in english


@pytest.mark.parametrize(
    "path",
    ["frequencies/?variable={role}", "matrix/?kind=attribute&variable={role}", "segments/"],
)
def test_the_analysis_pages_show_labels_and_role_words(client_for, project, participant, path):
    role = project.variables.get(name="role")
    dutch = page(client_for("researcher"), project, path.format(role=role.pk))
    assert_no_codes(dutch)
    assert "ouder" in dutch and "Rol" in dutch


def test_an_attribute_a_researcher_named_is_shown_as_named(client_for, project, participant):
    own = m.Variable.objects.create(project=project, name="school_type")
    m.AttributeValue.objects.create(participant=participant, variable=own, value="vmbo")
    assert "school_type: vmbo" in page(client_for("researcher"), project, "participants/")


def test_the_stored_codes_and_the_segments_export_stay_unchanged(client_for, project, participant):
    assert set(participant.attributes.values_list("variable__name", "value")) == {
        ("role", "parent"),
        ("age_band", "40-64"),
        ("jim_relation", "tante"),
    }
    export = client_for("researcher").get(
        f"/qualitative/{project.pk}/segments/?format=csv", HTTP_ACCEPT_LANGUAGE="nl"
    )
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode()
    assert "age_band" in body and "parent" in body and "ouder" not in body


def test_every_standard_description_has_its_translation():
    assert {description for _n, _t, description in m.STANDARD_VARIABLES} <= set(
        labels.VARIABLE_DESCRIPTIONS
    )
    assert {name for name, _t, _d in m.STANDARD_VARIABLES} <= set(labels.VARIABLE_LABELS)


def test_a_role_is_recognised_whatever_its_case():
    assert labels.value_label("role", "Parent") == labels.value_label("role", "parent")
    assert labels.value_label("role", "grandmother") == "grandmother"
    assert labels.value_label("school", "parent") == "parent"
