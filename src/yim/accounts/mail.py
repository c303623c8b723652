"""E-mail with a link: invitations, set-password links, reminders of due work, and the notice
to a parent with parental authority that there is news about their child (a placement).

Mail goes through Django's e-mail framework (SMTP from the ``YIM_SMTP_*`` settings; without a
mail server the console backend writes it to the server log, and the page still shows the
link, as in the demo). Every mail is plain text, in the recipient's language, and carries a
link only — never youth data: no names, no file contents, no dates of a youth's care. A send
that fails is reported to the sender with the reason and can be tried again; nothing is lost,
because the link itself is also on the sender's page.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

#: The kinds of mail, each with ``mail/<kind>.txt`` and ``mail/<kind>_subject.txt``.
KINDS = frozenset({"invitation", "set_password", "reminder", "placement"})


@dataclass(frozen=True)
class Sent:
    """How a send went: ``ok``, or the reason it failed (for the sender's page)."""

    ok: bool
    to: str
    error: str = ""


def send_link_mail(*, to: str, kind: str, link: str, language: str = "", **context: Any) -> Sent:
    """Send one plain-text mail of ``kind`` with ``link`` to ``to``, in ``language``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of mail: {kind!r}")
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {"link": link, "base_url": settings.BASE_URL, **context}
        subject = " ".join(render_to_string(f"mail/{kind}_subject.txt", values).split())
        body = render_to_string(f"mail/{kind}.txt", values)
    try:
        send_mail(subject, body, None, [to], fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail %s to %s failed: %s", kind, to, exc)
        return Sent(ok=False, to=to, error=str(exc) or type(exc).__name__)
    return Sent(ok=True, to=to)
