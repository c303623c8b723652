"""Every page of every role fits a 390 px phone screen.

Each demo account signs in and walks every page it can reach from its home page by following
links (breadth first, GET only, no downloads or state changes). On each page the document may
not be wider than the screen: wide tables scroll inside their own box, the page never scrolls
sideways. On the same walk every id on a page is unique, so that each label points at its
own field (two forms on one page with a field of the same name once shared ``id_reason``).
The offenders of all roles are reported together, with their widths or their ids.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.test_hostile_text import FILES, SKIP, _sign_in
from tests.browser.test_sign_in import browser_page, serve_demo

pytestmark = pytest.mark.browser

PHONE = 390
#: Pages per role at most; a detail page of the same kind adds nothing after the first few.
MAX_PAGES = 45
#: Paths of the same shape are visited this often at most (/youth/1/, /youth/2/, …).
PER_SHAPE = 2
ROLES = (
    "prof.noord",
    "lead.noord",
    "admin.jeugdzorg",
    "onderzoeker",
    "jongere.sam",
    "jim.tante",
    "ouder.sam",
)
#: Besides state changes and downloads: other languages and sign-out end the walk's point.
LEAVE = re.compile(r"/(i18n|accounts/logout|accounts/2fa)/")


@pytest.fixture
def demo(yim_cmd, tmp_path):  # type: ignore[no-untyped-def]
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=False)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


#: The ids that stand more than once on the page.
REPEATED_IDS = """() => {
    const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
    return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
}"""


def _walk_widths(page, base: str) -> tuple[int, dict[str, int], dict[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Pages visited, the width of every page wider than the phone, and the ids that stand
    more than once on a page."""
    queue, seen, shapes = deque(["/home/"]), set(), {}  # type: ignore[var-annotated]
    too_wide: dict[str, int] = {}
    repeated: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        shape = _shape(path)
        if path in seen or shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = page.goto(base + path)
        assert response is not None and response.status < 500, f"{path}: {response}"
        visited += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE:
            too_wide[path] = width
        if ids := page.evaluate(REPEATED_IDS):
            repeated[path] = ids
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlsplit(urljoin(base + path, href))
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.netloc != urlsplit(base).netloc or target in seen:
                continue
            if SKIP.search(target) or LEAVE.search(target) or FILES.search(url.path):
                continue
            queue.append(target)
    return visited, too_wide, repeated


def test_every_page_of_every_role_fits_a_phone_screen(demo):  # type: ignore[no-untyped-def]
    offenders: dict[str, dict[str, int]] = {}
    repeated_ids: dict[str, dict[str, list[str]]] = {}
    for username in ROLES:
        for page in browser_page():
            assert page.viewport_size == {"width": PHONE, "height": 844}
            _sign_in(page, demo, username)
            visited, too_wide, repeated = _walk_widths(page, demo)
            assert visited >= 3, (username, visited)
            if too_wide:
                offenders[username] = too_wide
            if repeated:
                repeated_ids[username] = repeated
    assert not offenders, f"pages wider than {PHONE} px: {offenders}"
    assert not repeated_ids, f"ids on a page more than once: {repeated_ids}"
