"""An organisation admin makes the organisation's own programme; professionals get it at intake.

Copy the standard JIM approach, leave out positioning, evaluate every three months, save —
then a professional's intake form offers the new programme, and after deactivation no longer.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import (  # noqa: F401 (fixtures)
    page,
    server,
    sign_in_setting_up_two_factor,
)

pytestmark = pytest.mark.browser


def _intake_programmes(page, server) -> list[str]:  # noqa: F811
    page.goto(server + "/trajectories/intake/")
    return page.locator("[name=programme] option").all_inner_texts()


def test_an_admin_copies_a_programme_and_the_intake_offers_it_until_deactivated(
    server,  # noqa: F811
    page,  # noqa: F811
):
    sign_in_setting_up_two_factor(server, page, "admin.jeugdzorg")
    page.locator("nav a[href='/programmes/']").click()
    page.wait_for_url(re.compile(r"/programmes/$"))
    page.locator("tr", has_text="indicated").locator("a[href$='/copy/']").click()
    page.wait_for_url(re.compile(r"/programmes/\d+/copy/$"))
    expect(page.locator("[name=name]")).to_have_value("Geïndiceerde preventie (JIM-aanpak) (kopie)")
    page.fill("[name=code]", "jim-licht")
    page.fill("[name=name]", "JIM licht")
    page.locator("[name=phases][value=positioning]").uncheck()
    expect(page.locator("[name=phases][value=referral]")).to_be_disabled()
    page.fill("[name=evaluation_interval_months]", "3")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/programmes/$"))
    page.locator("a", has_text="JIM licht").click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    edit_url = page.url
    expect(page.locator("[name=phases][value=positioning]")).not_to_be_checked()
    expect(page.locator("[name=evaluation_interval_months]")).to_have_value("3")

    # A typo in the cadence gets a message on the field; nothing saved is lost.
    page.fill("[name=evaluation_interval_months]", "13")
    page.locator("main form button[type=submit]").first.click()
    field = page.locator("[data-field=evaluation_interval_months]")
    expect(field.locator(".error")).to_contain_text("12")
    page.goto(edit_url)
    expect(page.locator("[name=evaluation_interval_months]")).to_have_value("3")

    # A professional of the organisation, in a browser of their own, finds it at intake.
    professional = page.context.browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}
    ).new_page()
    sign_in_setting_up_two_factor(server, professional, "prof.noord")
    assert "JIM licht" in _intake_programmes(professional, server)

    page.goto(edit_url)
    page.locator("form[action$='/deactivate/'] button").click()
    expect(page.locator(".tag", has_text="gedeactiveerd")).to_be_visible()
    assert "JIM licht" not in _intake_programmes(professional, server)
    assert any("JIM-aanpak" in name for name in _intake_programmes(professional, server))
