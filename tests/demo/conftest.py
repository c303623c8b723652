"""The default demo registry, built once per test module (it takes a few seconds)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from yim.demo import registry
from yim.trajectories.rules import AMSTERDAM

#: The demo's own evening: every generated event lies before it.
DEMO_EVENING = dt.datetime.combine(registry.DEMO_TODAY, dt.time(23, 59), tzinfo=AMSTERDAM)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The registry of the default seed (500 youth), rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert registry.load() == 500
        yield registry
        transaction.set_rollback(True)
