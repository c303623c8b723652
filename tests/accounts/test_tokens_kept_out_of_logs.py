"""Single-use tokens never reach the server's logs (security finding 10): the access log of
`yim serve` (gunicorn) and Django's request warnings show secret links with ``[token]``."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from gunicorn.config import Config

from yim import cli
from yim.accounts.admin_views import password_link
from yim.accounts.models import Invitation, Role
from yim.serverlog import MASK, AccessLogger, mask_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_paths(world) -> dict[str, tuple[str, str]]:
    """Each kind of secret link as ``(path, its secret)``."""
    _invitation, invite_token = Invitation.create_for(
        youth=world.youth_file, role=Role.YOUTH, display_name="Sam", created_by=world.professional
    )
    user = world.professional
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    reset_token = default_token_generator.make_token(user)
    link = password_link(user).removeprefix("https://yim.example.org")
    return {
        "invitation": (reverse("accounts:accept_invitation", args=[invite_token]), invite_token),
        "reset": (reverse("accounts:password_reset_confirm", args=[uid, reset_token]), reset_token),
        "set-password": (link, link.rstrip("/").rsplit("/", 1)[1]),
    }


def test_every_secret_link_is_masked_and_the_rest_of_the_path_kept(secret_paths):
    for path, secret in secret_paths.values():
        masked = mask_tokens(f'GET {path}?next=/home/ HTTP/1.1" 200 "https://x.org{path}"')
        assert secret not in masked
        assert masked.count(MASK) == 2
        assert path.replace(secret, MASK) in masked


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password-reset/",
        "/accounts/password-reset/sent/",
        "/accounts/password-reset/complete/",
        "/accounts/password-reset/MQ/set-password/",
        "/youth/12/",
        "/users/12/password-link/",
    ],
)
def test_paths_without_a_secret_are_logged_as_they_are(path):
    assert mask_tokens(f"GET {path} HTTP/1.1") == f"GET {path} HTTP/1.1"


def test_djangos_request_warnings_show_no_token(world, secret_paths, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    client = Client()
    # An unknown invitation (404) and a broken set-password link (410) are logged as warnings.
    client.get("/accounts/invitation/not-a-real-invitation-token-123/")
    path, secret = secret_paths["set-password"]
    client.get(path.replace(secret, secret[::-1]))
    messages = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert len(messages) == 2
    assert all(MASK in m for m in messages)
    assert not any("not-a-real-invitation-token-123" in m or secret[::-1] in m for m in messages)


def test_the_access_log_of_yim_serve_shows_no_token(secret_paths):
    logger = AccessLogger(Config())
    path, secret = secret_paths["invitation"]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": f"https://yim.example.org{path}",
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=123)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % atoms
    assert secret not in line
    assert f"GET /accounts/invitation/{MASK}/ HTTP/1.1" in line
    assert f'"https://yim.example.org/accounts/invitation/{MASK}/"' in line
    assert all(secret not in str(v) for v in atoms.values())


def test_yim_serve_starts_gunicorn_with_the_masking_logger(monkeypatch):
    started: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda _exe, args: started.append(list(args)))
    cli._serve("127.0.0.1", 8000, 1)
    args = started[0]
    assert args[args.index("--logger-class") + 1] == "yim.serverlog.AccessLogger"
