"""A real browser (the system Chromium, driven by Playwright) against a real server process."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-wachtwoord-2026"


def _chromium() -> str:
    path = os.environ.get("YIM_CHROMIUM") or shutil.which("chromium") or ""
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the system Chromium is missing (apt-get install chromium)")
        pytest.skip("no system Chromium: install it with 'apt-get install chromium'")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_demo(yim_cmd, tmp_path, *, require_2fa: bool):  # type: ignore[no-untyped-def]
    """Load the demo registry, run `yim serve` on a free port, yield its base URL, stop it."""
    yim_cmd("demo", "--no-serve")
    port = _free_port()
    env = {
        **yim_cmd.env,
        "YIM_DEMO": "1",
        "YIM_REQUIRE_2FA": "1" if require_2fa else "0",
        "YIM_ALLOWED_HOSTS": "127.0.0.1",
        "YIM_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "yim.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError(f"the server did not start:\n{log.read_text()}") from None
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=20)


def browser_page(timeout_ms: int | None = None, **context_options):  # type: ignore[no-untyped-def]
    """A page of the system Chromium on a phone-sized screen; fails on console errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            **{"locale": "nl-NL", "viewport": {"width": 390, "height": 844}, **context_options}
        )
        if timeout_ms is not None:
            context.set_default_timeout(timeout_ms)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page
        browser.close()
        assert not errors, f"browser console errors (CSP or script): {errors}"


@pytest.fixture
def server(yim_cmd, tmp_path):
    """`yim demo` on a free port, with two-factor sign-in required as in production."""
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=True)


@pytest.fixture
def page():
    yield from browser_page()


def sign_in_setting_up_two_factor(
    base: str,
    page,
    username: str,
    password: str = DEMO_PASSWORD,
) -> None:
    """A staff member's first sign-in: password, then the required TOTP set-up, then home."""
    page.goto(base + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    set_up_two_factor(page)


def set_up_two_factor(page) -> None:
    """On the set-up page that follows a first sign-in: read the secret (a person scans it),
    confirm a code, see the ten recovery codes, go on to the home page."""
    page.wait_for_url(re.compile(r"/accounts/2fa/setup/$"))
    secret = page.locator("code.secret").inner_text().strip()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activeren").click()
    expect(page.locator("ul.codes li")).to_have_count(10)
    page.get_by_role("link", name="Verder").click()
    page.wait_for_url(re.compile(r"/home/$"))


def test_a_professional_signs_in_with_two_factor_and_switches_to_english(server, page):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("Gebruikersnaam").fill("prof.noord")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    # First sign-in: two-factor set-up is required before anything else.
    set_up_two_factor(page)
    expect(page.locator("h1")).to_contain_text("Welkom")
    page.get_by_role("link", name="Jongeren").click()
    page.wait_for_url(re.compile(r"/youth/$"))
    expect(page.locator("table.data tbody tr")).not_to_have_count(0)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Youth")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_wrong_password_shows_a_message_in_dutch(server, page):
    page.goto(server + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill("prof.noord")
    page.get_by_label("Wachtwoord").fill("fout-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("Gebruikersnaam of wachtwoord is niet juist.")).to_be_visible()
