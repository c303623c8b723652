"""REFI-QDA exchange, transcript import and segment exports through the web pages."""

import csv
import io
import zipfile
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.qualitative.fixtures import docx_bytes
from tests.qualitative.refi_fixtures import EMOTIONAL, YOUTH_SRC, G, jim_project, rezip, unzip
from tests.qualitative.test_models import counts
from tests.qualitative.web_fixtures import TRANSCRIPT, utf16
from yim.qualitative import models as m
from yim.qualitative.convert import import_refi_project, project_to_refi
from yim.qualitative.refi.export import export_qdc, export_qdpx, validate_qdc, validate_qde
from yim.qualitative.refi.importer import import_qdpx
from yim.qualitative.refi.model import Code, Codebook

pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def export_of(client, project) -> bytes:
    response = client.get(f"/qualitative/{project.pk}/export.qdpx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_exported_qdpx_and_qdc_validate_against_the_official_schemas(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    client.post(
        f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
        {"start": 0, "end": 11, "codes": [codes["home"].pk]},
        content_type="application/json",
    )
    archive = export_of(client, project)
    files = unzip(archive)
    validate_qde(files["project.qde"])
    assert files[f"sources/{document.guid}.txt"].decode("utf-8") == TRANSCRIPT
    qdc = client.get(f"/qualitative/{project.pk}/export.qdc").content
    validate_qdc(qdc)
    assert b"Emotionele steun" in qdc


def test_a_project_exported_and_imported_again_through_the_web_loses_nothing(client_for):
    client = client_for("researcher")
    original = export_qdpx(jim_project())
    response = client.post("/qualitative/import/", {"file": upload("jim.qdpx", original)})
    assert response.status_code == 302, response.content[:2000]
    first = m.Project.objects.get(name="JIM triade-interviews")
    exported = export_of(client, first)
    response = client.post(
        "/qualitative/import/", {"file": upload("again.qdpx", exported), "name": "Kopie"}
    )
    assert response.status_code == 302
    second = m.Project.objects.get(name="Kopie")
    again = export_of(client, second)
    one = import_qdpx(exported).project
    two = import_qdpx(again).project
    assert replace(two, name=one.name) == one
    # Nothing of the original fixture went missing on the way.
    source = jim_project()
    assert {c.guid for c, _ in one.iter_codes()} == {c.guid for c, _ in source.iter_codes()}
    assert sorted(s.guid for d in one.sources for s in d.selections) == sorted(
        s.guid for d in source.sources for s in d.selections
    )
    assert {n.guid for n in one.notes} == {n.guid for n in source.notes}
    assert one.cases[0].variable_values and {c.guid for c in one.cases} == {
        c.guid for c in source.cases
    }
    assert {(v.guid, v.type) for v in one.variables} == {(v.guid, v.type) for v in source.variables}
    assert first.memberships.get().user.username == "researcher"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>
