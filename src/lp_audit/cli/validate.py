"""``lp-audit validate``: check returns against a definition and list what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lp_audit.cli.common import (
    DefinitionOpt,
    ExitStatus,
    FormatOpt,
    OutputOpt,
    check_options,
    emit,
    fail,
    guard,
    plain,
    stderr,
)
from lp_audit.errors import LpAuditError


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Return files (CSV or XLSX), e.g. returns/rth-q2.csv; for a return of several "
            "tables, its files (each named after its table) or the folder that holds them."
        ),
    ],
    definition: DefinitionOpt = None,
    provider: Annotated[
        str | None, typer.Option(help="The provider submitting the return, e.g. --provider RTH.")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help='The period the return is for, e.g. --period "2025-26 Q2".')
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Workbook sheet to read (default: the first).")
    ] = None,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 when findings reach this severity: error, warning or never.")
    ] = "error",
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            help="Check a CSV file this many rows at a time, in memory that does not grow with "
            "the file (the same findings). Default: chunks of 100,000 rows for files over "
            "256 MB; 0 reads the whole file."
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="The same provider's return of the period before, for the definition's "
            "rules that compare with it (previous_return), e.g. --previous returns/2024-25.csv."
        ),
    ] = None,
) -> None:
    """Check provider returns against a data definition and list what to fix.

    Example: lp-audit validate examples/hbyw/*.csv --format json
    """
    from lp_audit.reports.formats import FORMATS, render
    from lp_audit.validation import validate_returns

    fmt, fail_on = fmt.lower(), fail_on.lower()
    check_options(fmt, (*FORMATS, "xlsx"), fail_on, period, chunk_rows)
    if fmt == "xlsx" and (output is None or len(files) != 1):
        fail("--format xlsx writes a feedback workbook for one return: give one file and --output")
    guard(output, files, definition)
    try:
        run = validate_returns(
            files,
            definition,
            provider=provider,
            period=period,
            sheet=sheet,
            chunk_rows=chunk_rows,
            keep_source=fmt == "xlsx",
            previous=previous,
        )
    except LpAuditError as exc:
        fail(str(exc), exc)
    for item in run.unreadable:
        stderr.print(f"[bold red]error:[/bold red] {plain(item.path)}: {plain(item.message)}")
    if fmt == "xlsx" and run.results and output is not None:
        from lp_audit.documents import write_feedback

        try:
            write_feedback(run.results[0], output)
        except LpAuditError as exc:
            fail(str(exc), exc)
        stderr.print(f"Wrote {plain(str(output))}")
    elif fmt == "text" and output is None:
        from lp_audit.reports.formats import print_text

        print_text(run.results, Console(highlight=False))
    elif fmt != "xlsx":
        emit(render(run.results, fmt), output)
    status = ExitStatus.FINDINGS if run.failing(fail_on) else ExitStatus.OK
    raise typer.Exit(ExitStatus.INPUT_ERROR if run.unreadable else status)
