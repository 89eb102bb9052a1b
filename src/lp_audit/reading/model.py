"""What reading hands on: a file's cells (RawTable) and a return's fields (RawReturn)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lp_audit.findings import Finding, column_letter

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

#: A column whose sample has at most this share of distinct values repeats a few values (a
#: code, a date, a period, not an ID or a note): the reader reads it as a category, and the
#: parser parses it through its distinct texts.
FEW_DISTINCT = 0.1


#: The most columns a return may have; more is almost certainly not a return.
MAX_COLUMNS = 1000
#: The largest cell accepted, in characters.
MAX_CELL_CHARS = 100_000
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
TOTALS_RE = re.compile(r"^\s*(grand\s+)?totals?\s*:?\s*$", re.IGNORECASE)


#: Which columns of a file repeat a few values, by its delimiter and header: learned from
#: the first file of a header with enough rows to tell, and taken as they are for the next
#: (see :func:`~lp_audit.reading.read_table`).
Repetitive = dict[tuple[str, tuple[str, ...]], frozenset[int]]


@dataclass
class RawTable:
    """A file's cells as text, before its header is matched to a definition.

    The cells may be held as the Arrow table pyarrow read (see :attr:`arrow`): pandas' copy
    is made when :attr:`cells` is first asked for, and an audit that stacks many returns'
    Arrow tables makes one for them all instead.
    """

    path: str
    headers: list[str]
    #: columns 0..n-1 of text, '' for blank: str, or category for columns of few distinct
    #: values (a code, a date), which hold each text once; or those columns in Arrow
    _cells: pd.DataFrame | pa.Table
    lines: np.ndarray  # physical start line of each row
    header_line: int
    encoding: str
    delimiter: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def cells(self) -> pd.DataFrame:
        if _is_arrow(self._cells):
            import pandas as pd

            frame = _frame(self._cells)
            frame.columns = pd.RangeIndex(len(frame.columns))
            self._cells = frame
        return self._cells

    @cells.setter
    def cells(self, cells: pd.DataFrame | pa.Table) -> None:
        self._cells = cells

    @property
    def arrow(self) -> pa.Table | None:
        """The cells in Arrow, if pandas' copy has not been made."""
        return self._cells if _is_arrow(self._cells) else None

    @property
    def rows(self) -> int:
        return len(self._cells)


@dataclass
class RawReturn:
    """A return's raw text values by field name, with line numbers and reading findings;
    like :class:`RawTable`'s, the values may be held in Arrow until pandas' are asked for."""

    path: str
    #: one text column per field found, '' for blank (str or category); or those in Arrow
    _data: pd.DataFrame | pa.Table
    lines: np.ndarray
    columns: dict[str, int]  # field name -> 0-based column position in the file
    headers: list[str]
    encoding: str
    delimiter: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> pd.DataFrame:
        if _is_arrow(self._data):
            self._data = _frame(self._data)
        return self._data

    @property
    def arrow(self) -> pa.Table | None:
        """The values in Arrow, if pandas' copy has not been made."""
        return self._data if _is_arrow(self._data) else None

    @property
    def fields(self) -> list[str]:
        """The fields found, in the order of the file."""
        return [
            str(c)
            for c in (self._data.column_names if _is_arrow(self._data) else self._data.columns)
        ]

    @property
    def rows(self) -> int:
        return len(self._data)

    def column_of(self, field_name: str) -> str | None:
        """The spreadsheet column letter of a field, if the file has it."""
        index = self.columns.get(field_name)
        return column_letter(index) if index is not None else None


def _is_arrow(cells: object) -> bool:
    return hasattr(cells, "column_names")  # a pyarrow Table (pandas is not imported to ask)


def _frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of text as pandas: dictionaries become categories."""
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
    return frame


class NotChunkable(Exception):
    """This file must be read whole (not UTF-8, rows of the wrong length, a workbook…)."""


@dataclass
class ChunkPlace:
    """Where a chunk sits in its file, and what it must leave to the whole-file summary."""

    line_offset: int  # add to a line of the chunk's bytes to get the file's physical line
    last: bool  # only the file's last row can be a totals row
    blank_lines: list[int] = field(default_factory=list)
