"""``yim audit verify`` and ``yim audit anchor``: the audit log's hash chain from the command
line (docs/operations.md, "The audit log")."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from yim.commandline import fail, say, setup_django


def cmd_audit_verify(ns: argparse.Namespace) -> int:
    setup_django()
    from yim.audit.models import check_anchors, current_anchor, read_anchors, verify_chain

    anchors = []
    if ns.anchors:
        path = Path(ns.anchors)
        try:
            anchors = read_anchors(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            return fail(f"cannot read the anchor file {path}: {exc.strerror}")
        except (UnicodeDecodeError, ValueError) as exc:
            return fail(str(exc))
    checked, problems = verify_chain()
    problems += check_anchors(anchors)
    for problem in problems:
        say(f"audit event {problem.event_id}: {problem.problem}")
    if problems:
        return fail(f"the audit log is NOT intact: {len(problems)} problem(s) in {checked} rows.")
    say(f"The audit log is intact: {checked} rows verified.")
    if anchors:
        say(f"All {len(anchors)} anchor(s) from {ns.anchors} match.")
    head = current_anchor()
    if head:
        say(
            f"Head: event {head.event_id}, hash {head.row_hash} "
            "(anchor it with 'yim audit anchor' to detect removal of the newest rows)."
        )
    return 0


def cmd_audit_anchor(ns: argparse.Namespace) -> int:
    setup_django()
    from yim.audit.models import current_anchor

    anchor = current_anchor()
    if anchor is None:
        return fail("the audit log is empty: nothing to anchor yet.")
    if ns.append:
        path = Path(ns.append)
        try:
            with path.open("a", encoding="utf-8") as out:
                out.write(anchor.to_line() + "\n")
        except OSError as exc:
            return fail(f"cannot write the anchor file {path}: {exc.strerror}")
        say(f"Anchored event {anchor.event_id} in {path}.")
    else:
        say(anchor.to_line())
    return 0


def add_audit_parser(sub: Any) -> None:
    p = sub.add_parser("audit", help="audit log")
    asub = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    v = asub.add_parser("verify", help="verify the hash chain; name every altered or missing row")
    v.add_argument(
        "--anchors",
        metavar="FILE",
        help="also check the anchors in FILE (written by 'yim audit anchor'): "
        "each anchored row must still exist with the same hash",
    )
    v.set_defaults(func=cmd_audit_verify)
    a = asub.add_parser(
        "anchor", help="print the newest row's id and hash as a JSON line, to keep elsewhere"
    )
    a.add_argument("--append", metavar="FILE", help="append the anchor line to FILE instead")
    a.set_defaults(func=cmd_audit_anchor)
