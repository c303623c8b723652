"""What every ``yim`` command needs, below the shell (:mod:`yim.cli`) and the apps' own
command modules alike: Django set up, a line to stdout, a refusal to stderr, and the check that
the database schema is current before a command reads the registry."""

from __future__ import annotations

import os
import sys


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yim.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> int:
    sys.stderr.write(f"yim: {message}\n")
    return code


def schema_is_current(command: str) -> bool:
    """Set Django up and say on stderr when migrations are pending (``command`` names the
    refusing command, e.g. ``yim evidence summary``); a command that reads the registry stops
    then rather than fail halfway on a missing column."""
    setup_django()
    from yim import ops

    pending = ops.pending_migrations()
    if pending:
        sys.stderr.write(
            f"{command}: the database schema is behind ({len(pending)} migrations "
            "pending): run 'yim db upgrade' first.\n"
        )
    return not pending