"""


def _broken_files() -> dict[str, bytes]:
    good = unzip(export_qdpx(jim_project()))
    broken_reference = dict(good)
    broken_reference["project.qde"] = good["project.qde"].replace(
        EMOTIONAL.encode(), G(999).encode(), 1
    )
    out_of_range = dict(good)
    out_of_range["project.qde"] = good["project.qde"].replace(
        b'endPosition="', b'endPosition="9', 1
    )
    return {
        "dangling code reference": rezip(broken_reference),
        "selection beyond the text": rezip(out_of_range),
    }


def _hostile_files() -> dict[str, bytes]:
    good = unzip(export_qdpx(jim_project()))
    bomb = dict(good)
    bomb[f"sources/{YOUTH_SRC}.txt"] = b"0" * (30 * 1024 * 1024)
    return {
        "not a zip": b"this is not an archive",
        "entities": rezip({"project.qde": BILLION_LAUGHS}),
        "zip bomb": rezip(bomb),
        "climbing entry": rezip({**good, "../../etc/passwd": b"x"}),
        "no project.qde": rezip({f"sources/{G(5)}.txt": b"x"}),
    }


@pytest.mark.parametrize("case", list(_hostile_files()))
def test_a_hostile_or_broken_qdpx_is_refused_and_the_project_is_unchanged(
    client_for,
    project,
    document,
    codes,
    case,
):
    data = _hostile_files()[case]
    before = counts(project)
    export_before = project_to_refi(project)
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("x.qdpx", data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert "nothing was changed" in errors[0]
    assert counts(project) == before
    assert project_to_refi(project) == export_before


@pytest.mark.parametrize("case", list(_broken_files()))
def test_a_broken_qdpx_is_imported_as_far_as_is_safe_and_the_report_says_what_was_lost(
    client_for,
    project,
    case,
):
    client = client_for("researcher")
    response = client.post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("broken.qdpx", _broken_files()[case])},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == f"/qualitative/{project.pk}/import-report/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Import report" in text and "broken.qdpx" in text
    # the first case renames the code "Emotionele steun", so both its codings lose their code
    expected = {
        "dangling code reference": f"it applies code {EMOTIONAL}, which is not in the codebook",
        "selection beyond the text": "does not fit the text, which has",
    }[case]
    assert expected in text
    assert "Codings: 3 of 5 were imported; 2 could not be kept." in text
    assert m.Coding.objects.filter(document__project=project).count() == 3
    # the report belongs to this project and this session: others are sent to the project
    assert client.get(f"/qualitative/{project.pk}/").status_code == 200


def test_the_import_report_is_shown_in_dutch_down_to_each_problem(client_for, project):
    client = client_for("researcher")
    response = client.post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("kapot.qdpx", _broken_files()["dangling code reference"])},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Importverslag" in page
    assert "Coderingen: 3 van de 5 zijn geïmporteerd; 2 konden niet behouden blijven." in page
    assert f"het gebruikt code {EMOTIONAL}, die niet in het codeboek staat" in page
    assert f"Coding {G(80)} (regel 2)" in page
    assert "niet geïmporteerd</strong>: de codering is weggelaten" in page


def test_the_import_report_page_without_a_report_leads_to_the_project(client_for, project):
    response = client_for("researcher").get(f"/qualitative/{project.pk}/import-report/")
    assert response.status_code == 302 and response["Location"] == f"/qualitative/{project.pk}/"


def test_a_lying_archive_is_refused_with_a_translated_message_naming_the_file(client_for, project):
    from tests.qualitative.test_refi_memory import lying_qdpx

    data = lying_qdpx(f"sources/{YOUTH_SRC}.txt", 64 * 1024 * 1024)
    before = counts(project)
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("x.qdpx", data)},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 400
    error = response.context["form"].errors["file"][0]
    assert "Het bestand is niet geïmporteerd" in error
    assert f"sources/{YOUTH_SRC}.txt" in error and "zip-bom" in error
    assert counts(project) == before


def test_the_per_source_limit_comes_from_the_settings(client_for, project, settings):
    settings.REFI_MAX_SOURCE_BYTES = 50
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("x.qdpx", export_qdpx(jim_project()))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    error = response.context["form"].errors["file"][0]
    assert f"the file sources/{YOUTH_SRC}.txt in the archive unpacks to more than 50" in error


def test_importing_the_same_project_twice_into_one_project_is_refused_cleanly(
    client_for,
    project,
):
    data = export_qdpx(jim_project())
    client = client_for("researcher")
    assert (
        client.post(
            f"/qualitative/{project.pk}/import/", {"file": upload("a.qdpx", data)}
        ).status_code
        == 302
    )
    before = counts(project)
    response = client.post(
        f"/qualitative/{project.pk}/import/",
        {"file": upload("a.qdpx", data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "already in this project" in response.context["form"].errors["file"][0]
    assert counts(project) == before


def test_a_hostile_file_as_a_new_project_creates_no_project(client_for):
    before = m.Project.objects.count()
    response = client_for("researcher").post(
        "/qualitative/import/", {"file": upload("x.qdpx", _hostile_files()["entities"])}
    )
    assert response.status_code == 400
    assert m.Project.objects.count() == before


def test_a_file_with_the_wrong_extension_is_refused_on_the_field(client_for, project):
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/import/", {"file": upload("x.zip", b"PK")}
    )
    assert response.status_code == 400 and "file" in response.context["form"].errors


def test_a_codebook_import_adds_codes_and_a_broken_one_changes_nothing(
    client_for,
    project,
    codes,
):
    client = client_for("researcher")
    book = Codebook((Code(G(300), "Netwerk", children=(Code(G(301), "Buren"),)),))
    response = client.post(
        f"/qualitative/{project.pk}/import-codebook/", {"file": upload("b.qdc", export_qdc(book))}
    )
    assert response.status_code == 302
    assert project.codes.get(guid=G(301)).parent.guid == G(300)
    before = counts(project)
    broken = export_qdc(book).replace(b"</CodeBook>", b"")
    response = client.post(
        f"/qualitative/{project.pk}/import-codebook/", {"file": upload("b.qdc", broken)}
    )
    assert response.status_code == 400
    assert counts(project) == before


# ---------------------------------------------------------------------------------------------
# Transcripts


def test_a_txt_transcript_is_imported_with_turns_and_pseudonyms_applied(
    client_for,
    project,
):
    m.PseudonymEntry.objects.create(project=project, real_name="Anna de Vries", pseudonym="Lotte")
    m.PseudonymEntry.objects.create(project=project, real_name="Anna", pseudonym="Lotte")
    participant = m.Participant.objects.create(project=project, name="Jongere A1")
    text = "Interviewer: Hoe gaat het met Anna?\r\nJongere: Anna de Vries is mijn JIM 😊.\r\n"
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/transcripts/",
        {"file": upload("a1.txt", text.encode()), "participant": participant.pk},
    )
    assert response.status_code == 302
    document = project.documents.get()
    assert "Anna" not in document.text and document.text.count("Lotte") == 2
    assert "\r" not in document.text
    assert [t.speaker for t in document.turns.all()] == ["Interviewer", "Jongere"]
    assert list(participant.documents.all()) == [document]


def test_a_docx_transcript_is_imported(client_for, project):
    data = docx_bytes(["Interviewer: Vertel eens.", "Moeder: Het ging goed, één keer niet."])
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/transcripts/", {"file": upload("moeder.docx", data)}
    )
    assert response.status_code == 302
    assert "één keer niet" in project.documents.get().text


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.txt", b"%PDF-1.4 not really text"),
        ("script.exe", b"MZ..."),
        ("fake.docx", b"<html>not a docx</html>"),
        ("empty.txt", b"   \n  "),
    ],
)
def test_a_bad_transcript_gets_an_error_on_the_field_and_nothing_is_saved(
    client_for,
    project,
    name,
    data,
):
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/transcripts/", {"file": upload(name, data)}
    )
    assert response.status_code == 400
    assert response.context["upload_form"].errors["file"]
    assert not project.documents.exists()


def test_a_transcript_over_the_size_limit_is_refused_before_it_is_read(
    client_for,
    project,
    monkeypatch,
):
    from yim.qualitative import forms

    monkeypatch.setattr(forms, "MAX_TRANSCRIPT_BYTES", 100)
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/transcripts/", {"file": upload("big.txt", b"x" * 101)}
    )
    assert response.status_code == 400
    assert not project.documents.exists()


# ---------------------------------------------------------------------------------------------
# Segment exports


@pytest.fixture
def coded(client_for, project, document, codes):
    youth = m.Participant.objects.create(project=project, name="Jongere A1")
    youth.documents.add(document)
    role = project.variables.get(name="role")
    m.AttributeValue.objects.create(variable=role, participant=youth, value="youth")
    client = client_for("researcher")
    for fragment, code in [("de JIM hielp", "emotional"), ("rustiger", "home")]:
        start, end = utf16(TRANSCRIPT, fragment)
        client.post(
            f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
            {"start": start, "end": end, "codes": [codes[code].pk]},
            content_type="application/json",
        )
    return client


def test_segments_filtered_by_code_and_attribute_export_as_csv_xlsx_and_docx(
    coded,
    project,
    codes,
):
    role = project.variables.get(name="role")
    base = (
        f"/qualitative/{project.pk}/segments/"
        f"?code={codes['theme'].pk}&variable={role.pk}&value=youth"
    )
    page = coded.get(base)
    assert [r.text for r in page.context["rows"]] == ["de JIM hielp"]  # sub-code of the theme
    rows = list(
        csv.reader(io.StringIO(coded.get(base + "&format=csv").content.decode("utf-8-sig")))
    )
    assert rows[0][:2] == ["code", "document"] and "role" in rows[0]
    assert [r[rows[0].index("text")] for r in rows[1:]] == ["de JIM hielp"]
    xlsx = coded.get(base + "&format=xlsx").content
    assert zipfile.is_zipfile(io.BytesIO(xlsx))
    docx = coded.get(base + "&format=docx")
    assert docx["Content-Disposition"].endswith('.docx"')
    assert zipfile.is_zipfile(io.BytesIO(docx.content))
    nobody = coded.get(
        f"/qualitative/{project.pk}/segments/?variable={role.pk}&value=parent&format=csv"
    )
    assert len(list(csv.reader(io.StringIO(nobody.content.decode("utf-8-sig"))))) == 1


def test_the_segment_list_query_count_does_not_grow_with_rows(
    coded,
    project,
    document,
    codes,
    django_assert_max_num_queries,
):
    for i in range(30):
        segment = m.Segment.objects.create(document=document, start=i, end=i + 3)
        m.Coding.objects.create(document=document, segment=segment, code=codes["home"])
    with django_assert_max_num_queries(22):  # constant: filters' choices, session, audit
        response = coded.get(f"/qualitative/{project.pk}/segments/")
    assert len(response.context["rows"]) == 25


def test_the_project_list_query_count_does_not_grow_with_projects(
    world, client_for, django_assert_max_num_queries
):
    for i in range(30):
        p = m.Project.objects.create(name=f"P{i:02d}")
        m.Membership.objects.create(project=p, user=world.researcher, role="owner")
    client = client_for("researcher")
    with django_assert_max_num_queries(12):
        response = client.get("/qualitative/")
    assert len(response.context["page"].object_list) == 25


def test_an_imported_project_page_lists_documents_in_bounded_queries(
    world, client_for, django_assert_max_num_queries
):
    project = m.Project.objects.create(name="groot")
    m.Membership.objects.create(project=project, user=world.researcher, role="owner")
    import_refi_project(jim_project(), project)
    client = client_for("researcher")
    with django_assert_max_num_queries(20):
        assert client.get(f"/qualitative/{project.pk}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/qualitative/{project.pk}/participants/").status_code == 200
