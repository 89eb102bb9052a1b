"""CSV bytes to cells: pyarrow for well-formed files, Python's csv module for the rest."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import replace
from typing import TYPE_CHECKING

from lp_audit.findings import Finding, column_letter, shorten

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

from lp_audit.reading.header import HeaderHint, first_with_value, header_record
from lp_audit.reading.model import (
    DELIMITER_NAMES,
    FEW_DISTINCT,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    TOTALS_RE,
    ChunkPlace,
    NotChunkable,
    RawTable,
    Repetitive,
)
from lp_audit.reading.scan import record_starts, sniff_delimiter


def read_csv_bytes(
    path: str,
    data: bytes,
    encoding: str,
    findings: list[Finding],
    *,
    chunk: ChunkPlace | None = None,
    learned: Repetitive | None = None,
    arrow: bool = False,
    hint: HeaderHint | None = None,
) -> RawTable:
    """The cells of CSV ``data``; ``learned`` (see :func:`~lp_audit.reading.read_table`) says
    and is told which columns repeat a few values, by header. With ``arrow``, cells pyarrow
    reads stay in Arrow until pandas' are asked for. With ``hint``, a header below a title or
    notes is found (see :mod:`~lp_audit.reading.header`)."""
    import numpy as np

    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\r" in data:
        # CRLF and old Mac CR endings become LF, as editors and pyarrow count them as line breaks
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts, ends, lines, balanced = record_starts(data)
    if chunk is not None:
        lines = lines + chunk.line_offset  # physical lines of the whole file
    nonempty = ends > starts
    header_index = first_with_value(data, starts, ends)
    if header_index < 0:
        findings.append(
            Finding(
                "empty-file",
                "error",
                "The file is empty: it has no header row and no data. Send the return with its header row.",
            )
        )
        return empty_table(path, encoding, findings)
    if not balanced and header_index == len(starts) - 1:
        line = int(lines[header_index])
        findings.append(
            Finding(
                "unterminated-quote",
                "error",
                f'A quote mark (") in the header on line {line} is never closed, so the file '
                "could not be read. Remove the stray quote, or close it.",
                line=line,
            )
        )
        return replace(empty_table(path, encoding, findings), header_line=line)
    if hint is not None:  # a title or notes above the header?
        header_index = header_record(data, (starts, ends, lines), header_index, hint, findings)
    header_text = data[starts[header_index] : ends[header_index]].decode("utf-8")
    delimiter = sniff_delimiter(header_text)
    csv.field_size_limit(max(csv.field_size_limit(), len(header_text) + 1))
    header = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
    header_line = int(lines[header_index])
    if len(header) > MAX_COLUMNS:
        findings.append(
            Finding(
                "too-many-columns",
                "error",
                f"The header has {len(header):,} columns; lp_audit reads at most {MAX_COLUMNS:,}. Check the file is a return.",
                line=header_line,
            )
        )
        return replace(
            empty_table(path, encoding, findings), header_line=header_line, delimiter=delimiter
        )
    body_start = int(ends[header_index])
    data_records = np.flatnonzero(nonempty[header_index + 1 :]) + header_index + 1
    empty_records = np.flatnonzero(~nonempty[header_index + 1 :]) + header_index + 1
    # a file ending in a newline has one empty "record" after it: not a blank line
    if len(empty_records) and empty_records[-1] == len(starts) - 1 and starts[-1] == len(data):
        empty_records = empty_records[:-1]
    cells = None
    lengths = ends[data_records] - starts[data_records]
    longest = int(lengths.max()) if len(lengths) else 0
    if balanced:
        shape = (delimiter, tuple(header))
        repetitive = learned.get(shape) if learned is not None else None
        if repetitive is None:
            repetitive = _repetitive_columns(
                data,
                starts[data_records[:_SAMPLE_RECORDS]],
                ends[data_records[:_SAMPLE_RECORDS]],
                delimiter,
                len(header),
            )
            if learned is not None and len(data_records) >= _SAMPLE_RECORDS:
                learned[shape] = repetitive
        cells = _parse_with_pyarrow(
            memoryview(data)[body_start:],
            len(header),
            delimiter,
            len(data_records),
            longest,
            quotes=b'"' in data,
            repetitive=repetitive,
            arrow=arrow and chunk is None,
        )
    may_be_blank: np.ndarray | None = None
    if cells is not None:
        row_lines = lines[data_records].astype(np.int64)
        row_findings: list[Finding] = []
        # only short records can be blank (delimiters, spaces, quotes): check just those
        may_be_blank = lengths < 3 * len(header)
    elif chunk is not None:
        raise NotChunkable("rows pyarrow cannot take are reported for the whole file at once")
    else:
        cells, row_lines, row_findings = _parse_with_csv(
            data.decode("utf-8"), delimiter, len(header), header_line, balanced, lines, data_records
        )
    findings.extend(row_findings)
    table = RawTable(path, header, cells, row_lines, header_line, encoding, delimiter, findings)
    blank_lines = [int(x) for x in lines[empty_records]]
    if chunk is None:
        drop_blank_and_totals(table, blank_lines, may_be_blank)
    else:
        drop_blank_and_totals(
            table, blank_lines, may_be_blank, totals=chunk.last, report_blank=False
        )
        chunk.blank_lines.extend(blank_lines)
    if longest > MAX_CELL_CHARS:  # no cell can be larger than its record
        check_cell_sizes(table)
    return table


def empty_table(path: str, encoding: str, findings: list[Finding]) -> RawTable:
    import numpy as np
    import pandas as pd

    return RawTable(
        path, [], pd.DataFrame(), np.array([], dtype=np.int64), 1, encoding, None, findings
    )


def _parse_with_pyarrow(
    body: bytes | memoryview,
    ncols: int,
    delimiter: str,
    expected_rows: int,
    longest: int,
    quotes: bool = True,
    repetitive: frozenset[int] = frozenset(),
    arrow: bool = False,
) -> pd.DataFrame | pa.Table | None:
    """Parse the body with pyarrow, or return None if it needs the row-by-row reader.

    ``quotes``: whether the body may hold a quote mark. ``repetitive``: columns read as
    categories, each distinct text held once. ``arrow``: the Arrow table, not pandas'.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [str(i) for i in range(ncols)]
    bad_rows = []

    def on_invalid(row: object) -> str:
        # one row pyarrow cannot take sends the whole file to the row-by-row reader, which
        # reports every such row: stop at the first (a million ragged rows took 10 s here)
        bad_rows.append(row)
        return "error"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),  # no copy of the bytes
            read_options=pacsv.ReadOptions(
                column_names=names,
                use_threads=True,
                # a block must hold the longest record, or pyarrow refuses the file. Each
                # block has its own dictionary of each repetitive column, which pandas then
                # unifies: with 4 MB blocks rather than 1 MB, validating a million rows took
                # 2.41 s rather than 2.48 s (0.17 CPU-s less) at the same peak, and chunks of
                # 100,000 rows kept theirs (358 MiB); 8 and 16 MB blocks gained no more
                block_size=max(4 << 20, 2 * longest + 1024),
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # only a quoted value can hold a newline; without quotes, pyarrow need not look
                # for them (measured: 0.1 s of 0.55 s for a million rows)
                newlines_in_values=quotes,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    n: pa.dictionary(pa.int32(), pa.large_string())
                    if i in repetitive
                    else pa.large_string()
                    for i, n in enumerate(names)
                },
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if bad_rows or table.num_rows != expected_rows:
        return None
    if arrow:
        return table
    import pandas as pd

    frame: pd.DataFrame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table  # self_destruct frees each column's Arrow memory as it is converted
    frame.columns = pd.RangeIndex(ncols)
    return frame


