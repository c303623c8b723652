"""Pseudonymise transcripts with one table (real name → pseudonym) across a whole project.

Rules
-----
* whole words only: "Anna" is replaced in "Anna's" and "(Anna)" but not in "Annabel";
* case-insensitive matching, case-preserving output: ``ANNA`` → ``SARA``, ``anna`` → ``sara``,
  ``Anna`` → ``Sara``;
* longest names first, in one pass: "Anna de Vries" wins over "Anna", and a pseudonym is never
  itself replaced again (so ``{"Anna": "Bram", "Bram": "Carl"}`` swaps cleanly);
* spaces inside a name match any run of whitespace (a name may be wrapped over two lines);
* titles (:meth:`PseudonymTable.apply_title`) also split words at underscores and digits, as
  file names glue them (``interview_Fatima_2026.docx``).

Existing codings: **shift, don't refuse.** Replacing a name changes the text length, so every
stored code-point offset after it moves. :class:`OffsetMap` maps old offsets to new ones; a
selection boundary that fell *inside* a replaced name snaps outward to the whole pseudonym, so
a coded segment never ends up cutting a pseudonym in half and never loses text it covered.
:func:`pseudonymise_project` applies this to every source, selection and memo of a REFI
project. (Refusing would make pseudonymisation impossible after coding has started, which is
exactly when names are noticed.)

Known limit: inflected or glued forms ("Annaatje", Dutch possessive "Annas") are not whole-word
matches; :meth:`PseudonymTable.leftovers` finds whole-word survivors only, so check these forms
by adding them to the table.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .refi.model import Note, PlainTextSelection, Project, TextSource

__all__ = [
    "OffsetMap",
    "PseudonymError",
    "PseudonymTable",
    "PseudonymisedText",
    "Replacement",
    "pseudonymise_project",
]


class PseudonymError(ValueError):
    """An unusable pseudonym table."""


@dataclass(frozen=True)
class Replacement:
    """One replaced name: ``[start, end)`` in the old text, ``[new_start, new_end)`` in the new."""

    start: int
    end: int
    new_start: int
    new_end: int
    original: str
    pseudonym: str


@dataclass(frozen=True)
class OffsetMap:
    """Maps code-point offsets of the original text to the pseudonymised text."""

    replacements: tuple[Replacement, ...]
    old_length: int

    def map_offset(self, offset: int, *, side: str = "start") -> int:
        """New position of ``offset``. Inside a replaced name, ``side="start"`` snaps to the
        pseudonym's start and ``side="end"`` to its end."""
        if not 0 <= offset <= self.old_length:
            raise PseudonymError(f"offset {offset} is outside the text (0..{self.old_length})")
        if side not in ("start", "end"):
            raise PseudonymError(f"side must be 'start' or 'end', got {side!r}")
        starts = [r.start for r in self.replacements]
        i = bisect_right(starts, offset) - 1  # last replacement starting at or before offset
        if i < 0:
            return offset
        r = self.replacements[i]
        if offset == r.start:
            return r.new_start
        if offset < r.end:
            return r.new_start if side == "start" else r.new_end
        return offset + (r.new_end - r.end)

    def map_range(self, start: int, end: int) -> tuple[int, int]:
        return self.map_offset(start, side="start"), self.map_offset(end, side="end")


@dataclass(frozen=True)
class PseudonymisedText:
    text: str
    offsets: OffsetMap

    @property
    def replacements(self) -> tuple[Replacement, ...]:
        return self.offsets.replacements


