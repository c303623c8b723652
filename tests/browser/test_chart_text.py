"""Chart text is readable on a phone (issue 12): on a 390 px screen every text of every chart —
the evidence dashboard's SVG charts and the plots of the risk trajectories, the moderators
and the comparison study — renders at 11 px or more and lies inside its chart and the
screen; the page does not scroll sideways.

The plots are matplotlib's SVG: the site's Content-Security-Policy refuses inline ``style``,
so the page must carry them as presentation attributes (else the drawing turns black and its
text falls back to the browser's size); the test checks that no ``style`` is left.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_hostile_text import _sign_in
from tests.browser.test_sign_in import browser_page, serve_demo

pytestmark = pytest.mark.browser

PHONE = 390
#: The smallest text a chart may show on the phone, in CSS pixels.
MIN_TEXT_PX = 11

#: Per chart on the page: its width, its texts' smallest rendered size (the font size times
#: the scale from the SVG's units to the screen), the texts outside the chart or the screen,
#: and the inline styles left (which the CSP would refuse).
MEASURE = """() => [...document.querySelectorAll("figure.evidence-chart-card svg")].map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")].filter(t => t.textContent.trim());
  let smallest = Infinity;
  const outside = [];
  for (const t of texts) {
    const m = t.getScreenCTM();
    const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    smallest = Math.min(smallest, size);
    const r = t.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
        || r.bottom > box.bottom + 1 || r.left < 0 || r.right > window.innerWidth)
      outside.push(t.textContent.trim());
  }
  return {
    title: (svg.querySelector("title") || {}).textContent || "",
    width: box.width,
    texts: texts.length,
    smallest,
    outside,
    styles: svg.querySelectorAll("[style], style").length,
  };
})"""


@pytest.fixture
def demo(yim_cmd, tmp_path):  # type: ignore[no-untyped-def]
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=False)


def _check_charts(page, where: str, at_least: int) -> list[dict]:  # type: ignore[no-untyped-def]
    charts = page.evaluate(MEASURE)
    assert len(charts) >= at_least, (where, charts)
    for chart in charts:
        assert chart["texts"] > 0, (where, chart)
        assert chart["smallest"] >= MIN_TEXT_PX, (where, chart)
        assert not chart["outside"], (where, chart)
        assert chart["styles"] == 0, (where, chart)
        assert 0 < chart["width"] <= PHONE, (where, chart)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, where
    return charts


def test_chart_text_is_readable_on_a_phone(demo, yim_cmd):  # type: ignore[no-untyped-def]
    for page in browser_page():
        assert page.viewport_size == {"width": PHONE, "height": 844}
        _sign_in(page, demo, "onderzoeker")
        page.goto(demo + "/evidence/")
        _check_charts(page, "/evidence/", at_least=6)
        for analysis, at_least in (("risk", 2), ("moderators", 1), ("comparison", 1)):
            page.goto(f"{demo}/evidence/{analysis}/")
            page.get_by_role("button", name="Op de achtergrond berekenen").first.click()
            page.wait_for_url(re.compile(r"/jobs/\d+/$"))
            yim_cmd("worker", "--batch", timeout=600)
            # the job page reloads itself until the result is there
            page.wait_for_selector("figure.evidence-chart-card svg", timeout=60_000)
            page.wait_for_load_state()
            _check_charts(page, analysis, at_least)
