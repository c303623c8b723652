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

    Django closes the connection at the end of every request, which would end the test's
    transaction; the test client avoids that the same way, by not listening for it.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def professional_token(world: Any) -> str:
    return ApiToken.issue(world.professional, "schemathesis")[1]
