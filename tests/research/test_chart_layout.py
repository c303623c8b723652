"""Charts sized for a phone and fit for the site's Content-Security-Policy (issue 12): long bar
labels wrap, the legend takes a line per curve, and matplotlib's SVG loses its inline styles
(which ``style-src 'self'`` refuses) for presentation attributes. The rendered sizes are
measured in a browser by ``tests/browser/test_chart_text.py``."""

from __future__ import annotations

import re

from yim.research.evidence.estimators import curves
from yim.research.evidence_charts import (
    CHAR_WIDTH,
    FONT_SIZE,
    WIDTH,
    Bar,
    page_svg,
    shares_svg,
    time_to_jim_svg,
)

LONG = "JIM geraadpleegd vóór het definitief maken, of reden zonder JIM vastgelegd"


def texts(svg: str) -> list[str]:
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)


def test_a_long_bar_label_wraps_into_lines_that_fit_the_chart():
    svg = shares_svg(
        [Bar(LONG, 0.5, (0.4, 0.6), False), Bar("Kort", 0.2, None, False)],
        title="T",
        description="D",
        suppressed="withheld",
    )
    lines = [t for t in texts(svg) if t and not t.endswith("%")]
    assert " ".join(lines[:-1]) == LONG.replace("&", "&amp;") and len(lines) > 2
    assert all(len(line) * CHAR_WIDTH <= WIDTH for line in lines)
    assert f'font-size="{FONT_SIZE}"' in svg and f'viewBox="0 0 {WIDTH} ' in svg


def test_the_legend_has_a_line_per_curve():
    svg = time_to_jim_svg(
        curves([3, 5, 8], [1, 2, 1]),
        title="t",
        description="d",
        cif_label="cumulatieve incidentie",
        km_label="1 − Kaplan–Meier",
        days="dagen",
    )
    found = {
        label: float(y)
        for y, label in re.findall(
            r'<text x="[\d.]+" y="([\d.]+)" fill="[^"]+">([^<]+)</text>', svg
        )
    }
    assert found["1 − Kaplan–Meier"] - found["cumulatieve incidentie"] >= FONT_SIZE


MATPLOTLIB = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="316.8pt" height="187.2pt" \
viewBox="0 0 316.8 187.2" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <defs>
  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>
 </defs>
 <g id="figure_1">
  <path d="M 0 0 L 10 10" style="fill: #ffffff"/>
  <path d="M 1 1 L 9 9" clip-path="url(#p1)" \
style="fill: none; stroke: #1b6e3c; stroke-width: 1.5"/>
  <text style="font: 700 10px 'DejaVu Sans'; text-anchor: middle" x="5" y="5">\
a &lt;b&gt; style="x"</text>
 </g>
</svg>
"""


def test_matplotlib_svg_keeps_its_look_without_inline_styles():
    svg = page_svg(MATPLOTLIB)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style=" not in svg.replace('style="x"', "") and "<style" not in svg
    assert 'fill="#ffffff"' in svg
    assert 'stroke="#1b6e3c" stroke-width="1.5"' in svg
    assert 'font-size="10px"' in svg and 'font-weight="700"' in svg
    assert 'text-anchor="middle"' in svg and "system-ui" in svg
    assert 'stroke-linejoin="round"' in svg  # the rule for every element, on the root
    assert 'a &lt;b&gt; style="x"</text>' in svg  # the text itself untouched, still escaped
    root = svg[: svg.index(">") + 1]
    assert 'width="100%"' in root and 'viewBox="0 0 316.8 187.2"' in root
    assert "pt" not in root and "height=" not in root
    assert page_svg(svg) == svg  # idempotent: a stored result shown twice


def test_a_panel_chart_converts_every_panel():
    panels = '<div class="chart-panels">' + MATPLOTLIB + MATPLOTLIB + "</div>"
    svg = page_svg(panels)
    assert svg.startswith('<div class="chart-panels"><svg')
    assert svg.count('class="evidence-chart evidence-plot"') == 2
    assert "style=" not in svg.replace('style="x"', "")
