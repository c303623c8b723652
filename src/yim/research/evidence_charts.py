"""Server-rendered SVG charts of the evidence page: the step chart of the time to JIM (the
share with a JIM by day t, as the cumulative incidence with "no JIM found" competing and as
1 − Kaplan–Meier with "no JIM" censored), and bars of shares with their 95% intervals.

Plain markup with presentation attributes (no script, no inline style), scaled to the screen
(``viewBox``, ``width="100%"``), with ``<title>``/``<desc>``; the page shows the numbers in a
table beside it. All text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from yim.research.evidence.estimators import Curves

WIDTH, HEIGHT = 360, 212
LEFT, RIGHT, TOP, BOTTOM = 38, 12, 12, 52
GRID = "#d0d5dd"
INK = "#344054"
CIF_COLOUR = "#1f5fa8"
KM_COLOUR = "#b45309"


def _path(times: list[float], values: list[float], x_max: float) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * min(day, x_max) / (x_max or 1)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value)

    points = [f"M{x(0):.1f},{y(0):.1f}"]
    for day, value in zip(times, values, strict=True):
        if day > x_max:
            break
        points.append(f"H{x(day):.1f}V{y(value):.1f}")
    points.append(f"H{x(x_max):.1f}")
    return "".join(points)


def time_to_jim_svg(
    data: Curves, *, title: str, description: str, cif_label: str, km_label: str, days: str
) -> str:
    """The two step curves up to the last time (at most 365 days), as an SVG string."""
    x_max = min(max(data.times[-1], 30.0), 365.0)
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" class="evidence-chart" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for i in range(5):
        value = i / 4
        y = TOP + plot_h * (1 - value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{round(value * 100)}%</text>"
        )
    plot_w = WIDTH - LEFT - RIGHT
    for day in (0, 30, 60, 90, 180, 365):
        if day > x_max:
            break
        x = LEFT + plot_w * day / x_max
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" fill="{INK}">'
            f"{day}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - BOTTOM + 28}" text-anchor="middle" '
        f'fill="{INK}">{escape(days)}</text>'
    )
    parts.append(
        f'<path d="{_path(data.times, data.one_minus_km, x_max)}" fill="none" '
        f'stroke="{KM_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<path d="{_path(data.times, data.incidence, x_max)}" fill="none" '
        f'stroke="{CIF_COLOUR}" stroke-width="2"/>'
    )
    legend_y = HEIGHT - 4
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + 16}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
        f'stroke="{CIF_COLOUR}" stroke-width="2"/>'
        f'<text x="{LEFT + 20}" y="{legend_y}" fill="{INK}">{escape(cif_label)}</text>'
        f'<line x1="{LEFT + 170}" x2="{LEFT + 186}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
        f'stroke="{KM_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{LEFT + 190}" y="{legend_y}" fill="{INK}">{escape(km_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    """One share of a bar chart: ``share`` and its interval in 0..1, or withheld."""

    label: str
    share: float | None
    ci: tuple[float, float] | None
    suppressed: bool


BAR_HEIGHT, BAR_GAP, LABEL_GAP = 12, 30, 14


def shares_svg(bars: list[Bar], *, title: str, description: str, suppressed: str) -> str:
    """Horizontal bars from 0 to 100% with the 95% interval as a whisker; a withheld share
    is written as ``suppressed`` instead of a bar (never drawn as 0%). All text escaped."""
    left, right = 14, 44  # room for the half-width of the 0% and 100% labels
    plot_w = WIDTH - left - right
    height = TOP + len(bars) * (BAR_GAP + BAR_HEIGHT) + 24

    def x(value: float) -> float:
        return left + plot_w * min(max(value, 0.0), 1.0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" class="evidence-chart" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    bottom = height - 20
    for i in range(5):
        gx = x(i / 4)
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{TOP}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{gx:.1f}" y="{bottom + 14}" text-anchor="middle" fill="{INK}">'
            f"{i * 25}%</text>"
        )
    for n, bar in enumerate(bars):
        top = TOP + n * (BAR_GAP + BAR_HEIGHT)
        label_y, bar_y = top + LABEL_GAP - 2, top + LABEL_GAP + 2
        parts.append(f'<text x="{left}" y="{label_y}" fill="{INK}">{escape(bar.label)}</text>')
        if bar.suppressed or bar.share is None:
            text = suppressed if bar.suppressed else "—"
            parts.append(
                f'<text x="{left}" y="{bar_y + BAR_HEIGHT - 2}" fill="{INK}" '
                f'font-style="italic">{escape(text)}</text>'
            )
            continue
        parts.append(
            f'<rect x="{left}" y="{bar_y}" width="{x(bar.share) - left:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{CIF_COLOUR}"/>'
        )
        if bar.ci is not None:
            low, high, mid = x(bar.ci[0]), x(bar.ci[1]), bar_y + BAR_HEIGHT / 2
            parts.append(
                f'<path d="M{low:.1f},{mid - 4:.1f}V{mid + 4:.1f}M{low:.1f},{mid:.1f}'
                f'H{high:.1f}M{high:.1f},{mid - 4:.1f}V{mid + 4:.1f}" stroke="{INK}" '
                f'stroke-width="1.5" fill="none"/>'
            )
        end = bar.ci[1] if bar.ci is not None else bar.share
        parts.append(
            f'<text x="{x(end) + 4:.1f}" y="{bar_y + BAR_HEIGHT - 2}" fill="{INK}">'
            f"{bar.share * 100:.0f}%</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
