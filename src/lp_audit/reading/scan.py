"""Quote-aware scans of CSV bytes, vectorised with numpy: where records start and end."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from lp_audit.reading.model import DELIMITERS


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def record_starts(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Byte offsets where records start and end, their start lines, and whether quotes balance."""
    import numpy as np

    newlines, terminators, quoted = scan(data, False)
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(data)]))
    if len(terminators) == len(newlines):  # no newline inside a value: a record is a line
        lines = np.arange(1, len(starts) + 1)
    else:
        lines = np.searchsorted(newlines, starts) + 1
    return starts, ends, lines, not quoted


def record_ends(block: bytes, quoted: bool) -> tuple[np.ndarray, bool]:
    """Offsets of the newlines in ``block`` that end a record, and whether it ends quoted."""
    _, ends, quoted = scan(block, quoted)
    return ends, quoted


def scan(block: bytes, quoted: bool) -> tuple[np.ndarray, np.ndarray, bool]:
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