#: Records sampled to find the columns that repeat a few values.
_SAMPLE_RECORDS = 1_000


def _repetitive_columns(
    data: bytes, starts: np.ndarray, ends: np.ndarray, delimiter: str, ncols: int
) -> frozenset[int]:
    """The columns that repeat a few values (codes, dates, a period) in the first records.

    Read as categories, they take a tenth of the memory, and each distinct text is parsed
    once (measured on a million rows: 77 MB instead of 420 MB for the whole table). A
    column that turns out more varied later is still read correctly, only less compactly.
    """
    if len(starts) < 2:
        return frozenset()
    found = _repetitive_by_pyarrow(
        data[int(starts[0]) : int(ends[-1])], delimiter, len(starts), ncols
    )
    if found is not None:
        return found
    return _repetitive_by_csv(data[int(starts[0]) : int(ends[-1])], delimiter)


def _repetitive_by_csv(data: bytes, delimiter: str) -> frozenset[int]:
    """:func:`_repetitive_columns` of any sample, by the csv module."""
    sample = data.decode("utf-8", errors="replace")
    # a cell may be larger than the csv module's default limit (131,072 characters): it is
    # read, then reported as cell-too-large
    csv.field_size_limit(max(csv.field_size_limit(), len(sample) + 1))
    rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    width = max(len(r) for r in rows)
    limit = FEW_DISTINCT * len(rows)
    return frozenset(
        i for i in range(width) if len({r[i] if i < len(r) else "" for r in rows}) <= limit
    )


