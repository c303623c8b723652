"""A youth fills in a questionnaire on a phone: stops halfway, comes back later, submits.

Uses the real server and browser fixtures of ``test_sign_in`` (``yim demo`` data, system
Chromium, a 390×844 viewport). Elements are found by their form names and values, not by
new wording, so the test does not depend on the Dutch catalogue being up to date.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import DEMO_PASSWORD, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

START = "form:has(input[name=instrument][value=relationship_quality]) button"


def _sign_in(page, server):  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(server + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill("jongere.sam")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/home/$"))


def _answer(page, item: str, value: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.locator(f"input[name=item_{item}][value='{value}']").check()


def _fits_the_phone(page) -> bool:  # type: ignore[no-untyped-def]  # noqa: F811
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_youth_stops_a_questionnaire_halfway_returns_and_submits(server, page):  # noqa: F811
    assert page.viewport_size == {"width": 390, "height": 844}
    _sign_in(page, server)
    page.goto(server + "/portal/")
    page.wait_for_url(re.compile(r"/portal/\d+/$"))
    page.locator(START).click()
    page.wait_for_url(re.compile(r"/monitoring/questionnaires/\d+/fill/\?page=1$"))
    assert _fits_the_phone(page)
    for item, value in [("close", 4), ("understood", 5), ("distant", 2), ("can_turn_to", 4)]:
        _answer(page, item, value)
    page.locator("button[name=action][value=next]").click()
    page.wait_for_url(re.compile(r"/fill/\?page=2$"))
    _answer(page, "practical_help", 3)
    page.locator("button[name=action][value=stop]").click()
    page.wait_for_url(re.compile(r"/portal/\d+/$"))

    # Later: sign out and in again, carry on where she left off.
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    _sign_in(page, server)
    page.goto(server + "/portal/")
    page.locator(START).click()
    page.wait_for_url(re.compile(r"/fill/\?page=2$"))
    assert page.locator("input[name=item_practical_help][value='3']").is_checked()
    for item, value in [("stands_up", 4), ("own_choices", 5), ("listens_to_ideas", 4)]:
        _answer(page, item, value)
    page.locator("button[name=action][value=back]").click()
    page.wait_for_url(re.compile(r"/fill/\?page=1$"))
    assert page.locator("input[name=item_distant][value='2']").is_checked()
    page.locator("button[name=action][value=next]").click()
    page.wait_for_url(re.compile(r"/fill/\?page=2$"))
    assert page.locator("input[name=item_own_choices][value='5']").is_checked()
    page.locator("button[name=action][value=next]").click()
    page.wait_for_url(re.compile(r"/fill/\?page=3$"))
    _answer(page, "decides_for_me", 1)
    _answer(page, "contact", 4)
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(re.compile(r"/questionnaires/\d+/done/$"))
    expect(page.locator(".status-ok")).to_be_visible()
    assert _fits_the_phone(page)

    # Back to the portal: the questionnaire is done and cannot be started again.
    page.goto(server + "/portal/")
    expect(page.locator(START)).to_have_count(0)
