"""Validating one return: read, parse, run the checks, and turn failures into findings.

Bad data never raises here: every problem becomes a row of the findings table. Only a file that
cannot be read at all, or a definition that cannot be loaded, raises an :class:`LpAuditError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lp_audit.definitions import Definition, is_path_spec, load_definition
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.reading import RawReturn, Repetitive

from lp_audit.definitions.registry import resolve_definition, version_for
from lp_audit.validation.identity import (
    period_in,
)
from lp_audit.validation.result import ReturnResult, Unreadable, Validation
from lp_audit.validation.single import validate_raw


def validate_return(
    source: str | Path | pd.DataFrame,
    definition: Definition | str | Path | None = None,
    *,
    provider: str | None = None,
    period: str | Period | None = None,
    today: date | None = None,
    sheet: str | None = None,
    capture: bool = False,
    chunk_rows: int | None = None,
    keep_source: bool = False,
    engine: Literal["auto", "pandera", "direct"] = "auto",
    previous: str | Path | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    previous_sheet: str | None = None,
) -> ReturnResult:
    """Validate one return against a definition.

    Args:
        source: a CSV or XLSX path, or a DataFrame of text columns named by field.
        definition: a :class:`Definition`, ``NAME[@VERSION]`` or a path; by default the bundled
            definition in force for the return's period.
        provider: the provider submitting the return; rows naming another are reported.
        period: the period the return is for, e.g. ``"2025-26 Q2"``; by default, the period most
            rows give.
        today: the date to treat as today (for "not in the future" rules).
        sheet: for workbooks, the sheet to read (default: the first).
        capture: also profile how each field was captured (see :mod:`lp_audit.profiling`).
        chunk_rows: read and check a CSV file this many rows at a time, in memory that does not
            grow with the file; the findings are the same as a whole-file run. By default, files
            over :data:`AUTO_CHUNK_BYTES` are read in chunks of :data:`DEFAULT_CHUNK_ROWS`;
            ``0`` always reads the whole file. Files that must be read whole (workbooks,
            encodings other than UTF-8, rows of the wrong length) are, whatever this says.
        keep_source: keep the return as read in ``result.source`` (the whole file is read),
            for a feedback workbook that copies it.
        engine: how the checks run. ``auto``: pandera validates a return of up to 100,000
            rows; larger ones, and chunks, have the same checks evaluated directly. ``direct``
            always evaluates them directly, without pandera's gathering of failure cases (its
            fixed cost, about 0.1 s a return, dominates an audit of many small returns: the
            audit uses it). The findings are the same either way; a test compares them.
        previous: the same provider's return of the period before, for a definition with
            ``previous_return``: its rules that read ``before.F`` compare with it, and the rows
            it must carry over are looked for. Without it those rules are not checked. The
            return is then read whole, whatever ``chunk_rows`` says.
        tables: for a definition of several tables, the other tables' rows (see
            :func:`~lp_audit.validation.tables.validate_tables`, which gives them); the file
            is the table it is named after, and without them the rules that read another
            table are not checked.
        previous_sheet: the sheet of ``previous`` to read, when it is a workbook (default:
            ``sheet``).

    Returns:
        The result, with every problem as a row of ``result.findings``.

    Raises:
        ReturnReadError: if the file cannot be read as a table at all.
        DefinitionError, DefinitionNotFoundError: if the definition cannot be loaded.
    """
    from lp_audit.reading import RawReturn

    wanted = Period.parse(period) if isinstance(period, str) else period
    definition, chosen, pinned = _chosen(source, definition, wanted, provider, sheet)
    if not isinstance(source, str | Path):  # a DataFrame (pandas is not imported yet for files)
        import numpy as np

        data = source.astype("str").fillna("")
        raw = RawReturn(
            "<dataframe>",
            data.reset_index(drop=True),
            np.arange(2, len(data) + 2),
            {c: i for i, c in enumerate(data.columns)},
            list(data.columns),
            "",
            None,
            [],
        )
    else:
        rows = chunk_rows if chunk_rows is not None else _auto_chunk_rows(source)
        if rows and not capture and not keep_source and previous is None and not chosen.tables:
            from lp_audit.reading import NotChunkable
            from lp_audit.validation.chunked import validate_in_chunks

            try:
                return validate_in_chunks(
                    Path(source), definition, chosen, pinned, rows, provider, wanted, today
                )
            except NotChunkable:
                pass  # read the whole file, which reports what made chunks impossible
        if _size(source) > REUSE_MEMORY_BYTES:
            from lp_audit.reading import import_pandas_meanwhile, reuse_memory

            reuse_memory()
            import_pandas_meanwhile()
        raw, chosen = _read_whole(source, definition, chosen, pinned, wanted, sheet)
    before = None
    if previous is not None:
        before = _previous(previous, chosen, previous_sheet or sheet)
    result = validate_raw(
        raw,
        chosen,
        provider=provider,
        period=wanted,
        today=today,
        capture=capture,
        engine=engine,
        previous=before,
        tables=tables,
    )
    if keep_source:
        result.source = raw
    if chosen.table_name is not None:
        result.sheet = sheet
    return result


def open_return(
    source: str | Path,
    definition: Definition | str | Path | None = None,
    *,
    provider: str | None = None,
    period: Period | None = None,
    sheet: str | None = None,
    learned: Repetitive | None = None,
    arrow: bool = False,
) -> tuple[RawReturn, Definition]:
    """A return file read whole, its columns matched to the fields of the definition (the
    version in force for its period, unless one is pinned) it is then checked against, as
    :func:`validate_return` reads it. ``learned`` and ``arrow`` are
    :func:`~lp_audit.reading.read_table`'s, for returns read in turn and stacked.

    Raises:
        ReturnReadError: if the file cannot be read as a table at all.
        DefinitionError, DefinitionNotFoundError: if the definition cannot be loaded.
    """
    definition, chosen, pinned = _chosen(source, definition, period, provider, sheet)
    return _read_whole(source, definition, chosen, pinned, period, sheet, learned, arrow)


def _chosen(
    source: str | Path | pd.DataFrame,
    definition: Definition | str | Path | None,
    wanted: Period | None,
    provider: str | None,
    sheet: str | None,
) -> tuple[Definition | str | Path | None, Definition, bool]:
    """The definition as given (of several bundled, the one the file's header names), the
    one it resolves to, and whether its version is pinned (not chosen by period)."""
    if definition is None and isinstance(source, str | Path):
        from lp_audit.validation.identity import definition_of

        definition = definition_of(source, sheet)  # of several bundled, the one named
    chosen = resolve_definition(definition, wanted)
    _check_provider(chosen, provider)
    _check_period(chosen, wanted)
    pinned = isinstance(definition, Definition) or (
        definition is not None and (is_path_spec(definition) or "@" in str(definition))
    )
    return definition, chosen, pinned


def _read_whole(
    source: str | Path,
    definition: Definition | str | Path | None,
    chosen: Definition,
    pinned: bool,
    wanted: Period | None,
    sheet: str | None,
    learned: Repetitive | None = None,
    arrow: bool = False,
) -> tuple[RawReturn, Definition]:
    from lp_audit.reading import map_columns, read_table

    # the tables of a return of several are told apart by file name, after reading
    table = read_table(
        source,
        sheet=sheet,
        learned=learned,
        arrow=arrow,
        definition=None if chosen.tables else chosen,
    )
    # the version in force for the period the rows give, chosen before the columns are
    # mapped: the file's columns are matched to fields once, with that version
    chosen = version_for(wanted or period_in(table, chosen), chosen, definition, pinned)
    if chosen.tables:  # one table of several: the one the file (or sheet) is named after
        from lp_audit.validation.tables import table_of

        chosen = chosen.for_table(table_of(source, chosen, sheet))
    return map_columns(table, chosen), chosen


def _previous(
    previous: str | Path, definition: Definition, sheet: str | None
) -> tuple[str, pd.DataFrame]:
    """The previous return's rows for the definition's comparisons.

    Raises:
        OptionError: if the definition compares nothing with a previous return, or the file
            cannot be read (named as the previous return, not as the return validated).
    """
    from lp_audit.errors import OptionError, ReturnReadError
    from lp_audit.validation.previous import previous_rows

    if definition.previous_return is None:
        raise OptionError(
            f"{definition.ref} compares nothing with a previous return (it has no "
            "previous_return): leave out --previous"
        )
    try:
        return str(previous), previous_rows(previous, definition, sheet=sheet)
    except ReturnReadError as exc:
        raise OptionError(f"the previous return {previous}: {exc.message}") from None


#: Files larger than this are validated in chunks unless ``chunk_rows`` says otherwise.
AUTO_CHUNK_BYTES = 256 * 1024 * 1024
#: Rows per chunk when chunking was not asked for but the file is large.
DEFAULT_CHUNK_ROWS = 100_000
#: Files read whole above this size have the allocator keep freed blocks for reuse (see
#: :func:`lp_audit.reading.reuse_memory`).
REUSE_MEMORY_BYTES = 32 * 1024 * 1024


def _size(source: str | Path) -> int:
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0  # the reader explains


def _auto_chunk_rows(source: str | Path) -> int:
    return DEFAULT_CHUNK_ROWS if _size(source) > AUTO_CHUNK_BYTES else 0


def _check_provider(definition: Definition, provider: str | None) -> None:
    """Refuse a provider the definition's provider codes do not list.

    Raises:
        OptionError: naming the codes it does list.
    """
    from lp_audit.errors import OptionError

    problem = definition.unknown_provider(provider) if provider is not None else None
    if problem is not None:
        raise OptionError(problem)


def _check_period(definition: Definition, period: Period | None) -> None:
    """Refuse a period of another kind than the definition's returns are for.

    Raises:
        OptionError: saying what a period of this definition looks like.
    """
    from lp_audit.errors import OptionError
    from lp_audit.periods import example

    if period is None:
        return
    try:
        definition.parse_period(str(period))
    except ValueError:
        like = example(definition.period_every, definition.period_starts)
        raise OptionError(
            f"{period} is not a period of {definition.ref}, whose returns are for periods "
            f"like {like}"
        ) from None


def validate_returns(
    paths: Sequence[str | Path],
    definition: Definition | str | Path | None = None,
    **options: Any,
) -> Validation:
    """Validate several returns with the same options (those of :func:`validate_return`).

    A file that cannot be read at all is listed in ``unreadable`` and the others are still
    validated.

    Raises:
        DefinitionError, DefinitionNotFoundError: if ``definition`` cannot be loaded (before
            any file is read).
    """
    from lp_audit.errors import ReturnReadError

    if definition is not None and not isinstance(definition, Definition):
        load_definition(definition)  # fail once, before any file, if it cannot be loaded
    if definition is None and paths:
        from lp_audit.validation.identity import definition_of

        with contextlib.suppress(ReturnReadError):  # said of the file below
            definition = definition_of(paths[0], options.get("sheet"))  # the one it names
    if definition is not None:
        chosen = resolve_definition(definition, None)
        if chosen.tables:  # the files of one return of several tables, together; a folder,
            # or a workbook of a sheet per table, is a return of its own
            tables = {t.file_name.lower() for t in chosen.tables} | {
                t.name.lower() for t in chosen.tables
            }

            def whole(path: str | Path) -> bool:
                path = Path(path)
                return path.is_dir() or (
                    path.suffix.lower() == ".xlsx" and path.stem.lower() not in tables
                )

            runs = [validate_tables([p], chosen, **options) for p in paths if whole(p)]
            files = [p for p in paths if not whole(p)]
            if files:
                runs.append(validate_tables(files, chosen, **options))
            return Validation(
                [r for run in runs for r in run.results],
                [u for run in runs for u in run.unreadable],
            )
    results: list[ReturnResult] = []
    unreadable: list[Unreadable] = []
    for path in paths:
        try:
            results.append(validate_return(path, definition, **options))
        except ReturnReadError as exc:
            unreadable.append(Unreadable(str(path), exc.message))
    return Validation(results, unreadable)


def validate_tables(
    paths: Sequence[str | Path], definition: Definition, **options: Any
) -> Validation:
    """Validate the files of one return of several tables together (given one by one, as
    the folder that holds them, or as one workbook with a sheet for each table): each file
    (named after its table) with its table's checks, and the rules that read another table
    with that table's rows. A file that cannot be read is listed in ``unreadable``; the rules
    that read it are not checked.

    ``previous`` (in ``options``), the same provider's return of the period before (its
    folder, its workbook, or a file of it), gives each table whose definition compares with
    the previous return that table of it.

    Raises:
        OptionError: if a file is named after no table, or two after the same one; if
            ``previous`` is given and no table compares with a previous return.
    """
    from lp_audit.errors import OptionError, ReturnReadError
    from lp_audit.validation.tables import table_rows

    options.pop("sheet", None)  # each table's sheet is the one named after it
    previous = options.pop("previous", None)
    named, unreadable = _table_files(paths, definition)
    before: dict[str, tuple[str | Path, str | None]] = {}
    if previous is not None:
        comparing = [
            t.name for t in definition.tables if definition.for_table(t.name).previous_return
        ]
        if not comparing:
            raise OptionError(
                f"{definition.ref} compares nothing with a previous return (no table has a "
                "previous_return): leave out --previous"
            )
        before, gone = _table_files([previous], definition)
        if gone:
            raise OptionError(f"the previous return {gone[0].path}: {gone[0].message}")
        before = {t: where for t, where in before.items() if t in comparing}
    rows: dict[str, pd.DataFrame] = {}
    failed: set[str] = set()
    read = definition.tables_read()
    for table, (path, sheet) in named.items():
        if table not in read:  # no rule reads it from another table: read it once, below
            continue
        try:
            found = table_rows(path, definition, sheet)
        except ReturnReadError as exc:
            unreadable.append(Unreadable(_shown(path, sheet), exc.message))
            failed.add(table)
            continue
        if found is not None:
            rows[table] = found
    results: list[ReturnResult] = []
    for table, (path, sheet) in named.items():
        if table in failed:
            continue
        earlier, earlier_sheet = before.get(table, (None, None))
        try:
            results.append(
                validate_return(
                    path,
                    definition,
                    tables=rows,
                    sheet=sheet,
                    previous=earlier,
                    previous_sheet=earlier_sheet,
                    **options,
                )
            )
        except ReturnReadError as exc:  # a table no other one reads is read here first
            unreadable.append(Unreadable(_shown(path, sheet), exc.message))
    return Validation(results, unreadable)


def _table_files(
    paths: Sequence[str | Path], definition: Definition
) -> tuple[dict[str, tuple[str | Path, str | None]], list[Unreadable]]:
    """Each table of a return, as (file, sheet), from its files, folder or workbook; the
    workbooks that cannot be opened.

    Raises:
        OptionError: if a file is named after no table, or two after the same one.
    """
    from lp_audit.errors import OptionError, ReturnReadError
    from lp_audit.validation.tables import parts_of

    files: list[str | Path] = []
    for path in paths:  # a folder: the files in it named after a table
        if Path(path).is_dir():
            stems = {t.file_name.lower() for t in definition.tables}
            files += sorted(
                p
                for p in Path(path).iterdir()
                if p.suffix.lower() in (".csv", ".xlsx") and p.stem.lower() in stems
            )
        else:
            files.append(path)
    named: dict[str, tuple[str | Path, str | None]] = {}
    unreadable: list[Unreadable] = []
    for path in files:
        try:
            parts = parts_of(path, definition)
        except ReturnReadError as exc:
            unreadable.append(Unreadable(str(path), exc.message))
            continue
        for table, sheet in parts:
            if table in named:
                raise OptionError(
                    f"{_shown(*named[table])} and {_shown(path, sheet)} are both table "
                    f"{table}: give one file each"
                )
            named[table] = (path, sheet)
    return named, unreadable


def _shown(path: str | Path, sheet: str | None) -> str:
    return str(path) if sheet is None else f"{path} (sheet {sheet})"
