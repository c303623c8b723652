"""Names in document and memo titles (often file names) are pseudonymised like the text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.qualitative.fixtures import docx_bytes
from yim.audit.models import AuditEvent
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db

FILE_NAME = "interview-Fatima-2026.docx"


@pytest.fixture
def table(project):
    for real, pseudonym in {"Fatima": "Sara", "Bram": "Daan"}.items():
        m.PseudonymEntry.objects.create(project=project, real_name=real, pseudonym=pseudonym)


def upload(client, project, file_name=FILE_NAME, **data):
    content = docx_bytes(["Interviewer: Hoe gaat het, Fatima?", "Jongere: Goed, Bram hielp."])
    return client.post(
        f"/qualitative/{project.pk}/transcripts/",
        {"file": SimpleUploadedFile(file_name, content), **data},
    )


def apply(client, project):
    return client.post(f"/qualitative/{project.pk}/pseudonyms/apply/", HTTP_ACCEPT_LANGUAGE="en")


def test_a_name_in_the_file_name_is_replaced_at_import(client_for, project, table):
    assert upload(client_for("researcher"), project).status_code == 302
    document = project.documents.get()
    assert document.name == "interview-Sara-2026.docx"
    assert "Fatima" not in document.text and "Sara" in document.text


def test_a_title_typed_at_import_is_pseudonymised_too(client_for, project, table):
    upload(client_for("researcher"), project, "a.docx", name="Gesprek met FATIMA")
    assert project.documents.get().name == "Gesprek met SARA"


def test_without_a_table_the_file_name_is_kept(client_for, project):
    upload(client_for("researcher"), project)
    assert project.documents.get().name == FILE_NAME


def test_reapplying_the_table_rewrites_document_and_memo_titles(client_for, project, table):
    document = m.Document.objects.create(
        project=project, name="interview_Fatima_2026.docx", text="Jongere: alles goed.\n"
    )
    document.rebuild_turns()
    memo = m.Memo.objects.create(project=project, name="Twijfel bij Bram", text="geen namen")
    untouched = m.Memo.objects.create(project=project, name="Algemeen", text="niets")
    response = apply(client_for("researcher"), project)
    assert response.status_code == 302
    document.refresh_from_db()
    memo.refresh_from_db()
    untouched.refresh_from_db()
    assert document.name == "interview_Sara_2026.docx"
    assert document.text == "Jongere: alles goed.\n"
    assert memo.name == "Twijfel bij Daan" and memo.text == "geen namen"
    assert untouched.name == "Algemeen"
    events = AuditEvent.objects.filter(detail__startswith="pseudonyms applied")
    assert ("document", str(document.pk)) in {(e.object_type, e.object_id) for e in events}
    assert any("2 titles" in e.detail for e in events)


def test_a_failure_midway_leaves_the_titles_unchanged_too(client_for, project, table):
    named = m.Document.objects.create(
        project=project, name="interview-Fatima-2026.docx", text="Jongere: ja.\n"
    )
    memo = m.Memo.objects.create(project=project, name="Over Fatima", text="x")
    broken = m.Document.objects.create(project=project, name="kapot", text="Bram zegt ja.")
    m.Segment.objects.create(document=broken, start=0, end=400)
    apply(client_for("researcher"), project)
    named.refresh_from_db()
    memo.refresh_from_db()
    assert named.name == "interview-Fatima-2026.docx" and memo.name == "Over Fatima"


def test_a_title_a_long_pseudonym_makes_too_long_is_cut_to_the_field(client_for, project):
    m.PseudonymEntry.objects.create(project=project, real_name="Bo", pseudonym="B" * 60)
    document = m.Document.objects.create(project=project, name="x" * 190 + " Bo", text="ja")
    apply(client_for("researcher"), project)
    document.refresh_from_db()
    assert len(document.name) == 200 and document.name.startswith("x" * 190 + " BB")
