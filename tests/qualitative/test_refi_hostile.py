"""Hostile REFI-QDA input is refused with a specific error; broken input is imported as far as
is safe, and every problem is in the import report with its place."""

import io
import zipfile

import pytest

from tests.qualitative.refi_fixtures import (
    CASE_YOUTH,
    SEL_JIM,
    YOUTH_SRC,
    G,
    honest_entries,
    jim_project,
    raw_zip,
    rezip,
    unzip,
)
from yim.qualitative.refi.errors import (
    MalformedXmlError,
    MissingSourceError,
    ProjectIntegrityError,
    RefiError,
    SchemaValidationError,
    UnsafeArchiveError,
    UnsafePathError,
    UnsafeXmlError,
)
from yim.qualitative.refi.export import export_qdc, export_qde, export_qdpx
from yim.qualitative.refi.importer import import_qdc, import_qde, import_qdpx
from yim.qualitative.refi.safety import ArchiveLimits, read_entry

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol4;"/>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>
"""


def qdpx_with(qde_edit=None, files=None, drop=()):
    """The fixture project's .qdpx with project.qde edited and entries added or removed."""
    content = unzip(export_qdpx(jim_project()))
    if qde_edit:
        content["project.qde"] = qde_edit(content["project.qde"])
    for name in drop:
        del content[name]
    content.update(files or {})
    return rezip(content)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_xml_with_entities_is_refused_in_every_entry_point(xml):
    with pytest.raises(UnsafeXmlError, match="DTD, entity"):
        import_qdpx(rezip({"project.qde": xml}))
    with pytest.raises(UnsafeXmlError):
        import_qde(xml)
    with pytest.raises(UnsafeXmlError):
        import_qdc(xml.replace(b"Project", b"CodeBook"))


def test_a_zip_bomb_entry_is_refused_by_its_compression_ratio():
    bomb = qdpx_with(files={f"sources/{YOUTH_SRC}.txt": b"0" * (30 * 1024 * 1024)})
    with pytest.raises(UnsafeArchiveError, match=r"expands more than 100 times.*zip bomb"):
        import_qdpx(bomb)


def test_an_entry_the_project_does_not_refer_to_is_never_read_and_is_reported():
    bomb = qdpx_with(files={f"sources/{G(77)}.txt": b"0" * (30 * 1024 * 1024)})
    result = import_qdpx(bomb)
    assert result.project == jim_project()
    assert any(f"sources/{G(77)}.txt" in w and "not read" in w for w in result.warnings)


def test_an_archive_larger_than_the_total_limit_is_refused():
    limits = ArchiveLimits(max_total_uncompressed=1000)
    with pytest.raises(UnsafeArchiveError, match="more than 1000 bytes in total"):
        import_qdpx(export_qdpx(jim_project()), limits=limits)


def test_an_archive_with_too_many_entries_is_refused():
    many = {f"junk/{i}.txt": b"" for i in range(10_001)}
    with pytest.raises(UnsafeArchiveError, match="10004 entries; at most 10000"):
        import_qdpx(qdpx_with(files=many))


def test_an_entry_larger_than_the_per_entry_limit_is_refused():
    data = export_qdpx(jim_project())
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo(f"sources/{YOUTH_SRC}.txt").file_size
    limit_message = rf"sources/{YOUTH_SRC}.txt' unpacks to more than {size - 1} bytes"
    with pytest.raises(UnsafeArchiveError, match=limit_message):
        import_qdpx(data, limits=ArchiveLimits(max_entry_uncompressed=size - 1))


def test_reading_an_entry_stops_at_the_limit_whatever_the_header_says():
    archive = zipfile.ZipFile(io.BytesIO(rezip({"a.txt": b"x" * 100})))
    assert read_entry(archive, "a.txt", 100) == b"x" * 100
    with pytest.raises(UnsafeArchiveError, match="more than 99 bytes"):
        read_entry(archive, "a.txt", 99)


@pytest.mark.parametrize(
    "name", ["../evil.txt", "sources/../../evil.txt", "/etc/passwd", "C:/x.txt", "a\\..\\b"]
)
def test_entries_that_climb_out_of_the_archive_or_are_absolute_are_refused(name):
    with pytest.raises(UnsafePathError, match=repr(name).replace("\\", "\\\\")):
        import_qdpx(qdpx_with(files={name: b"x"}))


def youth_path(path):
    return lambda qde: qde.replace(f"internal://{YOUTH_SRC}.txt".encode(), path.encode())


@pytest.mark.parametrize(
    "path", ["internal://../../etc/passwd", "internal://sources/../../x.txt", "internal:///..\\x"]
)
def test_source_paths_that_climb_out_of_the_archive_are_refused(path):
    with pytest.raises(UnsafePathError, match="climbs out of the archive"):
        import_qdpx(qdpx_with(youth_path(path)))


# --- Bad input that is not unsafe: the rest is imported, every loss is in the report -------

YOUTH_CODINGS = 4  # two on "de JIM hielp", one on "écht", one on the whole source


