"""Text offsets: browser UTF-16 code units, Unicode code points and UTF-8 bytes.

The project stores every text position as a **0-based Unicode code point with an exclusive
end** (half-open ``[start, end)``), which is what REFI-QDA uses. Two other unit systems meet
it at the edges:

* browsers (``Selection``/``Range`` in JavaScript) report **UTF-16 code units**: every
  character outside the Basic Multilingual Plane (most emoji) counts twice;
* some tools (Taguette) and byte-oriented storage use **UTF-8 bytes**: 1 to 4 per character.

Mixing these up is the classic REFI interoperability bug ("coding positions do not match up"),
so every conversion goes through this module and every invalid offset raises a specific
:class:`OffsetError` instead of being silently clamped.

:class:`OffsetIndex` precomputes the positions of the characters whose width differs from one
unit, so a conversion costs ``O(log k)`` for ``k`` such characters; the module-level functions
are one-shot conveniences.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "InvalidTextError",
    "OffsetError",
    "OffsetIndex",
    "OffsetOutOfRangeError",
    "ReversedRangeError",
    "SplitCharacterError",
    "codepoint_range_to_utf16",
    "codepoint_to_utf8",
    "codepoint_to_utf16",
    "utf8_to_codepoint",
    "utf16_range_to_codepoints",
    "utf16_to_codepoint",
    "validate_codepoint_range",
]


class OffsetError(ValueError):
    """Base class of every invalid-offset error."""


class OffsetOutOfRangeError(OffsetError):
    """The offset is negative or beyond the end of the text."""


class SplitCharacterError(OffsetError):
    """The offset falls inside one character: between the two halves of a UTF-16 surrogate
    pair, or inside a multi-byte UTF-8 sequence."""


class ReversedRangeError(OffsetError):
    """A range whose start lies after its end."""


class InvalidTextError(OffsetError):
    """The text contains a lone surrogate, which has no UTF-8 or UTF-16 encoding."""


_SURROGATE = re.compile("[\ud800-\udfff]")
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units
_NOT_ASCII = re.compile("[^\x00-\x7f]")  # two to four UTF-8 bytes


def _utf16_width(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _utf8_width(char: str) -> int:
    code = ord(char)
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    if code < 0x10000:
        return 3
    return 4


@dataclass(frozen=True)
class _SparseWidths:
    """Where a text's characters are wider than one unit, and how much wider in total.

    ``code_points[i]`` is the code-point index of the i-th wide character, ``unit_starts[i]``
    its offset in units, ``widths[i]`` its width and ``extra[i]`` the total extra width of the
    wide characters *before* it (so ``extra`` has one more entry than the others).
    """

    unit_name: str
    code_points: tuple[int, ...]
    unit_starts: tuple[int, ...]
    widths: tuple[int, ...]
    extra: tuple[int, ...]
    length_cp: int

    @classmethod
    def build(
        cls, text: str, width: Callable[[str], int], unit_name: str, wide: re.Pattern[str]
    ) -> _SparseWidths:
        """``wide`` matches every character whose ``width`` may differ from 1: the scan
        runs in the regex engine and Python only looks at those (a Dutch transcript of
        50,000 characters has a few hundred)."""
        code_points: list[int] = []
        unit_starts: list[int] = []
        widths: list[int] = []
        extra = [0]
        for match in wide.finditer(text):
            index, char = match.start(), match.group()
            w = width(char)
            if w != 1:
                code_points.append(index)
                unit_starts.append(index + extra[-1])
                widths.append(w)
                extra.append(extra[-1] + w - 1)
        return cls(
            unit_name,
            tuple(code_points),
            tuple(unit_starts),
            tuple(widths),
            tuple(extra),
            len(text),
        )

    @property
    def length_units(self) -> int:
        return self.length_cp + self.extra[-1]

    def to_units(self, cp: int) -> int:
        _check_int(cp, "code point offset")
        if not 0 <= cp <= self.length_cp:
            raise OffsetOutOfRangeError(
                f"code point offset {cp} is outside the text (0..{self.length_cp})"
            )
        # Wide characters strictly before cp contribute their extra width.
        return cp + self.extra[bisect_left(self.code_points, cp)]

    def to_code_points(self, unit: int) -> int:
        _check_int(unit, f"{self.unit_name} offset")
        if not 0 <= unit <= self.length_units:
            raise OffsetOutOfRangeError(
                f"{self.unit_name} offset {unit} is outside the text (0..{self.length_units})"
            )
        i = bisect_right(self.unit_starts, unit) - 1  # last wide character starting at <= unit
        if i < 0:
            return unit
        start = self.unit_starts[i]
        if unit == start:
            return self.code_points[i]
        if unit < start + self.widths[i]:
            raise SplitCharacterError(
                f"{self.unit_name} offset {unit} falls inside the character at code point "
                f"{self.code_points[i]} ({self.widths[i]} {self.unit_name} units wide)"
            )
        return unit - self.extra[i + 1]


def _check_int(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OffsetError(f"{what} must be an integer, got {value!r}")


class OffsetIndex:
    """Precomputed conversions between the three offset systems for one text.

    Build one per text when converting many offsets (for example every selection of a
    transcript); the constructor is ``O(n)`` and each conversion ``O(log k)``.
    """

    def __init__(self, text: str) -> None:
        lone = _SURROGATE.search(text)
        if lone is not None:
            raise InvalidTextError(
                f"text contains a lone surrogate U+{ord(lone.group()):04X} "
                f"at code point {lone.start()}"
            )
        self.text = text
        self._utf16 = _SparseWidths.build(text, _utf16_width, "UTF-16", _BEYOND_BMP)
        self._utf8 = _SparseWidths.build(text, _utf8_width, "UTF-8", _NOT_ASCII)

    @property
    def length(self) -> int:
        """Length in code points."""
        return len(self.text)

    @property
    def utf16_length(self) -> int:
        return self._utf16.length_units

    @property
    def utf8_length(self) -> int:
        return self._utf8.length_units

    def utf16_to_codepoint(self, offset: int) -> int:
        return self._utf16.to_code_points(offset)

    def codepoint_to_utf16(self, offset: int) -> int:
        return self._utf16.to_units(offset)

    def utf8_to_codepoint(self, offset: int) -> int:
        return self._utf8.to_code_points(offset)

    def codepoint_to_utf8(self, offset: int) -> int:
        return self._utf8.to_units(offset)

    def utf16_range_to_codepoints(self, start: int, end: int) -> tuple[int, int]:
        """Convert a browser selection ``[start, end)`` in UTF-16 units to code points."""
        _check_order(start, end, "UTF-16")
        return self.utf16_to_codepoint(start), self.utf16_to_codepoint(end)

    def codepoint_range_to_utf16(self, start: int, end: int) -> tuple[int, int]:
        _check_order(start, end, "code point")
        return self.codepoint_to_utf16(start), self.codepoint_to_utf16(end)

    def utf8_range_to_codepoints(self, start: int, end: int) -> tuple[int, int]:
        _check_order(start, end, "UTF-8")
        return self.utf8_to_codepoint(start), self.utf8_to_codepoint(end)

    def codepoint_range_to_utf8(self, start: int, end: int) -> tuple[int, int]:
        _check_order(start, end, "code point")
        return self.codepoint_to_utf8(start), self.codepoint_to_utf8(end)


def _check_order(start: int, end: int, unit: str) -> None:
    _check_int(start, f"{unit} start")
    _check_int(end, f"{unit} end")
    if start > end:
        raise ReversedRangeError(f"{unit} range starts at {start}, after its end {end}")


def validate_codepoint_range(text: str, start: int, end: int) -> None:
    """Raise an :class:`OffsetError` unless ``[start, end)`` is a valid range of ``text``."""
    _check_order(start, end, "code point")
    if start < 0 or end > len(text):
        raise OffsetOutOfRangeError(
            f"code point range [{start}, {end}) is outside the text (0..{len(text)})"
        )


def utf16_to_codepoint(text: str, offset: int) -> int:
    return OffsetIndex(text).utf16_to_codepoint(offset)


def codepoint_to_utf16(text: str, offset: int) -> int:
    return OffsetIndex(text).codepoint_to_utf16(offset)


def utf8_to_codepoint(text: str, offset: int) -> int:
    return OffsetIndex(text).utf8_to_codepoint(offset)


def codepoint_to_utf8(text: str, offset: int) -> int:
    return OffsetIndex(text).codepoint_to_utf8(offset)


def utf16_range_to_codepoints(text: str, start: int, end: int) -> tuple[int, int]:
    return OffsetIndex(text).utf16_range_to_codepoints(start, end)


def codepoint_range_to_utf16(text: str, start: int, end: int) -> tuple[int, int]:
    return OffsetIndex(text).codepoint_range_to_utf16(start, end)
