"""Simple anchored patterns tested on the bytes of a text column, as RE2 would test them.

Definitions constrain IDs with patterns such as ``^\\d{10}$``, ``^[A-Za-z0-9-]{4,20}$`` or
``^[0-8]``: a value made of one class of characters, a run of fixed-length pieces, or a
fixed-length start. RE2 (pyarrow's ``match_substring_regex``) tests a million values in
45 to 60 ms; looking at their bytes through a 256-entry table takes 3 to 15 ms. Every other
pattern, and any pattern this module does not fully understand, goes to RE2.

Only ASCII classes are understood, so a byte of a multi-byte character never belongs to one:
a value with such a character fails where RE2 fails, and a byte count equals RE2's character
count wherever the value can match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

#: Characters that stand for themselves outside and inside brackets.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _/:@,'")
#: Characters that stand for themselves when escaped with a backslash.
_ESCAPABLE = frozenset(".-+()/ _:@,'[]{}*?|^$\\")
_DIGITS = frozenset("0123456789")
_QUANTIFIER = re.compile(r"\{(\d{1,3})(?:(,)(\d{1,3})?)?\}")


@dataclass(frozen=True)
class Simple:
    """A pattern as a test of bytes: ``pieces`` of one byte each from a class (a set of
    ASCII characters), then, for ``repeat``, from ``min_extra`` to ``max_extra`` (None:
    any number) more of that class; ``whole`` when the pattern ends with ``$``."""

    pieces: tuple[frozenset[str], ...]
    repeat: frozenset[str] | None = None
    min_extra: int = 0
    max_extra: int | None = 0
    whole: bool = False


def _class(pattern: str, at: int) -> tuple[frozenset[str], int] | None:
    """The class of characters at ``pattern[at]`` and where it ends, or None."""
    char = pattern[at]
    if char == "\\":
        if pattern[at + 1 : at + 2] == "d":
            return _DIGITS, at + 2
        if pattern[at + 1 : at + 2] in _ESCAPABLE and at + 1 < len(pattern):
            return frozenset(pattern[at + 1]), at + 2
        return None
    if char in _PLAIN or char == "-":
        return frozenset(char), at + 1
    if char != "[":
        return None
    members: set[str] = set()
    i = at + 1
    if pattern[i : i + 1] == "^":
        return None  # negated classes hold non-ASCII characters: left to RE2
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            escaped = pattern[i + 1 : i + 2]
            if escaped == "d":
                members |= _DIGITS
            elif escaped in _ESCAPABLE and escaped:
                members.add(escaped)
            else:
                return None
            i += 2
            continue
        first = pattern[i]
        if first not in _PLAIN and first not in ".-+()":
            return None
        if pattern[i + 1 : i + 2] == "-" and pattern[i + 2 : i + 3] not in ("", "]"):
            last = pattern[i + 2]
            if not (first.isalnum() and last.isalnum() and first.isascii() and last.isascii()):
                return None
            if ord(last) < ord(first):
                return None
            members |= {chr(c) for c in range(ord(first), ord(last) + 1)}
            i += 3
        else:
            members.add(first)
            i += 1
    if i >= len(pattern) or not members:
        return None
    return frozenset(members), i + 1


def compile_simple(pattern: str) -> Simple | None:
    """The pattern as a :class:`Simple` test, or None if it is not one (use RE2)."""
    if not pattern.startswith("^"):
        return None
    whole = pattern.endswith("$") and not pattern.endswith("\\$")
    body = pattern[1 : -1 if whole else None]
    pieces: list[frozenset[str]] = []
    at = 0
    while at < len(body):
        found = _class(body, at)
        if found is None:
            return None
        members, at = found
        quantifier = _QUANTIFIER.match(body, at)
        if quantifier:
            low = int(quantifier[1])
            high = low if not quantifier[2] else int(quantifier[3]) if quantifier[3] else None
            at = quantifier.end()
        elif body[at : at + 1] in ("+", "*", "?"):
            low, high = {"+": (1, None), "*": (0, None), "?": (0, 1)}[body[at]]
            at += 1
        else:
            low, high = 1, 1
        if body[at : at + 1] in ("?", "+"):
            return None  # lazy or possessive: left to RE2
        if high is not None and high < low:
            return None
        pieces += [members] * low
        if high != low:
            # a variable run is understood only as the last piece of the pattern
            if at != len(body):
                return None
            extra = None if high is None else high - low
            if not whole:
                # a search needs only the required start: the rest may or may not follow
                return Simple(tuple(pieces), whole=False)
            return _one_run(Simple(tuple(pieces), members, 0, extra, True))
    return _one_run(Simple(tuple(pieces), whole=whole))


def _one_run(simple: Simple) -> Simple:
    """A whole value of one class as a single run: its bytes are then counted in one pass,
    not looked up position by position."""
    classes = set(simple.pieces) | ({simple.repeat} if simple.repeat is not None else set())
    if not simple.whole or len(classes) != 1:
        return simple
    fixed = len(simple.pieces)
    extra = None if simple.max_extra is None else fixed + simple.max_extra
    return Simple((), classes.pop(), fixed + simple.min_extra, extra, True)


def _table(members: frozenset[str]) -> np.ndarray:
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[[ord(c) for c in members]] = True
    return table


def layout(text: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """A string array's values as bytes: the array (chunks combined), its n + 1 offsets into
    the data buffer (int64), and that buffer."""
    import numpy as np
    import pyarrow as pa

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=width)[text.offset : text.offset + len(text) + 1]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    return text, offsets.astype(np.int64), data


def _holding(
    offsets: np.ndarray, data: np.ndarray, members: frozenset[str], outside: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the bytes in ``members`` (with ``outside``, of those not in it), and
    the value each lies in.

    Most columns hold no such byte at all, which ``bytes.translate`` tells in one pass (4 ms
    for 10 MB); only otherwise are the bytes looked up one by one.
    """
    import numpy as np

    first, last = int(offsets[0]), int(offsets[-1])
    chosen = bytes(sorted(ord(c) for c in members))
    kept = data[first:last].tobytes().translate(None, chosen)  # the bytes not in members
    if not (kept if outside else len(kept) < last - first):
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing
    table = _table(members)
    where = np.flatnonzero(~table[data[first:last]] if outside else table[data[first:last]])
    where += first
    return where, np.searchsorted(offsets, where, side="right") - 1