def only(result, text):
    """The one issue of the report whose line contains ``text``."""
    found = [i for i in result.report.issues if text in str(i)]
    assert len(found) == 1, result.warnings
    return found[0]


@pytest.mark.parametrize("path", ["internal://sources/x.txt", "internal://evil.txt"])
def test_a_source_whose_file_is_not_in_the_archive_is_dropped_and_reported(path):
    result = import_qdpx(qdpx_with(youth_path(path)))
    issue = only(result, "is not in the archive")
    assert issue.place.startswith("TextSource 'Interview jongere B1' (line ")
    assert issue.codings == YOUTH_CODINGS and issue.kind == "dropped"
    assert [s.name for s in result.project.sources] == ["Interview vader B1"]
    assert result.report.dropped_codings == YOUTH_CODINGS
    assert result.report.sources_in_file == 2 and result.report.sources_imported == 1
    # references to the dropped source and its selections go, and say so
    assert result.project.cases[0].source_refs == ()
    assert result.project.cases[0].selection_refs == ()


def test_a_missing_source_file_is_reported_naming_the_source():
    result = import_qdpx(qdpx_with(drop=[f"sources/{YOUTH_SRC}.txt"]))
    issue = only(result, "not in the archive")
    assert "Interview jongere B1" in issue.place
    assert issue.codings == YOUTH_CODINGS


def test_a_source_that_is_not_utf8_is_dropped_and_reported():
    data = qdpx_with(files={f"sources/{YOUTH_SRC}.txt": "één keer".encode("cp1252")})
    result = import_qdpx(data)
    issue = only(result, "is not valid UTF-8 (byte 0)")
    assert issue.codings == YOUTH_CODINGS
    assert len(result.project.sources) == 1


def test_a_damaged_source_entry_is_dropped_and_reported():
    content = unzip(export_qdpx(jim_project()))
    entries = honest_entries(content)
    entries = [
        (name, stream, method, size, crc ^ 1 if name.startswith("sources/") else crc)
        for name, stream, method, size, crc in entries
    ]
    result = import_qdpx(raw_zip(entries))
    assert result.project.sources == ()
    assert result.report.dropped_codings == 5
    assert sum("CRC does not match" in w for w in result.warnings) == 2


def test_selections_beyond_the_end_of_their_text_are_dropped_and_the_rest_kept():
    result = import_qdpx(qdpx_with(files={f"sources/{YOUTH_SRC}.txt": b"kort"}))
    dropped = [i for i in result.report.issues if "does not fit the text" in i.problem]
    assert [i.codings for i in dropped] == [2, 1]
    assert "which has 4 characters" in dropped[0].problem
    youth = result.project.sources[0]
    assert youth.text == "kort" and youth.selections == () and len(youth.codings) == 1
    assert result.report.dropped_codings == 3
    # the case pointed at one of the dropped selections: that reference is removed, reported
    assert result.project.cases[0].selection_refs == ()
    only(result, "1 reference(s) (SelectionRef) point to nothing")


def test_a_selection_that_ends_before_it_starts_is_dropped():
    def edit(qde):
        return qde.replace(
            b'startPosition="45" endPosition="57"', b'startPosition="57" endPosition="45"'
        )

    result = import_qdpx(qdpx_with(edit))
    issue = only(result, "range [57, 45) does not fit")
    assert issue.place.startswith("PlainTextSelection 'JIM hielp'")
    assert issue.codings == 2
    assert SEL_JIM not in {s.guid for s in result.project.sources[0].selections}


def test_a_coding_of_an_unknown_code_is_dropped_and_counted():
    def edit(qde):
        return qde.replace(
            f'<CodeRef targetGUID="{G(11)}"'.encode(), f'<CodeRef targetGUID="{G(666)}"'.encode(), 1
        )

    result = import_qdpx(qdpx_with(edit))
    issue = only(result, f"applies code {G(666)}, which is not in the codebook")
    assert issue.codings == 1 and issue.place.startswith(f"Coding {G(80)}")
    assert result.report.dropped_codings == 1
    assert result.report.codings_in_file == 5 and result.report.codings_imported == 4


def test_a_code_without_is_codable_is_read_as_codable_and_reported():
    edit = lambda qde: qde.replace(b' isCodable="true"', b"", 1)  # noqa: E731
    result = import_qdpx(qdpx_with(edit))
    only(result, "the attribute isCodable is missing; it was read as true")
    assert result.project == jim_project()


def test_xml_whose_code_tree_does_not_match_the_schema_is_refused_with_a_line_number():
    edit = lambda qde: qde.replace(b' name="Vertrouwen"', b"", 1)  # noqa: E731
    with pytest.raises(SchemaValidationError, match=r"line \d+: .*'name' is required"):
        import_qdpx(qdpx_with(edit))


