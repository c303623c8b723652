"""Colours of new codes: distinct colours from one palette, never black by default.

A new code gets the palette colour used least in its project (ties: palette order), so the
first twelve codes of a project all differ and later ones spread evenly. The colours are light
enough for a translucent highlight of the transcript text and dark enough for a chip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

__all__ = ["NO_COLOUR_SUBMITTED", "PALETTE", "next_colour"]

#: Twelve distinguishable colours (Tableau 10 without its grey, and three lighter tints).
PALETTE: tuple[str, ...] = (
    "#4e79a7",  # blue
    "#f28e2b",  # orange
    "#e15759",  # red
    "#76b7b2",  # teal
    "#59a14f",  # green
    "#edc948",  # yellow
    "#b07aa1",  # purple
    "#ff9da7",  # pink
    "#9c755f",  # brown
    "#a0cbe8",  # light blue
    "#8cd17d",  # light green
    "#d4a6c8",  # light purple
)

#: What a browser's ``<input type="color">`` submits when it had no value: not a choice.
NO_COLOUR_SUBMITTED = "#000000"


def next_colour(used: Iterable[str]) -> str:
    """The palette colour that occurs least often in ``used`` (ties: the first in the palette)."""
    counts = Counter(colour.lower() for colour in used if colour)
    return min(PALETTE, key=lambda colour: (counts[colour], PALETTE.index(colour)))
