"""Reading a return file into raw text values, keeping the physical line of every record.

Everything is read as text: only the definition decides what is blank, unknown or invalid, so
``N/A`` or ``null`` stay as written. CSV files are parsed by pyarrow; a quote-aware scan of the
bytes (vectorised with numpy) gives each record's physical start line, so a quoted value that
spans lines does not shift later line numbers. Files that pyarrow cannot take as they are (rows
of the wrong length, stray quotes) fall back to Python's csv module, which reports each row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions import Definition, header_key
from lp_audit.errors import ReturnReadError
from lp_audit.findings import Finding, column_letter, shorten

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The most columns a return may have; more is almost certainly not a return.
MAX_COLUMNS = 1000
#: The largest cell accepted, in characters.
MAX_CELL_CHARS = 100_000
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_TOTALS_RE = re.compile(r"^\s*(grand\s+)?totals?\s*:?\s*$", re.IGNORECASE)


@dataclass
class RawTable:
    """A file's cells as text, before its header is matched to a definition."""

    path: str
    headers: list[str]
    #: columns 0..n-1 of text, '' for blank: str, or category for columns of few distinct
    #: values (a code, a date), which hold each text once
    cells: pd.DataFrame
    lines: np.ndarray  # physical start line of each row
    header_line: int
    encoding: str
    delimiter: str | None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class RawReturn:
    """A return's raw text values by field name, with line numbers and reading findings."""

    path: str
    data: pd.DataFrame  # one text column per field found, '' for blank (str or category)
    lines: np.ndarray
    columns: dict[str, int]  # field name -> 0-based column position in the file
    headers: list[str]
    encoding: str
    delimiter: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.data)

    def column_of(self, field_name: str) -> str | None:
        """The spreadsheet column letter of a field, if the file has it."""
        index = self.columns.get(field_name)
        return column_letter(index) if index is not None else None


# --------------------------------------------------------------------------------------------
# Bytes to text


def _describe_binary(raw: bytes, path: Path) -> str | None:
    """Say what a non-text file is and what to do, or None if it looks like text."""
    if raw.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/") for n in names):
            if path.suffix.lower() == ".xlsx":
                return None
            return (
                "this is an Excel workbook saved with a .csv name. Rename it to .xlsx, or open it "
                "in Excel and use Save As > 'CSV UTF-8 (Comma delimited)'"
            )
        return "this is a ZIP archive, not a CSV file. Unzip it and check the return inside"
    signatures = {
        b"\x89PNG": "a PNG image",
        b"%PDF": "a PDF document",
        b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or Office file",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
    }
    for magic, what in signatures.items():
        if raw.startswith(magic):
            return f"this is {what}, not a CSV file. Export the return from Excel as 'CSV UTF-8'"
    return None


