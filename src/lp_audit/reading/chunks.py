"""Reading a large CSV file in chunks of whole records, in constant memory."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from lp_audit.definitions import Definition

import csv
import io

from lp_audit.reading.decode import describe_binary, first_non_utf8, utf16_without_bom
from lp_audit.reading.delimited import read_csv_bytes
from lp_audit.reading.header import HEADER_SEARCH, HeaderHint, first_with_value, header_record
from lp_audit.reading.model import MAX_COLUMNS, ChunkPlace, NotChunkable, RawTable
from lp_audit.reading.scan import record_ends

#: bytes read at a time while looking for chunk boundaries
_BLOCK = 1 << 23


def iter_chunks(
    path: str | Path,
    chunk_rows: int,
    blank_lines: list[int],
    definition: Definition | None = None,
) -> Iterator[RawTable]:
    """Read a CSV file as tables of about ``chunk_rows`` records each, in constant memory.

    Every table has the file's header (found below a title or notes with the ``definition``,
    as :func:`~lp_audit.reading.read_table` finds it) and physical line numbers; blank rows are dropped and
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
            or describe_binary(buf, path) is not None
            or utf16_without_bom(buf) is not None
            or (b"\r" in buf and b"\n" not in buf)
        ):
            raise NotChunkable("empty, or not a UTF-8 text file")
        header: bytes | None = None  # the header record, repeated at the top of every chunk
        first_line = 1  # physical line where buf starts
        eof = len(buf) < _BLOCK
        # record ends found in buf so far, and whether buf ends inside a quoted value; each
        # block is scanned once, as it arrives
        ends, quoted = record_ends(buf, False)
        hint = HeaderHint.of(definition) if definition is not None else None
        above = _records_above_header(buf, ends, hint)
        # bytes not yet in a chunk: a bytearray grows in place and gives up its start without
        # a copy, where bytes were copied whole at each block and each cut (0.5 CPU s of a
        # million rows in ten chunks)
        held = bytearray(buf)
        del buf
        while held:
            # the first chunk holds the header, and the lines of a title above it
            wanted = chunk_rows + (1 + above if header is None else 0)
            while len(ends) <= wanted and not eof:
                more = handle.read(_BLOCK)
                eof = len(more) < _BLOCK
                more_ends, quoted = record_ends(more, quoted)
                ends = np.concatenate((ends, more_ends + len(held)))
                held += more
            cut = int(ends[wanted - 1]) + 1 if len(ends) > wanted else len(held)
            with memoryview(held) as view:  # the chunk's bytes, after the header: one copy
                data = b"".join((view[:cut],) if header is None else (header, view[:cut]))
            del held[:cut]
            ends = ends[wanted:] - cut if len(ends) > wanted else ends[:0]
            if not held and not eof:
                more = handle.read(_BLOCK)
                eof = len(more) < _BLOCK
                ends, quoted = record_ends(more, quoted)
                held += more
            last = eof and not held
            # the header repeated is UTF-8 without NUL or lone CR, or the first chunk said so
            if b"\x00" in data or first_non_utf8(data) is not None:
                raise NotChunkable("not UTF-8 throughout")
            if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
                raise NotChunkable("line endings other than LF and CRLF")
            lines_in_body = data.count(b"\n") - (header.count(b"\n") if header else 0)
            if header is None:
                chunk = ChunkPlace(0, last, blank_lines)
                table = read_csv_bytes(str(path), data, "UTF-8", [], chunk=chunk, hint=hint)
                header = header_bytes(table)
                yield table
                if header is None:  # no usable header: the first chunk said all there is
                    return
            else:
                # the header's own lines come first in the chunk's bytes
                chunk = ChunkPlace(first_line - 1 - header.count(b"\n"), last, blank_lines)
                table = read_csv_bytes(str(path), data, "UTF-8", [], chunk=chunk)
                yield table
            del data, table
            first_line += lines_in_body


def _records_above_header(buf: bytes, ends: np.ndarray, hint: HeaderHint | None) -> int:
    """How many records of the file's first block come before its header, as the reader
    finds it below a title (see :func:`~lp_audit.reading.header.header_record`)."""
    import numpy as np

    if hint is None or not len(ends):
        return 0
    ends = ends[: 4 * HEADER_SEARCH]
    starts = np.concatenate(([0], ends[:-1] + 1))
    head = bytes(buf[: int(ends[-1])])
    first = first_with_value(head, starts, ends)
    return header_record(head, (starts, ends, starts), max(first, 0), hint, [])


def header_bytes(table: RawTable) -> bytes | None:
    """The header record as CSV bytes ending in a newline, or None when there is no header."""
    if not table.headers or table.delimiter is None or len(table.headers) > MAX_COLUMNS:
        return None
    out = io.StringIO()
    csv.writer(out, delimiter=table.delimiter, lineterminator="\n").writerow(table.headers)
    return out.getvalue().encode("utf-8")
