"""Reports: audit and validation results rendered for people and machines.

- :mod:`~lp_audit.reports.build`, :mod:`~lp_audit.reports.sections`,
  :mod:`~lp_audit.reports.providers`: an audit result as a typed context;
- :mod:`~lp_audit.reports.context`: the context's types, and the small-number policy as cells;
- :mod:`~lp_audit.reports.disclosure`: which counts every output may show, planned once over
  the sums (:mod:`~lp_audit.reports.sums`) a reader can see;
- :mod:`~lp_audit.reports.charts`: inline SVG charts (matplotlib);
- :mod:`~lp_audit.reports.render`: the Jinja environments and templates;
- :mod:`~lp_audit.reports.pdf`: the HTML report as a PDF (WeasyPrint);
- :mod:`~lp_audit.reports.formats`: results as JSON, CSV, JUnit, GitHub annotations, text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lp_audit.reports.build import build_context
    from lp_audit.reports.render import (
        REPORT_FORMATS,
        environment,
        markdown_cell,
        render_report,
        report_format,
        write_report,
    )

__all__ = [
    "REPORT_FORMATS",
    "build_context",
    "environment",
    "markdown_cell",
    "render_report",
    "report_format",
    "write_report",
]


def __getattr__(name: str) -> object:
    """The report's entry points, imported when asked for: ``lp-audit validate`` needs only
    :mod:`~lp_audit.reports.formats`, not the audit's report (60 ms of imports)."""
    if name == "build_context":
        from lp_audit.reports.build import build_context

        return build_context
    if name in __all__:
        from lp_audit.reports import render

        return getattr(render, name)
    raise AttributeError(f"module 'lp_audit.reports' has no attribute {name!r}")
