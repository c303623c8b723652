"""Server-rendered SVG charts: each risk domain over time, the start of the JIM marked.

The SVG is plain markup with presentation attributes (no script, no inline style), so it
passes the Content-Security-Policy and needs no JavaScript. It scales to the width of the
screen (``viewBox`` with ``width="100%"``), keeps text large enough on a phone and carries a
``<title>``/``<desc>`` for screen readers; the template also gives the numbers as a table.

:func:`line_chart_svg` is pure; :func:`domain_chart_svgs` reads a youth's submitted risk
assessments (two queries, one when the page loaded the youth's candidates) and is what pages
include (``monitoring/_domain_charts.html``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import get_language

if TYPE_CHECKING:
    from yim.trajectories.models import Candidate, Youth

RISK_INSTRUMENT = "risk_domains"

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 12, 14, 34
LINE = "#1f5fa8"
MARK = "#b45309"
GRID = "#d0d5dd"
INK = "#344054"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart_svg(
    points: list[tuple[dt.date, float]],
    *,
    low: float,
    high: float,
    title: str,
    description: str,
    mark_on: dt.date | None = None,
    mark_label: str = "",
    date_format: str = "%d-%m-%y",
) -> str:
    """One series over time as an SVG string (all text escaped)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = [p[0] for p in points] + ([mark_on] if mark_on else [])
    first = min(days) if days else timezone.localdate()
    last = max(days) if days else first
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / ((high - low) or 1))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" class="domain-chart" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    steps = int(high - low) if float(high - low).is_integer() and high - low <= 6 else 4
    for i in range(steps + 1):
        value = low + (high - low) * i / steps
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{_fmt(value)}</text>"
        )
    if mark_on is not None:
        mx = x(mark_on)
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="{MARK}" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
            f'<text x="{mx + 3:.1f}" y="{TOP + 10}" fill="{MARK}" font-weight="600">'
            f"{escape(mark_label)}</text>"
        )
    if len(points) > 1:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for day, value in points:
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="4" fill="{LINE}">'
            f"<title>{escape(day.strftime(date_format))}: {_fmt(value)}</title></circle>"
        )
    if points:
        labels = {points[0][0], points[-1][0]}
        for day in sorted(labels):
            anchor = "start" if day == first and len(labels) > 1 else "end"
            if len(labels) == 1:
                anchor = "middle"
            parts.append(
                f'<text x="{x(day):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" '
                f'fill="{INK}">{escape(day.strftime(date_format))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


class NumberTableText:
    """The text of the charts' number tables: a day as ``{{ day|date:"SHORT_DATE_FORMAT" }}``
    and a score as ``{{ score|floatformat:"-1" }}`` show them — the same filter functions, in
    the language active when the table is shown (Dutch writes a decimal comma) — each
    distinct day and score formatted once for all the charts of a youth: the charts share
    their days, and the scores take few values, but every cell of a table used to format
    its own."""

    def __init__(self) -> None:
        self._shown: dict[tuple[object, ...], str] = {}

    def day(self, day: dt.date) -> str:
        key = ("day", get_language(), day)
        if key not in self._shown:
            self._shown[key] = date_filter(day, "SHORT_DATE_FORMAT")
        return self._shown[key]

    def score(self, value: float) -> str:
        # By repr: 0.0 and -0.0 are equal as keys but need not look alike.
        key = ("score", get_language(), type(value), repr(value))
        if key not in self._shown:
            self._shown[key] = floatformat(value, "-1")  # a SafeString, as in the template
        return self._shown[key]


@dataclass(frozen=True)
class DomainChart:
    code: str
    title: str
    svg: Any  # a SafeString for templates
    points: tuple[tuple[dt.date, float], ...]
    latest_band: str
    text: NumberTableText = field(default_factory=NumberTableText, compare=False, repr=False)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The number table: each point's day and score as text (see
        :class:`NumberTableText`)."""
        return [(self.text.day(day), self.text.score(value)) for day, value in self.points]


def first_jim_day(youth: Youth, candidates: Iterable[Candidate] | None = None) -> dt.date | None:
    """The day the youth's first JIM accepted, over all the youth's trajectories (None
    before one did): from ``candidates`` — every candidate of every trajectory of the youth,
    as a page loaded them — or else one query."""
    if candidates is not None:
        days = [c.response_on for c in candidates if c.response == "accepted"]
        return min((day for day in days if day is not None), default=None)
    from yim.trajectories.models import Candidate

    return (
        Candidate.objects.filter(
            trajectory__youth=youth, response="accepted", response_on__isnull=False
        )
        .order_by("response_on")
        .values_list("response_on", flat=True)
        .first()
    )


def domain_chart_svgs(
    youth: Youth,
    language: str | None = None,
    *,
    candidates: Iterable[Candidate] | None = None,
) -> list[DomainChart]:
    """One chart per risk domain of the youth's submitted risk assessments, in wave order,
    with the day the first JIM accepted marked (:func:`first_jim_day`: ``candidates`` are
    all the youth's candidates when the page loaded them). Empty when nothing was assessed
    yet."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext as _

    from yim.monitoring import instruments
    from yim.monitoring.models import Assessment
    from yim.monitoring.scoring import score_range

    language = language or get_language()
    try:
        definition = instruments.get(RISK_INSTRUMENT)
    except KeyError:
        return []
    rows = list(
        Assessment.objects.submitted()
        .filter(youth=youth, instrument=RISK_INSTRUMENT, wave__isnull=False)
        .select_related("wave")
        .order_by("wave__on", "submitted_at", "pk")
        .values_list("wave__on", "scores")
    )
    if not rows:
        return []
    jim_on = first_jim_day(youth, candidates)
    text = NumberTableText()  # shared: the charts show the same days
    charts = []
    for subscale in definition.subscales:
        points = tuple(
            (day, float(scores[subscale.code]))
            for day, scores in rows
            if isinstance(scores, dict) and scores.get(subscale.code) is not None
        )
        label = subscale.label.get(language)
        low, high = score_range(definition, subscale)
        band = subscale.band(points[-1][1] if points else None)
        svg = line_chart_svg(
            list(points),
            low=low,
            high=high,
            title=label,
            description=_("%(domain)s over time, %(n)s measurements; 0 is no concerns.")
            % {"domain": label, "n": len(points)},
            mark_on=jim_on,
            mark_label=_("JIM"),
        )
        charts.append(
            DomainChart(
                code=subscale.code,
                title=label,
                svg=mark_safe(svg),  # noqa: S308 — built above with every text escaped
                points=points,
                latest_band=band.label.get(language) if band else "",
                text=text,
            )
        )
    return charts
