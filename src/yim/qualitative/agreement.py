"""Inter-coder agreement over explicit units (speaker turns, sentences, …).

Every tool defines "agreement" over a different unit (NVivo: characters, MAXQDA: segments at an
overlap threshold, ATLAS.ti: quotations), so every result here names its unit and coefficient.

The unit of analysis is chosen by the caller. **Uncoded units count**: a coder who read a turn
and applied no code said "absent" for every code in that turn. Missing values (a coder who did
not see a unit at all) are ``None`` and are only usable by Krippendorff's α.

Coefficients
------------
* percent agreement: share of units (with ≥ 2 values) on which all coders agree;
* Cohen's κ (two coders): ``κ = (Po − Pe) / (1 − Pe)`` with
  ``Pe = Σ_c p₁(c)·p₂(c)`` summed over **all** categories and **all** units — for a
  present/absent code that is ``p₁(yes)p₂(yes) + p₁(no)p₂(no)``. (QualCoder multiplies instead
  of adding and restricts to coded text; that is not Cohen's κ.)
* Krippendorff's α for any number of coders with missing values, through the coincidence
  matrix (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"), at the nominal,
  ordinal, interval or ratio level.

Coefficients that are undefined (no variation at all, fewer than two pairable values) are
``None`` rather than NaN, so the caller must say "undefined" instead of printing a number.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AgreementError",
    "AgreementReport",
    "CodeAgreement",
    "CodedSpan",
    "Unit",
    "agreement_report",
    "assign_codes_to_units",
    "character_units",
    "cohens_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "segment_units",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
_LEVELS = ("nominal", "ordinal", "interval", "ratio")


class AgreementError(ValueError):
    """Input that cannot be turned into an agreement statistic."""


# ---------------------------------------------------------------------------------------------
# Low-level coefficients on ratings


def _weights(weights: Sequence[int] | None, n: int) -> Sequence[int]:
    """``weights`` (one positive count per unit), or 1 for every unit."""
    if weights is None:
        return [1] * n
    if len(weights) != n:
        raise AgreementError(f"{len(weights)} weights for {n} units")
    if any(w < 1 for w in weights):
        raise AgreementError("every unit weight must be a positive whole number")
    return weights


def percent_agreement(
    ratings: Sequence[Sequence[Hashable | None]], weights: Sequence[int] | None = None
) -> float | None:
    """Share of units on which all coders who rated the unit gave the same value.

    ``ratings`` is units × coders; ``None`` marks a missing value. Units with fewer than two
    values are skipped; ``None`` if no unit is left. ``weights`` (optional, one whole number
    per unit) counts a unit as that many identical units: a run of characters coded alike.
    """
    agreed = 0
    usable = 0
    for unit, weight in zip(ratings, _weights(weights, len(ratings)), strict=True):
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue
        usable += weight
        agreed += weight * (len(set(values)) == 1)
    return agreed / usable if usable else None


def cohens_kappa(
    coder1: Sequence[Hashable], coder2: Sequence[Hashable], weights: Sequence[int] | None = None
) -> float | None:
    """Cohen's κ for two coders who each rated the same units (no missing values).

    ``Pe = Σ_c p₁(c)·p₂(c)`` over every category either coder used. Returns ``None`` when
    ``Pe == 1`` (both coders used one and the same category throughout: κ is 0/0).
    ``weights`` counts each unit that many times (see :func:`percent_agreement`).
    """
    if len(coder1) != len(coder2):
        raise AgreementError(
            f"the two coders rated a different number of units ({len(coder1)} vs {len(coder2)})"
        )
    n = len(coder1)
    if n == 0:
        raise AgreementError("Cohen's kappa needs at least one unit")
    for i, (a, b) in enumerate(zip(coder1, coder2, strict=True)):
        if a is None or b is None:
            raise AgreementError(
                f"unit {i} has a missing value; Cohen's kappa needs complete data "
                "(use Krippendorff's alpha for missing values)"
            )
    w = _weights(weights, n)
    total = sum(w)
    po = sum(wi * (a == b) for a, b, wi in zip(coder1, coder2, w, strict=True)) / total
    m1: Counter[Hashable] = Counter()
    m2: Counter[Hashable] = Counter()
    for a, b, wi in zip(coder1, coder2, w, strict=True):
        m1[a] += wi
        m2[b] += wi
    pe = sum(m1[c] * m2[c] for c in m1.keys() | m2.keys()) / (total * total)
    if pe == 1:
        return None
    return (po - pe) / (1 - pe)


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Hashable | None]],
    level: Level = "nominal",
    weights: Sequence[int] | None = None,
) -> float | None:
    """Krippendorff's α from coders × units data; ``None`` marks a missing value.

    Builds the coincidence matrix ``o_ck = Σ_u (number of c–k pairs in unit u) / (m_u − 1)``
    over the units with ``m_u ≥ 2`` values, then ``α = 1 − D_o / D_e`` with
    ``D_o = Σ o_ck δ²_ck / n`` and ``D_e = Σ n_c n_k δ²_ck / (n (n − 1))``.
    Ordinal, interval and ratio levels need numeric values. Returns ``None`` when ``D_e = 0``
    (all pairable values identical) or fewer than two values are pairable. ``weights`` counts
    each unit that many times (its coincidences are multiplied by the weight).
    """
    if level not in _LEVELS:
        raise AgreementError(f"level must be one of {_LEVELS}, got {level!r}")
    if not reliability_data:
        raise AgreementError("Krippendorff's alpha needs at least one coder")
    n_units = len(reliability_data[0])
    for i, row in enumerate(reliability_data):
        if len(row) != n_units:
            raise AgreementError(
                f"coder row {i} has {len(row)} values, expected {n_units} (one per unit)"
            )
    w = _weights(weights, n_units)
    coincidences: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for u in range(n_units):
        values = [row[u] for row in reliability_data if row[u] is not None]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    coincidences[(c, k)] += w[u] * pairs / (m - 1)
    marginals: dict[Hashable, float] = defaultdict(float)
    for (c, _k), o in coincidences.items():
        marginals[c] += o
    n = sum(marginals.values())
    if n < 2:
        return None
    delta = _delta_function(level, marginals)
    d_observed = sum(o * delta(c, k) for (c, k), o in coincidences.items())
    d_expected = sum(
        marginals[c] * marginals[k] * delta(c, k) for c in marginals for k in marginals
    ) / (n - 1)
    if d_expected == 0:
        return None
    return 1 - d_observed / d_expected


def _delta_function(level: str, marginals: Mapping[Any, float]) -> Callable[[Any, Any], float]:
    """The squared difference δ²(c, k) for the measurement level (Krippendorff 2011, §F)."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    for value in marginals:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AgreementError(f"{level} alpha needs numeric values, got {value!r}")
    if level == "interval":
        return lambda c, k: float((c - k) ** 2)
    if level == "ratio":
        return lambda c, k: 0.0 if c == k else float(((c - k) / (c + k)) ** 2)
    # ordinal: ranks follow numeric order; δ² = (Σ_{g between c and k} n_g − (n_c + n_k)/2)²
    ordered = sorted(marginals)
    cumulative: dict[Any, float] = {}
    running = 0.0
    for value in ordered:
        cumulative[value] = running  # total of n_g for g strictly below value
        running += marginals[value]

    def ordinal(c: float, k: float) -> float:
        low, high = (c, k) if c <= k else (k, c)
        between = cumulative[high] + marginals[high] - cumulative[low]
        return (between - (marginals[c] + marginals[k]) / 2) ** 2

    return ordinal


