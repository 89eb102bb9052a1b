"""``lp-audit audit``: audit a folder of returns, with a report to share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lp_audit.cli.common import (
    DefinitionOpt,
    ExitStatus,
    NoSuppressionOpt,
    OutputOpt,
    check_options,
    emit,
    fail,
    guard,
    plain,
    stderr,
)
from lp_audit.errors import LpAuditError

if TYPE_CHECKING:
    pass


def audit(
    path: Annotated[
        Path,
        typer.Argument(help="A folder of returns (any depth) or one file, e.g. examples/hbyw."),
    ],
    definition: DefinitionOpt = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Audit settings, e.g. --config lp-audit.yaml (default: lp-audit.yaml in PATH)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text or json, e.g. --format json.")
    ] = "text",
    output: OutputOpt = None,
    fail_on: Annotated[
        str,
        typer.Option(help="Exit 1 when unacknowledged findings reach: error, warning or never."),
    ] = "never",
    today: Annotated[
        str | None,
        typer.Option(help="Treat this date as today (YYYY-MM-DD), for reproducible runs."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write the variance report, e.g. --report report.html (or .md)."),
    ] = None,
    report_format: Annotated[
        str | None,
        typer.Option(help="html, markdown or pdf (default: from the --report extension)."),
    ] = None,
    stamp: Annotated[
        bool,
        typer.Option(
            "--stamp",
            help="Print the date and time in the report (left out by default, so that the same "
            "returns always give the same report).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Validate the returns in this many processes (default: the machine's cores, "
            "for 4 MB of returns or more), e.g. --workers 4. The result is the same however many.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Validate the returns on a Dask cluster, e.g. --scheduler tcp://10.0.0.5:8786 "
            "(pip install 'lp-audit[dask]').",
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            help="Keep each return's results and the audit's tables as Parquet in this folder, "
            "e.g. --store results/; an audit again with the same store validates only the "
            "returns that changed. lp-audit report DIR renders the report from it.",
        ),
    ] = None,
    no_suppression: NoSuppressionOpt = False,
) -> None:
    """Audit every return under PATH: capture profiles, differences between providers, trends.

    Example: lp-audit audit examples/hbyw --format json --output audit.json
    """
    import datetime as dt

    from lp_audit.auditing import audit as run_audit
    from lp_audit.auditing import failing, find_returns
    from lp_audit.reports import REPORT_FORMATS, write_report
    from lp_audit.reports import report_format as pick_format
    from lp_audit.reports.charts import Painter
    from lp_audit.reports.formats import audit_text
    from lp_audit.reports.jsondoc import audit_json_parts

    fmt, fail_on = fmt.lower(), fail_on.lower()
    check_options(fmt, ("text", "json"), fail_on)
    kind = pick_format(str(report), report_format.lower() if report_format else None)
    if report is not None and kind not in REPORT_FORMATS:
        fail(f"--report-format must be html, markdown or pdf, not {kind!r}")
    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today takes a date like 2026-01-31, not {today!r}")
    for target in (output, report):
        guard(target, find_returns(path) if path.exists() else [], definition, config)
    # a report with charts: a helper process imports the plotting library while the audit runs
    with Painter(ahead=report is not None and kind != "markdown") as painter:
        try:
            result = run_audit(
                path,
                definition,
                config=config,
                today=day,
                progress=_progress(path),
                workers=workers,
                scheduler=scheduler,
                store=store,
            )
        except LpAuditError as exc:
            fail(str(exc), exc)
        finally:
            _progress_done()
        if report is not None:
            try:
                made = dt.datetime.now().isoformat(sep=" ", timespec="minutes") if stamp else None
                write_report(
                    result, report, kind, suppress=not no_suppression, stamp=made, painter=painter
                )
            except LpAuditError as exc:
                fail(str(exc), exc)
            painter.close(wait=False)  # it exits while the results are printed
            stderr.print(f"Wrote {plain(str(report))}")
        if store is not None:
            stderr.print(
                f"Stored in {plain(str(store))}: {len(result.returns) + len(result.unreadable)}"
                f" returns, {len(result.read_back)} read back unchanged"
            )
    if fmt == "text" and output is None:
        audit_text(result, Console(highlight=False))
    else:
        # the JSON document is written as it is made, never whole in memory
        emit(audit_json_parts(result) if fmt == "json" else audit_text(result), output)
    for item in result.unreadable:
        stderr.print(f"[yellow]warning:[/yellow] {plain(item.path)}: {plain(item.message)}")
    raise typer.Exit(ExitStatus.FINDINGS if failing(result, fail_on) else ExitStatus.OK)


_bar: dict[str, object] = {}


def _progress(path: Path) -> Callable[[Path], None] | None:
    """A progress bar on a terminal's stderr (returns done of all, and the rate); nothing
    when stderr is not a terminal."""
    if not stderr.is_terminal:
        return None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from lp_audit.auditing import find_returns

    total = len(find_returns(path)) if path.exists() else None
    progress = Progress(
        TextColumn("Validating returns"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    task = progress.add_task("returns", total=total, rate="")
    progress.start()
    _bar["progress"] = progress

    def step(file: Path) -> None:
        progress.advance(task)
        speed = progress.tasks[0].speed
        progress.update(task, rate=f"{speed:.1f} a second" if speed else "")

    return step


def _progress_done() -> None:
    progress = _bar.pop("progress", None)
    if progress is not None:
        progress.stop()  # type: ignore[attr-defined]
