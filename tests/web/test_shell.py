import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_csp_without_inline_script_and_forbids_framing():
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_contain_no_inline_script(world, client_for):
    import re

    for path in ["/accounts/login/", "/home/", "/youth/", f"/youth/{world.youth_file.pk}/"]:
        client = client_for("professional") if path != "/accounts/login/" else Client()
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}"


def test_https_responses_carry_hsts_and_cookies_are_secure(settings):
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


def test_signed_in_pages_are_not_cached(world, client_for):
    assert client_for("professional").get("/home/")["Cache-Control"] == "no-store"


def test_dutch_is_the_default_and_english_comes_from_accept_language():
    assert 'lang="nl"' in Client().get("/accounts/login/").content.decode()
    english = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in english.content.decode()
    assert "Sign in" in english.content.decode()


def test_a_users_saved_language_wins_over_accept_language(world, client_for):
    client = client_for("professional")
    client.post("/i18n/setlang/", {"language": "en", "next": "/home/"})
    world.professional.refresh_from_db()
    assert world.professional.language == "en"
    html = client.get("/home/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'lang="en"' in html


def test_the_language_switch_never_redirects_off_site(world):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "https://evil.example"})
    assert response["Location"] == "/home/"


def test_not_found_is_a_friendly_translated_page():
    response = Client().get("/bestaat-niet/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Niet gevonden" in html
    assert "Traceback" not in html


def test_server_errors_show_a_friendly_page_without_details():
    from django.test import RequestFactory

    from yim.web.views import error_500_view

    response = error_500_view(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Er ging iets mis" in response.content.decode()


def test_htmx_is_vendored_with_its_version_in_the_file_name():
    from django.contrib.staticfiles import finders

    assert finders.find("yim/vendor/htmx-2.0.11.min.js")
    html = Client().get("/accounts/login/").content.decode()
    assert "/static/yim/vendor/htmx-2.0.11.min.js" in html


def test_demo_mode_says_on_screen_that_two_factor_is_off(settings):
    settings.DEMO_MODE = True
    settings.REQUIRE_2FA = False
    html = Client().get("/accounts/login/").content.decode()
    assert "synthetische gegevens" in html
    assert "Tweestapsverificatie staat uit" in html


def test_the_navigation_marks_the_page_the_user_is_in(world, client_for):
    client = client_for("team_lead")
    assert client.get("/home/").context["nav_current"] == "web:home"
    response = client.get("/trajectories/overview/?page=1")
    assert response.context["nav_current"] == "trajectories:overview"
    assert response.content.count(b'aria-current="page"') == 1
    assert b'href="/trajectories/overview/" aria-current="page"' in response.content


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("researcher", "/research/meta/new/"),
        ("admin", "/users/new/"),
        ("admin", "/programmes/new/"),
    ],
)
def test_every_help_text_a_field_points_to_is_on_the_page(world, client_for, persona, path):
    """Screen readers read a field's help through aria-describedby: the id must exist."""
    import re

    html = client_for(persona).get(path).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert described, f"{path}: no field with help text found; the check would be empty"
    missing = [d for ref in described for d in ref.split() if d not in ids]
    assert missing == []
