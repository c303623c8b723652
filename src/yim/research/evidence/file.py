"""The evidence file: an organisation's outcome estimates as signed aggregate JSON.

An organisation shares its results without sharing a record: per outcome the estimate on the
scale meta-analysis pools on (a proportion on the logit scale, a risk ratio on the log
scale), its variance and n, with the definitions, the ``as_of`` day and the organisation's
name, signed with the organisation's Ed25519 key. docs/evidence.md ("Evidence across
organisations") describes it and docs/evidence-file.schema.json is its JSON Schema;
:mod:`~yim.research.evidence.pooling` reads and pools such files.

Disclosure control: an estimate is withheld whole (estimate, variance and n all null) when any
cell it rests on — events, non-events, and for a risk ratio both groups' events and
non-events — is below the threshold (default 5); a count can be solved back from an estimate,
its variance and the group sizes, so none of them is published for such an outcome.

The file is canonical JSON (sorted keys, no spaces, UTF-8, one line ending in a newline): the
reader refuses a file that is not byte for byte in that form, so one changed byte — even
white space — makes a file unreadable or its signature invalid.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils.translation import gettext as _

import yim
from yim.core.files import PrivateFileError, create_private_file
from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.summary import EvidenceError

#: The version of the file's layout (docs/evidence-file.schema.json); readers refuse others.
SCHEMA_VERSION = 1
FORMAT = "yim-evidence-file"
SIGNATURE_ALGORITHM = "Ed25519"

PROPORTION = "proportion"
RISK_RATIO = "risk_ratio"

#: Scales: how an estimate is stored (pooled) and turned back for reading.
SCALES = {PROPORTION: "logit", RISK_RATIO: "log"}


@dataclass(frozen=True)
class Outcome:
    """One outcome of the file: where its figures sit in the summary and what it means."""

    key: str
    kind: str  # PROPORTION or RISK_RATIO
    path: tuple[str, ...]  # into summarise(); a RISK_RATIO's two groups (with, without)
    title: str
    definition: str
    groups: tuple[str, str] = ("", "")


def _proportion(key: str, path: str, title: str, definition: str) -> Outcome:
    return Outcome(key, PROPORTION, tuple(path.split(".")), title, definition)


#: The outcomes of an evidence file, in order (docs/evidence.md defines each summary figure).
OUTCOMES: tuple[Outcome, ...] = (
    _proportion(
        "jim_found_itt",
        "jim_found.share_of_all",
        "JIM found (of all trajectories)",
        "A JIM accepted by as_of, of every JIM-cohort trajectory referred by then (intention "
        "to treat).",
    ),
    _proportion(
        "jim_found_finished",
        "jim_found.share_of_finished",
        "JIM found (of finished searches)",
        "A JIM accepted, of the searches that ended with a JIM or with 'no JIM found'.",
    ),
    _proportion(
        "ambulatory_itt",
        "ambulatory.itt",
        "Ambulatory (all trajectories)",
        "No realised out-of-home placement between referral and closure (or as_of), of every "
        "JIM-cohort trajectory (intention to treat).",
    ),
    _proportion(
        "ambulatory_closed",
        "ambulatory.closed",
        "Ambulatory (closed trajectories)",
        "No realised out-of-home placement between referral and closure, of the trajectories "
        "closed by as_of.",
    ),
    *(
        _proportion(
            f"ambulatory_after_{months}_months",
            f"ambulatory.after_closure.{months}",
            f"Ambulatory {months} months after closure",
            f"Not placed in care nor after it up to the {months}-month follow-up, of the closed "
            "trajectories whose follow-up was answered by as_of.",
        )
        for months in ("6", "12", "24")
    ),
    Outcome(
        "placement_rr_landmark_90",
        RISK_RATIO,
        ("ambulatory", "landmark_90_days", "jim_by_landmark", "no_jim_by_landmark"),
        "Placement risk ratio, JIM vs no JIM by day 90",
        "Among trajectories still in care and not placed on day 90 after referral: the risk "
        "of a realised out-of-home placement after day 90 with a JIM by day 90, divided by "
        "the risk without one (the landmark contrast).",
        groups=("jim_by_landmark", "no_jim_by_landmark"),
    ),
    _proportion(
        "gate_regular_compliant",
        "gate.regular.compliant",
        "Placement gate: regular decisions compliant",
        "Finalised regular out-of-home decisions with a JIM consultation before finalising or "
        "a recorded no-JIM reason.",
    ),
    _proportion(
        "gate_emergency_on_time",
        "gate.emergency.on_time_share",
        "Placement gate: emergency consultations on time",
        "Emergency out-of-home decisions whose JIM consultation was held within 7 days.",
    ),
    _proportion(
        "continuing_at_closure",
        "continuation.at_closure.continuing",
        "JIM relationship continuing at closure",
        "Closures of trajectories with a JIM where the relationship continues (or is strained).",
    ),
    *(
        _proportion(
            f"continuing_after_{months}_months",
            f"continuation.follow_up.{months}",
            f"JIM contact continuing {months} months after closure",
            f"JIM contact continues at the answered {months}-month follow-ups of trajectories "
            "that had a JIM.",
        )
        for months in ("6", "12", "24")
    ),
)


# --- disclosure control and the estimates (no database: property-tested) ----------------------


def _at(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = tree
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _cells(entry: Any) -> tuple[int, int] | None:
    """(events, non-events) of a summary share, or None when it shows no count."""
    if not isinstance(entry, dict):
        return None
    count, n = entry.get("count"), entry.get("n")
    if not isinstance(count, int) or not isinstance(n, int) or not 0 <= count <= n:
        return None
    return count, n - count


def _withheld(outcome: Outcome, reason: str) -> dict[str, Any]:
    return {
        "kind": outcome.kind,
        "scale": SCALES[outcome.kind],
        "estimate": None,
        "variance": None,
        "n": None,
        "group_n": None,
        "withheld": True,
        "reason": reason,
    }


def estimate_outcome(outcome: Outcome, summary: dict[str, Any], threshold: int) -> dict[str, Any]:
    """One outcome of the file from the summary: the estimate on its pooling scale with its
    variance, or withheld whole when a cell it rests on is below ``threshold``."""
    if outcome.kind == PROPORTION:
        entry = _at(summary, outcome.path)
        cells = _cells(entry)
        if cells is None:
            return _withheld(outcome, "small_cell" if entry else "no_data")
        if sum(cells) == 0:
            return _withheld(outcome, "no_data")
        if min(cells) < threshold:
            return _withheld(outcome, "small_cell")
        events, non_events = cells
        return {
            "kind": PROPORTION,
            "scale": "logit",
            "estimate": math.log(events / non_events),
            "variance": 1 / events + 1 / non_events,
            "n": events + non_events,
            "group_n": None,
            "withheld": False,
            "reason": None,
        }
    base = outcome.path[:-2]
    groups = [_cells(_at(summary, (*base, name))) for name in outcome.groups]
    if any(g is not None and sum(g) == 0 for g in groups):
        return _withheld(outcome, "no_data")
    with_jim, without = groups
    if with_jim is None or without is None:
        return _withheld(outcome, "small_cell")
    # The summary counts the ambulatory (no placement): the events here are placements.
    (amb1, placed1), (amb0, placed0) = with_jim, without
    if min(amb1, placed1, amb0, placed0) < threshold:
        return _withheld(outcome, "small_cell")
    n1, n0 = amb1 + placed1, amb0 + placed0
    return {
        "kind": RISK_RATIO,
        "scale": "log",
        "estimate": math.log((placed1 / n1) / (placed0 / n0)),
        "variance": 1 / placed1 - 1 / n1 + 1 / placed0 - 1 / n0,
        "n": n1 + n0,
        "group_n": [n1, n0],
        "withheld": False,
        "reason": None,
    }


def outcomes_from_summary(summary: dict[str, Any], threshold: int) -> dict[str, Any]:
    """Every outcome of :data:`OUTCOMES`, estimated or withheld, keyed by its name."""
    if threshold < 1:
        raise EvidenceError(_("The small-cell threshold must be at least 1."))
    result = {}
    for outcome in OUTCOMES:
        entry = estimate_outcome(outcome, summary, threshold)
        entry["title"] = outcome.title
        entry["definition"] = outcome.definition
        result[outcome.key] = entry
    return result


# --- canonical JSON and signatures --------------------------------------------------------------


def canonical(document: Any) -> bytes:
    """The canonical bytes of a JSON document: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(raw_public_key: bytes) -> str:
    """A public key's fingerprint: SHA-256 of its 32 raw bytes, as ``SHA256:`` and hex pairs
    (the first 16 bytes, enough to compare by eye or over the phone)."""
    digest = hashlib.sha256(raw_public_key).hexdigest()[:32]
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def key_path() -> Path:
    """The signing key's file: ``YIM_EVIDENCE_SIGNING_KEY_FILE`` (default in the data
    directory)."""
    return Path(settings.EVIDENCE_SIGNING_KEY_FILE)


def signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The organisation's Ed25519 key: read from its file, made there (mode 0600) on first use."""
    path = Path(path or key_path())
    if not path.exists():
        _make_key_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(_key_problem(path, exc.strerror)) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(
            _(
                "The evidence signing key in %(path)s is not an unencrypted Ed25519 private "
                "key (PEM): restore the organisation's key file, or move the file away to have "
                "a new key made (files signed before cannot then be told apart from another "
                "organisation's)."
            )
            % {"path": path}
        )
    return key


def _make_key_file(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        create_private_file(path, pem)
    except PrivateFileError as exc:
        raise EvidenceError(_key_problem(path, exc.reason)) from None


def _key_problem(path: Path, problem: str | None) -> str:
    return _(
        "The evidence signing key file %(path)s cannot be read or made (%(problem)s); set "
        "YIM_EVIDENCE_SIGNING_KEY_FILE to a file the server may write."
    ) % {"path": path, "problem": problem}


def sign(evidence: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """The file's bytes: ``{"evidence": …, "signature": …}`` in canonical form, the signature
    made over the canonical bytes of ``evidence`` (which holds the public key)."""
    signature = key.sign(canonical(evidence))
    document = {
        "evidence": evidence,
        "signature": {"algorithm": SIGNATURE_ALGORITHM, "value": _b64(signature)},
    }
    return canonical(document) + b"\n"


# --- the file ------------------------------------------------------------------------------


def build_evidence(
    summary: dict[str, Any],
    *,
    organisations: list[str],
    public_key: Ed25519PublicKey,
    threshold: int = DEFAULT_THRESHOLD,
    scope_label: str,
) -> dict[str, Any]:
    """The ``evidence`` part of a file (everything the signature covers)."""
    raw = public_key_bytes(public_key)
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "generator": f"yim {yim.__version__}",
        "as_of": summary["as_of"],
        "organisation": {
            "name": organisations[0] if len(organisations) == 1 else scope_label,
            "covers": sorted(organisations),
            "public_key": _b64(raw),
            "fingerprint": fingerprint(raw),
        },
        "scope": scope_label,
        "n_trajectories": summary["n_trajectories"]
        if summary["n_trajectories"] >= threshold
        else None,
        "disclosure": {"threshold": threshold, "rule": "every_cell_at_least_threshold"},
        "definitions": "docs/evidence.md",
        "outcomes": outcomes_from_summary(summary, threshold),
    }


def organisations_in_scope(scope: Any) -> tuple[list[str], str]:
    """The names of the organisations a scope covers, and a label for the scope."""
    from yim.accounts.models import Organisation, Team

    if scope.team_id is not None:
        team = Team.objects.select_related("organisation").get(pk=scope.team_id)
        return [team.organisation.name], f"{team.organisation.name} / {team.name}"
    if scope.organisation_id is not None:
        name = Organisation.objects.get(pk=scope.organisation_id).name
        return [name], name
    names = list(
        Organisation.objects.filter(teams__trajectories__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )
    if len(names) > 1:
        raise EvidenceError(
            _(
                "This registry holds the trajectories of several organisations (%(names)s): "
                "an evidence file is about one; choose it with --organisation."
            )
            % {"names": ", ".join(names)}
        )
    return names, names[0] if names else ""


def make_evidence_file(
    scope: Any, *, threshold: int = DEFAULT_THRESHOLD, key: Ed25519PrivateKey | None = None
) -> bytes:
    """The signed evidence file of ``scope`` (a :class:`definitions.Scope`), as bytes."""
    from yim.research.evidence.summary import summarise

    summary = summarise(scope, threshold=threshold)
    key = key or signing_key()
    organisations, label = organisations_in_scope(scope)
    evidence = build_evidence(
        summary,
        organisations=organisations,
        public_key=key.public_key(),
        threshold=threshold,
        scope_label=label,
    )
    return sign(evidence, key)


def write_evidence_file(path: Path, data: bytes) -> None:
    """Write the file whole or not at all (a temporary file beside it, then renamed)."""
    path = Path(path)
    if path.is_dir():
        raise EvidenceError(_("%(path)s is a directory: give a file name.") % {"path": path})
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise EvidenceError(
            _("The file %(path)s cannot be written (%(problem)s).")
            % {"path": path, "problem": exc.strerror}
        ) from None
