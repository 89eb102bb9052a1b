"""What every command shares: exit codes, options, one-line errors, output to a file or stdout."""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from lp_audit.errors import LpAuditError

if TYPE_CHECKING:
    from lp_audit.validation import ReturnResult


class ExitStatus(IntEnum):
    """Process exit codes."""

    OK = 0
    FINDINGS = 1
    INPUT_ERROR = 2


stderr = Console(stderr=True, highlight=False, soft_wrap=True)
state = {"debug": False}

DefinitionOpt = Annotated[
    str | None,
    typer.Option(
        "--definition",
        "-d",
        help="Definition NAME, NAME@VERSION or a YAML path, e.g. hbyw-quarterly-return@1.0. "
        "Default: the bundled version in force for the return's period.",
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output format: text, json, csv, junit, github, markdown, or xlsx (a feedback "
        "workbook for one return, with --output), e.g. --format json.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the result to this file instead of stdout."),
]


def fail(message: str, exc: BaseException | None = None) -> NoReturn:
    """Print one red line on stderr and exit 2 (re-raise with --debug)."""
    if state["debug"] and exc is not None:
        raise exc
    stderr.print(f"[bold red]error:[/bold red] {plain(message)}")
    raise typer.Exit(ExitStatus.INPUT_ERROR)


def plain(text: str) -> str:
    """Text safe to print: no rich markup, no raw control characters."""
    from rich.markup import escape

    from lp_audit.reports.formats import terminal_safe

    return escape(terminal_safe(text))


def emit(text: str, output: Path | None) -> None:
    from lp_audit.files import write_atomic

    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except LpAuditError as exc:
        fail(str(exc), exc)
    stderr.print(f"Wrote {output}")


def exit_for(results: list[ReturnResult], fail_on: str) -> ExitStatus:
    if fail_on == "never":
        return ExitStatus.OK
    for result in results:
        counts = result.counts
        if counts["error"] or (fail_on == "warning" and counts["warning"]):
            return ExitStatus.FINDINGS
    return ExitStatus.OK
