"""Template filters of the coding pages."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
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


# --- one row per code ---------------------------------------------------------------------
# The codebook and the coding page list every code of the project; with a thousand codes a
# template loop costs a tenth of a second, so these rows are built here with format_html
# (escaped exactly like template variables) in a few milliseconds.


#: Deeper codes are indented as deep as this (CSS classes ``d0`` … ``d12``).
MAX_INDENT = 12


@register.simple_tag
def codebook_rows(rows: Sequence[tuple], selected=None) -> SafeString:
    """The ``<li>`` of each ``(code, depth)`` of the codebook (``code.n_codings`` annotated):
    colour chip, name as the link that opens the code's change panel, "category" for codes
    that cannot be applied, number of codings, the description's start."""
    category = format_html(' <span class="tag">{}</span>', _("category"))
    chosen = selected.pk if selected is not None else None

    def row(code, depth: int) -> SafeString:
        return format_html(
            '<li class="codebook-code d{}{}" id="c{}"><span class="chip" data-color="{}"></span>'
            '<a href="?code={}"><strong>{}</strong></a>{} <small>{}</small>{}</li>\n',
            min(depth, MAX_INDENT),
            " current" if code.pk == chosen else "",
            code.pk,
            code.color,
            code.pk,
            code.name,
            "" if code.is_codable else category,
            code.n_codings,
            format_html('<p class="help">{}</p>', Truncator(code.description).chars(120))
            if code.description
            else "",
        )

    return mark_safe("".join(row(code, depth) for code, depth in rows))  # noqa: S308


@register.simple_tag
def code_choices(rows: Sequence[tuple]) -> SafeString:
    """A checkbox per ``(code, depth)`` for the coding toolbar (categories disabled); the
    colour chip is drawn from ``data-color`` by coding.js and coding.css."""
    return format_html_join(
        "",
        '<label class="code-choice d{}" data-color="{}"><input type="checkbox" name="code" '
        'value="{}"{}>{}</label>',
        (
            (
                min(depth, MAX_INDENT),
                code.color,
                code.pk,
                "" if code.is_codable else mark_safe(" disabled"),
                code.name,
            )
            for code, depth in rows
        ),
    )
