"""Keyed pseudonyms: HMAC-SHA256 of a record's kind and id under a key kept on the server.

The key lives in the file ``YIM_EXPORT_KEY_FILE`` (default ``<data dir>/export.key``), made
with 32 random bytes on the first export; it is never written into an export. The same key
gives the same pseudonym for the same record in every table and every export, so tables
join and exports can be linked over time; a new key gives unlinkable pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from yim.core.files import PrivateFileError, create_private_file
from yim.research.export.errors import ExportError

MIN_KEY_BYTES = 32
PSEUDONYM_LENGTH = 32  # hexadecimal characters: 128 bits


def pseudonym(key: bytes, kind: str, pk: object) -> str:
    """The pseudonym of record ``pk`` of ``kind`` (``youth``, ``trajectory``, …)."""
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def export_key(path: Path | None = None) -> bytes:
    """The server's export key: read from the key file, made there on first use."""
    path = Path(path or settings.EXPORT_KEY_FILE)
    if not path.exists():
        _make_key_file(path)
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ExportError(
            _(
                "The export key file %(path)s cannot be read (%(problem)s); check "
                "YIM_EXPORT_KEY_FILE."
            )
            % {"path": path, "problem": exc.strerror}
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise ExportError(
            _(
                "The export key in %(path)s is too short: it needs at least %(n)s characters "
                "(delete the file to have a new random key made)."
            )
            % {"path": path, "n": MIN_KEY_BYTES}
        )
    return key


def _make_key_file(path: Path) -> None:
    """A new key file with a random key, readable by the server's user only."""
    try:
        create_private_file(path, (secrets.token_hex(MIN_KEY_BYTES) + "\n").encode())
    except PrivateFileError as exc:
        raise ExportError(_cannot_make(path, exc.reason)) from None


def _cannot_make(path: Path, problem: str | None) -> str:
    return _(
        "The export key file %(path)s cannot be made (%(problem)s); set YIM_EXPORT_KEY_FILE "
        "to a file the server may write."
    ) % {"path": path, "problem": problem}
