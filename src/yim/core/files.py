"""Files of secrets the server makes for itself (the export key, the evidence signing key)."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext as _


class PrivateFileError(Exception):
    """The file cannot be made; ``reason`` says why, in the user's language."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


def create_private_file(path: Path, content: bytes) -> None:
    """Write a new file readable by the server's user only (mode 0600), never over another.

    A regular file made there a moment ago (by a parallel run) is left as it is; anything
    else in the way, or a folder that cannot be written, raises :class:`PrivateFileError`.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.is_file():
            return
        raise PrivateFileError(_("a file is in the way")) from None
    except OSError as exc:
        raise PrivateFileError(exc.strerror) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
