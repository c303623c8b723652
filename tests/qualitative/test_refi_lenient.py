"""Issue 14, item 3: accept what real tools write, and report what is lost.

Each fixture is the JIM project exported by yim and then bent the way ATLAS.ti, MAXQDA, NVivo
or QualCoder bend it; the import keeps everything yim models and says what it changed.
"""

from datetime import UTC, datetime

import pytest

from tests.qualitative.fixtures import minimal_text_pdf
from tests.qualitative.refi_fixtures import (
    ANNA,
    EMOTIONAL,
    PARENT_SRC,
    TRUST,
    YOUTH_SRC,
    YOUTH_TEXT,
    G,
    jim_project,
    rezip,
    unzip,
)
from yim.qualitative.refi.export import export_qdc, export_qdpx
from yim.qualitative.refi.importer import (
    import_qdc,
    import_qdpx,
    project_metadata_not_kept,
)
from yim.qualitative.refi.report import gettext_noop, translated

YOUTH_FILE = f"sources/{YOUTH_SRC}.txt"
PARENT_FILE = f"sources/{PARENT_SRC}.txt"


def files() -> dict[str, bytes]:
    return unzip(export_qdpx(jim_project()))


def edited(qde_edit=None, rename=None, extra=None) -> bytes:
    content = files()
    if qde_edit:
        content["project.qde"] = qde_edit(content["project.qde"])
    for old, new in (rename or {}).items():
        content[new] = content.pop(old)
    content.update(extra or {})
    return rezip(content)


def kinds(result) -> list[str]:
    return [issue.kind for issue in result.report.issues]


# --- Packaging ------------------------------------------------------------------------------


def test_a_qde_with_another_name_upper_case_names_and_a_sources_folder_are_accepted():
    data = edited(
        qde_edit=lambda q: q.replace(b".txt", b".TXT"),
        rename={
            "project.qde": "MAXQDA Projekt.QDE",
            YOUTH_FILE: f"Sources/{YOUTH_SRC}.TXT",
            PARENT_FILE: f"Sources/{PARENT_SRC}.TXT",
        },
    )
    result = import_qdpx(data)
    assert result.project == jim_project()
    assert result.warnings == (
        "archive entry 'MAXQDA Projekt.QDE': the project file is not named project.qde; "
        "it was read as the project file",
    )


def test_a_project_inside_one_folder_of_the_archive_is_found_with_its_sources():
    content = {f"JIM export/{name}": data for name, data in files().items()}
    result = import_qdpx(rezip(content))
    assert result.project == jim_project()
    assert "inside a folder" in result.warnings[0]


def test_a_standard_project_qde_wins_over_other_qde_files_which_are_reported():
    data = edited(extra={"backup.qde": b"<old/>"})
    result = import_qdpx(data)
    assert result.project == jim_project()
    assert "archive entries backup.qde" in result.warnings[0]


@pytest.mark.parametrize(
    "path",
    [
        f"internal://sources/{YOUTH_SRC}.txt",  # the folder repeated
        f"internal:///{YOUTH_SRC}.txt",  # a third slash
        f"{YOUTH_SRC}.txt",  # no scheme
        "internal://Interview%20jongere.txt",  # another name, percent-encoded
        "relative://C:\\Users\\anna\\Interview jongere.txt",  # "relative", but in the archive
    ],
)
def test_non_standard_plain_text_paths_are_read_and_reported(path):
    name = "Interview jongere.txt" if "jongere" in path else f"{YOUTH_SRC}.txt"
    data = edited(
        qde_edit=lambda q: q.replace(f"internal://{YOUTH_SRC}.txt".encode(), path.encode()),
        rename={YOUTH_FILE: f"sources/{name}"},
    )
    result = import_qdpx(data)
    assert result.project == jim_project()
    [issue] = result.report.issues
    assert issue.kind == "adjusted" and issue.problem == f"the non-standard path {path!r}"
    assert issue.place.startswith("TextSource 'Interview jongere B1' (line ")


def test_names_that_differ_only_in_case_or_braces_are_read_without_a_report():
    def edit(qde):
        qde = qde.replace(
            f"internal://{YOUTH_SRC}.txt".encode(), f"internal://{YOUTH_SRC.upper()}.TXT".encode()
        )
        return qde.replace(
            f"internal://{PARENT_SRC}.txt".encode(), f"internal://{{{PARENT_SRC}}}.txt".encode()
        )

    renamed = {PARENT_FILE: f"sources/{{{PARENT_SRC}}}.txt"}
    result = import_qdpx(edited(qde_edit=edit, rename=renamed))
    assert result.project == jim_project()
    assert result.warnings == ()