# ---------------------------------------------------------------------------------------------
# From coded text to units


@dataclass(frozen=True)
class Unit:
    """A unit of analysis: an id (e.g. ``"doc3:turn12"``) and its code-point span."""

    id: str
    start: int
    end: int
    document: str = ""


@dataclass(frozen=True)
class CodedSpan:
    """One coding by one coder: code applied to ``[start, end)`` of a document."""

    coder: str
    code: str
    start: int
    end: int
    document: str = ""


def assign_codes_to_units(
    units: Sequence[Unit],
    spans: Iterable[CodedSpan],
    coders: Sequence[str],
    *,
    min_overlap: int = 1,
) -> dict[str, dict[str, frozenset[str]]]:
    """For each coder and unit, the set of codes whose spans overlap the unit.

    A span counts for a unit when it overlaps it by at least ``min_overlap`` code points in the
    same document. Every listed coder gets every unit (possibly with an empty set), so uncoded
    units count as "absent" for every code.
    """
    if min_overlap < 1:
        raise AgreementError(f"min_overlap must be at least 1, got {min_overlap}")
    result: dict[str, dict[str, set[str]]] = {c: {u.id: set() for u in units} for c in coders}
    by_document: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        by_document[unit.document].append(unit)
    # Per document: units by start, so only units starting before a span's end are looked
    # at (and, when the units do not overlap each other, only those ending after its start).
    starts: dict[str, list[int]] = {}
    ends: dict[str, list[int] | None] = {}
    for document, in_document in by_document.items():
        in_document.sort(key=lambda u: (u.start, u.end))
        starts[document] = [u.start for u in in_document]
        unit_ends = [u.end for u in in_document]
        disjoint = all(a.end <= b.start for a, b in pairwise(in_document))
        ends[document] = unit_ends if disjoint else None
    for span in spans:
        if span.coder not in result:
            raise AgreementError(f"span by unknown coder {span.coder!r} (coders: {coders})")
        candidates = by_document.get(span.document)
        if not candidates:
            continue
        high = bisect_left(starts[span.document], span.end - min_overlap + 1)
        sorted_ends = ends[span.document]
        low = 0 if sorted_ends is None else bisect_right(sorted_ends, span.start + min_overlap - 1)
        for unit in candidates[low:high]:
            overlap = min(unit.end, span.end) - max(unit.start, span.start)
            if overlap >= min_overlap:
                result[span.coder][unit.id].add(span.code)
    return {c: {u: frozenset(s) for u, s in per.items()} for c, per in result.items()}


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code, treated as present/absent per unit."""

    code: str
    unit: str
    n_units: int
    n_units_coded: int
    percent_agreement: float | None
    cohens_kappa: float | None
    krippendorff_alpha: float | None
    coefficient_note: str = "binary present/absent per unit; uncoded units included"


@dataclass(frozen=True)
class AgreementReport:
    """Per-code and pooled agreement, naming the unit and coefficients used.

    ``overall_*`` pool every (unit, code) decision into one present/absent table; ``exact_set``
    is the share of units on which the coders applied identical sets of codes.
    """

    unit: str
    coders: tuple[str, ...]
    n_units: int
    per_code: tuple[CodeAgreement, ...]
    overall_percent_agreement: float | None
    overall_cohens_kappa: float | None
    overall_krippendorff_alpha: float | None
    exact_set_agreement: float | None
    coefficients: tuple[str, ...] = field(
        default=(
            "percent agreement",
            "Cohen's kappa (Pe = sum over categories of p1*p2, all units)",
            "Krippendorff's alpha (nominal, coincidence matrix)",
        )
    )

    def summary(self) -> str:
        def fmt(x: float | None) -> str:
            return "undefined" if x is None else f"{x:.3f}"

        lines = [
            f"Agreement between {', '.join(self.coders)} over {self.n_units} units ({self.unit})",
            f"{'code':<30} {'coded':>5} {'%agree':>7} {'kappa':>9} {'alpha':>9}",
        ]
        for c in self.per_code:
            lines.append(
                f"{c.code[:30]:<30} {c.n_units_coded:>5} {fmt(c.percent_agreement):>7} "
                f"{fmt(c.cohens_kappa):>9} {fmt(c.krippendorff_alpha):>9}"
            )
        lines.append(
            f"{'pooled (unit x code)':<30} {'':>5} {fmt(self.overall_percent_agreement):>7} "
            f"{fmt(self.overall_cohens_kappa):>9} {fmt(self.overall_krippendorff_alpha):>9}"
        )
        lines.append(f"identical code sets per unit: {fmt(self.exact_set_agreement)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per code plus a ``(pooled)`` row; ``None`` becomes NaN."""
        import pandas as pd

        records = [
            {
                "code": c.code,
                "unit": c.unit,
                "n_units": c.n_units,
                "n_units_coded": c.n_units_coded,
                "percent_agreement": c.percent_agreement,
                "cohens_kappa": c.cohens_kappa,
                "krippendorff_alpha": c.krippendorff_alpha,
            }
            for c in self.per_code
        ]
        records.append(
            {
                "code": "(pooled)",
                "unit": f"{self.unit} x code",
                "n_units": self.n_units * len(self.per_code),
                "n_units_coded": None,
                "percent_agreement": self.overall_percent_agreement,
                "cohens_kappa": self.overall_cohens_kappa,
                "krippendorff_alpha": self.overall_krippendorff_alpha,
            }
        )
        return pd.DataFrame.from_records(records).astype(
            {"percent_agreement": float, "cohens_kappa": float, "krippendorff_alpha": float}
        )


