"""``lp-audit definitions`` and ``lp-audit template``: definitions and the documents made from them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lp_audit.cli.common import (
    ExitStatus,
    OutputOpt,
    emit,
    fail,
    guard,
    plain,
    stderr,
)
from lp_audit.errors import LpAuditError

if TYPE_CHECKING:
    from lp_audit.definitions import Definition


def template(
    name: Annotated[
        str, typer.Argument(help="NAME, NAME@VERSION or a path, e.g. hbyw-quarterly-return@1.0.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="return.xlsx (a workbook) or return.csv (header only)."
        ),
    ],
    provider: Annotated[
        str | None,
        typer.Option(
            help="The provider the return is for: its provider column then offers only that "
            "code, e.g. --provider RTH."
        ),
    ] = None,
) -> None:
    """Write a blank return for providers: drop-downs, notes and validation in Excel.

    Example: lp-audit template hbyw-quarterly-return@1.0 --provider RTH --output rth.xlsx
    """
    from lp_audit.documents import write_template

    if output.suffix.lower() not in (".xlsx", ".csv"):
        fail(f"{output}: name a .xlsx or .csv file")
    try:
        write_template(load_named(name), output, provider=provider)
    except LpAuditError as exc:
        fail(str(exc), exc)
    stderr.print(f"Wrote {plain(str(output))}")


def definitions_list(
    folder: Annotated[
        Path | None, typer.Option(help="A folder of definitions (default: the bundled ones).")
    ] = None,
) -> None:
    """List definitions with their versions and the periods they are in force.

    Example: lp-audit definitions list
    """
    from rich.table import Table

    from lp_audit.definitions import list_definitions

    table = Table("Definition", "Version", "In force", "Title", box=None, header_style="bold")
    for info in list_definitions(folder):
        start = str(info.in_force_from) if info.in_force_from else "any time"
        span = f"{start} to {info.in_force_to}" if info.in_force_to else f"from {start}"
        table.add_row(info.name, info.version, span, info.title)
    Console(highlight=False).print(table)


def definitions_show(
    name: Annotated[
        str, typer.Argument(help="NAME, NAME@VERSION or a path, e.g. hbyw-quarterly-return@2.0.")
    ],
) -> None:
    """Print a definition's fields: type, status, codes and sensitivity.

    Example: lp-audit definitions show hbyw-quarterly-return@1.0
    """
    from rich.markup import escape
    from rich.table import Table

    from lp_audit.documents import describe_definition

    d = describe_definition(load_named(name))
    console = Console(highlight=False)
    console.print(
        f"[bold]{escape(d.title)}[/bold] ({escape(d.ref)}), in force {escape(d.in_force)}"
    )
    if d.description:
        console.print(escape(d.description))
    table = Table("#", "Field", "Type", "Status", "Codes / rules", box=None, header_style="bold")
    for f in d.fields:
        sensitive = "[magenta]sensitive[/magenta]" if f.sensitive else ""
        extra = " ".join(x for x in (escape(f.codes), escape(f.rules), sensitive) if x)
        name_cell = f"{escape(f.name)}\n[dim]{escape(f.label)}[/dim]"
        table.add_row(str(f.number), name_cell, f.type, f.status, extra)
    console.print(table)
    console.print(f"{d.rules} cross-field rules, {d.return_rules} return rules. * = unknown code")


def definitions_docs(
    name: Annotated[
        str, typer.Argument(help="NAME, NAME@VERSION or a path, e.g. hbyw-quarterly-return@1.0.")
    ],
    output: OutputOpt = None,
) -> None:
    """Write a data dictionary for providers: HTML, or Markdown for .md files and stdout.

    Example: lp-audit definitions docs hbyw-quarterly-return@1.0 --output dictionary.html
    """
    from lp_audit.documents import render_dictionary

    definition = load_named(name)
    html = output is not None and not str(output).lower().endswith((".md", ".markdown"))
    emit(render_dictionary(definition, "html" if html else "markdown"), output)


def definitions_diff(
    old: Annotated[
        str, typer.Argument(help="The earlier version, e.g. hbyw-quarterly-return@1.0.")
    ],
    new: Annotated[str, typer.Argument(help="The later version, e.g. hbyw-quarterly-return@2.0.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, markdown or json, e.g. --format markdown.")
    ] = "text",
    output: OutputOpt = None,
) -> None:
    """Say what changed between two versions of a definition, as release notes.

    Example: lp-audit definitions diff hbyw-quarterly-return@1.0 hbyw-quarterly-return@2.0
    """
    from lp_audit.definitions import load_definition
    from lp_audit.documents import render_diff

    if fmt not in ("text", "markdown", "json"):
        fail(f"unknown format {fmt!r}: use text, markdown or json")
    try:
        before, after = load_definition(old), load_definition(new)
    except LpAuditError as exc:
        fail(str(exc), exc)
    emit(render_diff(before, after, fmt), output)


def definitions_check(
    paths: Annotated[
        list[Path], typer.Argument(help="Definition files or folders, e.g. definitions/.")
    ],
) -> None:
    """Check definition files and list every problem as file:line: path: message.

    Example: lp-audit definitions check definitions/
    """
    from lp_audit.definitions import check_definitions

    checks = check_definitions(paths)
    for check in checks:
        for problem in check.problems:
            typer.echo(str(problem))
        if check.definition is not None:
            d = check.definition
            stderr.print(
                f"[green]ok[/green] {plain(str(check.path))}: {plain(d.ref)}, {len(d.fields)} fields"
            )
    problems = sum(len(c.problems) for c in checks)
    if problems:
        stderr.print(f"[red]{problems} problem(s) found[/red]")
        raise typer.Exit(ExitStatus.INPUT_ERROR)


def load_named(name: str) -> Definition:
    """The definition ``name`` names; for a bare NAME, the version in force today, said on
    stderr so that nobody takes a future version's dictionary for the current one."""
    from lp_audit.definitions import is_path_spec, load_definition

    try:
        definition = load_definition(name)
    except LpAuditError as exc:
        fail(str(exc), exc)
    if not is_path_spec(name) and "@" not in name:
        stderr.print(
            f"Using {plain(definition.ref)}, in force {plain(definition.describe_in_force())}; "
            f"name another version as {plain(definition.name)}@VERSION."
        )
    return definition


