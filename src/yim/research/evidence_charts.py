"""Server-rendered SVG charts of the evidence page: the step chart of the time to JIM (the
share with a JIM by day t, as the cumulative incidence with "no JIM found" competing and as
1 − Kaplan–Meier with "no JIM" censored), and bars of shares with their 95% intervals.

Plain markup with presentation attributes (no script, no inline style), scaled to the screen
(``viewBox``, ``width="100%"``), with ``<title>``/``<desc>``; the page shows the numbers in a
table beside it. All text is escaped.

Sized for a phone: the ``viewBox`` is about as wide as the chart's box on a 390 px screen
(316 px), so the 12-unit text renders at about 12 px there and larger on wider screens
(never smaller than 11 px, checked by ``tests/browser/test_chart_text.py``); long bar labels
wrap instead of running out of the picture, and the legend has a line per curve.

:func:`page_svg` makes a matplotlib SVG (the risk trajectories, the moderators' forest plot,
the love plot) safe to show inline under the site's Content-Security-Policy, which refuses
inline ``style``: its styles become presentation attributes.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html import escape

from yim.research.evidence.estimators import Curves

WIDTH, HEIGHT = 320, 236
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 12, 76
#: Text size in viewBox units, and the widest a character of it is taken to be (for wrapping).
FONT_SIZE, CHAR_WIDTH = 12, 7.0
LINE = 15
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
        _open_svg(HEIGHT),
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
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + LINE}" text-anchor="middle" '
            f'fill="{INK}">{day}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - BOTTOM + 2 * LINE + 1}" '
        f'text-anchor="middle" fill="{INK}">{escape(days)}</text>'
    )
    parts.append(
        f'<path d="{_path(data.times, data.one_minus_km, x_max)}" fill="none" '
        f'stroke="{KM_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<path d="{_path(data.times, data.incidence, x_max)}" fill="none" '
        f'stroke="{CIF_COLOUR}" stroke-width="2"/>'
    )
    # the legend: a line per curve, under the axis
    for row, (label, colour, dashes) in enumerate(
        ((cif_label, CIF_COLOUR, ""), (km_label, KM_COLOUR, ' stroke-dasharray="4 3"'))
    ):
        legend_y = HEIGHT - 4 - (1 - row) * (LINE + 2)
        parts.append(
            f'<line x1="{LEFT - 30}" x2="{LEFT - 10}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"{dashes}/>'
            f'<text x="{LEFT - 5}" y="{legend_y}" fill="{INK}">{escape(label)}</text>'
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


BAR_HEIGHT, BAR_GAP = 13, 12


def _open_svg(height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" class="evidence-chart" '
        f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">'
    )


def _lines(text: str, width: float) -> list[str]:
    """``text`` wrapped to lines that fit ``width`` units (long words are kept whole)."""
    chars = max(8, int(width / CHAR_WIDTH))
    return textwrap.wrap(text, chars, break_long_words=False) or [""]


def shares_svg(bars: list[Bar], *, title: str, description: str, suppressed: str) -> str:
    """Horizontal bars from 0 to 100% with the 95% interval as a whisker; a withheld share
    is written as ``suppressed`` instead of a bar (never drawn as 0%). A label longer than
    the chart is wide takes several lines. All text escaped."""
    left, right = 12, 40  # room for the half-width of the 0% label and for "100%" beside a bar
    plot_w = WIDTH - left - right
    labels = [_lines(bar.label, WIDTH - left - 2) for bar in bars]
    heights = [len(lines) * LINE + BAR_HEIGHT + BAR_GAP for lines in labels]
    height = TOP + sum(heights) + 26

    def x(value: float) -> float:
        return left + plot_w * min(max(value, 0.0), 1.0)

    parts = [
        _open_svg(height),
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    bottom = height - 22
    for i in range(5):
        gx = x(i / 4)
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{TOP}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{gx:.1f}" y="{bottom + LINE}" text-anchor="middle" fill="{INK}">'
            f"{i * 25}%</text>"
        )
    top = TOP
    for bar, lines, row_height in zip(bars, labels, heights, strict=True):
        bar_y = top + len(lines) * LINE + 3
        for k, line in enumerate(lines):
            line_y = top + (k + 1) * LINE - 3
            parts.append(f'<text x="{left}" y="{line_y}" fill="{INK}">{escape(line)}</text>')
        top += row_height
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


# --- matplotlib's SVG on a page ---------------------------------------------------------------

_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*", re.S)
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_SIZE = re.compile(r"[-+]?\d*\.?\d+(px|pt|em|rem|%)$")
#: The generic families after matplotlib's font (the browser may not have DejaVu Sans).
FALLBACK_FONTS = "system-ui, sans-serif"


def _declarations(css: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for declaration in css.split(";"):
        name, colon, value = declaration.partition(":")
        if colon and name.strip() and value.strip():
            pairs.append((name.strip().lower(), value.strip()))
    return pairs


def _font(value: str) -> list[tuple[str, str]]:
    """The ``font`` shorthand matplotlib writes (``[style] [weight] size family``)."""
    words = value.split()
    for i, word in enumerate(words):
        if _SIZE.match(word):
            result = [("font-size", word)]
            for before in words[:i]:
                if before in ("italic", "oblique"):
                    result.append(("font-style", before))
                elif before not in ("normal",):
                    result.append(("font-weight", before))
            family = " ".join(words[i + 1 :]).replace('"', "'")
            result.append(("font-family", f"{family}, {FALLBACK_FONTS}" if family else ""))
            return [(name, v) for name, v in result if v]
    return []


def _as_attributes(css: str) -> str:
    attributes: list[str] = []
    for name, value in _declarations(css):
        if not re.fullmatch(r"[a-z-]+", name):
            continue
        pairs = _font(value) if name == "font" else [(name, value)]
        attributes.extend(f' {n}="{escape(v, quote=True)}"' for n, v in pairs)
    return "".join(attributes)


def page_svg(svg: str) -> str:
    """A matplotlib SVG (one or several) ready to show inline on a page under the site's
    Content-Security-Policy (``style-src 'self'`` refuses inline styles, which would leave
    the drawing black and its text at the browser's size): every ``style`` attribute becomes
    presentation attributes, a ``<style>`` element's rules for every element (``*{…}``, what
    matplotlib writes) go onto the root, the XML prologue goes; the drawing scales to its box
    (``viewBox``, ``width="100%"``, no fixed height). Idempotent; the text stays as escaped."""
    svg = _PROLOGUE.sub("", svg)
    rules = "".join(
        block.split("{", 1)[1].rsplit("}", 1)[0]
        for css in _STYLE_ELEMENT.findall(svg)
        for block in re.findall(r"\*\s*\{[^}]*\}", css)
    )
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)

    def tag(match: re.Match[str]) -> str:
        text = _STYLE_ATTRIBUTE.sub(lambda m: _as_attributes(m.group(1)), match.group(0))
        if text.startswith("<svg") and 'class="evidence-chart' not in text:
            text = re.sub(r'\s(width|height)="[^"]*"', "", text, count=2)
            text = text.replace(
                "<svg",
                '<svg class="evidence-chart evidence-plot" width="100%" '
                'preserveAspectRatio="xMidYMin meet"' + _as_attributes(rules),
                1,
            )
        return text

    return _TAG.sub(tag, svg).strip()