def agreement_report(
    codings: Mapping[str, Mapping[str, frozenset[str] | set[str] | None]],
    *,
    units: Sequence[str],
    codes: Sequence[str] | None = None,
    unit_name: str = "speaker turn",
    weights: Mapping[str, int] | None = None,
) -> AgreementReport:
    """Agreement of several coders over explicit units.

    ``codings[coder][unit_id]`` is the set of codes the coder applied to the unit; an empty
    set means "read, nothing applied"; ``None`` or a missing key means the coder did not
    code this unit (missing value: excluded from % agreement and κ, kept by α).
    ``codes`` defaults to every code anyone used, sorted. ``weights[unit_id]`` (optional)
    counts a unit as that many identical units — a run of characters that every coder coded
    alike stands for each of its characters (:func:`character_units`); ``n_units`` and
    ``n_units_coded`` then count characters.
    """
    coders = tuple(codings)
    if len(coders) < 2:
        raise AgreementError(f"agreement needs at least two coders, got {len(coders)}")
    if not units:
        raise AgreementError("agreement needs at least one unit")
    if len(set(units)) != len(units):
        raise AgreementError("unit ids must be unique")
    known = set(units)
    for coder, per_unit in codings.items():
        unknown = set(per_unit) - known
        if unknown:
            raise AgreementError(f"coder {coder!r} coded unknown units {sorted(unknown)[:5]}")
    if codes is None:
        used: set[str] = set()
        for per_unit in codings.values():
            for applied in per_unit.values():
                used |= set(applied or ())
        codes = sorted(used)

    unit_weights = [1] * len(units) if weights is None else [weights[u] for u in units]
    weighted = None if weights is None else unit_weights

    def decision(coder: str, unit: str, code: str) -> bool | None:
        applied = codings[coder].get(unit)
        return None if applied is None else code in applied

    per_code = []
    pooled_rows: list[list[bool | None]] = []
    pooled_weights: list[int] | None = None if weighted is None else []
    for code in codes:
        rows = [[decision(c, u, code) for c in coders] for u in units]
        pooled_rows.extend(rows)
        if pooled_weights is not None:
            pooled_weights.extend(unit_weights)
        per_code.append(
            CodeAgreement(
                code=code,
                unit=unit_name,
                n_units=sum(unit_weights),
                n_units_coded=sum(
                    w for row, w in zip(rows, unit_weights, strict=True) if any(v for v in row)
                ),
                percent_agreement=percent_agreement(rows, weighted),
                cohens_kappa=_kappa_on_complete_rows(rows, weighted) if len(coders) == 2 else None,
                krippendorff_alpha=krippendorff_alpha(_transpose(rows), weights=weighted)
                if rows
                else None,
            )
        )
    exact_rows = [
        [None if codings[c].get(u) is None else frozenset(codings[c][u] or ()) for c in coders]
        for u in units
    ]
    return AgreementReport(
        unit=unit_name,
        coders=coders,
        n_units=sum(unit_weights),
        per_code=tuple(per_code),
        overall_percent_agreement=percent_agreement(pooled_rows, pooled_weights),
        overall_cohens_kappa=(
            _kappa_on_complete_rows(pooled_rows, pooled_weights)
            if len(coders) == 2 and pooled_rows
            else None
        ),
        overall_krippendorff_alpha=krippendorff_alpha(
            _transpose(pooled_rows), weights=pooled_weights
        )
        if pooled_rows
        else None,
        exact_set_agreement=percent_agreement(exact_rows, weighted),
    )