def _utf16_without_bom(raw: bytes) -> str | None:
    sample = raw[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _is_utf8(raw: bytes) -> int | None:
    """None if ``raw`` is valid UTF-8, else the offset of the first invalid byte.

    Decodes in blocks so that a large file is not held twice in memory as text. ASCII is
    UTF-8, and saying so costs 15 ms a 200 MB file against 0.3 s to decode it.
    """
    if raw.isascii():
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    block = 1 << 24
    for offset in range(0, len(raw), block):
        try:
            decoder.decode(raw[offset : offset + block], final=offset + block >= len(raw))
        except UnicodeDecodeError as exc:
            return offset + exc.start
    return None


def to_utf8(raw: bytes, path: Path) -> tuple[bytes, str, list[Finding]]:
    """A file's bytes as UTF-8 (unchanged when they already are), the encoding, and findings.

    Raises:
        ReturnReadError: for binary files.
    """
    if (
        not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        and _describe_binary(raw, path) is None
    ):
        bad = _is_utf8(raw) if b"\x00" not in raw else 0
        if bad is None:
            return raw.removeprefix(codecs.BOM_UTF8), "UTF-8", []
    text, encoding, findings = decode(raw, path)
    return text.encode("utf-8"), encoding, findings


def decode(raw: bytes, path: Path) -> tuple[str, str, list[Finding]]:
    """Decode a file's bytes, saying which encoding was used when it is not UTF-8.

    Raises:
        ReturnReadError: for binary files.
    """
    what = _describe_binary(raw, path)
    if what is not None:
        raise ReturnReadError(str(path), what)
    findings: list[Finding] = []

    def note(name: str, extra: str = "") -> None:
        findings.append(
            Finding(
                "encoding",
                "warning",
                f"The file is saved as {name}, not UTF-8; it was read as {name}.{extra} "
                "In Excel, save returns as 'CSV UTF-8 (Comma delimited)'.",
            )
        )

    for bom, name, label in (
        (codecs.BOM_UTF8, "utf-8-sig", None),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if raw.startswith(bom):
            try:
                text = raw.decode(name)
            except UnicodeDecodeError as exc:
                raise ReturnReadError(
                    str(path),
                    f"the file starts as {label or 'UTF-8'} but has invalid bytes at byte {exc.start}",
                ) from None
            if label:
                note(label)
            return text, label or "UTF-8", findings
    utf16 = _utf16_without_bom(raw)
    if utf16 is not None:
        try:
            text = raw.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            note("UTF-16 (without a byte order mark)")
            return text, "UTF-16", findings
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ReturnReadError(
            str(path),
            f"the file is binary, not text (a NUL byte on line {line}). "
            "Export the return from Excel as 'CSV UTF-8'",
        )
    bad = _is_utf8(raw)
    if bad is None:
        return raw.decode("utf-8"), "UTF-8", findings
    first_bad_line = raw[:bad].count(b"\n") + 1
    extra = f" The first character that is not UTF-8 is on line {first_bad_line}."
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise ReturnReadError(
                str(path), "the text encoding could not be recognised. Save the file as 'CSV UTF-8'"
            ) from None
        text = str(best)
        note(best.encoding, extra)
        return text, best.encoding, findings
    note("Windows-1252", extra)
    return text, "Windows-1252", findings


# --------------------------------------------------------------------------------------------
# Text to cells


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _record_starts(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Byte offsets where records start and end, their start lines, and whether quotes balance."""
    import numpy as np

    newlines, terminators, quoted = _scan(data, False)
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(data)]))
    if len(terminators) == len(newlines):  # no newline inside a value: a record is a line
        lines = np.arange(1, len(starts) + 1)
    else:
        lines = np.searchsorted(newlines, starts) + 1
    return starts, ends, lines, not quoted


def read_table(path: str | Path, *, sheet: str | None = None) -> RawTable:
    """Read a CSV or XLSX file's cells as text with physical line numbers.

    Raises:
        ReturnReadError: if the file is missing, a folder, unreadable, or not a table.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReturnReadError(str(path), "no such file; check the path") from None
    except IsADirectoryError:
        raise ReturnReadError(
            str(path), "is a folder, not a file; name a CSV or XLSX file"
        ) from None
    except PermissionError:
        raise ReturnReadError(str(path), "permission denied; check you can open the file") from None
    except OSError as exc:
        raise ReturnReadError(str(path), f"cannot be read ({exc.strerror})") from None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, raw, sheet)
    data, encoding, findings = to_utf8(raw, path)
    del raw
    return _read_csv_bytes(str(path), data, encoding, findings)


def _read_csv_bytes(
    path: str,
    data: bytes,
    encoding: str,
    findings: list[Finding],
    *,
    chunk: _Chunk | None = None,
) -> RawTable:
    import numpy as np

    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\r" in data:
        # CRLF and old Mac CR endings become LF, as editors and pyarrow count them as line breaks
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts, ends, lines, balanced = _record_starts(data)
    if chunk is not None:
        lines = lines + chunk.line_offset  # physical lines of the whole file
    nonempty = ends > starts
    header_index = int(np.argmax(nonempty)) if nonempty.any() else -1
    if header_index < 0 or not data[starts[header_index] : ends[header_index]].strip(b" \t,;|\r"):
        findings.append(
            Finding(
                "empty-file",
                "error",
                "The file is empty: it has no header row and no data. Send the return with its header row.",
            )
        )
        return _empty_table(path, encoding, findings)
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
        return replace(_empty_table(path, encoding, findings), header_line=line)
    header_text = data[starts[header_index] : ends[header_index]].decode("utf-8")
    delimiter = _sniff_delimiter(header_text)
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
            _empty_table(path, encoding, findings), header_line=header_line, delimiter=delimiter
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
        cells = _parse_with_pyarrow(
            memoryview(data)[body_start:],
            len(header),
            delimiter,
            len(data_records),
            longest,
            quotes=b'"' in data,
            repetitive=_repetitive_columns(
                data,
                starts[data_records[:_SAMPLE_RECORDS]],
                ends[data_records[:_SAMPLE_RECORDS]],
                delimiter,
            ),
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
        _drop_blank_and_totals(table, blank_lines, may_be_blank)
    else:
        _drop_blank_and_totals(
            table, blank_lines, may_be_blank, totals=chunk.last, report_blank=False
        )
        chunk.blank_lines.extend(blank_lines)
    if longest > MAX_CELL_CHARS:  # no cell can be larger than its record
        _check_cell_sizes(table)
    return table


def _empty_table(path: str, encoding: str, findings: list[Finding]) -> RawTable:
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
) -> pd.DataFrame | None:
    """Parse the body with pyarrow, or return None if it needs the row-by-row reader.

    ``quotes``: whether the body may hold a quote mark. ``repetitive``: columns read as
    categories, each distinct text held once.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [str(i) for i in range(ncols)]
    bad_rows = []

    def on_invalid(row: object) -> str:
        bad_rows.append(row)
        return "skip"

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
    import pandas as pd

    frame: pd.DataFrame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table  # self_destruct frees each column's Arrow memory as it is converted
    frame.columns = pd.RangeIndex(ncols)
    return frame


#: Records sampled to find the columns that repeat a few values.
_SAMPLE_RECORDS = 1_000
#: A column whose sample has at most this share of distinct values repeats a few values (a
#: code, a date, a period, not an ID or a note): the reader reads it as a category, and the
#: parser parses it through its distinct texts.
FEW_DISTINCT = 0.1


def _repetitive_columns(
    data: bytes, starts: np.ndarray, ends: np.ndarray, delimiter: str
) -> frozenset[int]:
    """The columns that repeat a few values (codes, dates, a period) in the first records.

    Read as categories, they take a tenth of the memory, and each distinct text is parsed
    once (measured on a million rows: 77 MB instead of 420 MB for the whole table). A
    column that turns out more varied later is still read correctly, only less compactly.
    """
    if len(starts) < 2:
        return frozenset()
    sample = data[int(starts[0]) : int(ends[-1])].decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    width = max(len(r) for r in rows)
    limit = FEW_DISTINCT * len(rows)
    return frozenset(
        i for i in range(width) if len({r[i] if i < len(r) else "" for r in rows}) <= limit
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
        elif len(row) < ncols:
            if not (len(row) == 1 and not row[0].strip()):
                short.append(start)
            row = row + [""] * (ncols - len(row))
        rows.append(row)
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
                f"{len(extra)} row(s) have more cells than the header's {ncols} (lines {shorten([str(x) for x in extra])}); a value probably contains an unquoted '{_DELIMITER_NAMES.get(delimiter, delimiter)}'. Put such values in double quotes. The extra cells were ignored.",
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
    frame = (
        pd.DataFrame(rows, columns=range(ncols), dtype="str")
        if rows
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(ncols)})
    )
    return frame, np.asarray(row_lines, dtype=np.int64), findings


def _drop_blank_and_totals(
    table: RawTable,
    blank_lines: list[int],
    may_be_blank: np.ndarray | None = None,
    *,
    totals: bool = True,
    report_blank: bool = True,
) -> None:
    import numpy as np

    cells = table.cells
    if len(cells.columns) and len(cells):
        rows = np.flatnonzero(may_be_blank) if may_be_blank is not None else np.arange(len(cells))
        blank = np.zeros(len(cells), dtype=bool)
        if len(rows):  # taking no rows from a column of many chunks still costs a copy
            subset = cells.iloc[rows]
            blank[rows] = np.logical_and.reduce(
                [(subset[c].str.strip() == "").to_numpy() for c in cells.columns]
            )
        if blank.any():
            blank_lines.extend(int(x) for x in table.lines[blank])
            keep = ~blank
            table.cells = cells[keep].reset_index(drop=True)
            table.lines = table.lines[keep]
    if blank_lines and report_blank:
        table.findings.append(blank_rows_finding(blank_lines))
    if totals and len(table.cells):
        last = table.cells.iloc[-1]
        if any(_TOTALS_RE.match(str(v)) for v in last):
            line = int(table.lines[-1])
            table.cells = table.cells.iloc[:-1]
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


def _check_cell_sizes(table: RawTable) -> None:
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


def _read_xlsx(path: Path, raw: bytes, sheet: str | None) -> RawTable:
    """Read a workbook's sheet; line numbers are the row numbers Excel shows."""
    import datetime as dt

    import numpy as np
    import pandas as pd
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ReturnReadError(
            str(path),
            f"the workbook cannot be opened ({type(exc).__name__}); open and re-save it in Excel",
        ) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ReturnReadError(
                str(path), f"has no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})"
            )
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]

        def text(value: object) -> str:
            if value is None:
                return ""
            if isinstance(value, dt.datetime):
                return (
                    value.date().isoformat()
                    if value.time() == dt.time()
                    else value.isoformat(sep=" ")
                )
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, bool):
                return "TRUE" if value else "FALSE"
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return str(value)

        rows: list[list[str]] = []
        lines: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append([text(v) for v in values])
            lines.append(number)
    finally:
        workbook.close()
    findings: list[Finding] = []
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
        lines.pop(0)
    # empty rows at the end of a sheet are formatting (a template's styled rows), not data
    while len(rows) > 1 and not any(c.strip() for c in rows[-1]):
        rows.pop()
        lines.pop()
    if not rows:
        findings.append(
            Finding("empty-file", "error", "The sheet is empty: it has no header row and no data.")
        )
        return RawTable(
            str(path), [], pd.DataFrame(), np.array([], dtype=np.int64), 1, "XLSX", None, findings
        )
    header = rows[0]
    while header and not header[-1].strip():
        header = header[:-1]
    ncols = len(header)
    body = [(r + [""] * ncols)[:ncols] for r in rows[1:]]
    frame = (
        pd.DataFrame(body, columns=range(ncols), dtype="str")
        if body
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(ncols)})
    )
    table = RawTable(
        str(path),
        header,
        frame,
        np.asarray(lines[1:], dtype=np.int64),
        lines[0],
        "XLSX",
        None,
        findings,
    )
    _drop_blank_and_totals(table, [])
    return table


