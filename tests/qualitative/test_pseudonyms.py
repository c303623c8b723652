"""Pseudonym tables: whole words, case, longest first, and offsets that follow the text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.qualitative.refi_fixtures import jim_project
from yim.qualitative.pseudonyms import PseudonymError, PseudonymTable, pseudonymise_project
from yim.qualitative.refi.export import export_qdpx
from yim.qualitative.refi.importer import import_qdpx

TABLE = PseudonymTable({"Anna": "Sara", "Anna de Vries": "Lotte Smit", "Ömer": "Yusuf"})


def test_names_are_replaced_as_whole_words_preserving_case():
    result = TABLE.apply("Anna zei: ANNA, anna! Annabel en Anna's moeder. ömer kwam.")
    assert result.text == "Sara zei: SARA, sara! Annabel en Sara's moeder. yusuf kwam."
    assert [r.original for r in result.replacements] == ["Anna", "ANNA", "anna", "Anna", "ömer"]


def test_the_longest_name_wins_even_when_wrapped_over_two_lines():
    assert TABLE.apply("Anna de\nVries en Anna").text == "Lotte Smit en Sara"


def test_a_single_pass_swaps_names_without_chaining():
    swap = PseudonymTable({"Anna": "Bram", "Bram": "Anna"})
    assert swap.apply("Anna en Bram").text == "Bram en Anna"


def test_no_real_name_survives_in_any_text_of_the_project():
    texts = {"t1": "Jongere: Anna de Vries zegt hoi.", "t2": "Moeder: ANNA? Ömer!"}
    results = TABLE.apply_all(texts)
    for result in results.values():
        assert TABLE.leftovers(result.text) == []
    assert TABLE.leftovers(texts["t2"]) == ["ANNA", "Ömer"]


def test_offsets_after_a_replacement_shift_by_the_length_difference():
    text = "Anna de Vries: de JIM hielp"
    result = TABLE.apply(text)
    start = text.index("de JIM")
    new_start, new_end = result.offsets.map_range(start, len(text))
    assert result.text[new_start:new_end] == "de JIM hielp"


def test_a_selection_boundary_inside_a_name_snaps_outward_to_the_whole_pseudonym():
    text = "Ik en Anna."
    result = TABLE.apply(text)  # "Ik en Sara."
    new_start, new_end = result.offsets.map_range(text.index("nna"), text.index("."))
    assert result.text[new_start:new_end] == "Sara"
    new_start, new_end = result.offsets.map_range(0, text.index("nna"))
    assert result.text[new_start:new_end] == "Ik en Sara"


@given(
    st.lists(st.sampled_from(["Anna", "ANNA", "Anna de Vries", " ", "\n", "é", "Ömer", "x", "😀"]))
)
def test_every_character_outside_a_name_keeps_its_identity_under_the_offset_map(parts):
    text = "".join(parts)
    result = TABLE.apply(text)
    inside = {i for r in result.replacements for i in range(r.start, r.end)}
    for offset, char in enumerate(text):
        if offset not in inside:
            assert result.text[result.offsets.map_offset(offset)] == char
    assert result.offsets.map_offset(len(text), side="end") == len(result.text)
    assert TABLE.leftovers(result.text) == []


def test_bad_tables_and_offsets_are_rejected():
    with pytest.raises(PseudonymError, match="empty"):
        PseudonymTable({})
    with pytest.raises(PseudonymError, match="empty name"):
        PseudonymTable({" ": "x"})
    with pytest.raises(PseudonymError, match="listed twice"):
        PseudonymTable({"Anna": "x", "ANNA": "y"})
    with pytest.raises(PseudonymError, match="outside the text"):
        TABLE.apply("abc").offsets.map_offset(4)


def test_a_whole_project_is_pseudonymised_and_its_codings_still_cover_the_same_words():
    table = PseudonymTable({"JIM": "mentor", "Moeder": "Ouder"})
    project = jim_project()
    result = pseudonymise_project(project, table)
    source = result.sources[0]
    selection = source.selections[0]
    assert source.text[selection.start : selection.end] == "de MENTOR hielp"  # case kept
    assert source.text.startswith('Ouder: "Ik vond')
    second = source.selections[1]
    assert source.text[second.start : second.end] == "écht"
    assert table.leftovers(source.text) == []
    assert result.notes[0].text.startswith("De MENTOR lijkt")
    assert import_qdpx(export_qdpx(result)).project == result


TITLE_TABLE = PseudonymTable({"Fatima": "Sara", "Anna de Vries": "Lotte Smit", "Bram": "Daan"})


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("interview-Fatima-2026.docx", "interview-Sara-2026.docx"),
        ("interview_fatima_2026.docx", "interview_sara_2026.docx"),
        ("FATIMA2026.txt", "SARA2026.txt"),
        ("Anna_de_Vries_JIM.odt", "Lotte_Smit_JIM.odt"),
        ("Gesprek met Anna de Vries en Bram", "Gesprek met Lotte Smit en Daan"),
        ("Brammetje en Fatimas.pdf", "Brammetje en Fatimas.pdf"),  # not whole words
    ],
)
def test_names_in_titles_are_replaced_even_when_glued_by_underscores_or_digits(title, expected):
    assert TITLE_TABLE.apply_title(title) == expected


def test_a_title_made_too_long_by_a_pseudonym_is_cut_to_the_field_length():
    table = PseudonymTable({"Bo": "Bartholomeus"})
    title = "x" * 195 + " Bo"
    assert len(table.apply_title(title)) > 200
    cut = table.apply_title(title, max_length=200)
    assert len(cut) == 200 and "Bo" not in cut.split()