def _transpose(rows: list[list[bool | None]]) -> list[list[bool | None]]:
    return [list(col) for col in zip(*rows, strict=True)]


def _kappa_on_complete_rows(
    rows: list[list[bool | None]], weights: Sequence[int] | None = None
) -> float | None:
    w = _weights(weights, len(rows))
    complete = [
        (r, wi) for r, wi in zip(rows, w, strict=True) if r[0] is not None and r[1] is not None
    ]
    if not complete:
        return None
    return cohens_kappa(
        [r[0] for r, _w in complete],
        [r[1] for r, _w in complete],
        None if weights is None else [wi for _r, wi in complete],
    )


# ---------------------------------------------------------------------------------------------
# Units for texts without speaker turns


def character_units(
    document: str, length: int, spans: Iterable[CodedSpan]
) -> tuple[list[Unit], dict[str, int]]:
    """Every character of a text as a unit, in runs: the text ``[0, length)`` is cut at
    every start and end of a coded span of ``document``; each piece is one unit whose
    weight is its number of characters (every coder coded each of its characters alike).

    Reports built with these units and weights equal the reports over single characters,
    uncoded characters included (as NVivo's coding comparison counts them), at the cost of
    the number of pieces instead of the number of characters.
    """
    cuts = {0, length}
    for span in spans:
        if span.document == document:
            cuts.add(min(max(span.start, 0), length))
            cuts.add(min(max(span.end, 0), length))
    ordered = sorted(cuts)
    units = [
        Unit(f"{document}:{start}-{end}", start, end, document)
        for start, end in pairwise(ordered)
        if end > start
    ]
    return units, {u.id: u.end - u.start for u in units}


def segment_units(spans: Iterable[CodedSpan]) -> list[Unit]:
    """Every coded segment as a unit: the distinct ``[start, end)`` of any coder's spans,
    per document, in text order. A coder applied a code to a unit when one of their spans
    with that code overlaps it (:func:`assign_codes_to_units`)."""
    seen = sorted({(s.document, s.start, s.end) for s in spans if s.end > s.start})
    return [Unit(f"{d}:{start}-{end}", start, end, d) for d, start, end in seen]
