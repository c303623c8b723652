"""``yim evidence file``, ``yim evidence pool`` and ``yim evidence teams``: evidence across
organisations without sharing records, and the teams of one organisation compared.

    yim evidence file --out noord.json --organisation "Jeugdzorg Noord"
    yim evidence pool noord.json zuid.json oost.json --format html > region.html
    yim evidence pool *.json --trusted-keys keys.txt --format json
    yim evidence teams --organisation "Jeugdzorg Noord" --format json

Exit status: 0 on success; 2 when the input cannot be answered (an unknown organisation, a
day in the future, a file that is changed, malformed, of an unknown schema version, two files
of one organisation, a key not on the trusted list, a database that has not been migrated) —
the reason is printed on stderr, nothing is written and nothing is pooled.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from yim.commandline import EXIT_INPUT, json_text, refuse, schema_is_current, setup_django
from yim.research.evidence import DEFAULT_THRESHOLD

EXIT_OK = 0
DEFAULT_MIN_UNITS = 5  # yim.research.evidence.pooling.DEFAULT_MIN_UNITS (not imported: no Django)


def add_pooling_parsers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``file``, ``pool`` and ``teams`` on the ``evidence`` actions."""
    from yim.research.evidence_cli import add_as_of_argument

    file = actions.add_parser(
        "file",
        help="write the signed aggregate evidence file of an organisation (no records)",
        description=(
            "Per outcome the estimate (proportions on the logit scale, the placement risk "
            "ratio on the log scale), its variance and n, with the definitions and as_of, "
            "signed with the organisation's Ed25519 key (YIM_EVIDENCE_SIGNING_KEY_FILE, made "
            "on first use). An estimate resting on a cell below the threshold is withheld "
            "whole. Prints the key's fingerprint; docs/evidence.md describes the file."
        ),
    )
    file.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    add_as_of_argument(file)
    file.add_argument(
        "--organisation",
        metavar="NAME",
        help="the organisation the file is about (needed when the registry holds several)",
    )
    _add_cell_threshold_argument(file)
    file.set_defaults(func=cmd_evidence_file)

    pool = actions.add_parser(
        "pool",
        help="verify and pool evidence files of several organisations (random effects)",
        description=(
            "Verifies every file's signature (a changed byte, an unknown schema version, "
            "two files of one organisation or overlapping organisations, a malformed file: "
            "refused, nothing pooled) and pools each outcome with random effects (REML): "
            "pooled estimate with CI, and from --min-units organisations on tau², I² and the "
            "prediction interval; HTML adds a forest plot per outcome."
        ),
    )
    pool.add_argument(
        "files", nargs="+", metavar="FILE", help="evidence files, one per organisation"
    )
    pool.add_argument(
        "--trusted-keys",
        dest="trusted_keys",
        metavar="FILE",
        help="allowed public keys, one a line: the base64 key or its fingerprint (SHA256:…, as "
        "'yim evidence file' prints it), then a name; without it the output says the keys "
        "were not checked against a list",
    )
    _add_pooled_report_arguments(pool, "organisations")
    pool.set_defaults(func=cmd_evidence_pool)

    teams = actions.add_parser(
        "teams",
        help="compare the teams of one organisation: each team's estimates pooled",
        description=(
            "Each team of the organisation a unit: per outcome the teams' estimates pooled "
            "with random effects (REML), with the between-team heterogeneity (tau², I², "
            "prediction interval) from --min-units teams on, so a team sees whether its "
            "results differ beyond chance. A team whose estimate rests on a cell below the "
            "threshold is left out of that outcome and named."
        ),
    )
    teams.add_argument("--organisation", required=True, metavar="NAME", help="the organisation")
    add_as_of_argument(teams)
    _add_cell_threshold_argument(teams)
    _add_pooled_report_arguments(teams, "teams")
    teams.set_defaults(func=cmd_evidence_teams)