def test_an_archive_entry_the_project_does_not_use_is_reported_not_read():
    result = import_qdpx(edited(extra={"sources/notes.docx": b"PK junk"}))
    assert result.warnings == (
        "archive entries sources/notes.docx: 1 file(s) the project does not refer to; "
        "they were not read",
    )


# --- The XML ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1:0", "0:4", "1.1"])
def test_the_codebook_namespaces_of_other_tools_are_accepted(version):
    data = export_qdc(jim_project()).replace(
        b"urn:QDA-XML:codebook:1.0", f"urn:QDA-XML:codebook:{version}".encode()
    )
    result = import_qdc(data)
    assert result.codebook == jim_project().codebook()
    assert result.warnings == (
        f"codebook.qdc, root element: the namespace is 'urn:QDA-XML:codebook:{version}' instead "
        "of 'urn:QDA-XML:codebook:1.0'; the file was read as urn:QDA-XML:codebook:1.0",
    )


def test_a_project_namespace_with_a_colon_is_accepted():
    data = edited(qde_edit=lambda q: q.replace(b"project:1.0", b"project:1:0"))
    result = import_qdpx(data)
    assert result.project == jim_project()
    assert kinds(result) == ["adjusted"]


def test_unknown_elements_and_attributes_are_left_out_and_reported():
    def edit(qde):
        qde = qde.replace(
            b"<Users>", b'<MaxqdaInfo version="24"><Coding guid="x"/></MaxqdaInfo><Users>'
        )
        qde = qde.replace(b'<Project xmlns="urn:QDA-XML:project:1.0"', b'<Project colorScheme="x"')
        qde = qde.replace(b'name="Anna"', b'name="Anna" xmlns:n="urn:nvivo" n:role="owner"')
        return qde.replace(b'colorScheme="x"', b'xmlns="urn:QDA-XML:project:1.0" colorScheme="x"')

    result = import_qdpx(edited(qde_edit=edit))
    assert result.project == jim_project()
    text = "\n".join(result.warnings)
    assert "element 'MaxqdaInfo' (1×, first at line 2): the REFI-QDA schema does not know" in text
    assert "attribute 'colorScheme' of Project" in text
    assert "attribute '{urn:nvivo}role' of User" in text
    assert set(kinds(result)) == {"ignored"}
    # the coding inside the unknown element is in the file, was not imported, and is counted
    assert result.report.dropped_codings == 1


def test_children_out_of_the_schemas_order_are_put_in_order_without_loss():
    def edit(qde):
        # NoteRef before the codings of a selection, Description after the texts of a source
        selection_start = qde.index(b"<PlainTextSelection ")
        end = qde.index(b"</PlainTextSelection>", selection_start)
        block = qde[selection_start:end]
        own = block.rindex(b"<NoteRef")  # the selection's own memo link, after its codings
        note = block[own : block.index(b"/>", own) + 2]
        moved = block[:own] + block[own + len(note) :]
        moved = moved.replace(b"<Coding ", note + b"<Coding ", 1)
        return qde[:selection_start] + moved + qde[end:]

    result = import_qdpx(edited(qde_edit=edit))
    assert result.project == jim_project()
    assert "put in the schema's order; nothing was lost" in result.warnings[0]


def test_net_time_stamps_with_seven_decimals_are_read():
    def edit(qde):
        return qde.replace(
            b'creationDateTime="2025-03-04T10:30:15+00:00"',
            b'creationDateTime="2025-03-04T10:30:15.1234567Z"',
            1,
        )

    result = import_qdpx(edited(qde_edit=edit))
    assert result.warnings == ()
    assert result.project.creation_datetime == datetime(2025, 3, 4, 10, 30, 15, 123456, UTC)


def test_duplicate_guids_get_a_new_guid_and_references_keep_the_first():
    def edit(qde):
        # the second selection of the youth transcript uses the GUID of the first
        return qde.replace(f'guid="{G(41)}"'.encode(), f'guid="{G(40)}"'.encode())

    result = import_qdpx(edited(qde_edit=edit))
    [issue] = result.report.issues
    assert f"GUID {G(40)} is already used by PlainTextSelection 'JIM hielp'" in issue.problem
    selections = result.project.sources[0].selections
    assert selections[0].guid == G(40) and selections[1].guid not in (G(40), G(41))
    assert result.project.cases[0].selection_refs == (G(40),)
    assert result.report.dropped_codings == 0


