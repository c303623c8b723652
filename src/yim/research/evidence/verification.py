"""Reading and verifying signed evidence files (docs/evidence-file.schema.json) before they
are pooled (:mod:`yim.research.evidence.pooling`).

Reading is all or nothing: every file must be canonical JSON in the published layout with a
valid Ed25519 signature, of a schema version this yim knows, and no two files may come from
the same key or cover the same organisation; the first problem refuses the whole set.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils.translation import gettext as _

from yim.research.evidence.file import (
    FORMAT,
    SCALES,
    SCHEMA_VERSION,
    SIGNATURE_ALGORITHM,
    canonical,
    fingerprint,
)
from yim.research.evidence.summary import EvidenceError

#: A key's fingerprint as yim prints it: ``SHA256:`` and eight groups of four hex digits.
FINGERPRINT = re.compile(r"SHA256:[0-9a-f]{4}(?::[0-9a-f]{4}){7}")
#: The largest evidence file read (an honest one is a few kilobytes).
MAX_FILE_BYTES = 1_000_000


class PoolingError(EvidenceError):
    """A set of evidence files that cannot be pooled: a message for the user; nothing pooled."""


# --- reading and verifying files ----------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFile:
    """A verified evidence file: its ``evidence`` part and who signed it."""

    label: str
    evidence: dict[str, Any]
    public_key: bytes

    @property
    def organisation(self) -> str:
        return str(self.evidence["organisation"]["name"])

    @property
    def covers(self) -> tuple[str, ...]:
        return tuple(self.evidence["organisation"]["covers"])

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def _refuse(label: str, problem: str) -> PoolingError:
    return PoolingError(
        _("%(file)s: %(problem)s Nothing was pooled.") % {"file": label, "problem": problem}
    )


def _malformed(label: str, what: str) -> PoolingError:
    return _refuse(
        label,
        _(
            "this is not an evidence file of yim (%(what)s). Ask the organisation for the file "
            "'yim evidence file' wrote, unchanged."
        )
        % {"what": what},
    )


def _decode_b64(value: Any, size: int, label: str, what: str) -> bytes:
    try:
        data = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(label, what) from None
    if len(data) != size:
        raise _malformed(label, what)
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_outcomes(label: str, outcomes: Any) -> None:
    if not isinstance(outcomes, dict):
        raise _malformed(label, _("no outcomes"))
    for key, entry in outcomes.items():
        if not isinstance(entry, dict) or entry.get("kind") not in SCALES:
            raise _malformed(label, _("outcome %(key)s has no known kind") % {"key": key})
        if entry.get("withheld") is True:
            continue
        estimate, variance, n = entry.get("estimate"), entry.get("variance"), entry.get("n")
        if not (_is_number(estimate) and isinstance(variance, int | float)) or not (
            _is_number(variance) and variance > 0
        ):
            raise _malformed(
                label, _("outcome %(key)s has no estimate with a positive variance") % {"key": key}
            )
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise _malformed(label, _("outcome %(key)s has no n") % {"key": key})


def read_evidence_bytes(data: bytes, label: str) -> EvidenceFile:
    """Verify one file's bytes (see the module doc); raises :class:`PoolingError`."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _malformed(label, _("not JSON in UTF-8")) from None
    if not isinstance(document, dict) or set(document) != {"evidence", "signature"}:
        raise _malformed(label, _("no 'evidence' and 'signature' parts"))
    evidence, signature = document["evidence"], document["signature"]
    if not isinstance(evidence, dict) or evidence.get("format") != FORMAT:
        raise _malformed(label, _("no format '%(format)s'") % {"format": FORMAT})
    version = evidence.get("schema_version")
    if version != SCHEMA_VERSION:
        raise _refuse(
            label,
            _(
                "schema version %(version)s is unknown to this yim, which reads version "
                "%(known)s. Ask for a file of version %(known)s, or pool with a yim that knows "
                "version %(version)s."
            )
            % {"version": json.dumps(version), "known": SCHEMA_VERSION},
        )
    organisation = evidence.get("organisation")
    if not isinstance(organisation, dict) or not isinstance(organisation.get("name"), str):
        raise _malformed(label, _("no organisation"))
    covers = organisation.get("covers")
    if not isinstance(covers, list) or not covers or not all(isinstance(c, str) for c in covers):
        raise _malformed(label, _("no list of the organisations it covers"))
    if not isinstance(evidence.get("as_of"), str):
        raise _malformed(label, _("no as_of day"))
    _check_outcomes(label, evidence.get("outcomes"))
    if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
        raise _malformed(label, _("no Ed25519 signature"))
    raw_key = _decode_b64(organisation.get("public_key"), 32, label, _("no public key"))
    value = _decode_b64(signature.get("value"), 64, label, _("no signature value"))
    # The file must be exactly as it was written: a changed byte anywhere is refused, even one
    # (white space, the order of keys) that would leave the signed content the same.
    if canonical(document) + b"\n" != data:
        raise _refuse(label, _changed())
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(value, canonical(evidence))
    except InvalidSignature:
        raise _refuse(label, _changed()) from None
    if organisation.get("fingerprint") != fingerprint(raw_key):
        raise _refuse(label, _changed())
    return EvidenceFile(label=label, evidence=evidence, public_key=raw_key)


