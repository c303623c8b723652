"""Projects, members, participants with typed attributes, triads and the pseudonym table."""

from decimal import Decimal

import pytest

from tests.conftest import make_user, signed_in
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db


def test_creating_a_project_makes_the_creator_owner_with_the_standard_attributes(client_for):
    response = client_for("researcher").post("/qualitative/new/", {"name": "Triades 2026"})
    assert response.status_code == 302
    project = m.Project.objects.get(name="Triades 2026")
    assert project.memberships.get().role == "owner"
    assert set(project.variables.values_list("name", flat=True)) == {
        "role",
        "age_band",
        "jim_relation",
    }


def test_a_project_without_a_name_is_an_error_on_the_field(client_for):
    response = client_for("researcher").post("/qualitative/new/", {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not m.Project.objects.exists()


def test_the_owner_adds_a_researcher_of_the_same_organisation_only(
    world, client_for, project, second_researcher
):
    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/members/"
    assert client.post(url, {"username": "researcher2", "role": "coder"}).status_code == 302
    assert project.memberships.filter(user=second_researcher, role="coder").exists()
    foreign = make_user("researcher_x", "researcher", world.other_org)
    for username in ("researcher_x", "prof", "nobody"):
        response = client.post(url, {"username": username, "role": "coder"})
        assert response.status_code == 200
        assert "username" in response.context["form"].errors
    assert not project.memberships.filter(user=foreign).exists()
    membership = project.memberships.get(user=second_researcher)
    client.post(f"/qualitative/{project.pk}/members/{membership.pk}/remove/")
    assert signed_in(second_researcher).get(f"/qualitative/{project.pk}/").status_code == 404


def test_a_participant_gets_typed_attributes_and_a_triad(client_for, project):
    client = client_for("researcher")
    client.post(f"/qualitative/{project.pk}/participants/", {"kind": "set", "name": "Triade A"})
    client.post(
        f"/qualitative/{project.pk}/participants/",
        {"kind": "variable", "name": "age", "type": "Float"},
    )
    triad = project.sets.get(name="Triade A")
    role = project.variables.get(name="role")
    age = project.variables.get(name="age")
    response = client.post(
        f"/qualitative/{project.pk}/participants/",
        {
            "kind": "participant",
            "name": "Jongere A1",
            "code_set": triad.pk,
            "trajectory_pseudonym": "T-8f3a",
            f"attr_{role.pk}": "youth",
            f"attr_{age.pk}": "16.5",
        },
    )
    assert response.status_code == 302
    participant = project.participants.get()
    assert participant.code_set == triad and participant.trajectory_pseudonym == "T-8f3a"
    values = {a.variable.name: a.typed() for a in participant.attributes.all()}
    assert values == {"role": "youth", "age": Decimal("16.5")}


def test_a_wrongly_typed_attribute_is_an_error_and_nothing_is_saved(client_for, project):
    age = m.Variable.objects.create(project=project, name="age", type="Integer")
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/participants/",
        {"kind": "participant", "name": "X", f"attr_{age.pk}": "zestien"},
    )
    assert response.status_code == 400
    assert f"attr_{age.pk}" in response.context["form"].errors
    assert not project.participants.exists()


def test_a_triad_of_another_project_cannot_be_chosen(client_for, project):
    other = m.CodeSet.objects.create(project=m.Project.objects.create(name="x"), name="T")
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/participants/",
        {"kind": "participant", "name": "X", "code_set": other.pk},
    )
    assert "code_set" in response.context["form"].errors


def test_editing_a_participant_replaces_and_clears_attributes(client_for, project):
    role = project.variables.get(name="role")
    band = project.variables.get(name="age_band")
    participant = m.Participant.objects.create(project=project, name="Moeder A1")
    m.AttributeValue.objects.create(variable=role, participant=participant, value="youth")
    m.AttributeValue.objects.create(variable=band, participant=participant, value="16-17")
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/participants/{participant.pk}/",
        {"name": "Moeder A1", f"attr_{role.pk}": "parent", f"attr_{band.pk}": ""},
    )
    assert response.status_code == 302
    assert {a.variable.name: a.value for a in participant.attributes.all()} == {"role": "parent"}


def test_the_pseudonym_table_is_saved_by_the_owner_and_bad_lines_are_refused(
    client_for, project, second_researcher
):
    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/pseudonyms/"
    response = client.post(url, {"table": "Anna de Vries = Lotte\nBram = Daan\n"})
    assert response.status_code == 302
    assert dict(project.pseudonyms.values_list("real_name", "pseudonym")) == {
        "Anna de Vries": "Lotte",
        "Bram": "Daan",
    }
    response = client.post(url, {"table": "Anna zonder pseudoniem\n"})
    assert response.status_code == 200 and "table" in response.context["form"].errors
    response = client.post(url, {"table": "Anna = Lotte\nanna = Sara\n"})
    assert "table" in response.context["form"].errors
    assert project.pseudonyms.count() == 2  # unchanged after the refusals
    m.Membership.objects.create(project=project, user=second_researcher)
    coder = signed_in(second_researcher)
    assert coder.post(url, {"table": "Bram = X"}).status_code == 404


def test_the_participant_list_query_count_does_not_grow(
    client_for, project, django_assert_max_num_queries
):
    role = project.variables.get(name="role")
    triad = m.CodeSet.objects.create(project=project, name="T")
    for i in range(30):
        p = m.Participant.objects.create(project=project, name=f"P{i:02d}", code_set=triad)
        m.AttributeValue.objects.create(variable=role, participant=p, value="youth")
    client = client_for("researcher")
    with django_assert_max_num_queries(20):
        response = client.get(f"/qualitative/{project.pk}/participants/")
    assert len(response.context["page"].object_list) == 25