# --------------------------------------------------------------------------------------------
# Header to fields


# --------------------------------------------------------------------------------------------
# Reading a large CSV file in chunks


class NotChunkable(Exception):
    """This file must be read whole (not UTF-8, rows of the wrong length, a workbook…)."""


@dataclass
class _Chunk:
    """Where a chunk sits in its file, and what it must leave to the whole-file summary."""

    line_offset: int  # add to a line of the chunk's bytes to get the file's physical line
    last: bool  # only the file's last row can be a totals row
    blank_lines: list[int] = field(default_factory=list)


#: bytes read at a time while looking for chunk boundaries
_BLOCK = 1 << 23


def iter_chunks(path: str | Path, chunk_rows: int, blank_lines: list[int]) -> Iterator[RawTable]:
    """Read a CSV file as tables of about ``chunk_rows`` records each, in constant memory.

    Every table has the file's header and physical line numbers; blank rows are dropped and
    their lines added to ``blank_lines`` (for one :func:`blank_rows_finding` at the end); only
    the last table can end with a totals row. Chunks
    are cut at record boundaries found by the same quote-aware scan as the whole-file reader.

    Raises:
        NotChunkable: if the file needs the whole-file reader (its findings are about the file
            as a whole): a workbook, a binary or UTF-16 file, bytes that are not UTF-8, old Mac
            line endings, or rows pyarrow cannot take. Raised before the first table when it
            can be known then, else part way: callers start again with the whole-file reader.
        ReturnReadError: if the file cannot be opened.
    """
    import numpy as np

    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise NotChunkable("workbooks are read whole")
    try:
        handle = path.open("rb")
    except OSError:
        raise NotChunkable("let the whole-file reader explain") from None
    with handle:
        buf = handle.read(_BLOCK)
        if (
            not buf
            or buf.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            or _describe_binary(buf, path) is not None
            or _utf16_without_bom(buf) is not None
            or (b"\r" in buf and b"\n" not in buf)
        ):
            raise NotChunkable("empty, or not a UTF-8 text file")
        header: bytes | None = None  # the header record, repeated at the top of every chunk
        first_line = 1  # physical line where buf starts
        eof = len(buf) < _BLOCK
        # record ends found in buf so far, and whether buf ends inside a quoted value; each
        # block is scanned once, as it arrives
        ends, quoted = _record_ends(buf, False)
        while buf:
            wanted = chunk_rows + (1 if header is None else 0)
            while len(ends) <= wanted and not eof:
                more = handle.read(_BLOCK)
                eof = len(more) < _BLOCK
                more_ends, quoted = _record_ends(more, quoted)
                ends = np.concatenate((ends, more_ends + len(buf)))
                buf += more
            cut = int(ends[wanted - 1]) + 1 if len(ends) > wanted else len(buf)
            body, buf = buf[:cut], buf[cut:]
            ends = ends[wanted:] - cut if len(ends) > wanted else ends[:0]
            if not buf and not eof:
                buf = handle.read(_BLOCK)
                eof = len(buf) < _BLOCK
                ends, quoted = _record_ends(buf, quoted)
            last = eof and not buf
            if b"\x00" in body or _is_utf8(body) is not None:
                raise NotChunkable("not UTF-8 throughout")
            if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
                raise NotChunkable("line endings other than LF and CRLF")
            lines_in_body = body.count(b"\n")
            if header is None:
                chunk = _Chunk(0, last, blank_lines)
                table = _read_csv_bytes(str(path), body, "UTF-8", [], chunk=chunk)
                header = _header_bytes(table)
                yield table
                if header is None:  # no usable header: the first chunk said all there is
                    return
            else:
                # the header's own lines come first in the chunk's bytes
                chunk = _Chunk(first_line - 1 - header.count(b"\n"), last, blank_lines)
                table = _read_csv_bytes(str(path), header + body, "UTF-8", [], chunk=chunk)
                yield table
            first_line += lines_in_body


