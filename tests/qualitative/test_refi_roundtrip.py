"""REFI-QDA export validates against the schemas and import(export(x)) == x."""

from dataclasses import replace
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.qualitative.refi_fixtures import (
    MEMO,
    PARENT_TEXT,
    SEL_JIM,
    TRUST,
    YOUTH_SRC,
    YOUTH_TEXT,
    G,
    jim_project,
    unzip,
)
from yim.qualitative.refi.errors import (
    DanglingReferenceError,
    ProjectIntegrityError,
    SelectionOutOfRangeError,
)
from yim.qualitative.refi.export import export_qdc, export_qde, export_qdpx
from yim.qualitative.refi.importer import import_qdc, import_qde, import_qdpx
from yim.qualitative.refi.model import (
    Code,
    Codebook,
    Coding,
    PlainTextSelection,
    Project,
    TextSource,
    User,
    VariableValue,
)

NS = {"p": "urn:QDA-XML:project:1.0"}


def schema(name: str) -> etree.XMLSchema:
    """Load the shipped XSD directly, independent of the exporter's own validation."""
    data = resources.files("yim.qualitative.refi").joinpath(name).read_bytes()
    return etree.XMLSchema(etree.fromstring(data))


# SHA-256 of the official Project-mrt2019.xsd (REFI-QDA release of March 2019), as kept in
# the project's shared/refi-qda folder: the shipped copy must be byte-identical.
OFFICIAL_PROJECT_XSD_SHA256 = "a2cc1ffb4ab1c07c51d6c78e69f2c9968458a9f0ad3b317ddde27f1e86f15a15"


def test_the_shipped_project_schema_is_the_official_refi_file():
    import hashlib

    shipped = resources.files("yim.qualitative.refi").joinpath("Project.xsd").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == OFFICIAL_PROJECT_XSD_SHA256


def test_a_qde_export_validates_against_project_xsd():
    root = etree.fromstring(export_qde(jim_project()))
    project_xsd = schema("Project.xsd")
    assert project_xsd.validate(root), project_xsd.error_log
    assert root.get("name") == "JIM triade-interviews"


def test_a_qdpx_export_holds_the_qde_and_one_utf8_text_file_per_source():
    files = unzip(export_qdpx(jim_project()))
    assert sorted(files) == [
        "project.qde",
        f"sources/{G(30)}.txt",
        f"sources/{G(31)}.txt",
    ]
    assert files[f"sources/{YOUTH_SRC}.txt"] == YOUTH_TEXT.encode("utf-8")
    assert files[f"sources/{G(31)}.txt"] == PARENT_TEXT.encode("utf-8")  # CRLF kept
    root = etree.fromstring(files["project.qde"])
    assert schema("Project.xsd").validate(root)
    source = root.find("p:Sources/p:TextSource", NS)
    assert source.get("plainTextPath") == f"internal://{YOUTH_SRC}.txt"
    assert source.find("p:PlainTextContent", NS) is None


def test_selection_positions_in_the_xml_are_code_points_with_an_exclusive_end():
    root = etree.fromstring(export_qde(jim_project()))
    selection = root.find(f".//p:PlainTextSelection[@guid='{SEL_JIM}']", NS)
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert (start, end) == (45, 57)  # notes §A6: code point 45, not UTF-16 46 or byte 50
    assert YOUTH_TEXT[start:end] == "de JIM hielp"


def test_a_qdc_export_validates_against_the_codebook_schema():
    data = export_qdc(jim_project())
    root = etree.fromstring(data)
    codebook_xsd = schema("Codebook.xsd")
    assert codebook_xsd.validate(root), codebook_xsd.error_log
    codes = root.findall(".//{urn:QDA-XML:codebook:1.0}Code")
    assert [c.get("name") for c in codes] == [
        "Steun",
        "Emotionele steun",
        "Praktische steun",
        "Vertrouwen",
    ]
    members = root.findall(".//{urn:QDA-XML:codebook:1.0}MemberCode")
    assert [m.get("guid") for m in members] == [G(11), G(12)]


def test_a_qdpx_round_trip_loses_nothing():
    project = jim_project()
    result = import_qdpx(export_qdpx(project))
    assert result.warnings == ()
    assert result.project == project


def test_a_qde_round_trip_with_embedded_text_loses_nothing_including_crlf():
    project = jim_project()
    result = import_qde(export_qde(project))
    assert result.project == project
    assert result.project.sources[1].text == PARENT_TEXT


def test_a_qdc_round_trip_keeps_hierarchy_colours_descriptions_and_sets():
    project = jim_project()
    result = import_qdc(export_qdc(project))
    assert result.codebook == project.codebook()
    assert result.codebook.codes[0].is_codable is False
    assert result.codebook.codes[0].children[0].color == "#F00"