def test_a_utf16_source_and_a_byte_order_mark_are_read_and_reported():
    data = edited(
        extra={
            YOUTH_FILE: YOUTH_TEXT.encode("utf-16"),
            PARENT_FILE: b"\xef\xbb\xbf" + files()[PARENT_FILE],
        }
    )
    result = import_qdpx(data)
    assert result.project == jim_project()
    assert [i.problem.split(" ", 1)[1] for i in result.report.issues] == [
        "is UTF-16 instead of the UTF-8 that REFI-QDA requires",
        "starts with a byte-order mark",
    ]


def test_rich_text_and_modification_metadata_are_reported_as_not_kept():
    def edit(qde):
        return qde.replace(
            f'<TextSource guid="{YOUTH_SRC}"'.encode(),
            f'<TextSource guid="{YOUTH_SRC}" richTextPath="internal://{G(99)}.docx" '
            f'modifyingUser="{ANNA}" modifiedDateTime="2025-05-01T09:00:00Z"'.encode(),
        )

    result = import_qdpx(edited(qde_edit=edit, extra={f"sources/{G(99)}.docx": b"PK"}))
    assert result.project == jim_project()
    lines = result.warnings
    assert any("formatted originals (richTextPath)" in w and f"{G(99)}.docx" in w for w in lines)
    assert any(
        "modifyingUser, modifiedDateTime" in w and "Interview jongere B1" in w for w in lines
    )
    assert set(kinds(result)) == {"not kept"}  # the .docx counts as referenced, not unused


def test_the_projects_creator_and_dates_are_reported_as_not_kept_by_a_yim_project():
    created, changed = project_metadata_not_kept(jim_project())
    assert {created.kind, changed.kind} == {"not kept"}
    assert created.problem == ("the file says it was created by Anna on 2025-03-04T10:30:15+00:00")
    assert changed.problem.startswith("the file says it was last changed by Bram on 2025-03-04")


def test_report_messages_keep_their_msgid_and_parameters_for_translation():
    inner = gettext_noop("%(element)s (line %(line)s)", element="Coding x", line=3)
    outer = gettext_noop("GUID %(guid)s is already used by %(first)s", guid="g", first=inner)
    assert outer == "GUID g is already used by Coding x (line 3)"
    dutch = {
        "%(element)s (line %(line)s)": "%(element)s (regel %(line)s)",
        "GUID %(guid)s is already used by %(first)s": "GUID %(guid)s is al van %(first)s",
    }
    assert translated(outer.to_json(), lambda m: dutch.get(m, m)) == (
        "GUID g is al van Coding x (regel 3)"
    )
    assert translated("plain text", lambda m: "nooit") == "plain text"


# --- PDF, audio and video sources -------------------------------------------------------------

PDF_LINES = ["Interviewer: Hoe ging het?", "Jongere: Goed, de JIM hielp echt."]


def pdf_project(body: bytes, pdf: bytes | None = None) -> bytes:
    extra = {} if pdf is None else {f"sources/{G(90)}.pdf": pdf}
    return edited(
        qde_edit=lambda q: q.replace(
            b"</Sources>",
            f'<PDFSource guid="{G(90)}" name="verslag.pdf" path="internal://{G(90)}.pdf">'.encode()
            + body
            + b"</PDFSource></Sources>",
        ),
        extra=extra,
    )


def coding(n: int, code: str = EMOTIONAL) -> bytes:
    return f'<Coding guid="{G(n)}"><CodeRef targetGUID="{code}"/></Coding>'.encode()


def area(n: int, quoted: str | None) -> bytes:
    representation = (
        f'<Representation guid="{G(n + 1)}"><PlainTextContent>{quoted}</PlainTextContent>'
        "</Representation>"
        if quoted is not None
        else ""
    )
    return (
        f'<PDFSelection guid="{G(n)}" page="1" firstX="1" firstY="1" secondX="9" secondY="9">'
        f"{representation}".encode()
        + coding(n + 2)
        + b"</PDFSelection>"
    )


def test_a_pdf_source_keeps_its_extracted_text_and_the_codings_that_can_be_placed():
    body = area(100, "de JIM hielp") + area(110, "Goed") + area(120, None)
    body += coding(130, TRUST)  # a coding of the whole PDF
    result = import_qdpx(pdf_project(body, minimal_text_pdf(PDF_LINES)))
    pdf = next(s for s in result.project.sources if s.guid == G(90))
    assert pdf.name == "verslag.pdf"
    assert "de JIM hielp echt" in pdf.text
    placed = {s.guid: pdf.text[s.start : s.end] for s in pdf.selections}
    assert placed == {G(100): "de JIM hielp", G(110): "Goed"}
    assert [c.code_guid for c in pdf.codings] == [TRUST]
    assert result.report.dropped_codings == 1  # the area without text of its own
    dropped = [i for i in result.report.issues if i.codings]
    assert len(dropped) == 1 and dropped[0].place.startswith(f"PDFSelection {G(120)}")
    assert any("the PDF file itself is not kept" in w for w in result.warnings)


