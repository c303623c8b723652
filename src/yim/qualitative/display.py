"""How a coded transcript is laid out on the coding page.

The text is cut into consecutive *blocks* (the part before the first speaker turn, then one
block per turn) that together hold every character exactly once, so the browser can turn a
selection into offsets: each block carries its start as a UTF-16 offset (what JavaScript
counts), and the server converts back to code points with :class:`~.offsets.OffsetIndex`.
Inside a block, the text is cut again wherever a segment starts or ends, so each *piece*
knows which segments cover it (for highlighting).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from .offsets import OffsetIndex


@dataclass
class Piece:
    text: str
    segment_ids: tuple[int, ...]
    color: str = ""


@dataclass
class Block:
    start: int
    end: int
    utf16_start: int
    speaker: str = ""
    role: str = ""
    pieces: list[Piece] = field(default_factory=list)
    segments: list = field(default_factory=list)  # segments that start in this block


@dataclass(frozen=True)
class Span:
    id: int
    start: int
    end: int
    color: str
    payload: object = None


def block_bounds(length: int, turns: Iterable[tuple[int, int, str, str]]) -> list[tuple]:
    """``(start, end, speaker, role)`` covering ``[0, length)`` without gaps or overlaps."""
    bounds: list[tuple] = []
    position = 0
    ordered = sorted(turns)
    for i, (start, _end, speaker, role) in enumerate(ordered):
        if start > position:
            bounds.append((position, start, "", ""))
        following = ordered[i + 1][0] if i + 1 < len(ordered) else length
        bounds.append((start, following, speaker, role))
        position = following
    if position < length or not bounds:
        bounds.append((position, length, "", ""))
    return bounds


def layout(
    text: str,
    turns: Iterable[tuple[int, int, str, str]],
    spans: Sequence[Span],
    index: OffsetIndex | None = None,
) -> list[Block]:
    """Blocks with their pieces and the spans that start in each block (``index``: the
    text's :class:`~.offsets.OffsetIndex`, if the caller has built it already)."""
    index = index or OffsetIndex(text)
    blocks = [
        Block(start, end, index.codepoint_to_utf16(start), speaker, role)
        for start, end, speaker, role in block_bounds(len(text), turns)
    ]
    starts = [b.start for b in blocks]
    for span in sorted(spans, key=lambda s: (s.start, s.end, s.id)):
        blocks[max(bisect_right(starts, span.start) - 1, 0)].segments.append(span.payload)
    cuts = {0, len(text)} | {b.start for b in blocks}
    for span in spans:
        cuts.update((span.start, span.end))
    ordered_cuts = sorted(c for c in cuts if 0 <= c <= len(text))
    block_index = 0
    for left, right in pairwise(ordered_cuts):
        if left == right:
            continue
        while blocks[block_index].end <= left:
            block_index += 1
        covering = [s for s in spans if s.start <= left and s.end >= right and s.start < s.end]
        blocks[block_index].pieces.append(
            Piece(
                text[left:right],
                tuple(s.id for s in covering),
                covering[0].color if covering else "",
            )
        )
    return blocks