def _match_case(found: str, pseudonym: str) -> str:
    letters = [c for c in found if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return pseudonym.upper()
    if letters and all(c.islower() for c in letters):
        return pseudonym.lower()
    if found[:1].isupper():
        return pseudonym[:1].upper() + pseudonym[1:]
    return pseudonym


class PseudonymTable:
    """Real name → pseudonym, applied consistently to every text of a project."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        table: dict[str, str] = {}
        for real, pseudonym in mapping.items():
            real_n = " ".join(unicodedata.normalize("NFC", real).split())
            pseudo_n = unicodedata.normalize("NFC", pseudonym).strip()
            if not real_n or not pseudo_n:
                raise PseudonymError(
                    f"empty name or pseudonym in the pair {real!r} → {pseudonym!r}"
                )
            key = real_n.casefold()
            if key in table and table[key] != pseudo_n:
                raise PseudonymError(
                    f"{real!r} is listed twice (ignoring case) with different pseudonyms"
                )
            table[key] = pseudo_n
        if not table:
            raise PseudonymError("the pseudonym table is empty")
        self._table = table
        names = sorted(table, key=lambda n: (-len(n), n))
        alternatives = "|".join(r"\s+".join(map(re.escape, n.split(" "))) for n in names)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        # Titles: a "letter" boundary ([^\W\d_] is a letter), underscores count as spaces.
        in_title = "|".join(r"[\s_]+".join(map(re.escape, n.split(" "))) for n in names)
        self._title_pattern = re.compile(rf"(?<![^\W\d_])(?:{in_title})(?![^\W\d_])", re.IGNORECASE)

    def _pseudonym_for(self, found: str) -> str:
        key = " ".join(found.split()).casefold()
        if key in self._table:
            return self._table[key]
        for name, pseudonym in self._table.items():  # rare case-folding mismatches (ß, İ)
            if re.fullmatch(r"\s+".join(map(re.escape, name.split(" "))), found, re.IGNORECASE):
                return pseudonym
        raise PseudonymError(f"no pseudonym for {found!r}")  # pragma: no cover

    def apply(self, text: str) -> PseudonymisedText:
        """Replace every whole-word occurrence; return the new text and its offset map."""
        parts: list[str] = []
        replacements: list[Replacement] = []
        position = 0
        new_position = 0
        for match in self._pattern.finditer(text):
            before = text[position : match.start()]
            parts.append(before)
            new_position += len(before)
            pseudonym = _match_case(match.group(0), self._pseudonym_for(match.group(0)))
            parts.append(pseudonym)
            replacements.append(
                Replacement(
                    match.start(),
                    match.end(),
                    new_position,
                    new_position + len(pseudonym),
                    match.group(0),
                    pseudonym,
                )
            )
            new_position += len(pseudonym)
            position = match.end()
        parts.append(text[position:])
        return PseudonymisedText("".join(parts), OffsetMap(tuple(replacements), len(text)))

    def apply_title(self, title: str, max_length: int | None = None) -> str:
        """Replace the names in a document or memo title, which is often a file name.

        File names glue words with underscores and digits (``interview_Fatima_2026.docx``,
        ``Fatima2026``, ``Anna_de_Vries``), which the whole-word rule would not split: in a
        title a name ends at anything that is not a letter, and the spaces inside a name also
        match underscores (kept as underscores in the pseudonym). ``max_length`` cuts a title
        that a longer pseudonym made too long for its field (the cut never brings a name back).
        """

        def pseudonym(match: re.Match[str]) -> str:
            found = match.group(0)
            replacement = _match_case(found, self._pseudonym_for(found.replace("_", " ")))
            return replacement.replace(" ", "_") if "_" in found else replacement

        result = self._title_pattern.sub(pseudonym, title)
        return result[:max_length] if max_length is not None else result

    def apply_all(self, texts: Mapping[str, str]) -> dict[str, PseudonymisedText]:
        """Apply the same table to several texts (keyed by any id)."""
        return {key: self.apply(text) for key, text in texts.items()}

    def leftovers(self, text: str) -> list[str]:
        """Real names still present as whole words (should be empty after :meth:`apply`
        unless a pseudonym equals another real name)."""
        return [m.group(0) for m in self._pattern.finditer(text)]


def pseudonymise_project(project: Project, table: PseudonymTable) -> Project:
    """Pseudonymise every source text and memo; shift every selection to match."""
    sources = []
    for source in project.sources:
        result = table.apply(source.text)
        selections = []
        for sel in source.selections:
            start, end = result.offsets.map_range(sel.start, sel.end)
            selections.append(replace(sel, start=start, end=end))
        sources.append(_replace_source(source, result.text, tuple(selections)))
    notes = [_replace_note(note, table.apply(note.text).text) for note in project.notes]
    return replace(project, sources=tuple(sources), notes=tuple(notes))


def _replace_source(
    source: TextSource, text: str, selections: tuple[PlainTextSelection, ...]
) -> TextSource:
    return replace(source, text=text, selections=selections)


def _replace_note(note: Note, text: str) -> Note:
    return replace(note, text=text)
