"""A researcher codes an interview in a real browser and takes the project to another tool.

Issue 6: import a transcript, create two codes, code three passages by selecting text, and
export a .qdpx — which must validate and hold exactly those three passages, emoji and Dutch
accents included (the browser counts UTF-16 units, the file counts code points).
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
from tests.qualitative.refi_fixtures import unzip
from yim.qualitative.refi.export import validate_qde
from yim.qualitative.refi.importer import import_qdpx

pytestmark = pytest.mark.browser

TRANSCRIPT = (
    "Interviewer: Hoe gaat het met je JIM?\n"
    "Jongere: Ik vond het één keer lastig 😟, maar de JIM hielp.\n"
    "Interviewer: En thuis?\n"
    "Jongere: Thuis is het rustiger, écht waar. 👍🏽\n"
)
PASSAGES = [
    ("één keer lastig 😟", ["Emotionele steun"]),
    ("de JIM hielp", ["Emotionele steun", "Thuis"]),
    ("Thuis is het rustiger, écht waar. 👍🏽", ["Thuis"]),
]

# Selects the first occurrence of a fragment inside the transcript's text blocks, across
# element boundaries, the way a mouse drag would (a DOM Range on the text nodes).
SELECT_TEXT = """
(fragment) => {
  const root = document.getElementById("coding-text");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest(".coding-block")
      ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT,
  });
  const nodes = [];
  let text = "";
  while (walker.nextNode()) {
    nodes.push([walker.currentNode, text.length]);
    text += walker.currentNode.data;
  }
  const start = text.indexOf(fragment);
  if (start < 0) { throw new Error("fragment not on the page: " + fragment); }
  const end = start + fragment.length;
  const locate = (position, isEnd) => {
    for (const [node, offset] of nodes) {
      const last = offset + node.data.length;
      if (position < last || (isEnd && position === last)) { return [node, position - offset]; }
    }
    throw new Error("position beyond the text");
  };
  const range = document.createRange();
  range.setStart(...locate(start, false));
  range.setEnd(...locate(end, true));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}
"""


def test_a_researcher_imports_codes_three_passages_and_exports_a_qdpx(
    server,  # noqa: F811 - the fixture imported above
    page,  # noqa: F811
    tmp_path: Path,
):
    sign_in_setting_up_two_factor(server, page, "onderzoeker")

    # A new project.
    page.goto(server + "/qualitative/")
    create = page.locator("form[action$='/qualitative/new/']")
    create.locator("input[name=name]").fill("JIM triades 2026")
    create.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/qualitative/\d+/$"))
    project_url = page.url

    # Import the transcript.
    transcript = tmp_path / "interview-jongere-a1.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    upload = page.locator("form[action$='/transcripts/']")
    upload.locator("input[name=file]").set_input_files(str(transcript))
    upload.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/qualitative/\d+/documents/\d+/$"))
    document_url = page.url
    expect(page.locator(".coding-block")).to_have_count(4)  # four speaker turns

    # Two codes.
    for name, colour in [("Emotionele steun", "#e06666"), ("Thuis", "#6fa8dc")]:
        page.goto(project_url + "codebook/")
        form = page.locator("form:has(#id_name)")
        form.locator("#id_name").fill(name)
        form.locator("#id_color").evaluate("(el, value) => { el.value = value; }", colour)
        form.locator("button[type=submit]").click()
        expect(page.locator(".codebook-code strong", has_text=name)).to_have_count(1)

    # Code three passages by selecting text.
    page.goto(document_url)
    for number, (fragment, code_names) in enumerate(PASSAGES, start=1):
        selected = page.evaluate(SELECT_TEXT, fragment)
        assert selected == fragment
        page.locator("#selection-preview").filter(has_text=fragment[:10]).wait_for()
        for code_name in code_names:
            page.locator("label.code-choice", has_text=code_name).locator("input").check()
        with page.expect_navigation():
            page.locator("#apply-codes").click()
        expect(page.locator(".margin-seg")).to_have_count(number)
    margin = page.locator(".coding-margin").all_inner_texts()
    assert any("Emotionele steun" in text for text in margin)
    highlighted = "".join(page.locator("mark.seg").all_inner_texts())
    assert "😟" in highlighted and "écht" in highlighted

    # Export the project and check the file with the importer.
    page.goto(project_url)
    with page.expect_download() as download_info:
        page.locator("a[href$='export.qdpx']").click()
    archive = Path(download_info.value.path()).read_bytes()
    validate_qde(unzip(archive)["project.qde"])
    project = import_qdpx(archive).project
    assert sorted(code.name for code, _path in project.iter_codes()) == [
        "Emotionele steun",
        "Thuis",
    ]
    (source,) = project.sources
    assert source.text == TRANSCRIPT
    names = {code.guid: code.name for code, _path in project.iter_codes()}
    coded = sorted(
        (source.text[s.start : s.end], sorted(names[c.code_guid] for c in s.codings))
        for s in source.selections
    )
    assert coded == sorted((fragment, sorted(codes)) for fragment, codes in PASSAGES)
    assert {u.name for u in project.users} == {"Rik Jansen"}
