"""One Jinja environment per format, and the report rendered with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult, TablesAudit
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
    result: AuditResult | TablesAudit,
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

    The audit of a return of several tables gives one document with each table's report in
    turn (in HTML, each part's element ids prefixed with its table's name, so that they stay
    unique).
    """
    from lp_audit.auditing.result import TablesAudit

    if isinstance(result, TablesAudit):
        return _tables_report(
            result, fmt, suppress=suppress, charts=charts, stamp=stamp, painter=painter
        )
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


def _tables_report(
    result: TablesAudit,
    fmt: str,
    *,
    suppress: bool,
    charts: bool,
    stamp: str | None,
    painter: Painter | None,
) -> str:
    """Each table's report in one document."""
    from markupsafe import Markup

    texts: list[str] = []
    bodies: list[tuple[str | None, Markup]] = []
    for part in result.parts:
        context = build_context(
            part,
            part.loaded_definition(),
            suppress=suppress,
            charts=charts and fmt == "html",
            stamp=stamp,
            painter=painter,
        )
        if fmt != "html":
            texts.append(environment(fmt).get_template("report.md").render(report=context))
            continue
        body = environment(fmt).get_template("_report_body.html").render(report=context)
        bodies.append((part.table, Markup(scoped(body, f"{part.table}-"))))
    if fmt != "html":
        return "\n".join(texts)
    model = result.definition_model
    title = model.title if model is not None else result.definition
    template = environment("html").get_template("tables_report.html")
    return str(
        template.render(
            title=f"{title}: data capture across providers",
            definition=f"{title} ({result.definition})",
            parts=bodies,
        )
    )


def scoped(html: str, prefix: str) -> str:
    """``html`` with each element id, and each reference to one (``href="#…"``,
    ``aria-labelledby``, ``url(#…)``), prefixed: one table's report beside another's."""
    import re

    html = re.sub(r'\b(id|aria-labelledby)="([^"]+)"', rf'\1="{prefix}\2"', html)
    return html.replace('href="#', f'href="#{prefix}').replace("url(#", f"url(#{prefix}")


def write_report(
    result: AuditResult | TablesAudit,
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
