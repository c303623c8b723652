"""Server-rendered SVG step chart of the time to JIM: the share with a JIM by day t, as the
cumulative incidence ("no JIM found" competing) and as 1 − Kaplan–Meier ("no JIM" censored).

Plain markup with presentation attributes (no script, no inline style), scaled to the screen
(``viewBox``, ``width="100%"``), with ``<title>``/``<desc>``; the page shows the numbers in a
table beside it. All text is escaped.
"""

from __future__ import annotations

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
