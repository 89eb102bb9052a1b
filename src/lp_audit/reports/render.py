"""One Jinja environment per format, and the report rendered with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult
    from lp_audit.definitions import Definition
    from lp_audit.reports.charts import Painter

from lp_audit.reports.build import build_context


def environment(fmt: str) -> Any:
    """The one Jinja environment per format: templates in the package, strict undefined."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    if fmt == "html":
        from lp_audit.reports.context import LIGHT_TEXT_FROM, SHADES

        html = Environment(
            loader=PackageLoader("lp_audit.reports", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        html.globals |= {"shades": SHADES, "light_text_from": LIGHT_TEXT_FROM}
        return html
    return Environment(
        loader=PackageLoader("lp_audit.reports", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=markdown_cell,
    )


def markdown_cell(value: Any) -> Any:
    """Escape every value printed into Markdown: no table breaks, no HTML, no new lines."""
    if not isinstance(value, str):
        return value
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
    )


REPORT_FORMATS = ("html", "markdown", "pdf")


def report_format(path: str, explicit: str | None = None) -> str:
    """The report format named explicitly, or implied by the file's extension."""
    if explicit is not None:
        return explicit
    lower = path.lower()
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    return "pdf" if lower.endswith(".pdf") else "html"


def render_report(
    result: AuditResult,
    definition: Definition | None = None,
    fmt: str = "html",
    *,
    suppress: bool = True,
    charts: bool = True,
    stamp: str | None = None,
    painter: Painter | None = None,
) -> str:
    """Render the report as ``html`` or ``markdown`` text.

    ``definition`` defaults to the one the audit used. ``charts=False`` leaves the charts out of
    the HTML (their tables stay), for golden tests that should not depend on the plotting
    library's version. ``painter`` draws them (see :class:`~lp_audit.reports.charts.Painter`);
    by default in this process.
    """
    definition = definition or result.loaded_definition()
    context = build_context(
        result,
        definition,
        suppress=suppress,
        charts=charts and fmt == "html",
        stamp=stamp,
        painter=painter,
    )
    template = environment(fmt).get_template("report.html" if fmt == "html" else "report.md")
    return str(template.render(report=context))


def write_report(
    result: AuditResult,
    path: str | Path,
    fmt: str | None = None,
    *,
    suppress: bool = True,
    stamp: str | None = None,
    painter: Painter | None = None,
) -> None:
    """Render the report and write it to ``path`` atomically: HTML, Markdown, or PDF (from the
    HTML, with the ``pdf`` extra). ``fmt`` defaults to what the file's extension says.

    Raises:
        PdfUnavailableError: for a PDF without WeasyPrint.
        OutputError: if the file cannot be written.
    """
    from lp_audit.files import write_atomic

    kind = report_format(str(path), fmt)
    if kind == "pdf":
        from lp_audit.reports.pdf import html_to_pdf

        write_atomic(
            path,
            html_to_pdf(
                render_report(result, fmt="html", suppress=suppress, stamp=stamp, painter=painter)
            ),
        )
    else:
        text = render_report(result, fmt=kind, suppress=suppress, stamp=stamp, painter=painter)
        write_atomic(path, text)
