"""Hostile text in a youth's file stays text, in a real browser, on every page that shows it.

The payloads of :mod:`tests.security.xss_corpus` are planted in every free-text field of
Sam B.'s file in the demo database (past the forms, as an import might have stored them).
Then the professional, the team lead and Sam's youth, JIM and parent portal accounts walk
every page of the file they can reach by following links (breadth first, GET only), and on
each page: no element carries the payloads' ``data-xss`` attribute, ``window.__xss`` is
unset, no dialog opened, and the console shows no error (a blocked inline script would be a
CSP error). The youth's name, itself a payload, is shown as text on the youth page — so the
test sees the planted text and would fail if it were taken for markup.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.test_sign_in import DEMO_PASSWORD, browser_page, serve_demo
from tests.security.xss_corpus import NAME

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
#: Pages per person at most (the file of one youth has fewer for every role).
MAX_PAGES = 60
#: Links that change state or leave the file are not followed.
#: Links to files, which the browser downloads: read as text and checked for raw markup.
FILES = re.compile(r"\.(svg|csv|json|png|pdf|xlsx)$")
TEXT_FILES = re.compile(r"\.(svg|csv|json)$")
RAW_MARKUP = ("<img data-xss", "<script data-xss", "<svg data-xss", "<b data-xss")
SKIP = re.compile(r"/(logout|delete|remove|export|download|again)/|format=csv|\.qdpx|/api/")


@pytest.fixture
def planted_server(yim_cmd, tmp_path):  # type: ignore[no-untyped-def]
    yim_cmd("demo", "--no-serve")
    script = (
        "import django; django.setup(); from tests.security.xss_corpus import plant; print(plant())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=yim_cmd.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(done.stdout.strip()) >= 20, done.stdout  # many fields, not a handful
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=False)


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/home/$"))


def _walk(page, base: str, start: str, within: re.Pattern[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Visit every page reachable from ``start`` whose path matches ``within``; check each."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    seen: set[str] = set()
    queue = deque([start])
    visited: list[str] = []
    files: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response is not None and response.status < 500, f"{path}: {response}"
        visited.append(path)
        assert page.locator("[data-xss]").count() == 0, f"{path}: a payload became markup"
        assert page.evaluate("() => window.__xss === undefined"), f"{path}: a payload ran"
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlsplit(urljoin(base + path, href))
            target = url.path + (f"?{url.query}" if url.query else "")
            same_file = url.netloc == urlsplit(base).netloc and within.search(url.path)
            if not same_file or SKIP.search(target) or target in seen:
                continue
            if FILES.search(url.path):
                files.add(target)
            else:
                queue.append(target)
    assert not dialogs, f"dialogs opened: {dialogs}"
    for target in sorted(t for t in files if TEXT_FILES.search(t)):  # downloads: SVG, CSV
        body = page.request.get(base + target).text()
        raw = [p for p in RAW_MARKUP if p in body]
        assert not raw, f"{target}: payload markup unescaped: {raw}"
    return visited + sorted(files)


def _youth_path(page, base: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base + "/youth/")
    link = page.get_by_role("link", name=NAME)
    return urlsplit(link.first.get_attribute("href") or "").path


def test_hostile_text_in_a_file_stays_text_on_every_page_of_every_role(planted_server):  # type: ignore[no-untyped-def]
    base = planted_server
    for username in ("prof.noord", "lead.noord"):
        for page in browser_page():
            _sign_in(page, base, username)
            youth = _youth_path(page, base)
            youth_id = re.search(r"/youth/(\d+)/", youth).group(1)  # type: ignore[union-attr]
            page.goto(base + youth)
            assert NAME in page.inner_text("main"), username  # planted, and shown as text
            within = re.compile(rf"^/(youth/{youth_id}/|trajectories/)")
            visited = _walk(page, base, youth, within)
            assert len(visited) >= 8, (username, visited)
    for username in ("jongere.sam", "jim.tante", "ouder.sam"):
        for page in browser_page():
            _sign_in(page, base, username)
            visited = _walk(page, base, "/portal/", re.compile(r"^/portal/"))
            assert len(visited) >= 2, (username, visited)