def test_broken_xml_non_zip_data_and_foreign_roots_are_refused():
    with pytest.raises(MalformedXmlError):
        import_qdpx(rezip({"project.qde": b"<Project"}))
    with pytest.raises(UnsafeArchiveError, match="not a readable"):
        import_qdpx(b"definitely not a zip")
    with pytest.raises(MissingSourceError, match=r"no \.qde project file"):
        import_qdpx(rezip({"other.xml": b"<a/>"}))
    with pytest.raises(MissingSourceError, match=r"2 \.qde project files"):
        import_qdpx(rezip({"a.qde": b"<a/>", "b.qde": b"<a/>"}))
    with pytest.raises(ProjectIntegrityError, match="expected CodeBook"):
        import_qdc(export_qde(jim_project()))
    with pytest.raises(ProjectIntegrityError, match="expected Project"):
        import_qdpx(rezip({"project.qde": b'<Project xmlns="urn:other"/>'}))


def test_a_bare_qde_pointing_at_internal_files_says_to_import_the_archive():
    qde = unzip(export_qdpx(jim_project()))["project.qde"]
    result = import_qde(qde)
    assert result.project.sources == ()
    assert sum("import the .qdpx archive instead" in w for w in result.warnings) == 2


def test_a_codebook_set_pointing_at_an_unknown_code_loses_that_member_only():
    data = export_qdc(jim_project()).replace(
        f'MemberCode guid="{G(11)}"'.encode(), f'MemberCode guid="{G(666)}"'.encode()
    )
    result = import_qdc(data)
    assert result.codebook.sets[0].member_codes == (G(12),)
    assert result.warnings == (
        "Set 'Steuncodes' (line 2): 1 member(s) are not codes of the codebook; "
        "those members were removed",
    )


def test_every_refusal_is_a_refi_error_and_a_value_error():
    assert issubclass(UnsafePathError, RefiError)
    assert issubclass(RefiError, ValueError)


# --- REFI §7: unsupported content is dropped with a warning, not fatal --------------------

PDF_SOURCE = (
    f'<PDFSource guid="{G(90)}" name="scan.pdf" path="internal://{G(90)}.pdf">'
    f'<PDFSelection guid="{G(91)}" page="1" firstX="0" firstY="0" secondX="5" secondY="5">'
    f'<Coding guid="{G(92)}"><CodeRef targetGUID="{G(11)}"/></Coding></PDFSelection>'
    "</PDFSource>"
).encode()
AUDIO_SOURCE = f'<AudioSource guid="{G(93)}" name="opname.m4a" path="absolute:///x.m4a"/>'.encode()
GRAPH = (
    f'<Graphs><Graph guid="{G(94)}" name="netwerk">'
    f'<Vertex guid="{G(95)}" firstX="1" firstY="1" shape="Person"/></Graph></Graphs>'
).encode()
EXTERNAL_TEXT = (
    f'<TextSource guid="{G(96)}" name="extern" plainTextPath="relative://a.txt"/>'.encode()
)


def test_unsupported_sources_graphs_and_external_files_are_dropped_with_warnings():
    def edit(qde):
        qde = qde.replace(b"</Sources>", PDF_SOURCE + AUDIO_SOURCE + EXTERNAL_TEXT + b"</Sources>")
        qde = qde.replace(b"<Description>Testproject", GRAPH + b"<Description>Testproject")
        # the case and the triad set also point at the PDF: those references go, with a warning
        qde = qde.replace(
            f'<SourceRef targetGUID="{YOUTH_SRC}"/>'.encode(),
            f'<SourceRef targetGUID="{YOUTH_SRC}"/><SourceRef targetGUID="{G(90)}"/>'.encode(),
        )
        return qde.replace(
            b"<MemberSource ", f'<MemberSource targetGUID="{G(96)}"/><MemberSource '.encode(), 1
        )

    result = import_qdpx(qdpx_with(edit, files={f"sources/{G(90)}.pdf": b"%PDF-1.4"}))
    text = "\n".join(result.warnings)
    assert "PDFSource 'scan.pdf' (line " in text and "no text could be extracted" in text
    assert "AudioSource 'opname.m4a' (line " in text and "it has none" in text
    assert "TextSource 'extern' (line " in text
    assert "its file is outside the archive (relative://a.txt)" in text
    assert "Graphs (line 3): 1 links or graphs in the file; yim does not import them" in text
    assert (
        "Case 'Jongere B1' (line " in text and "1 reference(s) (SourceRef) point to nothing" in text
    )
    assert "Set 'Triade B' (line " in text
    assert result.report.dropped_codings == 1  # the coding of the PDF area
    assert result.project == jim_project()  # everything we support is intact
    assert result.project.cases[0].guid == CASE_YOUTH
    assert result.project.sources[0].selections[0].guid == SEL_JIM


def test_coders_missing_from_users_are_kept_as_unnamed_users_with_a_warning():
    def edit(qde):
        return qde.replace(f'<User guid="{G(2)}" name="Bram"/>'.encode(), b"")

    result = import_qdpx(qdpx_with(edit))
    assert any(
        f"user {G(2)}: it is referenced but not listed under Users" in w for w in result.warnings
    )
    assert [u.name for u in result.project.users] == ["Anna", None]
