"""Template filters of the coding pages."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def exact_text(value: str) -> SafeString:
    """Escape text so the browser's DOM holds exactly these characters.

    HTML parsing turns CR LF and lone CR into LF, which would shift every offset after it;
    a character reference (``&#13;``) survives parsing as U+000D.
    """
    return mark_safe(escape(value).replace("\r", "&#13;"))  # noqa: S308 - escaped above


@register.filter
def coefficient(value: float | None) -> str:
    """Three decimals, or "undefined" (κ and α are 0/0 without variation)."""
    return _("undefined") if value is None else f"{value:.3f}"


@register.filter
def indent(depth: int) -> str:
    return "\u2003" * int(depth)