def holding(text: pa.Array, members: str) -> np.ndarray:
    """Where each value of a string array holds one of the ASCII characters ``members``."""
    import numpy as np

    text, offsets, data = layout(text)
    found = np.zeros(len(text), dtype=bool)
    found[_holding(offsets, data, frozenset(members))[1]] = True
    return found


def matches(simple: Simple, text: pa.Array) -> np.ndarray:
    """Where each value of a string array matches; null values count as matching."""
    import numpy as np

    text, offsets, data = layout(text)
    starts = offsets[:-1]
    lengths = offsets[1:] - offsets[:-1]
    fixed = len(simple.pieces)
    ok: np.ndarray
    if simple.repeat is not None:
        ok = lengths >= fixed + simple.min_extra
        if simple.max_extra is not None:
            ok &= lengths <= fixed + simple.max_extra
    elif simple.whole:
        ok = lengths == fixed
    else:
        ok = lengths >= fixed
    for position, members in enumerate(simple.pieces):
        rows = np.flatnonzero(ok)
        ok[rows] = _table(members)[data[starts[rows] + position]]
    if simple.repeat is not None:
        # values holding a byte outside the class after the fixed pieces fail
        where, rows = _holding(offsets, data, simple.repeat, outside=True)
        ok[rows[where - starts[rows] >= fixed]] = False
    if text.null_count:
        ok |= ~np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return ok
