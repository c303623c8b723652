"""Server logs without single-use secrets.

Invitation links, password-reset links and set-password links carry their token in the path.
Whoever reads the server's logs must not be able to use them, so every path yim logs — the
access log of ``yim serve`` (gunicorn) and Django's own request warnings ("Not Found: …",
"Gone: …") — shows such a path with the token replaced by ``[token]``. The user id part of a
password link (``<uidb64>``) stays: it names an account but opens nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

MASK = "[token]"

# The token segment of each link with a secret in its path (yim.accounts.urls, admin_urls).
# "set-password" after a reset link's user id is Django's placeholder after it moved the real
# token into the session: not a secret, kept readable.
_SECRET_PATHS = re.compile(
    r"(?P<keep>/accounts/invitation/"
    r"|/accounts/password-reset/[^/?#\s\"]+/(?!set-password/)"
    r"|/users/set-password/[^/?#\s\"]+/)"
    r"(?P<token>[^/?#\s\"]+)"
)


def mask_tokens(text: str) -> str:
    """``text`` with the token of every secret link in it replaced by ``[token]``."""
    return _SECRET_PATHS.sub(lambda m: m.group("keep") + MASK, text)


class MaskTokensFilter(logging.Filter):
    """A logging filter that masks secret links in a record's message (for Django's loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class AccessLogger(Logger):
    """gunicorn's logger, with secret links masked in every access-log field (request line,
    path, referrer, and the raw headers and environment a custom format may name)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
