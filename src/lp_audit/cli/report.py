"""``lp-audit report``: render the report of a saved audit: a results store, or the JSON
document ``audit --format json`` wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lp_audit.cli.common import NoSuppressionOpt, fail, plain, stderr
from lp_audit.errors import LpAuditError


def report(
    saved: Annotated[
        Path,
        typer.Argument(
            help="A saved audit: the folder lp-audit audit PATH --store DIR wrote, e.g. "
            "results/, or the file lp-audit audit PATH --format json --output FILE wrote.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="The report to write, e.g. --output report.html (or .md, .pdf)."
        ),
    ],
    report_format: Annotated[
        str | None,
        typer.Option(help="html, markdown or pdf (default: from the --output extension)."),
    ] = None,
    stamp: Annotated[
        bool,
        typer.Option("--stamp", help="Print the date and time in the report."),
    ] = False,
    no_suppression: NoSuppressionOpt = False,
) -> None:
    """Render the report of a saved audit, without validating anything again.

    Example: lp-audit report results/ --output report.html
    """
    import datetime as dt

    from lp_audit.auditing.saved import load_audit_json
    from lp_audit.auditing.store import load_audit
    from lp_audit.reports import REPORT_FORMATS, write_report
    from lp_audit.reports import report_format as pick_format

    kind = pick_format(str(output), report_format.lower() if report_format else None)
    if kind not in REPORT_FORMATS:
        fail(f"--report-format must be html, markdown or pdf, not {kind!r}")
    if saved.is_dir() and output.resolve().is_relative_to(saved.resolve()):
        fail(f"{output}: write the report outside the store {saved}")
    if output.resolve() == saved.resolve():
        fail(f"{output}: that is the saved audit; write the report to another file")
    try:
        result = (
            load_audit(saved) if saved.is_dir() or not saved.exists() else load_audit_json(saved)
        )
        made = dt.datetime.now().isoformat(sep=" ", timespec="minutes") if stamp else None
        write_report(result, output, kind, suppress=not no_suppression, stamp=made)
    except LpAuditError as exc:
        fail(str(exc), exc)
    stderr.print(f"Wrote {plain(str(output))}")