def _changed() -> str:
    return _(
        "the signature does not match the content: the file was changed after it was "
        "signed (or damaged on the way). Ask the organisation to send it again."
    )


def read_evidence_file(path: Path | str) -> EvidenceFile:
    """Read and verify one evidence file from disk."""
    path = Path(path)
    label = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _malformed(label, _("larger than an evidence file can be"))
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(
            label, _("the file cannot be read (%(problem)s).") % {"problem": exc.strerror}
        ) from None
    return read_evidence_bytes(data, label)


def read_trusted_keys(path: Path | str, files: Sequence[EvidenceFile] = ()) -> dict[bytes, str]:
    """A list of allowed public keys from a file (:func:`trusted_keys_from_lines`)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolingError(
            _("The list of trusted keys %(path)s cannot be read (%(problem)s).")
            % {"path": path, "problem": getattr(exc, "strerror", None) or exc}
        ) from None
    return trusted_keys_from_lines(lines, path, files)


def trusted_keys_from_lines(
    lines: list[str], path: Path | str, files: Sequence[EvidenceFile] = ()
) -> dict[bytes, str]:
    """A list of allowed public keys: one a line, the base64 key as in the files or the key's
    fingerprint as ``yim evidence file`` printed it, optionally followed by a name; blank lines
    and lines starting with ``#`` are skipped. A fingerprint stands for the key of the evidence
    file among ``files`` that has it; one that matches none of them trusts nothing. ``path``
    names the list in the messages."""
    by_fingerprint = {f.fingerprint: f.public_key for f in files}
    keys: dict[bytes, str] = {}
    listed = False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        listed = True
        first, _sep, name = text.partition(" ")
        if first.upper().startswith("SHA256:"):
            if not FINGERPRINT.fullmatch(first):
                raise PoolingError(
                    _(
                        "Line %(line)s of %(path)s is not a fingerprint: write it as "
                        "'yim evidence file' printed it (SHA256: and eight groups of four "
                        "characters)."
                    )
                    % {"line": number, "path": path}
                )
            if first in by_fingerprint:
                keys[by_fingerprint[first]] = name.strip() or first
            continue
        try:
            raw = base64.b64decode(first, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise PoolingError(
                _(
                    "Line %(line)s of %(path)s is not a public key: write one base64 key a "
                    "line (as in an evidence file's organisation.public_key) or its "
                    "fingerprint, then a name."
                )
                % {"line": number, "path": path}
            )
        keys[raw] = name.strip() or fingerprint(raw)
    if not listed:
        raise PoolingError(_("The list of trusted keys %(path)s is empty.") % {"path": path})
    return keys


def check_together(files: list[EvidenceFile], trusted: dict[bytes, str] | None = None) -> None:
    """Refuse a set with two files of one key or of overlapping organisations, fewer than two
    files, or (with a list) a key that is not on it."""
    if len(files) < 2:
        raise PoolingError(_("Pooling needs at least two evidence files."))
    seen_keys: dict[bytes, str] = {}
    seen_names: dict[str, str] = {}
    for f in files:
        if trusted is not None and f.public_key not in trusted:
            raise _refuse(
                f.label,
                _(
                    "its key (%(fingerprint)s) is not on the list of trusted keys. Check the "
                    "fingerprint with the organisation, then add its key to the list."
                )
                % {"fingerprint": f.fingerprint},
            )
        if f.public_key in seen_keys:
            raise _refuse(
                f.label,
                _(
                    "it is signed with the same key as %(other)s: two files of one "
                    "organisation would count its youth twice. Pool one file per organisation."
                )
                % {"other": seen_keys[f.public_key]},
            )
        seen_keys[f.public_key] = f.label
        for name in f.covers:
            folded = name.strip().casefold()
            if folded in seen_names:
                raise _refuse(
                    f.label,
                    _(
                        "it covers the organisation '%(name)s', which %(other)s covers too: "
                        "overlapping files would count youth twice. Pool one file per "
                        "organisation."
                    )
                    % {"name": name, "other": seen_names[folded]},
                )
            seen_names[folded] = f.label
