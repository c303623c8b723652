"""Analyses of a project's codings, read from the database in a fixed number of queries.

* :func:`codings_matching` — coded segments by code (with sub-codes) × attribute value;
* :func:`frequencies` — codings per code and attribute value (role) or per set (triad);
* :func:`cooccurrence` — per pair of codes, how many coded segments overlap;
* :func:`agreement` — the pure :func:`~.agreement.agreement_report` over speaker turns
  (:func:`agreement_selection` chooses its documents and coders); :func:`agreement_over`
  computes it over any units (characters, segments) from :func:`coded_spans`;
  :func:`agreement_in` is what the agreement page and the API both call: the report in the
  chosen unit (:data:`AGREEMENT_UNITS`), or in the unit the transcripts suggest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from . import models as m
from .agreement import (
    AgreementReport,
    CodedSpan,
    Unit,
    agreement_report,
    assign_codes_to_units,
    character_units,
    segment_units,
)
from .segments_export import SegmentRow


def code_paths(project: m.Project) -> dict[int, str]:
    codes = {c.pk: c for c in project.codes.all()}

    def path(code: m.Code) -> str:
        names = [code.name]
        seen = {code.pk}
        while code.parent_id is not None and code.parent_id not in seen:
            code = codes[code.parent_id]
            seen.add(code.pk)
            names.append(code.name)
        return "/".join(reversed(names))

    return {pk: path(code) for pk, code in codes.items()}


def codings_matching(
    project: m.Project,
    *,
    code: m.Code | None = None,
    variable: m.Variable | None = None,
    value: str = "",
    coder: m.Coder | None = None,
) -> QuerySet[m.Coding]:
    """Segment codings of the project, filtered; a code includes its sub-codes."""
    queryset = m.Coding.objects.filter(document__project=project, segment__isnull=False)
    if code is not None:
        queryset = queryset.filter(code_id__in={code.pk} | code.descendant_ids())
    if coder is not None:
        queryset = queryset.filter(coder=coder)
    if variable is not None:
        match = Q(document__participants__attributes__variable=variable) | Q(
            document__attributes__variable=variable
        )
        if value:
            match = Q(
                document__participants__attributes__variable=variable,
                document__participants__attributes__value=value,
            ) | Q(document__attributes__variable=variable, document__attributes__value=value)
        ids = m.Coding.objects.filter(document__project=project).filter(match).values("pk")
        queryset = queryset.filter(pk__in=ids)
    return queryset.select_related("segment", "code", "coder", "document").order_by(
        "document__name", "segment__start", "segment__end", "pk"
    )


def participant_attributes(project: m.Project) -> dict[int, dict[str, str]]:
    """Document id → attribute name → value (its participants' and its own attributes)."""
    result: dict[int, dict[str, str]] = defaultdict(dict)
    links = m.Participant.documents.through.objects.filter(participant__project=project)
    documents_of: dict[int, list[int]] = defaultdict(list)
    for participant_id, document_id in links.values_list("participant_id", "document_id"):
        documents_of[participant_id].append(document_id)
    participants = project.participants.select_related("code_set")
    for p in participants:
        for document_id in documents_of[p.pk]:
            result[document_id]["participant"] = p.name or p.guid
            if p.code_set is not None:  # a triad, or a set from an imported project
                result[document_id]["set"] = p.code_set.name
    values = m.AttributeValue.objects.filter(variable__project=project).select_related("variable")
    for a in values:
        if a.participant_id is not None:
            for document_id in documents_of[a.participant_id]:
                result[document_id][a.variable.name] = a.value
        elif a.document_id is not None:
            result[a.document_id][a.variable.name] = a.value
    return result


def segment_rows(project: m.Project, codings: Iterable[m.Coding]) -> list[SegmentRow]:
    paths = code_paths(project)
    attributes = participant_attributes(project)
    rows = []
    for c in codings:
        # A coding of a whole document (no segment) spans the whole text.
        start, end = (c.segment.start, c.segment.end) if c.segment else (0, len(c.document.text))
        rows.append(_segment_row(c, paths, attributes, start, end))
    return rows


def _segment_row(
    c: m.Coding, paths: dict[int, str], attributes: Any, start: int, end: int
) -> SegmentRow:
    return SegmentRow(
        code_path=paths[c.code_id],
        document=c.document.name,
        text=c.document.text[start:end],
        start=start,
        end=end,
        coder=str(c.coder) if c.coder else "",
        participant=attributes.get(c.document_id, {}),
    )


@dataclass(frozen=True)
class Table:
    """Rows (codes) × columns with counts; ``rows`` are ``(code path, [counts])``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]


def _table(project: m.Project, pairs: Iterable[tuple[int, str]]) -> Table:
    counts: Counter[tuple[int, str]] = Counter(pairs)
    columns = tuple(sorted({column for _code, column in counts}))
    paths = code_paths(project)
    used = sorted({code for code, _c in counts}, key=lambda pk: paths[pk])
    return Table(
        columns,
        tuple((paths[code], tuple(counts[(code, col)] for col in columns)) for code in used),
    )


def frequencies(project: m.Project, variable: m.Variable) -> Table:
    """Number of segment codings per code and value of ``variable`` (participants' values)."""
    return _segment_codings_by(
        project,
        "document__participants__attributes__value",
        document__participants__attributes__variable=variable,
    )


def frequencies_by_set(project: m.Project) -> Table:
    return _segment_codings_by(
        project,
        "document__participants__code_set__name",
        document__participants__code_set__isnull=False,
    )


def _segment_codings_by(project: m.Project, column: str, **condition: object) -> Table:
    """Number of segment codings per code and value of ``column`` (each coding counted once
    per value, however many participants of the document carry it)."""
    rows = (
        m.Coding.objects.filter(document__project=project, segment__isnull=False, **condition)
        .values_list("pk", "code_id", column)
        .distinct()
    )
    return _table(project, ((code, value) for _pk, code, value in rows))


def cooccurrence(project: m.Project, coder: m.Coder | None = None) -> Table:
    """Per pair of codes, the number of pairs of coded segments that overlap (same document).

    Two codings of one segment count as overlapping; the diagonal is the number of codings.
    """
    codings = m.Coding.objects.filter(document__project=project, segment__isnull=False)
    if coder is not None:
        codings = codings.filter(coder=coder)
    spans = defaultdict(list)
    for document_id, start, end, code_id in codings.values_list(
        "document_id", "segment__start", "segment__end", "code_id"
    ):
        spans[document_id].append((start, end, code_id))
    counts: Counter[tuple[int, int]] = Counter()
    for items in spans.values():
        items.sort()
        for i, (start, end, code) in enumerate(items):
            counts[(code, code)] += 1
            for other_start, other_end, other in items[i + 1 :]:
                if other_start >= end:
                    break
                if other != code and other_start < end and start < other_end:
                    counts[(code, other)] += 1
                    counts[(other, code)] += 1
    paths = code_paths(project)
    used = sorted({a for a, _b in counts}, key=lambda pk: paths[pk])
    return Table(
        tuple(paths[c] for c in used),
        tuple((paths[a], tuple(counts[(a, b)] for b in used)) for a in used),
    )


@dataclass(frozen=True)
class AgreementData:
    """The units and codings :func:`agreement_report` is computed from (shown beside it)."""

    units: tuple[Unit, ...]
    coders: tuple[m.Coder, ...]
    codings: dict[str, dict[str, frozenset[str] | None]]
    report: AgreementReport | None
    #: How many units each unit stands for (a run of characters: its length); none: one each.
    weights: dict[str, int] | None = None

    @property
    def n_units(self) -> int:
        """The units in the report's unit: characters counted one by one."""
        if self.weights is None:
            return len(self.units)
        return sum(self.weights[u.id] for u in self.units)


def agreement_selection(
    project: m.Project, document_ids: Iterable[int] = (), coder_ids: Iterable[int] = ()
) -> tuple[list[m.Document], list[m.Coder], list[m.Document], list[m.Coder]]:
    """The documents and coders an agreement report is computed over.

    Returns every document and every coder with codings (what may be chosen), then the
    chosen ones: those named in ``document_ids`` / ``coder_ids``, or all when none is named.
    The agreement page and the API both choose through this function, so they agree.
    """
    all_documents = list(project.documents.only("pk", "name", "guid", "project_id"))
    all_coders = list(project.coders.filter(codings__isnull=False).distinct())
    wanted_documents, wanted_coders = set(document_ids), set(coder_ids)
    documents = [d for d in all_documents if not wanted_documents or d.pk in wanted_documents]
    coders = [c for c in all_coders if not wanted_coders or c.pk in wanted_coders]
    return all_documents, all_coders, documents, coders


def agreement(
    project: m.Project, documents: Sequence[m.Document], coders: Sequence[m.Coder]
) -> AgreementData:
    """Agreement over speaker turns, uncoded turns included.

    A coder counts as having read a document when they coded anything in it; their turns in
    documents they never coded are missing values (used by Krippendorff's α only).
    Codes are identified by their path in the codebook.
    """
    turns = m.Turn.objects.filter(document__in=documents).order_by("document_id", "index")
    units = tuple(
        Unit(f"{t.document_id}:{t.index}", t.start, t.end, str(t.document_id)) for t in turns
    )
    return agreement_over(units, coded_spans(project, documents, coders), coders)


def coded_spans(
    project: m.Project, documents: Sequence[m.Document], coders: Sequence[m.Coder]
) -> list[CodedSpan]:
    """The coders' coded segments in the documents, codes named by their codebook path."""
    paths = code_paths(project)
    rows = m.Coding.objects.filter(
        document__in=documents, segment__isnull=False, coder__in=coders
    ).values_list("coder_id", "code_id", "segment__start", "segment__end", "document_id")
    return [
        CodedSpan(str(coder), paths[code], start, end, str(document))
        for coder, code, start, end, document in rows
    ]


def agreement_over(
    units: Sequence[Unit],
    spans: Sequence[CodedSpan],
    coders: Sequence[m.Coder],
    *,
    unit_name: str = "speaker turn",
    weights: dict[str, int] | None = None,
) -> AgreementData:
    """Agreement of ``coders`` over ``units`` from their coded ``spans``. A coder's units in a
    document they coded nothing in are missing values; no report with fewer than two coders
    or no units."""
    coder_keys = [str(c.pk) for c in coders]
    read = {(s.coder, s.document) for s in spans}
    assigned = assign_codes_to_units(units, spans, coder_keys)
    codings: dict[str, dict[str, frozenset[str] | None]] = {
        coder: {
            u.id: (assigned[coder][u.id] if (coder, u.document) in read else None) for u in units
        }
        for coder in coder_keys
    }
    report = None
    if len(coder_keys) >= 2 and units:
        report = agreement_report(
            codings, units=[u.id for u in units], unit_name=unit_name, weights=weights
        )
    return AgreementData(tuple(units), tuple(coders), codings, report, weights)


#: The units agreement can be computed over (query value → name in the report).
AGREEMENT_UNITS = {"turn": "speaker turn", "character": "character", "segment": "coded segment"}


def agreement_without_turns(
    project: m.Project, documents: Sequence[m.Document], coders: Sequence[m.Coder], unit: str
) -> AgreementData:
    """Agreement per transcript over characters (``unit="character"``: every character is
    coded or not coded with each code by each coder, uncoded characters included) or over
    coded segments (``unit="segment"``: the distinct segments of all coders). A coder's units
    in a transcript they coded nothing in are missing values, as with turns."""
    spans = coded_spans(project, documents, coders)
    weights: dict[str, int] | None = None
    units: list[Unit]
    if unit == "character":
        weights, units = {}, []
        lengths = m.Document.objects.filter(pk__in=[d.pk for d in documents]).annotate(
            n=Length("text")
        )
        by_document: dict[str, list[CodedSpan]] = defaultdict(list)
        for span in spans:
            by_document[span.document].append(span)
        for pk, length in lengths.order_by("name", "pk").values_list("pk", "n"):
            pieces, piece_weights = character_units(str(pk), length, by_document[str(pk)])
            units.extend(pieces)
            weights.update(piece_weights)
    else:
        units = segment_units(spans)
    return agreement_over(units, spans, coders, unit_name=AGREEMENT_UNITS[unit], weights=weights)


def agreement_in(
    project: m.Project,
    documents: Sequence[m.Document],
    coders: Sequence[m.Coder],
    unit: str | None = None,
) -> tuple[str, AgreementData]:
    """The agreement report in ``unit`` (a key of :data:`AGREEMENT_UNITS`) and that unit.

    Without a unit (or with one that is not a key): speaker turns when any chosen transcript
    has turns (or none is chosen), else characters. The agreement page and the API both
    compute through this function, so they give the same numbers.
    """
    if unit is None or unit not in AGREEMENT_UNITS:
        has_turns = m.Turn.objects.filter(document_id__in=[d.pk for d in documents]).exists()
        unit = "turn" if has_turns or not documents else "character"
    if unit == "turn":
        return unit, agreement(project, documents, coders)
    return unit, agreement_without_turns(project, documents, coders, unit)
