"""The main navigation on a phone: one row that scrolls sideways, the current page in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import (  # noqa: F401 (fixtures)
    page,
    server,
    sign_in_setting_up_two_factor,
)

pytestmark = pytest.mark.browser


def test_a_team_lead_on_a_phone_sees_the_current_page_in_a_one_row_navigation(
    server,  # noqa: F811
    page,  # noqa: F811
):
    assert page.viewport_size == {"width": 390, "height": 844}
    sign_in_setting_up_two_factor(server, page, "lead.noord")

    links = page.locator(".site-header nav a")
    assert links.count() >= 6  # enough entries to overflow a phone's width
    last = links.last
    href = last.get_attribute("href")
    page.goto(server + href)
    current = page.locator(".site-header nav a[aria-current=page]")
    expect(current).to_have_count(1)
    assert current.get_attribute("href") == href

    # One row, and the page itself never scrolls sideways.
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    assert len({round(box["y"]) for box in boxes}) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The entries overflow the row, and the current one was scrolled into view.
    assert boxes[-1]["x"] + boxes[-1]["width"] <= 390
    assert page.evaluate(
        "(() => { const ul = document.querySelector('.site-header nav ul');"
        " return ul.scrollWidth > ul.clientWidth && ul.scrollLeft > 0; })()"
    )
    # Touch targets of at least 44 px.
    assert min(box["height"] for box in boxes) >= 44