def _repetitive_by_pyarrow(
    sample: bytes, delimiter: str, records: int, ncols: int
) -> frozenset[int] | None:
    """:func:`_repetitive_columns` of a sample that pyarrow parses as it is: ``records``
    records of ``ncols`` cells, no blank line between them, all UTF-8; None for the csv
    module to read it otherwise. A fifth of the csv module's time, and each return of an
    audit samples its records."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    if b"\n\n" in sample:  # the csv module reads a blank line as a record of no cells
        return None
    names = [str(i) for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(sample)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != records:
        return None
    limit = FEW_DISTINCT * records
    return frozenset(
        i for i, column in enumerate(table.columns) if pc.count_distinct(column).as_py() <= limit
    )


def _parse_with_csv(
    text: str,
    delimiter: str,
    ncols: int,
    header_line: int,
    balanced: bool,
    record_lines: np.ndarray,
    data_records: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, list[Finding]]:
    """Row-by-row fallback for files pyarrow cannot take: reports ragged rows and stray quotes."""
    import numpy as np
    import pandas as pd

    findings: list[Finding] = []
    # cells larger than csv's default limit are read whole, then reported as cell-too-large
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    row_lines: list[int] = []
    extra: list[int] = []
    short: list[int] = []
    previous_end = 0
    seen_header = False
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not row or (all(not c.strip() for c in row) and not seen_header):
            continue
        if not seen_header:
            seen_header = True
            continue
        if len(row) > ncols:
            if any(c.strip() for c in row[ncols:]):
                extra.append(start)
            row = row[:ncols]
        elif len(row) < ncols and not (len(row) == 1 and not row[0].strip()):
            short.append(start)
        rows.append(row)  # short rows stay short: their missing cells are filled per column
        row_lines.append(start)
    if not balanced and rows:
        line = row_lines[-1]
        findings.append(
            Finding(
                "unterminated-quote",
                "error",
                f'A quote mark (") in the row starting on line {line} is never closed, so the rest '
                "of the file could not be read. Remove the stray quote, or close it.",
                line=line,
            )
        )
        rows.pop()
        row_lines.pop()
        extra = [x for x in extra if x != line]
        short = [x for x in short if x != line]
    if extra:
        findings.append(
            Finding(
                "extra-cells",
                "error",
                f"{len(extra)} row(s) have more cells than the header's {ncols} (lines {shorten([str(x) for x in extra])}); a value probably contains an unquoted '{DELIMITER_NAMES.get(delimiter, delimiter)}'. Put such values in double quotes. The extra cells were ignored.",
                line=extra[0],
            )
        )
    if short:
        findings.append(
            Finding(
                "missing-cells",
                "error",
                f"{len(short)} row(s) have fewer cells than the header's {ncols} (lines {shorten([str(x) for x in short])}); the missing cells were read as blank. Check the rows were not cut short.",
                line=short[0],
            )
        )
    # column by column, each list turned into Arrow text at once: a frame of a million padded
    # rows of Python strings took 1 GB for a 2 MB file of one-letter lines
    index = pd.RangeIndex(len(rows))
    width = max((len(row) for row in rows), default=0)
    frame = pd.DataFrame(
        {
            i: pd.Series(
                [row[i] if i < len(row) else "" for row in rows]
                if i < width
                else "",  # a column no row reaches is blank throughout
                index=index,
                dtype="str",
            )
            for i in range(ncols)
        },
        index=index,
    )
    return frame, np.asarray(row_lines, dtype=np.int64), findings


def drop_blank_and_totals(
    table: RawTable,
    blank_lines: list[int],
    may_be_blank: np.ndarray | None = None,
    *,
    totals: bool = True,
    report_blank: bool = True,
) -> None:
    import numpy as np

    arrow = table.arrow  # the pandas copy is not made here: only rows that may be blank
    width = arrow.num_columns if arrow is not None else len(table.cells.columns)
    if width and table.rows:
        rows = np.flatnonzero(may_be_blank) if may_be_blank is not None else np.arange(table.rows)
        blank = np.zeros(table.rows, dtype=bool)
        if len(rows):  # taking no rows from a column of many chunks still costs a copy
            subset = arrow.take(rows).to_pandas() if arrow is not None else table.cells.iloc[rows]
            blank[rows] = np.logical_and.reduce(
                [(subset[c].str.strip() == "").to_numpy() for c in subset.columns]
            )
        if blank.any():
            blank_lines.extend(int(x) for x in table.lines[blank])
            keep = ~blank
            table.cells = (
                arrow.filter(keep)
                if arrow is not None
                else table.cells[keep].reset_index(drop=True)
            )
            table.lines = table.lines[keep]
    if blank_lines and report_blank:
        table.findings.append(blank_rows_finding(blank_lines))
    if totals and table.rows:
        # cell by cell: a row of the frame costs a common type of all its columns, which
        # hashes each column's categories (1.5 ms a 10,000-row return)
        arrow = table.arrow
        last = (
            [column[-1].as_py() for column in arrow.columns]
            if arrow is not None
            else [column.iat[-1] for _, column in table.cells.items()]
        )
        if any(TOTALS_RE.match(str(v)) for v in last):
            line = int(table.lines[-1])
            table.cells = (
                arrow.slice(0, arrow.num_rows - 1) if arrow is not None else table.cells.iloc[:-1]
            )
            table.lines = table.lines[:-1]
            table.findings.append(
                Finding(
                    "totals-row",
                    "warning",
                    f"Line {line} looks like a totals row and was ignored. A return holds one row "
                    "per referral only: delete totals before sending.",
                    line=line,
                )
            )


def blank_rows_finding(blank_lines: list[int]) -> Finding:
    """One warning for every blank row of a file."""
    blank_lines.sort()
    return Finding(
        "blank-rows",
        "warning",
        f"{len(blank_lines)} blank row(s) were ignored (lines "
        f"{shorten([str(x) for x in blank_lines])}). Delete empty rows before sending.",
        line=blank_lines[0],
    )


def check_cell_sizes(table: RawTable) -> None:
    for col in table.cells.columns:
        lengths = table.cells[col].str.len()
        too_big = lengths > MAX_CELL_CHARS
        if too_big.any():
            first = int(too_big.to_numpy().argmax())
            line = int(table.lines[first])
            table.findings.append(
                Finding(
                    "cell-too-large",
                    "error",
                    f"A cell in column {column_letter(int(col))} on line {line} has "
                    f"{int(lengths.iloc[first]):,} characters; lp_audit accepts at most "
                    f"{MAX_CELL_CHARS:,}. It was cut short.",
                    line=line,
                    column=column_letter(int(col)),
                )
            )
            table.cells[col] = table.cells[col].str.slice(0, MAX_CELL_CHARS)
