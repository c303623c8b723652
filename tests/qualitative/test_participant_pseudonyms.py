"""Participants go through the pseudonym table like transcripts (issue 14, item 2).

On the way in (a participant added or changed on the participants page) and with "apply to
all" for what is already there (participants that came in with an imported project), in
their name, description and text attributes; and the other labels a name can hide in.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests.conftest import signed_in
from yim.audit.models import AuditEvent
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

TABLE = {"Fatima el Amrani": "Sara Jansen", "Fatima": "Sara", "Henk": "Kees"}


@pytest.fixture
def table(project):
    for real, pseudonym in TABLE.items():
        m.PseudonymEntry.objects.create(project=project, real_name=real, pseudonym=pseudonym)


def participant_data(project, **values) -> dict[str, object]:
    relation = project.variables.get(name="jim_relation")
    role = project.variables.get(name="role")
    return {
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        f"attr_{relation.pk}": values.get("relation", ""),
        f"attr_{role.pk}": values.get("role", ""),
    }


def test_a_participant_added_by_a_coder_is_pseudonymised_on_the_way_in(
    client_for, second_researcher, project, table
):
    m.Membership.objects.create(project=project, user=second_researcher)
    data = participant_data(
        project,
        name="Fatima el Amrani",
        description="Woont bij Henk; fatima is 16.",
        relation="buurman van Fatima",
        role="youth",
    )
    response = signed_in(second_researcher).post(f"/qualitative/{project.pk}/participants/", data)
    assert response.status_code == 302
    participant = project.participants.get()
    assert participant.name == "Sara Jansen"
    assert participant.description == "Woont bij Kees; sara is 16."
    values = dict(participant.attributes.values_list("variable__name", "value"))
    assert values == {"jim_relation": "buurman van Sara", "role": "youth"}


def test_a_participant_changed_later_is_pseudonymised_too(client_for, project, table):
    participant = m.Participant.objects.create(project=project, name="P1")
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/participants/{participant.pk}/",
        participant_data(project, name="Fatima_2", description="nicht van Henk"),
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert (participant.name, participant.description) == ("Sara_2", "nicht van Kees")


def test_without_a_table_participants_are_kept_as_typed(client_for, project):
    client_for("researcher").post(
        f"/qualitative/{project.pk}/participants/", participant_data(project, name="Fatima")
    )
    assert project.participants.get().name == "Fatima"


def test_a_broken_table_refuses_the_participant_without_showing_real_names(
    client_for, second_researcher, project, table
):
    # "FATIMA" and "Fatima" are one name to the table, with two pseudonyms: unusable.
    m.PseudonymEntry.objects.create(project=project, real_name="FATIMA", pseudonym="Noor")
    m.Membership.objects.create(project=project, user=second_researcher)
    response = signed_in(second_researcher).post(
        f"/qualitative/{project.pk}/participants/",
        participant_data(project, name="Fatima"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not project.participants.exists()
    errors = " ".join(response.context["form"].non_field_errors())
    assert "data manager" in errors and "FATIMA" not in errors and "Noor" not in errors


def test_apply_to_all_rewrites_imported_participants_and_every_label(client_for, project, table):
    # As they come in from another tool: real names in the case, its attributes and labels.
    youth = m.Participant.objects.create(
        project=project, name="Fatima el Amrani", description="Dochter van Henk"
    )
    relation = project.variables.get(name="jim_relation")
    m.AttributeValue.objects.create(variable=relation, participant=youth, value="oom Henk")
    untouched = m.Participant.objects.create(project=project, name="P7", description="jongere")
    triad = m.CodeSet.objects.create(project=project, name="Triade Fatima", description="Henk")
    youth.code_set = triad
    youth.save()
    code = m.Code.objects.create(project=project, name="Relatie met Henk", description="Fatima")
    document = m.Document.objects.create(
        project=project, name="Interview", text="Jongere: Henk helpt.\n", description="Fatima"
    )
    m.AttributeValue.objects.create(variable=relation, document=document, value="Fatima's oom")
    segment = m.Segment.objects.create(
        document=document, start=9, end=13, name="Henk", description="over Fatima"
    )
    project.description = "Gesprekken met Fatima"
    project.save()

    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/pseudonyms/apply/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    youth.refresh_from_db()
    assert (youth.name, youth.description) == ("Sara Jansen", "Dochter van Kees")
    assert youth.attributes.get().value == "oom Kees"
    untouched.refresh_from_db()
    assert (untouched.name, untouched.description) == ("P7", "jongere")
    triad.refresh_from_db()
    assert (triad.name, triad.description) == ("Triade Sara", "Kees")
    code.refresh_from_db()
    assert (code.name, code.description) == ("Relatie met Kees", "Sara")
    document.refresh_from_db()
    assert (document.text, document.description) == ("Jongere: Kees helpt.\n", "Sara")
    assert document.attributes.get().value == "Sara's oom"
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.text) == ("Kees", "over Sara", "Kees")
    project.refresh_from_db()
    assert project.description == "Gesprekken met Sara"

    messages = [str(x) for x in get_messages(response.wsgi_request)]
    assert any("attributes of 1 participant." in text for text in messages), messages
    events = AuditEvent.objects.filter(detail="pseudonyms applied")
    assert {(e.object_type, e.object_id) for e in events} == {
        ("document", str(document.pk)),
        ("participant", str(youth.pk)),
    }
    summary = AuditEvent.objects.get(detail__startswith="pseudonyms applied:")
    assert "1 participants" in summary.detail


def test_apply_to_all_with_only_participants_to_change(client_for, project, table):
    youth = m.Participant.objects.create(project=project, name="Henk")
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/pseudonyms/apply/", HTTP_ACCEPT_LANGUAGE="en"
    )
    youth.refresh_from_db()
    assert youth.name == "Kees"
    messages = [str(x) for x in get_messages(response.wsgi_request)]
    assert not any("nothing was changed" in text for text in messages)


def test_a_failure_midway_leaves_the_participants_unchanged(client_for, project, table):
    youth = m.Participant.objects.create(project=project, name="Fatima")
    broken = m.Document.objects.create(project=project, name="kapot", text="Henk zegt ja.")
    m.Segment.objects.create(document=broken, start=0, end=400)
    client_for("researcher").post(f"/qualitative/{project.pk}/pseudonyms/apply/")
    youth.refresh_from_db()
    assert youth.name == "Fatima"
