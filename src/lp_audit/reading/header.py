"""Finding a return's header when a title or notes sit above it, as exported workbooks often
have ("Quarterly return: North Trust" in the first row, the column names in the third).

A definition tells a header from a title best, so the header is looked for when one is given
(:class:`HeaderHint`): if the first row names fewer than half of its fields, the first of the
next :data:`HEADER_SEARCH` rows that names at least half (and more than the first) is the
header; the rows above it are skipped and said so (:func:`preamble_finding`). A draft of a
definition, which has none yet, takes a row of two or more values under rows of one
(:meth:`HeaderHint.of_any`). Otherwise, or when no row qualifies, the first row is the header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lp_audit.definitions import header_key
from lp_audit.findings import Finding
from lp_audit.reading.scan import sniff_delimiter

if TYPE_CHECKING:
    import numpy as np

    from lp_audit.definitions import Definition

#: Rows below the first that may hold the header.
HEADER_SEARCH = 10


@dataclass(frozen=True)
class HeaderHint:
    """The headers a definition accepts (its fields' names, labels and aliases); or, of a
    file whose definition is not known yet (:meth:`of_any`), only the shape of a header: a
    line of two or more names under lines of one (a title, a date, a note)."""

    #: each accepted header, folded by :func:`~lp_audit.definitions.header_key`, to its field;
    #: None for any names
    keys: Mapping[str, str] | None
    #: how many fields the definition has
    fields: int

    @classmethod
    def of_any(cls) -> HeaderHint:
        return cls(None, 4)  # half of 4: a header of at least two names

    @classmethod
    def of(cls, definition: Definition) -> HeaderHint:
        keys: dict[str, str] = {}
        for f in definition.fields:
            for alias in (f.name, f.label, *f.aliases):
                keys.setdefault(header_key(alias), f.name)
        return cls(keys, len(definition.fields))

    def named(self, cells: Sequence[str]) -> int:
        """How many of the definition's fields ``cells`` name (or of any: how many names)."""
        if self.keys is None:
            return sum(1 for c in cells if c.strip())
        keys = self.keys
        return len({keys[k] for k in map(header_key, cells) if k in keys})

    def is_header(self, cells: Sequence[str]) -> bool:
        """Whether ``cells`` name at least half of the definition's fields."""
        return 2 * self.named(cells) >= self.fields


def header_row(rows: Sequence[Sequence[str]], hint: HeaderHint | None) -> int:
    """Which of a file's first non-blank ``rows`` is its header: 0, or, when the first names
    too few of the hint's fields, the first of the next :data:`HEADER_SEARCH` that names
    enough, and more than the first. Of no known definition, that row must also look like a
    table's header: a name in every cell (none a number) and the row below as wide."""
    if hint is None or not rows or hint.is_header(rows[0]):
        return 0
    first = hint.named(rows[0])
    for index, cells in enumerate(rows[1 : HEADER_SEARCH + 1], start=1):
        if (
            hint.is_header(cells)
            and hint.named(cells) > first
            and (hint.keys is not None or _heads_a_table(rows, index))
        ):
            return index
    return 0


_NUMBER = re.compile(r"[+-]?[0-9][0-9.,/:\s-]*")


def _heads_a_table(rows: Sequence[Sequence[str]], index: int) -> bool:
    cells = list(rows[index])
    while cells and not cells[-1].strip():
        cells.pop()
    if any(not c.strip() or _NUMBER.fullmatch(c.strip()) for c in cells):
        return False
    below = rows[index + 1] if index + 1 < len(rows) else None
    return below is None or len(below) == len(rows[index])


def first_with_value(data: bytes, starts: np.ndarray, ends: np.ndarray) -> int:
    """The first record with a value, or -1: lines of spaces or bare delimiters (an exported
    sheet's empty first rows) are blank, as empty lines are."""
    import numpy as np

    filled = np.flatnonzero(ends > starts)
    return next((int(i) for i in filled if data[starts[i] : ends[i]].strip(b" \t\r,;|")), -1)


def header_record(
    data: bytes,
    records: tuple[np.ndarray, np.ndarray, np.ndarray],
    first: int,
    hint: HeaderHint,
    findings: list[Finding],
) -> int:
    """Which record of CSV ``data`` is its header (``records``: each one's start, end and
    line), the first with a value being ``first``: that one, or the one :func:`header_row`
    finds below it, the lines above it said in ``findings``."""
    import numpy as np

    starts, ends, lines = records

    def cells(index: int) -> list[str]:
        return record_cells(
            data[int(starts[index]) : int(ends[index])].decode("utf-8", errors="replace")
        )

    if hint.is_header(cells(first)):
        return first
    candidates = np.flatnonzero(ends[first:] > starts[first:])[: HEADER_SEARCH + 1] + first
    found = header_row([cells(int(i)) for i in candidates], hint)
    if not found:
        return first
    header = int(candidates[found])
    findings.append(preamble_finding(int(lines[first]), int(lines[header])))
    return header


def record_cells(text: str) -> list[str]:
    """One record's cells, split as a header is split: by the delimiter it has most of (a
    header of semicolons with a comma in one name is a header of semicolons)."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)), [])


def preamble_finding(first_line: int, header_line: int) -> Finding:
    """The finding that lines ``first_line`` up to the header were skipped. Their text is not
    shown: it is not a field, and a title or note may name a person."""
    above = (
        f"line {first_line}, above it, was"
        if first_line == header_line - 1
        else f"lines {first_line} to {header_line - 1}, above it, were"
    )
    return Finding(
        "header-not-first",
        "warning",
        f"The header is on line {header_line}, not the first line: {above} read as a title or "
        "notes and skipped. Put the column names on the first line, with nothing above them.",
        line=header_line,
    )


__all__ = [
    "HEADER_SEARCH",
    "HeaderHint",
    "first_with_value",
    "header_record",
    "header_row",
    "preamble_finding",
]
