"""Auditing returns of several tables: each return a folder of files named after their tables
(``nth-2025-26/header.csv``, ``nth-2025-26/episodes.csv``), or a workbook with a sheet named
after each (``nth-2025-26.xlsx``).

The files of one return are validated together (a rule of one table reads the matching rows
of another), then each table is audited across providers and periods as a return of one
table is: its own capture profiles, comparisons, highlights and report. The folder's name
says the provider and period, as a file's name does for a return of one table.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date
from pathlib import Path
from typing import Any

from lp_audit.auditing.assemble import assemble
from lp_audit.auditing.config import AuditConfig
from lp_audit.auditing.result import TablesAudit
from lp_audit.definitions import Definition
from lp_audit.validation import ReturnResult, Unreadable


def group_returns(
    files: list[Path], definition: Definition
) -> tuple[list[tuple[Path, list[Path]]], list[Unreadable]]:
    """The returns among ``files``, each as where it is (a folder, or a workbook) and its
    files: each folder's files named after a table, and each workbook named otherwise (its
    sheets are the tables); a file named after no table is left out, saying why."""
    stems = {t.file_name.lower(): t.name for t in definition.tables}
    folders: dict[Path, list[Path]] = {}
    left_out: list[Unreadable] = []
    names = ", ".join(f"{t.file_name}.csv" for t in definition.tables)
    for file in files:
        if file.stem.lower() in stems:
            folders.setdefault(file.parent, []).append(file)
        elif file.suffix.lower() == ".xlsx":  # a workbook, a sheet a table
            folders[file] = [file]
        else:
            left_out.append(
                Unreadable(
                    str(file),
                    f"is not a table of {definition.ref}: a return of several tables is a "
                    f"folder of files named after its tables ({names})",
                )
            )
    return list(folders.items()), left_out


def _previous_returns(definition: Definition, said: dict[Path, dict[str, Any]]) -> dict[Path, Path]:
    """For a definition with a table that compares with the previous return, each return's
    previous one: the same provider's return of the period before, when the audit has it."""
    if not any(definition.for_table(t.name).previous_return for t in definition.tables):
        return {}
    periods = {}
    for folder, hints in said.items():
        try:
            periods[folder] = (hints["provider"], definition.parse_period(hints["period"]))
        except (KeyError, ValueError):
            continue
    after = {(provider, period.next()): folder for folder, (provider, period) in periods.items()}
    return {folder: after[key] for folder, key in periods.items() if key in after}


def audit_tables(
    files: list[Path],
    definition: Definition,
    settings: AuditConfig,
    today: date,
    hints: Callable[[Path], dict[str, Any]],
    progress: Callable[[Path], None] | None = None,
    workers: int = 1,
    pool: Callable[[int], Executor] | None = None,
    scheduler: str | None = None,
    keep: Callable[[Any], Any] | None = None,
) -> TablesAudit:
    """Validate each return's tables together, then audit each table across the returns.

    ``hints`` gives the provider and period a folder's name says; ``workers``, ``pool`` and
    ``scheduler`` are as for :func:`~lp_audit.auditing.run.audit` (the same result wherever
    the returns are validated); ``keep`` turns each return's outcome, as it arrives, into
    what is kept of it (see :func:`~lp_audit.auditing.parallel.run_jobs`).
    """
    from lp_audit.auditing.parallel import Job, run_table_jobs

    returns, left_out = group_returns(files, definition)
    results: list[ReturnResult] = []
    unreadable: list[Unreadable] = list(left_out)
    said = {
        folder: hints(folder if folder.is_dir() else folder.with_suffix(""))
        for folder, _ in returns
    }
    earlier = _previous_returns(definition, said)
    members = dict(returns)
    jobs = [
        Job(folder, said[folder].get("provider"), said[folder].get("period"), earlier.get(folder))
        for folder, _ in returns
    ]

    def done(folder: Path) -> None:
        if progress is not None:
            for member in members[folder]:
                progress(member)

    outcomes = run_table_jobs(
        jobs,
        definition,
        today,
        workers=workers,
        scheduler=scheduler,
        done=done,
        pool=pool,
        keep=keep,
    )
    for outcome in outcomes:
        if isinstance(outcome, Unreadable):
            unreadable.append(outcome)
        else:
            results += outcome.results
            unreadable += outcome.unreadable
    parts = []
    for table in definition.tables:
        mine = definition.for_table(table.name)
        own = [
            r
            for r in results
            if r.definition_model is not None and r.definition_model.table_name == table.name
        ]
        stem = table.file_name.lower()
        part = assemble(
            mine,
            own,
            [u for u in unreadable if Path(u.path).stem.lower() == stem],
            settings,
            today,
        )
        part.table = table.name
        parts.append(part)
    stems = {t.file_name.lower() for t in definition.tables}
    return TablesAudit(
        definition=definition.ref,
        parts=parts,
        unreadable=[u for u in unreadable if Path(u.path).stem.lower() not in stems],
        config=settings,
        today=today,
        definition_model=definition,
    )
