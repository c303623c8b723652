"""Offsets: UTF-16 (browser) ↔ code points (REFI) ↔ UTF-8 bytes (Taguette)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yim.qualitative.offsets import (
    InvalidTextError,
    OffsetError,
    OffsetIndex,
    OffsetOutOfRangeError,
    ReversedRangeError,
    SplitCharacterError,
    codepoint_range_to_utf16,
    codepoint_to_utf8,
    codepoint_to_utf16,
    utf8_to_codepoint,
    utf16_range_to_codepoints,
    utf16_to_codepoint,
    validate_codepoint_range,
)

# Dutch diacritics, a combining accent (e + U+0301), emoji with a skin-tone modifier and a ZWJ
# sequence: all the characters that shift offsets between the three systems.
TRICKY = ["één", "ruïne", "😀👍🏽", "e\u0301", "👨‍👩‍👧", "ij", "\n", "a", "中"]
texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(TRICKY)).map("".join),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=3))).map("".join),
)


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


@given(texts)
def test_every_codepoint_offset_matches_the_encoded_prefix_length(text):
    index = OffsetIndex(text)
    for cp in range(len(text) + 1):
        assert index.codepoint_to_utf16(cp) == utf16_len(text[:cp])
        assert index.codepoint_to_utf8(cp) == len(text[:cp].encode("utf-8"))
    assert index.utf16_length == utf16_len(text)
    assert index.utf8_length == len(text.encode("utf-8"))


@given(texts)
def test_every_utf16_offset_either_round_trips_or_is_inside_a_surrogate_pair(text):
    index = OffsetIndex(text)
    boundaries = {utf16_len(text[:cp]): cp for cp in range(len(text) + 1)}
    for unit in range(index.utf16_length + 1):
        if unit in boundaries:
            assert index.utf16_to_codepoint(unit) == boundaries[unit]
        else:
            with pytest.raises(SplitCharacterError, match="inside the character"):
                index.utf16_to_codepoint(unit)


@given(texts)
def test_every_utf8_offset_either_round_trips_or_is_inside_a_multibyte_sequence(text):
    index = OffsetIndex(text)
    boundaries = {len(text[:cp].encode()): cp for cp in range(len(text) + 1)}
    for byte in range(index.utf8_length + 1):
        if byte in boundaries:
            assert index.utf8_to_codepoint(byte) == boundaries[byte]
        else:
            with pytest.raises(SplitCharacterError):
                index.utf8_to_codepoint(byte)


@given(texts, st.data())
def test_a_browser_range_converted_to_codepoints_selects_the_same_substring(text, data):
    index = OffsetIndex(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    u_start, u_end = index.codepoint_range_to_utf16(start, end)
    units = text.encode("utf-16-le")
    assert units[2 * u_start : 2 * u_end].decode("utf-16-le") == text[start:end]
    assert index.utf16_range_to_codepoints(u_start, u_end) == (start, end)
    b_start, b_end = index.codepoint_range_to_utf8(start, end)
    assert text.encode()[b_start:b_end].decode() == text[start:end]
    assert index.utf8_range_to_codepoints(b_start, b_end) == (start, end)


def test_the_notes_example_sentence_has_the_documented_offsets_in_all_three_systems():
    text = 'Moeder: "Ik vond het één keer lastig 😟, maar de JIM hielp."'
    cp = text.index("de JIM hielp")
    assert cp == 45
    assert codepoint_to_utf16(text, cp) == 46
    assert codepoint_to_utf8(text, cp) == 50
    assert utf16_to_codepoint(text, 46) == 45
    assert utf8_to_codepoint(text, 50) == 45


def test_an_emoji_counts_two_utf16_units_and_four_utf8_bytes():
    text = "a😀b"
    assert codepoint_to_utf16(text, 2) == 3
    assert codepoint_to_utf8(text, 2) == 5
    with pytest.raises(SplitCharacterError, match="UTF-16 offset 2"):
        utf16_to_codepoint(text, 2)
    with pytest.raises(SplitCharacterError, match="UTF-8 offset 3"):
        utf8_to_codepoint(text, 3)


def test_combining_accents_are_separate_code_points_but_single_utf16_units():
    text = "cafe\u0301!"  # "café" with a combining acute: 6 code points
    assert utf16_range_to_codepoints(text, 0, 5) == (0, 5)
    assert codepoint_range_to_utf16(text, 4, 6) == (4, 6)


@pytest.mark.parametrize("offset", [-1, 4])
def test_offsets_outside_the_text_are_rejected(offset):
    with pytest.raises(OffsetOutOfRangeError, match="outside the text"):
        codepoint_to_utf16("één", offset)
    with pytest.raises(OffsetOutOfRangeError):
        utf16_to_codepoint("één", offset if offset < 0 else 99)


def test_a_range_whose_start_lies_after_its_end_is_rejected():
    with pytest.raises(ReversedRangeError, match="starts at 3, after its end 1"):
        utf16_range_to_codepoints("ruïne", 3, 1)
    with pytest.raises(ReversedRangeError):
        validate_codepoint_range("ruïne", 3, 1)


def test_validate_codepoint_range_accepts_the_whole_text_and_rejects_one_past_it():
    validate_codepoint_range("ruïne", 0, 5)
    with pytest.raises(OffsetOutOfRangeError):
        validate_codepoint_range("ruïne", 0, 6)


def test_non_integer_offsets_are_rejected_and_errors_are_value_errors():
    with pytest.raises(OffsetError, match="must be an integer"):
        codepoint_to_utf16("abc", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        codepoint_to_utf16("abc", True)  # type: ignore[arg-type]


def test_text_with_a_lone_surrogate_is_rejected_rather_than_miscounted():
    with pytest.raises(InvalidTextError, match="lone surrogate U\\+D83D at code point 1"):
        OffsetIndex("a\ud83db")