def test_a_pdf_with_a_text_representation_uses_it_with_its_selections():
    text = "Verslag: de JIM hielp."
    body = (
        f'<Representation guid="{G(140)}" plainTextPath="internal://{G(140)}.txt">'.encode()
        + f'<PlainTextSelection guid="{G(141)}" startPosition="9" endPosition="21">'.encode()
        + coding(142)
        + b"</PlainTextSelection></Representation>"
    )
    data = pdf_project(body)  # no PDF file at all: the representation is enough
    content = unzip(data)
    content[f"sources/{G(140)}.txt"] = text.encode()
    result = import_qdpx(rezip(content))
    pdf = next(s for s in result.project.sources if s.guid == G(90))
    assert pdf.text == text
    [selection] = pdf.selections
    assert text[selection.start : selection.end] == "de JIM hielp"
    assert result.report.dropped_codings == 0


def test_a_pdf_without_text_is_dropped_with_its_codings_counted():
    result = import_qdpx(pdf_project(area(100, "x"), b"%PDF-1.4 broken"))
    assert G(90) not in {s.guid for s in result.project.sources}
    assert result.report.dropped_codings == 1
    assert any("no text could be extracted" in w for w in result.warnings)


def audio_project() -> bytes:
    transcript = "Interviewer: Hoe gaat het?\nJongere: Goed.\n"
    second = transcript.index("Jongere")
    body = (
        f'<AudioSource guid="{G(200)}" name="opname.m4a" path="absolute:///x.m4a">'
        f'<Transcript guid="{G(201)}" name="Transcript opname">'
        f"<PlainTextContent>{transcript}</PlainTextContent>"
        f'<SyncPoint guid="{G(202)}" timeStamp="0" position="0"/>'
        f'<SyncPoint guid="{G(203)}" timeStamp="65500" position="{second}"/>'
        f'<SyncPoint guid="{G(204)}" timeStamp="70000" position="{len(transcript) - 1}"/>'
        f'<TranscriptSelection guid="{G(205)}" fromSyncPoint="{G(203)}" toSyncPoint="{G(204)}">'
    ).encode()
    body += coding(206) + b"</TranscriptSelection></Transcript>"
    body += f'<AudioSelection guid="{G(207)}" begin="0" end="65500">'.encode()
    body += coding(208) + b"</AudioSelection>"
    body += f'<AudioSelection guid="{G(209)}" begin="100" end="200">'.encode()
    body += coding(210) + b"</AudioSelection>"
    body += coding(211, TRUST) + b"</AudioSource>"
    return edited(
        qde_edit=lambda q: q.replace(b"</Sources>", body + b"</Sources>").replace(
            f'<SourceRef targetGUID="{YOUTH_SRC}"/>'.encode(),
            f'<SourceRef targetGUID="{YOUTH_SRC}"/><SourceRef targetGUID="{G(200)}"/>'.encode(),
        )
    )


def test_an_audio_source_keeps_its_transcript_as_text_with_time_stamps_and_codings():
    result = import_qdpx(audio_project())
    document = next(s for s in result.project.sources if s.guid == G(201))
    assert document.name == "Transcript opname"
    assert document.text == (
        "[00:00:00] Interviewer: Hoe gaat het?\n[00:01:05.500] Jongere: Goed.[00:01:10] \n"
    )
    spans = {s.guid: document.text[s.start : s.end] for s in document.selections}
    assert spans == {
        G(205): "Jongere: Goed.",
        G(207): "Interviewer: Hoe gaat het?\n",
    }
    assert [c.code_guid for c in document.codings] == [TRUST]
    # the case that pointed at the recording now points at its transcript
    assert result.project.cases[0].source_refs == (YOUTH_SRC, G(201))
    assert result.report.dropped_codings == 1  # the time range without sync points
    assert result.report.codings_in_file == 9 and result.report.codings_imported == 8
    assert any(
        "not audio files" in w and "recording itself is not kept" in w for w in result.warnings
    )


def test_speaker_turns_are_still_found_after_the_time_marks():
    from yim.qualitative.transcripts import find_turns

    document = next(s for s in import_qdpx(audio_project()).project.sources if s.guid == G(201))
    assert [t.speaker for t in find_turns(document.text)] == ["Interviewer", "Jongere"]
