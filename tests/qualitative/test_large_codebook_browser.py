"""A codebook of 1,000 codes in a real browser (issue 14, item 1).

A researcher imports a 1,000-code .qdc codebook, opens the codebook, finds a code through
the search field of the one shared list, moves a code under it and merges another into it,
then codes a passage of a transcript after finding the code in the coding page's search field.
The browser page fails on any console error (a CSP violation included). Load times are
printed for information only; the benchmark in ``benchmarks/qualitative/`` measures them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_coding import SELECT_TEXT, TRANSCRIPT
from tests.browser.test_sign_in import (  # noqa: F401 (fixtures)
    page,
    server,
    sign_in_setting_up_two_factor,
)
from yim.qualitative.refi.export import export_qdc
from yim.qualitative.refi.model import Code, Codebook

pytestmark = pytest.mark.browser

G = "00000000-0000-4000-a000-{:012d}".format
N = 1000


def codebook() -> Codebook:
    """200 themes with four sub-codes each: 1,000 codes."""
    themes = []
    for t in range(N // 5):
        children = tuple(
            Code(G(t * 5 + c + 1), f"Subcode {t:03d}.{c}", color="#59a14f") for c in range(4)
        )
        themes.append(Code(G(t * 5), f"Thema {t:03d}", color="#4e79a7", children=children))
    return Codebook(codes=tuple(themes))


def test_a_codebook_of_1000_codes_works_in_the_browser(
    server,  # noqa: F811 - the fixture imported above
    page,  # noqa: F811
    tmp_path: Path,
):
    sign_in_setting_up_two_factor(server, page, "onderzoeker")
    page.goto(server + "/qualitative/")
    create = page.locator("form[action$='/qualitative/new/']")
    create.locator("input[name=name]").fill("Groot codeboek")
    create.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/qualitative/\d+/$"))
    project_url = page.url

    qdc = tmp_path / "codeboek.qdc"
    qdc.write_bytes(export_qdc(codebook()))
    form = page.locator("form[action$='/import-codebook/']")
    form.locator("input[name=file]").set_input_files(str(qdc))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    started = time.perf_counter()
    page.goto(project_url + "codebook/")
    print(f"\ncodebook of {N} codes loaded in {time.perf_counter() - started:.2f} s")
    expect(page.locator("li.codebook-code")).to_have_count(N)

    # Move "Subcode 150.2" under "Thema 007": choose it, find the target, move.
    page.locator("li.codebook-code a", has_text="Subcode 150.2").click()
    page.wait_for_url(re.compile(r"\?code=\d+$"))
    panel = page.locator("#change")
    search = panel.get_by_label("Zoek een code")
    expect(search).to_be_visible()
    search.fill("thema 007")
    visible = panel.locator("#target option:not([hidden])")
    expect(visible).to_have_count(2)  # "(top level)" stays, and the one match
    panel.locator("#target").select_option(label="Thema 007")
    with page.expect_navigation():
        panel.get_by_role("button", name="Verplaats onder de gekozen code").click()
    moved = page.locator("li.codebook-code.current")
    expect(moved).to_have_class(re.compile(r"\bd1\b"))
    expect(page.locator("#change h2")).to_contain_text("Subcode 150.2")

    # Merge "Subcode 150.3" into "Subcode 150.2".
    page.goto(project_url + "codebook/")
    page.locator("li.codebook-code a", has_text="Subcode 150.3").click()
    page.wait_for_url(re.compile(r"\?code=\d+$"))
    page.get_by_label("Zoek een code").fill("150.2")
    page.locator("#target").select_option(label="\u2003\u2003Subcode 150.2")
    with page.expect_navigation():
        page.get_by_role("button", name="Voeg samen met de gekozen code").click()
    expect(page.locator("li.codebook-code")).to_have_count(N - 1)

    # Code a passage, finding the code through the coding page's search field.
    transcript = tmp_path / "interview.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    page.goto(project_url)
    upload = page.locator("form[action$='/transcripts/']")
    upload.locator("input[name=file]").set_input_files(str(transcript))
    upload.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/qualitative/\d+/documents/\d+/$"))
    expect(page.locator("label.code-choice")).to_have_count(N - 1)
    page.get_by_label("Zoek een code").fill("subcode 042.1")
    expect(page.locator("label.code-choice:not([hidden])")).to_have_count(1)
    assert page.evaluate(SELECT_TEXT, "de JIM hielp") == "de JIM hielp"
    page.locator("#selection-preview").filter(has_text="de JIM").wait_for()
    page.locator("label.code-choice:not([hidden]) input").check()
    with page.expect_navigation():
        page.locator("#apply-codes").click()
    expect(page.locator(".margin-seg .code-name")).to_have_text(["Subcode 042.1"])
