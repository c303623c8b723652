"""What the schemathesis tests share: the app in-process, inside the test's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from yim.accounts.models import ApiToken


@pytest.fixture
def in_process(db: None) -> Iterator[Any]:
    """The Django app as WSGI, inside the test's transaction.

    Django closes the connection at the start and end of every request, which would end the
    test's transaction (on SQLite's in-memory database closing does nothing, so only
    PostgreSQL shows it). The test client avoids that by not listening for it during its own
    requests, and listens again afterwards; so every call here stops listening anew, in case
    a test-client request in between reconnected the signals.
    """
    application = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return application(environ, start_response)

    try:
        yield app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def professional_token(world: Any) -> str:
    return ApiToken.issue(world.professional, "schemathesis")[1]