def _mallopt(param: int, value: int) -> None:
    """Set a glibc malloc parameter; elsewhere (musl, macOS, Windows) do nothing."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(param, value)
    except OSError:
        pass


_M_MMAP_THRESHOLD = -3


def reuse_memory() -> None:
    """Let glibc hand freed blocks of up to 32 MiB out again, for a whole-file read.

    By default it maps most blocks of a few MB (the masks and codes of a million rows) afresh
    from the system each time, and every fresh page is a fault. Measured on a million-row
    return: 3.4 s to 3.05 s (system time 1.2 s to 0.65 s), peak 35 MiB higher. A
    process-wide setting of the allocator, not of results; without glibc it does nothing.
    """
    _mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)


def import_pandas_meanwhile() -> None:
    """Start importing pandas in a thread, for a whole-file read of a large file.

    Importing pandas takes about 0.3 s, almost all of it holding the interpreter; reading a
    large file mostly does not (the system reads, numpy scans, pyarrow parses in its own
    threads). Numpy and pyarrow, which both need, are imported here first, so the two threads
    never import the same module at once. Measured on a million-row return: 2.67 s to 2.51 s.
    """
    import contextlib
    import importlib
    import sys
    import threading

    if "pandas" in sys.modules:
        return
    import numpy  # noqa: F401
    import pyarrow.compute
    import pyarrow.csv  # noqa: F401

    def run() -> None:
        with contextlib.suppress(Exception):  # the reader's own import reports it
            importlib.import_module("pandas")

    threading.Thread(target=run, name="import-pandas").start()


def return_memory_eagerly() -> None:
    """Make freed memory go back to the operating system, for chunked reading.

    Measured on a million-row return validated in chunks of 100,000: pyarrow's default
    allocator (mimalloc) and glibc's growing mmap threshold keep what each chunk freed, so the
    peak grew from chunk to chunk (643 MiB, 10.6 s); with pyarrow on jemalloc returning freed
    pages at once and a fixed threshold, it stays near the first chunk's (471 MiB, 12.1 s).
    Both are process-wide settings of the allocators, not of results; without jemalloc,
    pyarrow's system allocator does nearly as well (493 MiB); without glibc, the threshold is
    left alone. The price is time spent giving pages back, which a whole-file read does not
    pay (see :func:`reuse_memory`): when measured, it would have lowered that read's peak from
    980 MiB to 800 MiB for a million rows, at 0.5 s of its 4 s.
    """
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, AttributeError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
    _mallopt(_M_MMAP_THRESHOLD, 128 * 1024)  # large blocks are mmap'ed, and unmapped when freed


def _record_ends(block: bytes, quoted: bool) -> tuple[np.ndarray, bool]:
    """Offsets of the newlines in ``block`` that end a record, and whether it ends quoted."""
    _, ends, quoted = _scan(block, quoted)
    return ends, quoted


def _scan(block: bytes, quoted: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """The newlines of ``block``, those that end a record, and whether it ends quoted.

    A newline ends a record when an even number of quotes comes before it (counting from a
    block that starts inside a quoted value when ``quoted``).
    """
    import numpy as np

    data = np.frombuffer(block, dtype=np.uint8)
    newlines = _positions(data, 10)
    if b'"' not in block:  # a quick search, and files without quotes are common
        return newlines, newlines, quoted
    quotes = _positions(data, 34)
    before = np.searchsorted(quotes, newlines) + int(quoted)
    return newlines, newlines[(before & 1) == 0], quoted ^ bool(len(quotes) & 1)


def _positions(data: np.ndarray, byte: int) -> np.ndarray:
    """Where ``byte`` occurs in ``data``, found 64 KiB at a time.

    Comparing a whole 200 MB file at once takes a 200 MB temporary, whose fresh pages cost
    more than the comparison (measured: 0.23 s against 0.08 s in small steps).
    """
    import numpy as np

    step = 1 << 16
    found = [np.flatnonzero(data[at : at + step] == byte) + at for at in range(0, len(data), step)]
    return np.concatenate(found) if found else np.array([], dtype=np.int64)


def _header_bytes(table: RawTable) -> bytes | None:
    """The header record as CSV bytes ending in a newline, or None when there is no header."""
    if not table.headers or table.delimiter is None or len(table.headers) > MAX_COLUMNS:
        return None
    out = io.StringIO()
    csv.writer(out, delimiter=table.delimiter, lineterminator="\n").writerow(table.headers)
    return out.getvalue().encode("utf-8")


def map_columns(table: RawTable, definition: Definition) -> RawReturn:
    """Match a table's header to the definition's fields, reporting what does not fit."""
    import pandas as pd

    findings = list(table.findings)
    lookup: dict[str, str] = {}
    for f in definition.fields:
        for alias in (f.name, f.label, *f.aliases):
            lookup.setdefault(header_key(alias), f.name)
    columns: dict[str, int] = {}
    data: dict[str, pd.Series] = {}
    line = table.header_line
    has_data = len(table.cells) > 0
    for index, header in enumerate(table.headers):
        letter = column_letter(index)
        name = lookup.get(header_key(header))
        if name is None:
            if not header.strip():
                if has_data and (table.cells[index].str.strip() != "").any():
                    findings.append(
                        Finding(
                            "unknown-column",
                            "warning",
                            f"Column {letter} has values but no header; it was ignored. Give it a field name or delete it.",
                            line=line,
                            column=letter,
                        )
                    )
                continue
            findings.append(
                Finding(
                    "unknown-column",
                    "warning",
                    f"The column {header.strip()!r} is not in the {definition.title} definition and was ignored.",
                    line=line,
                    column=letter,
                    value=header.strip(),
                )
            )
            continue
        label = definition.field(name).label
        if name in columns:
            first = column_letter(columns[name])
            findings.append(
                Finding(
                    "duplicate-column",
                    "error",
                    f"Columns {first} and {letter} are both {label} ({name}); only column {first} was read. Delete or rename one.",
                    line=line,
                    column=letter,
                    field=name,
                )
            )
            continue
        if header != name:
            findings.append(
                Finding(
                    "header-alias",
                    "warning",
                    f"The header {header.strip()!r} was read as {label} ({name}). Use the field name {name!r} as the header.",
                    line=line,
                    column=letter,
                    field=name,
                    value=header.strip(),
                )
            )
        columns[name] = index
        data[name] = table.cells[index] if has_data else pd.Series([], dtype="str")
    for f in definition.fields:
        if f.name in columns or not table.headers:  # an empty file is reported once, not per column
            continue
        expected = f.required or f.required_when is not None
        findings.append(
            Finding(
                "missing-column",
                "error" if expected else "warning",
                f"The file has no {f.label} column ({f.name}). "
                + (
                    "It is required: add the column."
                    if expected
                    else "It is optional, but add the column, even if empty."
                ),
                line=line,
                field=f.name,
            )
        )
    frame = (
        pd.DataFrame(data, index=pd.RangeIndex(len(table.cells)))
        if data
        else pd.DataFrame(index=pd.RangeIndex(len(table.cells)))
    )
    return RawReturn(
        table.path,
        frame,
        table.lines,
        columns,
        table.headers,
        table.encoding,
        table.delimiter,
        findings,
    )


def read_return(path: str | Path, definition: Definition, *, sheet: str | None = None) -> RawReturn:
    """Read a return file and match its columns to ``definition``.

    Raises:
        ReturnReadError: if the file cannot be read as a table at all.
    """
    return map_columns(read_table(path, sheet=sheet), definition)
