"""Hostile or broken REFI-QDA input is refused with a specific error, or dropped with a warning."""

import io
import zipfile

import pytest

from tests.qualitative.refi_fixtures import (
    CASE_YOUTH,
    SEL_JIM,
    YOUTH_SRC,
    G,
    jim_project,
    rezip,
    unzip,
)
from yim.qualitative.refi.errors import (
    DanglingReferenceError,
    MalformedXmlError,
    MissingSourceError,
    ProjectIntegrityError,
    RefiError,
    SchemaValidationError,
    SelectionOutOfRangeError,
    SourceEncodingError,
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
    bomb = qdpx_with(files={f"sources/{G(77)}.txt": b"0" * (30 * 1024 * 1024)})
    with pytest.raises(UnsafeArchiveError, match=r"compression ratio .* possible zip bomb"):
        import_qdpx(bomb)


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
    limit_message = rf"unpacks to \d+ bytes; the limit is {size - 1}$"
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


@pytest.mark.parametrize(
    "path", ["internal://../../etc/passwd", "internal://sources/x.txt", "internal://evil.txt"]
)
def test_source_paths_that_are_not_guid_file_names_are_refused(path):
    edit = lambda qde: qde.replace(f"internal://{YOUTH_SRC}.txt".encode(), path.encode())  # noqa: E731
    with pytest.raises(UnsafePathError, match="not a GUID with an extension"):
        import_qdpx(qdpx_with(edit))


def test_a_missing_source_file_is_refused_naming_the_source():
    data = qdpx_with(drop=[f"sources/{YOUTH_SRC}.txt"])
    with pytest.raises(
        MissingSourceError, match=r"source 'Interview jongere B1'.*not in the archive"
    ):
        import_qdpx(data)


def test_a_source_that_is_not_utf8_is_refused():
    data = qdpx_with(files={f"sources/{YOUTH_SRC}.txt": "één keer".encode("cp1252")})
    with pytest.raises(SourceEncodingError, match="not valid UTF-8"):
        import_qdpx(data)


def test_a_selection_beyond_the_end_of_its_text_is_refused():
    data = qdpx_with(files={f"sources/{YOUTH_SRC}.txt": b"kort"})
    with pytest.raises(SelectionOutOfRangeError, match="outside the text, which has 4 characters"):
        import_qdpx(data)


def test_a_selection_that_ends_before_it_starts_is_refused():
    def edit(qde):
        return qde.replace(
            b'startPosition="45" endPosition="57"', b'startPosition="57" endPosition="45"'
        )

    with pytest.raises(SelectionOutOfRangeError, match="start after end"):
        import_qdpx(qdpx_with(edit))


def test_a_dangling_code_reference_is_refused():
    def edit(qde):
        return qde.replace(
            f'<CodeRef targetGUID="{G(11)}"'.encode(), f'<CodeRef targetGUID="{G(666)}"'.encode(), 1
        )

    with pytest.raises(DanglingReferenceError, match="refers to code"):
        import_qdpx(qdpx_with(edit))


def test_xml_that_does_not_match_the_schema_is_refused_with_a_line_number():
    edit = lambda qde: qde.replace(b' isCodable="true"', b"", 1)  # noqa: E731
    with pytest.raises(SchemaValidationError, match=r"line \d+: .*isCodable"):
        import_qdpx(qdpx_with(edit))


def test_broken_xml_non_zip_data_and_foreign_roots_are_refused():
    with pytest.raises(MalformedXmlError):
        import_qdpx(rezip({"project.qde": b"<Project"}))
    with pytest.raises(UnsafeArchiveError, match="not a readable"):
        import_qdpx(b"definitely not a zip")
    with pytest.raises(MissingSourceError, match=r"exactly one project\.qde"):
        import_qdpx(rezip({"other.xml": b"<a/>"}))
    with pytest.raises(ProjectIntegrityError, match="expected CodeBook"):
        import_qdc(export_qde(jim_project()))


def test_a_bare_qde_pointing_at_internal_files_says_to_import_the_archive():
    qde = unzip(export_qdpx(jim_project()))["project.qde"]
    with pytest.raises(MissingSourceError, match=r"import the \.qdpx archive instead"):
        import_qde(qde)


def test_a_codebook_set_pointing_at_an_unknown_code_is_refused():
    data = export_qdc(jim_project()).replace(
        f'MemberCode guid="{G(11)}"'.encode(), f'MemberCode guid="{G(666)}"'.encode()
    )
    with pytest.raises(DanglingReferenceError, match="set 'Steuncodes' refers to code"):
        import_qdc(data)


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
    assert "PDFSource 'scan.pdf' was not imported" in text
    assert "AudioSource 'opname.m4a' was not imported" in text
    assert (
        "TextSource 'extern' was not imported: its text is an external file (relative://)" in text
    )
    assert "1 graphs were not imported" in text
    assert "case 'Jongere B1': 1 source reference(s) to dropped objects removed" in text
    assert "set 'Triade B': 1 source reference(s)" in text
    assert result.project == jim_project()  # everything we support is intact
    assert result.project.cases[0].guid == CASE_YOUTH
    assert result.project.sources[0].selections[0].guid == SEL_JIM


def test_coders_missing_from_users_are_kept_as_unnamed_users_with_a_warning():
    def edit(qde):
        return qde.replace(f'<User guid="{G(2)}" name="Bram"/>'.encode(), b"")

    result = import_qdpx(qdpx_with(edit))
    assert any(f"user {G(2)} is referenced but not listed" in w for w in result.warnings)
    assert [u.name for u in result.project.users] == ["Anna", None]
