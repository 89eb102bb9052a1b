"""The HTML report as a PDF, through WeasyPrint (the optional ``pdf`` extra)."""

from __future__ import annotations

from lp_audit.errors import LpAuditError


class PdfUnavailableError(LpAuditError):
    """WeasyPrint, or the Pango library it draws text with, is not installed."""


def html_to_pdf(html: str) -> bytes:
    """The report's HTML laid out as a PDF by its print stylesheet (A4).

    Raises:
        PdfUnavailableError: if WeasyPrint cannot be imported or cannot find Pango.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailableError(
            "a PDF report needs the pdf extra: pip install 'lp-audit[pdf]' (WeasyPrint, which "
            f"draws text with the Pango library); or write .html and print it ({exc})"
        ) from None
    import logging

    # WeasyPrint logs every SVG presentation property its CSS parser passes over; the charts
    # draw all the same (their tables carry the numbers too)
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        pdf: bytes = HTML(string=html).write_pdf()
    finally:
        log.setLevel(level)
    return pdf
