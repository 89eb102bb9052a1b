"""``lp-audit validate``: check returns against a definition and list what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lp_audit.cli.common import (
    DefinitionOpt,
    ExitStatus,
    FormatOpt,
    OutputOpt,
    emit,
    exit_for,
    fail,
    plain,
    stderr,
)
from lp_audit.errors import LpAuditError, ReturnReadError

if TYPE_CHECKING:
    from lp_audit.validation import ReturnResult


def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Return files (CSV or XLSX), e.g. returns/rth-q2.csv.")
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
) -> None:
    """Check provider returns against a data definition and list what to fix.

    Example: lp-audit validate examples/returns/*.csv --format json
    """
    from lp_audit.periods import Period
    from lp_audit.reports.formats import FORMATS, render

    if fmt not in (*FORMATS, "xlsx"):
        fail(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)} or xlsx")
    if fmt == "xlsx" and (output is None or len(files) != 1):
        fail("--format xlsx writes a feedback workbook for one return: give one file and --output")
    if fail_on not in ("error", "warning", "never"):
        fail(f"--fail-on must be error, warning or never, not {fail_on!r}")
    if period is not None:
        try:
            Period.parse(period)
        except ValueError as exc:
            fail(str(exc))
    if chunk_rows is not None and chunk_rows < 0:
        fail(f"--chunk-rows must be 0 or more, not {chunk_rows}")
    results, unreadable = _validate_all(files, definition, provider, period, sheet, chunk_rows)
    if fmt == "xlsx" and output is not None:
        if results:
            from lp_audit.documents import write_feedback

            try:
                write_feedback(files[0], results[0], output, sheet=sheet)
            except LpAuditError as exc:
                fail(str(exc), exc)
            stderr.print(f"Wrote {plain(str(output))}")
    elif fmt == "text" and output is None:
        from lp_audit.reports.formats import print_text

        print_text(results, Console(highlight=False))
    else:
        text = render(results, fmt)
        emit(text, output)
    if unreadable:
        raise typer.Exit(ExitStatus.INPUT_ERROR)
    raise typer.Exit(exit_for(results, fail_on))


def _validate_all(
    files: list[Path],
    definition: str | None,
    provider: str | None,
    period: str | None,
    sheet: str | None,
    chunk_rows: int | None = None,
) -> tuple[list[ReturnResult], int]:
    from lp_audit.definitions import load_definition
    from lp_audit.validation import validate_return

    if definition is not None:
        try:
            load_definition(definition)  # fail once, before any file, if it cannot be loaded
        except LpAuditError as exc:
            fail(str(exc), exc)
    results = []
    unreadable = 0
    for file in files:
        try:
            result = validate_return(
                file,
                definition,
                provider=provider,
                period=period,
                sheet=sheet,
                chunk_rows=chunk_rows,
            )
        except ReturnReadError as exc:
            unreadable += 1
            stderr.print(f"[bold red]error:[/bold red] {plain(str(exc))}")
        except LpAuditError as exc:
            fail(str(exc), exc)
        else:
            results.append(result)
    return results, unreadable
