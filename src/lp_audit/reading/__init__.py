"""Reading a return file into raw text values, keeping the physical line of every record.

Everything is read as text: only the definition decides what is blank, unknown or invalid, so
``N/A`` or ``null`` stay as written. CSV files are parsed by pyarrow; a quote-aware scan of the
bytes (vectorised with numpy) gives each record's physical start line, so a quoted value that
spans lines does not shift later line numbers. Files that pyarrow cannot take as they are (rows
of the wrong length, stray quotes) fall back to Python's csv module, which reports each row.

- :mod:`~lp_audit.reading.model`: what reading hands on (:class:`RawTable`, :class:`RawReturn`);
- :mod:`~lp_audit.reading.decode`: bytes to UTF-8 text;
- :mod:`~lp_audit.reading.scan`, :mod:`~lp_audit.reading.delimited`: CSV to cells;
- :mod:`~lp_audit.reading.xlsx`: a workbook's sheet to cells;
- :mod:`~lp_audit.reading.header`: a header found below a title or notes;
- :mod:`~lp_audit.reading.chunks`: a large CSV file in chunks of whole records;
- :mod:`~lp_audit.reading.columns`: a file's header matched to a definition's fields;
- :mod:`~lp_audit.reading.memory`: allocator settings measured faster for large reads.
"""

from __future__ import annotations

from lp_audit.reading.chunks import header_bytes, iter_chunks
from lp_audit.reading.columns import (
    field_column,
    field_index,
    map_columns,
    read_return,
    read_table,
)
from lp_audit.reading.delimited import blank_rows_finding
from lp_audit.reading.memory import import_pandas_meanwhile, return_memory_eagerly, reuse_memory
from lp_audit.reading.model import (
    FEW_DISTINCT,
    MAX_CELL_CHARS,
    NotChunkable,
    RawReturn,
    RawTable,
    Repetitive,
)
from lp_audit.reading.xlsx import sheet_names

__all__ = [
    "FEW_DISTINCT",
    "MAX_CELL_CHARS",
    "NotChunkable",
    "RawReturn",
    "RawTable",
    "Repetitive",
    "blank_rows_finding",
    "field_column",
    "field_index",
    "header_bytes",
    "import_pandas_meanwhile",
    "iter_chunks",
    "map_columns",
    "read_return",
    "read_table",
    "return_memory_eagerly",
    "reuse_memory",
    "sheet_names",
]
