"""Deleting a code: the confirmation's numbers, both choices for sub-codes, locking, rights."""

import zipfile
from io import BytesIO

import pytest
from django.contrib.messages import get_messages

from tests.conftest import ALL_PERSONAS, signed_in
from yim.audit.models import AuditEvent
from yim.qualitative import models as m
from yim.qualitative.refi.export import validate_qde

pytestmark = pytest.mark.django_db


def url(project, code) -> str:
    return f"/qualitative/{project.pk}/codes/{code.pk}/delete/"


def coding(document, coder, code, fragment):
    start = document.text.index(fragment)
    segment, _ = m.Segment.objects.get_or_create(
        document=document, coder=coder, start=start, end=start + len(fragment)
    )
    return m.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)


@pytest.fixture
def coded(world, second_researcher, project, document, codes):
    """Two coders; "Steun" has two sub-codes, one of which has a sub-code of its own."""
    m.Membership.objects.create(project=project, user=second_researcher)
    me, other = project.coder_for(world.researcher), project.coder_for(second_researcher)
    deep = m.Code.objects.create(project=project, name="Troost", parent=codes["emotional"])
    coding(document, me, codes["emotional"], "de JIM hielp")
    coding(document, me, codes["practical"], "de JIM hielp")
    coding(document, other, codes["emotional"], "de JIM hielp")
    coding(document, other, deep, "lastig")
    coding(document, me, codes["home"], "rustiger")
    return {"me": me, "other": other, "deep": deep}


def confirm(client, project, code, **changes):
    """Post the confirmation exactly as the page rendered it, with ``changes``."""
    page = client.get(url(project, code))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return client.post(url(project, code), data, HTTP_ACCEPT_LANGUAGE="en")


def messages_of(response) -> list[str]:
    return [str(x) for x in get_messages(response.wsgi_request)]


def test_the_confirmation_counts_codings_per_coder_and_the_sub_codes(
    client_for, project, codes, coded
):
    response = client_for("researcher").get(url(project, codes["emotional"]))
    impact = response.context["impact"]
    assert (impact.children, impact.descendants) == (1, 1)
    per_coder = {row.coder: (row.own, row.below) for row in impact.per_coder}
    assert per_coder == {str(coded["me"]): (1, 0), str(coded["other"]): (1, 1)}
    theme = client_for("researcher").get(url(project, codes["theme"])).context["impact"]
    assert (theme.children, theme.descendants) == (2, 3)
    assert (theme.own_codings, theme.below_codings) == (0, 4)


def test_deleting_with_the_sub_codes_removes_them_and_all_their_codings(
    client_for, project, document, codes, coded
):
    response = confirm(client_for("researcher"), project, codes["theme"], children="delete")
    assert response.status_code == 302
    assert set(project.codes.values_list("name", flat=True)) == {"Thuis"}
    assert list(m.Coding.objects.values_list("code__name", flat=True)) == ["Thuis"]
    # The passages coded only with deleted codes are no selections any more.
    assert sorted(s.text for s in m.Segment.objects.all()) == ["rustiger"]


def test_moving_the_sub_codes_up_keeps_them_and_their_codings(client_for, project, codes, coded):
    emotional = codes["emotional"]
    response = confirm(client_for("researcher"), project, emotional, children="lift")
    assert response.status_code == 302
    assert not m.Code.objects.filter(pk=emotional.pk).exists()
    deep = m.Code.objects.get(pk=coded["deep"].pk)
    assert deep.parent_id == codes["theme"].pk  # the deleted code's parent
    assert deep.version == 2  # a form loaded before the move is stale now
    assert deep.codings.count() == 1
    assert not m.Coding.objects.filter(code_id=emotional.pk).exists()
    assert m.Coding.objects.count() == 3


def test_a_top_level_code_lifting_its_sub_codes_puts_them_at_the_top(
    client_for, project, codes, coded
):
    confirm(client_for("researcher"), project, codes["theme"], children="lift")
    assert set(project.codes.filter(parent=None).values_list("name", flat=True)) == {
        "Emotionele steun",
        "Praktische steun",
        "Thuis",
    }
    assert m.Coding.objects.count() == 5


def test_a_memo_on_the_deleted_code_is_kept_as_a_project_memo(client_for, project, codes, coded):
    memo = m.Memo.objects.create(project=project, text="Over steun")
    m.MemoLink.objects.create(memo=memo, code=codes["practical"])
    confirm(client_for("researcher"), project, codes["practical"])
    link = m.MemoLink.objects.get(memo=memo)
    assert link.target is None  # about the whole project


