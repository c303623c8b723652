"""An organisation admin gives a new colleague an account; the colleague takes it over.

The admin never types a password: the page shows a single-use link (built from YIM_BASE_URL)
with which the colleague chooses one, then signs in and sets up two-factor sign-in.
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

NEW_PASSWORD = "Lange-zin-voor-Noor-2026"


def test_an_admin_creates_an_account_and_the_colleague_sets_a_password_and_signs_in(
    server,  # noqa: F811
    page,  # noqa: F811
):
    sign_in_setting_up_two_factor(server, page, "admin.jeugdzorg")
    page.locator("nav a[href='/users/']").click()
    page.wait_for_url(re.compile(r"/users/$"))
    page.locator("a[href='/users/new/']").first.click()
    page.wait_for_url(re.compile(r"/users/new/$"))
    page.fill("[name=username]", "noor.visser")
    page.fill("[name=first_name]", "Noor")
    page.fill("[name=last_name]", "Visser")
    page.fill("[name=email]", "noor.visser@example.org")
    page.select_option("[name=role]", "professional")
    page.select_option("[name=team]", index=1)
    page.locator("main button[type=submit]").click()

    link = page.locator("input.link-output")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(server + "/users/set-password/")
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))

    # The colleague opens the link, chooses a password and signs in with it.
    page.goto(url)
    page.fill("[name=new_password1]", NEW_PASSWORD)
    page.fill("[name=new_password2]", NEW_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    sign_in_setting_up_two_factor(server, page, "noor.visser", NEW_PASSWORD)

    # The link worked once: now it is gone, with a page that says what to do.
    used = page.request.get(url)
    assert used.status == 410
    assert "om een nieuwe" in used.text()