def test_code_paths_name_the_hierarchy():
    assert jim_project().code_paths()[G(11)] == "Steun/Emotionele steun"


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (
            lambda p: replace(p, cases=(replace(p.cases[0], code_refs=(G(999),)),)),
            DanglingReferenceError,
            "case 'Jongere B1' refers to code",
        ),
        (
            lambda p: replace(p, note_refs=(TRUST,)),
            DanglingReferenceError,
            "as a note, but that GUID is a code",
        ),
        (
            lambda p: replace(p, users=(*p.users, User(MEMO))),
            ProjectIntegrityError,
            "used twice",
        ),
        (
            lambda p: replace(
                p,
                sources=(
                    replace(p.sources[0], selections=(PlainTextSelection(G(998), 0, 10_000),)),
                ),
            ),
            SelectionOutOfRangeError,
            "lies outside the text",
        ),
        (
            lambda p: replace(
                p,
                cases=(replace(p.cases[0], variable_values=(VariableValue(G(21), "twee"),)),),
            ),
            ProjectIntegrityError,
            "triad_id' is Integer",
        ),
        (
            lambda p: replace(p, codes=(Code(G(997), "Kleur", color="red"),)),
            ProjectIntegrityError,
            "expected #RRGGBB",
        ),
        (
            lambda p: replace(p, users=(User("not-a-guid"),)),
            ProjectIntegrityError,
            "invalid GUID",
        ),
    ],
)
def test_inconsistent_projects_are_refused_before_export(mutate, error, message):
    with pytest.raises(error, match=message):
        export_qdpx(mutate(jim_project()))


def test_a_selection_that_ends_before_it_starts_cannot_be_built():
    with pytest.raises(SelectionOutOfRangeError, match="start after end"):
        PlainTextSelection(G(1), 5, 4)


def test_float_values_are_stored_as_decimals_and_exported_without_exponent():
    value = VariableValue(G(22), 1e-7)
    assert str(value.value) == "1E-7"
    project = jim_project()
    case = replace(project.cases[0], variable_values=(value,))
    data = export_qde(replace(project, cases=(case,)))
    assert b"<FloatValue>0.0000001</FloatValue>" in data


# --- property-based round trip -----------------------------------------------------------

# What sanitise_text leaves: no controls, surrogates or the XML-forbidden U+FFFE/U+FFFF.
xml_chars = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff\ufffe\uffff"
)
texts = st.lists(
    st.one_of(
        st.sampled_from(["één", "ruïne", "😀👍🏽", "e\u0301", "\r\n", "\n", " ", "JIM"]),
        st.text(xml_chars, max_size=4),
    ),
    max_size=20,
).map("".join)


@st.composite
def projects(draw):
    n_codes = draw(st.integers(1, 4))
    codes = tuple(
        Code(
            G(100 + i),
            draw(st.text(xml_chars, min_size=1, max_size=8)),
            color=draw(st.sampled_from([None, "#123456", "#abc"])),
            children=(Code(G(200 + i), f"sub {i}", is_codable=draw(st.booleans())),),
        )
        for i in range(n_codes)
    )
    code_guids = [c.guid for c in codes] + [c.children[0].guid for c in codes]
    sources = []
    for s in range(draw(st.integers(0, 3))):
        text = draw(texts)
        selections = []
        for k in range(draw(st.integers(0, 3))):
            start = draw(st.integers(0, len(text)))
            end = draw(st.integers(start, len(text)))
            coder = draw(st.sampled_from([G(1), G(2)]))
            code = draw(st.sampled_from(code_guids))
            guid = G(1000 + 10 * s + k)
            coding = Coding(G(5000 + 10 * s + k), code, coder)
            selections.append(PlainTextSelection(guid, start, end, codings=(coding,)))
        sources.append(TextSource(G(300 + s), f"bron {s}", text, selections=tuple(selections)))
    return Project(
        name="p",
        users=(User(G(1), "a"), User(G(2), "b")),
        codes=codes,
        sources=tuple(sources),
    )


@settings(max_examples=40, deadline=None)
@given(projects())
def test_any_generated_project_survives_qdpx_and_qde_round_trips(project):
    assert import_qdpx(export_qdpx(project)).project == project
    assert import_qde(export_qde(project)).project == project
    assert import_qdc(export_qdc(project)).codebook == Codebook(project.codes, (), project.origin)


def test_a_qdpx_export_is_the_same_bytes_whenever_it_is_made(monkeypatch):
    import io
    import time
    import zipfile as zf

    project = jim_project()
    first = export_qdpx(project)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600 * 24 * 400)  # a year later
    assert export_qdpx(project) == first
    stamps = {info.date_time for info in zf.ZipFile(io.BytesIO(first)).infolist()}
    assert len(stamps) == 1