def test_a_stale_version_is_refused_with_a_message_and_nothing_is_deleted(
    client_for, project, codes, coded
):
    client = client_for("researcher")
    home = codes["home"]
    page = client.get(url(project, home))
    home.edit(1, name="Thuissituatie")  # someone else renames it meanwhile
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    response = client.post(url(project, home), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert m.Code.objects.filter(pk=home.pk).exists()
    assert m.Coding.objects.filter(code=home).count() == 1
    assert any("changed by someone else" in text for text in messages_of(response))


def test_a_coding_added_after_the_confirmation_was_shown_stops_the_deletion(
    client_for, project, document, codes, coded
):
    client = client_for("researcher")
    home = codes["home"]
    page = client.get(url(project, home))
    coding(document, coded["other"], home, "Thuis is het")
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    response = client.post(url(project, home), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == url(project, home)
    assert m.Coding.objects.filter(code=home).count() == 2
    assert any("Nothing was deleted" in text for text in messages_of(response))


def test_an_unknown_choice_for_the_sub_codes_is_an_error_on_the_field(
    client_for, project, codes, coded
):
    response = confirm(client_for("researcher"), project, codes["theme"], children="keep")
    assert response.status_code == 400
    assert "children" in response.context["form"].errors
    assert project.codes.count() == 5


def test_a_coder_member_may_not_delete_codes(client_for, second_researcher, project, codes, coded):
    page = client_for("researcher").get(url(project, codes["home"]))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    coder = signed_in(second_researcher)
    assert coder.get(url(project, codes["home"])).status_code == 404
    assert coder.post(url(project, codes["home"]), data).status_code == 404
    assert m.Code.objects.filter(pk=codes["home"].pk).exists()
    # The delete link is in the change panel of the chosen code (?code=).
    chosen = f"/qualitative/{project.pk}/codebook/?code={codes['home'].pk}"
    codebook = coder.get(chosen)
    assert codebook.context["can_delete"] is False
    assert url(project, codes["home"]).encode() not in codebook.content
    owner_codebook = client_for("researcher").get(chosen)
    assert url(project, codes["home"]).encode() in owner_codebook.content


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p != "researcher"])
def test_nobody_outside_the_project_reaches_the_confirmation(client_for, project, codes, persona):
    client = client_for(persona)
    assert client.get(url(project, codes["home"])).status_code == 404
    assert client.post(url(project, codes["home"]), {"version": 1}).status_code == 404
    assert m.Code.objects.filter(pk=codes["home"].pk).exists()


def test_a_code_of_another_project_is_not_found(client_for, project, second_researcher):
    other = m.Project.objects.create(name="Ander project")
    m.Membership.objects.create(project=other, user=second_researcher, role="owner")
    foreign = m.Code.objects.create(project=other, name="Geheim")
    assert client_for("researcher").get(url(project, foreign)).status_code == 404


def test_the_deletion_is_audited(client_for, project, codes, coded):
    confirm(client_for("researcher"), project, codes["emotional"], children="lift")
    event = AuditEvent.objects.filter(action="delete").get()
    assert event.object_type == "code" and event.object_id == str(codes["emotional"].pk)
    assert "Emotionele steun" in event.detail and "lift" in event.detail


def test_the_refi_export_after_a_deletion_is_valid_and_without_the_code(
    client_for, project, codes, coded
):
    client = client_for("researcher")
    confirm(client, project, codes["emotional"], children="lift")
    confirm(client, project, codes["practical"], children="delete")
    response = client.get(f"/qualitative/{project.pk}/export.qdpx")
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        qde = archive.read("project.qde")
    validate_qde(qde)
    assert b"Troost" in qde and b"Thuis" in qde
    assert b"Emotionele steun" not in qde and b"Praktische steun" not in qde


def test_deleting_every_code_leaves_a_valid_project_export_and_no_broken_codebook_file(
    client_for, project, codes, coded
):
    client = client_for("researcher")
    for code in (codes["theme"], codes["home"]):
        confirm(client, project, code, children="delete")
    assert not project.codes.exists()
    response = client.get(f"/qualitative/{project.pk}/export.qdpx")
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        validate_qde(archive.read("project.qde"))
    qdc = client.get(f"/qualitative/{project.pk}/export.qdc", HTTP_ACCEPT_LANGUAGE="en")
    assert qdc.status_code == 302 and qdc["Location"] == f"/qualitative/{project.pk}/codebook/"
    assert any("needs at least one code" in text for text in messages_of(qdc))
