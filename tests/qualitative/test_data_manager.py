"""The pseudonym table is for the project's data manager only; coders never see real names."""

import zipfile
from io import BytesIO

import pytest

from tests.conftest import make_user, signed_in
from yim.accounts.models import Role
from yim.audit.models import AuditEvent
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db


def table_url(project) -> str:
    return f"/qualitative/{project.pk}/pseudonyms/"


def members_url(project) -> str:
    return f"/qualitative/{project.pk}/members/"


@pytest.fixture
def coder(project, second_researcher):
    m.Membership.objects.create(project=project, user=second_researcher)
    return second_researcher


@pytest.fixture
def named(project):
    """A table, and a transcript and memo that still hold the real name."""
    m.PseudonymEntry.objects.create(project=project, real_name="Fatima", pseudonym="Sara")
    document = m.Document.objects.create(
        project=project,
        name="interview-Fatima-2026.docx",
        text="Interviewer: Hoe gaat het, Fatima?\nJongere: Goed.\n",
    )
    document.rebuild_turns()
    m.Memo.objects.create(project=project, name="Fatima", text="Fatima twijfelt.")
    return document


def hand_over(client, project, user):
    return client.post(members_url(project), {"kind": "data_manager", "data_manager": user.pk})


def test_the_creator_of_a_project_is_its_data_manager(client_for, world):
    client_for("researcher").post("/qualitative/new/", {"name": "Nieuw", "description": ""})
    assert m.Project.objects.get(name="Nieuw").data_manager == world.researcher


def test_a_coder_gets_404_for_the_table_and_cannot_change_or_apply_it(
    client_for, project, coder, named
):
    client = signed_in(coder)
    assert client.get(table_url(project)).status_code == 404
    assert client.post(table_url(project), {"table": "Fatima = Noor"}).status_code == 404
    assert client.post(f"{table_url(project)}apply/").status_code == 404
    assert list(project.pseudonyms.values_list("real_name", "pseudonym")) == [("Fatima", "Sara")]
    assert "Fatima" in m.Document.objects.get(pk=named.pk).text
    page = client.get(f"/qualitative/{project.pk}/")
    assert page.context["is_data_manager"] is False
    assert table_url(project).encode() not in page.content


def test_the_owner_hands_the_role_to_a_coder_and_loses_the_table(
    client_for, world, project, coder, named
):
    owner = client_for("researcher")
    assert owner.get(table_url(project)).status_code == 200
    assert hand_over(owner, project, coder).status_code == 302
    project.refresh_from_db()
    assert project.data_manager == coder
    assert owner.get(table_url(project)).status_code == 404
    manager = signed_in(coder)
    page = manager.get(table_url(project))
    assert page.status_code == 200 and b"Fatima = Sara" in page.content
    assert manager.post(f"{table_url(project)}apply/").status_code == 302
    assert "Fatima" not in m.Document.objects.get(pk=named.pk).text
    event = AuditEvent.objects.get(detail=f"data manager: {coder.username}")
    assert event.actor_id == world.researcher.pk and event.object_id == str(project.pk)


def test_only_a_member_can_become_data_manager(client_for, project, world):
    stranger = make_user("researcher3", Role.RESEARCHER, world.org)
    response = hand_over(client_for("researcher"), project, stranger)
    assert response.status_code == 400
    assert "data_manager" in response.context["manager_form"].errors
    project.refresh_from_db()
    assert project.data_manager is None


def test_a_coder_cannot_name_the_data_manager(project, coder):
    assert hand_over(signed_in(coder), project, coder).status_code == 404
    project.refresh_from_db()
    assert project.data_manager is None


def test_removing_the_data_manager_from_the_project_gives_the_role_back_to_the_owners(
    client_for, project, coder
):
    owner = client_for("researcher")
    hand_over(owner, project, coder)
    membership = project.memberships.get(user=coder)
    owner.post(f"{members_url(project)}{membership.pk}/remove/")
    project.refresh_from_db()
    assert project.data_manager is None
    assert owner.get(table_url(project)).status_code == 200
    assert signed_in(coder).get(table_url(project)).status_code == 404


def test_the_refi_export_holds_no_real_name_of_the_table(client_for, project, codes, coder, named):
    client_for("researcher").post(f"{table_url(project)}apply/")
    response = signed_in(coder).get(f"/qualitative/{project.pk}/export.qdpx")
    assert response.status_code == 200
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    assert contents and all(b"Fatima" not in data for data in contents.values())
    assert any(b"interview-Sara-2026.docx" in data for data in contents.values())
    codebook = signed_in(coder).get(f"/qualitative/{project.pk}/export.qdc")
    assert b"Fatima" not in codebook.content


def test_a_broken_table_stops_an_upload_without_showing_the_names_to_the_coder(project, coder):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Two spellings of one name with different pseudonyms: the core refuses the table.
    m.PseudonymEntry.objects.create(project=project, real_name="Fatima", pseudonym="Sara")
    m.PseudonymEntry.objects.create(project=project, real_name="FATIMA", pseudonym="Noor")
    response = signed_in(coder).post(
        f"/qualitative/{project.pk}/transcripts/",
        {"file": SimpleUploadedFile("a.txt", b"Jongere: Fatima hier.\n")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = " ".join(response.context["upload_form"].errors["file"])
    assert "data manager" in errors
    assert b"Fatima" not in response.content and b"FATIMA" not in response.content
    assert not project.documents.exists()
