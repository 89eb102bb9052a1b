"""What every command shares: exit codes, options, one-line errors, output to a file or stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from lp_audit.errors import LpAuditError


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
NoSuppressionOpt = Annotated[
    bool,
    typer.Option(
        "--no-suppression",
        help="Show small numbers in the report: for internal analysis only, marked not for sharing.",
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
    lines = "\n".join(plain(line) for line in message.split("\n"))
    stderr.print(f"[bold red]error:[/bold red] {lines}")
    raise typer.Exit(ExitStatus.INPUT_ERROR)


def plain(text: str) -> str:
    """Text safe to print: no rich markup, no raw control characters."""
    from rich.markup import escape

    from lp_audit.reports.formats import terminal_safe

    return escape(terminal_safe(text))


def emit(text: str | Iterable[str], output: Path | None) -> None:
    """Write ``text`` (or its pieces, in turn) to ``output`` atomically, or to stdout."""
    from lp_audit.files import write_atomic

    if output is None:
        if isinstance(text, str):
            sys.stdout.write(text)
        else:
            sys.stdout.writelines(text)
        return
    try:
        write_atomic(output, text)
    except LpAuditError as exc:
        fail(str(exc), exc)
    stderr.print(f"Wrote {output}")


def check_options(
    fmt: str,
    formats: tuple[str, ...],
    fail_on: str,
    period: str | None = None,
    chunk_rows: int | None = None,
) -> None:
    """Refuse, with one line, options that cannot be right (before anything is read)."""
    from lp_audit.periods import Period

    if fmt not in formats:
        fail(f"unknown format {fmt!r}: use one of {', '.join(formats)}")
    if fail_on not in ("error", "warning", "never"):
        fail(f"--fail-on must be error, warning or never, not {fail_on!r}")
    if period is not None:
        try:
            Period.parse(period)
        except ValueError as exc:
            fail(str(exc))
    if chunk_rows is not None and chunk_rows < 0:
        fail(f"--chunk-rows must be 0 or more, not {chunk_rows}")


def guard(output: Path | None, inputs: Sequence[Path], *more: str | Path | None) -> None:
    """Refuse an output that is one of the inputs (returns, a definition or config file)."""
    from lp_audit.definitions import is_path_spec
    from lp_audit.files import refuse_overwriting

    named = [Path(m) for m in more if m is not None and is_path_spec(m)]
    try:
        refuse_overwriting([output], [*inputs, *named])
    except LpAuditError as exc:
        fail(str(exc), exc)
