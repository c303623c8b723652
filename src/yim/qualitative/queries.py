"""Text search and code queries over a project's transcripts and coded segments.

* :func:`text_search` — every case-insensitive occurrence of a piece of text in the
  transcripts, with the text around it (Unicode case rules, so "ÉÉN" finds "één" on every
  database: the texts are streamed and searched in Python, one transcript at a time);
* :func:`code_query` — the segment codings that answer ``A AND B``, ``A OR B``, ``A NOT B``
  (on the same segment: the coded segments overlap by at least one character; or on the same
  transcript) or ``A NEAR B`` (a segment coded A with a segment coded B in the same transcript
  at most ``distance`` characters away; touching or overlapping segments are 0 apart).

Results are coding ids in reading order (transcript, start, end); the caller pages them and
reads the page's codings with :func:`codings_by_ids`. Codings of a whole transcript (no
segment) are not part of any query. Texts are the stored ones, so a project whose pseudonym
table was applied only ever shows pseudonyms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from . import models as m

__all__ = [
    "MAX_DISTANCE",
    "CodeQuery",
    "Operator",
    "Scope",
    "TextHit",
    "code_query",
    "codings_by_ids",
    "text_search",
]

#: The largest distance a NEAR query accepts (characters); longer transcripts are rare.
MAX_DISTANCE = 1_000_000
CONTEXT = 80


class Operator(StrEnum):
    AND = "and"
    OR = "or"
    NOT = "not"
    NEAR = "near"


class Scope(StrEnum):
    SEGMENT = "segment"
    DOCUMENT = "document"


@dataclass(frozen=True)
class TextHit:
    """One occurrence: ``[start, end)`` in code points, with up to ``CONTEXT`` characters of
    text on either side."""

    document_id: int
    document: str
    start: int
    end: int
    before: str
    match: str
    after: str


def text_search(
    project: m.Project,
    needle: str,
    *,
    document_ids: Iterable[int] = (),
    context: int = CONTEXT,
    limit: int | None = None,
) -> list[TextHit]:
    """Every case-insensitive occurrence of ``needle`` (non-empty) in the project's
    transcripts, in transcript order then position; only the first ``limit`` if given."""
    if not needle:
        raise ValueError("empty search text")
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    documents = project.documents.order_by("name", "pk")
    wanted = set(document_ids)
    if wanted:
        documents = documents.filter(pk__in=wanted)
    hits = []
    for pk, name, text in documents.values_list("pk", "name", "text").iterator(chunk_size=50):
        for found in pattern.finditer(text):
            start, end = found.span()
            hits.append(
                TextHit(
                    pk,
                    name,
                    start,
                    end,
                    text[max(0, start - context) : start],
                    found.group(0),
                    text[end : end + context],
                )
            )
            if limit is not None and len(hits) >= limit:
                return hits
    return hits


@dataclass(frozen=True)
class CodeQuery:
    """``a`` and ``b`` are code ids (``b`` is unused by ``A`` alone, i.e. ``operator=None``)."""

    a: int
    b: int | None = None
    operator: Operator | None = None
    scope: Scope = Scope.SEGMENT
    distance: int = 0
    with_subcodes: bool = False


@dataclass(frozen=True)
class _Span:
    coding: int
    document: int
    document_name: str
    start: int
    end: int
    code: int


def _codes_with_descendants(code_id: int, project: m.Project) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in project.codes.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, frontier = {code_id}, [code_id]
    while frontier:
        frontier = [c for p in frontier for c in children[p] if c not in found]
        found.update(frontier)
    return found


def code_query(
    project: m.Project,
    query: CodeQuery,
    *,
    document_ids: Iterable[int] = (),
    coder: m.Coder | None = None,
    variable: m.Variable | None = None,
    value: str = "",
) -> list[int]:
    """Ids of the segment codings that answer ``query``, in reading order (one query for the
    spans, plus one for the code tree when sub-codes are included)."""
    if query.operator is not None and query.b is None:
        raise ValueError("this operator needs a second code")
    if not 0 <= query.distance <= MAX_DISTANCE:
        raise ValueError(f"distance must be between 0 and {MAX_DISTANCE}")
    a_codes, b_codes = {query.a}, {query.b} if query.b is not None else set()
    if query.with_subcodes:
        a_codes = _codes_with_descendants(query.a, project)
        if query.b is not None:
            b_codes = _codes_with_descendants(query.b, project)
    codings = m.Coding.objects.filter(
        document__project=project, segment__isnull=False, code_id__in=a_codes | b_codes
    )
    wanted = set(document_ids)
    if wanted:
        codings = codings.filter(document_id__in=wanted)
    if coder is not None:
        codings = codings.filter(coder=coder)
    if variable is not None:
        documents = m.Document.objects.filter(
            project=project, participants__attributes__variable=variable
        )
        if value:
            documents = m.Document.objects.filter(
                project=project,
                participants__attributes__variable=variable,
                participants__attributes__value=value,
            )
        codings = codings.filter(document_id__in=documents.values("pk"))
    by_document: dict[int, tuple[list[_Span], list[_Span]]] = defaultdict(lambda: ([], []))
    for pk, document, name, start, end, code in codings.values_list(
        "pk", "document_id", "document__name", "segment__start", "segment__end", "code_id"
    ).order_by():
        span = _Span(pk, document, name, start, end, code)
        if code in a_codes:
            by_document[document][0].append(span)
        if code in b_codes:
            by_document[document][1].append(span)
    chosen: list[_Span] = []
    for a_spans, b_spans in by_document.values():
        chosen.extend(_answer(query, a_spans, b_spans))
    unique = {s.coding: s for s in chosen}.values()
    return [
        s.coding
        for s in sorted(
            unique, key=lambda s: (s.document_name, s.document, s.start, s.end, s.coding)
        )
    ]


def _answer(
    query: CodeQuery, a_spans: Sequence[_Span], b_spans: Sequence[_Span]
) -> Iterator[_Span]:
    """The spans of one transcript that answer the query."""
    operator = query.operator
    if operator is None:
        yield from a_spans
    elif operator is Operator.OR:
        yield from a_spans
        yield from b_spans
    elif query.scope is Scope.DOCUMENT and operator is Operator.AND:
        if a_spans and b_spans:
            yield from a_spans
            yield from b_spans
    elif query.scope is Scope.DOCUMENT and operator is Operator.NOT:
        if not b_spans:
            yield from a_spans
    else:  # on the same segment (AND, NOT) or within a distance (NEAR, any scope)
        limit = query.distance if operator is Operator.NEAR else -1
        for a in a_spans:
            near = any(_gap(a, b) <= limit for b in b_spans if b.coding != a.coding)
            if near == (operator is not Operator.NOT):
                yield a


def _gap(a: _Span, b: _Span) -> int:
    """Characters between two spans: 0 when they touch, negative when they overlap."""
    return max(b.start - a.end, a.start - b.end)


def codings_by_ids(ids: Sequence[int]) -> list[m.Coding]:
    """The codings (with segment, code, coder and document) in the order of ``ids``."""
    found: dict[int, m.Coding] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found.update(
            (c.pk, c)
            for c in m.Coding.objects.filter(pk__in=chunk).select_related(
                "segment", "code", "coder", "document"
            )
        )
    return [found[pk] for pk in ids if pk in found]
