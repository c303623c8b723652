"""A researcher picks the columns of a meta-analysis from the file's own header.

Choosing the file sends it once to the server (htmx), which answers with the header's names;
every column field then suggests them, and the analysis runs with the names picked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import (  # noqa: F401 (fixtures)
    page,
    server,
    sign_in_setting_up_two_factor,
)

pytestmark = pytest.mark.browser

MOLLOY = Path(__file__).resolve().parents[1] / "stats" / "meta" / "reference" / "molloy2014.csv"


def test_a_researcher_picks_the_columns_from_the_files_header(server, page):  # noqa: F811
    sign_in_setting_up_two_factor(server, page, "onderzoeker")
    page.goto(server + "/research/meta/new/")
    page.get_by_label("Titel").fill("Molloy 2014")
    page.locator("[name=data_file]").set_input_files(str(MOLLOY))
    suggestions = page.locator("datalist#meta-column-names option")
    expect(suggestions).to_have_count(len(MOLLOY.read_text().splitlines()[0].split(",")))
    offered = [suggestions.nth(i).get_attribute("value") for i in range(suggestions.count())]
    assert {"ri", "ni", "authors"} <= set(offered)
    expect(page.locator("#meta-columns")).to_contain_text("ri")
    assert page.locator("[name=r]").get_attribute("list") == "meta-column-names"
    page.locator("[name=r]").fill("ri")
    page.locator("[name=n]").fill("ni")
    page.locator("[name=study]").fill("authors")
    page.locator("[name=method]").select_option("REML")
    expect(page.locator("[name=method] option[value=DL]")).to_have_text(re.compile("Laird"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/research/meta/\d+/$"))
    expect(page.locator("h1")).to_contain_text("Molloy 2014")