def definitions_infer(
    returns: Annotated[
        list[Path],
        typer.Argument(
            help="Sample returns (CSV or XLSX), e.g. returns/*.csv, or a folder of them (at "
            "any depth: a folder per return of several tables)."
        ),
    ],
    output: OutputOpt = None,
    name: Annotated[
        str, typer.Option(help="The definition's name, e.g. --name youth-work-return.")
    ] = "draft-return",
    title: Annotated[str | None, typer.Option(help="The definition's title.")] = None,
) -> None:
    """Draft a definition from sample returns: types, codes, blanks, ranges, keys, and for
    samples of several tables, the tables and the rules between them. What it could not decide
    is a comment; codes get TODO labels; sensitive-looking columns are marked and none of their
    values is copied. The samples validate against the draft with no error (a tolerance,
    explained, covers the errors they have).

    Example: lp-audit definitions infer returns/ --output draft.yaml
    """
    from lp_audit.auditing import find_returns
    from lp_audit.drafting import infer_definition
    from lp_audit.errors import ReturnReadError

    files: list[Path] = []
    for path in returns:
        if path.is_dir():
            found = find_returns(path)
            if not found:
                fail(f"{path}: no CSV or XLSX files in this folder or the folders in it")
            files.extend(found)
        else:
            files.append(path)
    guard(output, files)
    try:
        draft = infer_definition(files, name=name, title=title)
    except ReturnReadError as exc:
        fail(str(exc), exc)
    except LpAuditError as exc:  # pragma: no cover - a draft that does not load is a bug
        fail(f"the draft could not be checked: {exc}", exc)
    emit(draft.text, output)
    sensitive = sum(1 for f in draft.fields if f.column.sensitive)
    tolerated = sum(1 for f in draft.fields if f.tolerance) + sum(
        1 for r in draft.rules if r.tolerance
    )
    made_of = (
        f"of {len(draft.tables)} tables from {len(draft.files)} file(s)"
        if draft.tables
        else f"from {len(draft.files)} return(s)"
    )
    stderr.print(
        f"Drafted {len(draft.fields)} fields {made_of}, "
        f"{draft.rows:,} rows: {sensitive} marked sensitive, {tolerated} with a tolerance for "
        "the samples' own errors. Fill in each TODO, then run lp-audit definitions check."
    )
