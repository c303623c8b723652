"""Walk the URL configuration: every route that changes state must refuse a forged POST."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

ARGUMENTS = {
    "pk": "1",
    "token": "x" * 20,
    "uidb64": "MQ",
    "youth_id": "1",
    "membership_id": "1",
    "participant_id": "1",
    "document_id": "1",
    "segment_id": "1",
    "coding_id": "1",
    "code_id": "1",
    "job_id": "1",
    "decision_id": "1",
}


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    routes: list[str] = []
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(_routes(pattern, text))
        elif isinstance(pattern, URLPattern):
            routes.append(text)
    return routes


def _concrete(route: str) -> str:
    path = "/" + route.lstrip("^").rstrip("$")
    for name, value in ARGUMENTS.items():
        for converter in ("int:", "str:", ""):
            path = path.replace(f"<{converter}{name}>", value)
    return path.replace("<token>", "set-password")


def test_the_walk_finds_every_state_changing_route():
    routes = {_concrete(r) for r in _routes()}
    for expected in [
        "/accounts/login/",
        "/accounts/logout/",
        "/youth/1/invite/",
        "/me/",
        "/i18n/setlang/",
        "/youth/break-glass/",
    ]:
        assert expected in routes


def test_every_html_route_rejects_a_post_without_a_csrf_token(world):
    client = signed_in(world.professional)
    client.handler.enforce_csrf_checks = True
    checked = 0
    for route in _routes():
        path = _concrete(route)
        if path.startswith("/api/"):
            continue
        response = client.post(path, {"anything": "1"})
        # 405: the route does not accept POST at all, so nothing can change through it.
        assert response.status_code in (403, 405), f"{path} answered {response.status_code}"
        if response.status_code == 403:
            assert "beveiligingscode" in response.content.decode() or "security token" in (
                response.content.decode()
            )
        checked += 1
    assert checked >= 10


def test_the_api_ignores_session_cookies_so_it_needs_no_csrf_token(world):
    client = signed_in(world.professional)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_anonymous_login_form_also_requires_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
