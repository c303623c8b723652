"""A report (:mod:`yim.research.report`) as a self-contained HTML page or as a PDF.

The HTML is a Django template (``research/report/report.html``) with our own print CSS
inline (A4, a header with the organisation, ``as_of`` and "confidential", page numbers) and
the charts as inline SVG: it refers to nothing outside itself. The PDF is that HTML through
WeasyPrint, with a URL fetcher that refuses every URL: whatever a name or a text in the
report holds (``<img src="http://…">``, ``file:///etc/passwd``), it is escaped by the
template, and even an unescaped reference would fetch nothing.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from yim.research.report import Report, ReportError


class RefuseEveryURL:
    """A WeasyPrint URL fetcher that fetches nothing: every URL (http, file, data, …) is
    refused and remembered in ``refused`` (a refused resource is left out of the PDF)."""

    #: WeasyPrint (66 and later) asks this when a fetch fails: False keeps rendering.
    _fail_on_errors = False

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
        self.refused.append(url)
        raise ValueError("a yim report fetches nothing: everything it shows is inline")


def render_html(report: Report) -> str:
    """The report as one HTML page (in the report's language)."""
    with translation.override(report.language):
        return render_to_string(
            "research/report/report.html",
            {**report.context, "report": report, "in_report": True},
        )


def render_pdf(html: str, fetcher: RefuseEveryURL | None = None) -> bytes:
    """The report's HTML as PDF bytes (WeasyPrint), fetching nothing."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError):  # WeasyPrint, or the Pango library it loads, is missing
        raise ReportError(
            _(
                "PDF reports cannot be made on this server: WeasyPrint or the Pango library it "
                "needs is not installed (docs/operations.md). Ask the administrator; the HTML "
                "report works without them."
            )
        ) from None
    fetcher = fetcher if fetcher is not None else RefuseEveryURL()
    return bytes(HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf())


def render(report: Report, fmt: str) -> bytes:
    """The report as the bytes of a file: ``html`` (UTF-8) or ``pdf``."""
    html = render_html(report)
    if fmt == "pdf":
        return render_pdf(html)
    return html.encode("utf-8")
