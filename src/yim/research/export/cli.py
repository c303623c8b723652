"""``yim evidence export``: the pseudonymised research export as files.

    yim evidence export --out DIR --format csv
    yim evidence export --out DIR --format parquet --as-of 2026-01-01 --team "Team Noord"
    yim evidence export --out DIR --include-free-text notes referral_reason

Exit status: 0 on success; 2 when the input cannot be answered (a day in the future or not a
day, an unknown team, organisation or free-text column, a directory that exists and is not
empty or cannot be written, a database that has not been migrated) — the reason is printed on
stderr and nothing is written.
"""

from __future__ import annotations

import argparse
import sys

from yim.commandline import schema_is_current
from yim.research.evidence import DEFAULT_THRESHOLD

EXIT_OK = 0
EXIT_INPUT = 2


def add_export_parser(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``export`` on the ``evidence`` actions."""
    from yim.research.evidence_cli import add_scope_arguments
    from yim.research.export.free_text import FREE_TEXT

    export = actions.add_parser(
        "export",
        help="pseudonymised research export: one table per unit, with a codebook",
        description=(
            "The registry as of a day as pseudonymised tables (youth, trajectory, wave, "
            "assessment, placement episode, follow-up, and an aggregate table with small "
            "cells withheld), with a codebook. Identifiers become keyed pseudonyms (the key "
            "stays on the server, YIM_EXPORT_KEY_FILE); calendar dates are given as months, "
            "other moments as days since referral; free text only for the columns chosen. "
            "Every export is recorded in the audit log."
        ),
    )
    export.add_argument("--out", required=True, metavar="DIR", help="a new or empty directory")
    export.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="csv or parquet"
    )
    export.add_argument(
        "--include-free-text",
        dest="include",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="free-text columns to add (left out otherwise): " + ", ".join(FREE_TEXT),
    )
    add_scope_arguments(
        export,
        threshold_help=(
            f"smallest count shown in the aggregate table (default {DEFAULT_THRESHOLD})"
        ),
    )
    export.set_defaults(func=cmd_evidence_export)
    return export


def cmd_evidence_export(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence export``; returns the exit status."""
    if not schema_is_current("yim evidence export"):
        return EXIT_INPUT
    from django.utils import timezone, translation

    from yim.research.evidence.summary import EvidenceError, resolve_scope
    from yim.research.export import (
        ExportError,
        build_export,
        export_key,
        record_export,
        write_export,
    )

    with translation.override("en"):
        try:
            scope = resolve_scope(ns.as_of, team=ns.team, organisation=ns.organisation)
            tables = build_export(
                as_of=scope.as_of or timezone.localdate(),
                include=ns.include,
                key=export_key(),
                organisation_id=scope.organisation_id,
                team_id=scope.team_id,
                threshold=ns.threshold,
            )
            out = write_export(tables, ns.out, ns.format)
        except (EvidenceError, ExportError) as exc:
            sys.stderr.write(f"yim evidence export: {exc}\n")
            return EXIT_INPUT
        record_export(tables, ns.format, actor_name="yim evidence export")
    counts = ", ".join(f"{name} {len(t.rows)}" for name, t in tables.tables.items())
    sys.stdout.write(f"Research export as of {tables.as_of.isoformat()} written to {out}\n")
    sys.stdout.write(f"Rows: {counts}\n")
    return EXIT_OK