def _add_cell_threshold_argument(parser: argparse.ArgumentParser) -> None:
    """``--threshold``: the smallest cell an estimate of ``file`` or ``teams`` may rest on."""
    from yim.research.evidence_cli import _threshold as threshold

    parser.add_argument(
        "--threshold",
        type=threshold,
        default=DEFAULT_THRESHOLD,
        help=f"smallest cell an estimate may rest on (default {DEFAULT_THRESHOLD})",
    )


def _add_pooled_report_arguments(parser: argparse.ArgumentParser, units: str) -> None:
    """``--min-units`` and ``--format`` of a pooled report (``pool``, ``teams``); ``units``
    names what is pooled in the help (organisations, teams)."""
    from yim.research.evidence_cli import whole_number_from

    parser.add_argument(
        "--min-units",
        dest="min_units",
        type=whole_number_from(2, "the minimum"),
        default=DEFAULT_MIN_UNITS,
        help=f"show heterogeneity from this many {units} on (default {DEFAULT_MIN_UNITS})",
    )
    parser.add_argument("--format", choices=("json", "html"), default="json", help="json or html")


def cmd_evidence_file(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence file``; returns the exit status."""
    if not schema_is_current("yim evidence file"):
        return EXIT_INPUT
    from django.utils import translation

    from yim.research.evidence.file import (
        fingerprint,
        make_evidence_file,
        public_key_bytes,
        signing_key,
        write_evidence_file,
    )
    from yim.research.evidence.summary import EvidenceError, resolve_scope

    with translation.override("en"):
        try:
            scope = resolve_scope(ns.as_of, organisation=ns.organisation)
            key = signing_key()
            data = make_evidence_file(scope, threshold=ns.threshold, key=key)
            write_evidence_file(ns.out, data)
        except EvidenceError as exc:
            return refuse("yim evidence file", exc)
    evidence = json.loads(data)["evidence"]
    withheld = sum(o["withheld"] for o in evidence["outcomes"].values())
    sys.stdout.write(
        f"Wrote {ns.out}: {len(evidence['outcomes']) - withheld} outcomes estimated, "
        f"{withheld} withheld (small cells or no data), as of {evidence['as_of']}.\n"
        f"Signed by {evidence['organisation']['name']} with the key "
        f"{fingerprint(public_key_bytes(key.public_key()))}:\n"
        "give this fingerprint to whoever pools the file, by another way than the file.\n"
    )
    return EXIT_OK


def _write(report: Any, fmt: str) -> None:
    from yim.research.evidence.pooling_report import report_html, report_json

    if fmt == "json":
        sys.stdout.write(json_text(report_json(report)))
    else:
        sys.stdout.write(report_html(report))


def cmd_evidence_pool(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence pool``; returns the exit status."""
    setup_django()  # pooling reads files only, never the registry
    from django.utils import translation

    from yim.research.evidence.pooling import pool_files
    from yim.research.evidence.verification import (
        PoolingError,
        read_evidence_file,
        read_trusted_keys,
    )

    with translation.override("en"):
        try:
            files = [read_evidence_file(path) for path in ns.files]
            trusted = read_trusted_keys(ns.trusted_keys, files) if ns.trusted_keys else None
            report = pool_files(files, trusted=trusted, min_units=ns.min_units)
        except PoolingError as exc:
            return refuse("yim evidence pool", exc)
        _write(report, ns.format)
    return EXIT_OK


def cmd_evidence_teams(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence teams``; returns the exit status."""
    if not schema_is_current("yim evidence teams"):
        return EXIT_INPUT
    from django.utils import translation

    from yim.research.evidence.pooling import pool_teams
    from yim.research.evidence.summary import EvidenceError

    with translation.override("en"):
        try:
            report = pool_teams(
                ns.organisation, ns.as_of, threshold=ns.threshold, min_units=ns.min_units
            )
        except EvidenceError as exc:
            return refuse("yim evidence teams", exc)
        _write(report, ns.format)
    return EXIT_OK
