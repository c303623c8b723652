"""What every ``yim`` command needs, below the shell (:mod:`yim.cli`) and the apps' own
command modules alike: Django set up, a line to stdout, a refusal to stderr, a result printed as
JSON or as a plain-text report, a command with actions, and the check that the database schema
is current before a command reads the registry.

No Django at import: ``yim meta`` works without a configured site and ``yim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any


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


EXIT_INPUT = 2
"""The exit status of a refused question (bad input, an unknown scope, a stale schema)."""


def add_command_with_actions(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    """Register ``yim NAME ACTION``: the command ``name`` and the object its actions are added
    to (one is required; ``--help`` shows it as ACTION)."""
    command = subparsers.add_parser(name, help=help)
    actions = command.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
    return command, actions


def refuse(command: str, reason: object) -> int:
    """Say on stderr why ``command`` (e.g. ``yim evidence pool``) cannot answer; returns the
    exit status :data:`EXIT_INPUT`."""
    sys.stderr.write(f"{command}: {reason}\n")
    return EXIT_INPUT


def json_text(data: Any) -> str:
    """``data`` as the commands print JSON: indented, non-ASCII kept, NaN refused, and a final
    newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json_or_text(
    data: dict[str, Any],
    fmt: str,
    render_text: Callable[[dict[str, Any], str], str],
    label: str,
) -> None:
    """Print a result on stdout: as JSON when ``fmt`` is ``json``, else as the plain-text
    report ``render_text(data, label)`` (``label`` names the selection)."""
    if fmt == "json":
        sys.stdout.write(json_text(data))
    else:
        sys.stdout.write(render_text(data, label))


def selection_label(ns: argparse.Namespace) -> str:
    """The registry selection of ``--team``/``--organisation`` in words, for a text report."""
    return str(ns.team or ns.organisation or "all teams")
