"""When a field that is often blank is required, as the samples show it: a closure date when
the case is closed, a first contact's method when there is a first contact date.

For a field blank in some rows and filled in others, every code field of its rows (and every
field that is itself sometimes blank) is tried as the reason: the codes in whose rows the
field is filled in at least 95% of rows, together filled in at least 99% of at least 20 rows,
with the field blank in most rows of the other codes, so that these explain at least 90% of
its blanks. The reason that explains most of them (then a code field's before another
field's blanks, the fewest codes written, the first field) is proposed as ``required_when``,
with how often it held; the samples' rows that break it are findings, covered by a tolerance
as any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lp_audit.drafting.columns import fold, per_distinct
from lp_audit.drafting.model import Field
from lp_audit.drafting.render import quote

if TYPE_CHECKING:
    import numpy as np

#: rows the reason must make the field required in, the share of them it must be filled in,
#: and the share of the field's blanks the reason must explain
MIN_ROWS = 20
FILLED = 0.99
EXPLAINED = 0.9
#: the share of a code's rows the field must be filled in for the code to be a reason; and at
#: most, in the rows of the other codes
CODE_FILLED = 0.95
OTHERS_FILLED = 0.5
MOST_CODES = 12


@dataclass(frozen=True)
class Reason:
    """A field's ``required_when``: its YAML, and what the samples say of it."""

    condition: str
    note: str


def required_when(fields: Sequence[Field]) -> dict[str, Reason]:
    """For each field the samples show required in some rows only, the condition when."""
    import numpy as np

    found: dict[str, Reason] = {}
    codes = [
        f
        for f in fields
        if f.column.type == "code"
        and not f.column.sensitive
        and 1 < len(f.column.codes) + len(f.column.unknown_codes) <= MOST_CODES
    ]
    blanks = [f for f in fields if not f.column.required and f.column.filled and f.column.blank]
    # each field's rows once, as numbers: filled or not, and a code's position (-1: none)
    filled = {f.name: _filled(f) for f in [*codes, *blanks]}
    coded = {f.name: _coded(f) for f in codes}
    for f in blanks:
        if f.column.filled < MIN_ROWS:
            continue
        best: tuple[tuple[float, bool, int, int], Reason] | None = None
        for position, reason_field in enumerate([*codes, *blanks]):
            if reason_field is f:
                continue
            shared = [i for i in filled[f.name] if i in filled[reason_field.name]]
            if not shared:
                continue
            mine = np.concatenate([filled[f.name][i] for i in shared])
            if reason_field in codes:
                theirs = np.concatenate([coded[reason_field.name][i] for i in shared])
                reason = _by_codes(reason_field, mine, theirs)
            else:
                theirs = np.concatenate([filled[reason_field.name][i] for i in shared])
                reason = _by_blank(reason_field, mine, theirs)
            if reason is None:
                continue
            explained, size, found_reason = reason
            # most blanks explained; then a code's reason before another field's blanks (a
            # status says why), the fewest codes written, the first field
            rank = (-explained, reason_field not in codes, size, position)
            if best is None or rank < best[0]:
                best = (rank, found_reason)
        if best is not None:
            found[f.name] = best[1]
    return found


def _filled(f: Field) -> dict[int, np.ndarray]:
    """Whether each row of each sample has a value of ``f``."""
    return {
        i: (s.fillna("").str.strip() != "").to_numpy(dtype=bool)
        for s, i in zip(f.samples, f.sample_of, strict=True)
    }


def _codes_of(f: Field) -> list[str]:
    return [*f.column.codes, *f.column.unknown_codes]


def _coded(f: Field) -> dict[int, np.ndarray]:
    """The position of each row's code of ``f`` among its codes (-1: none of them), each
    distinct spelling folded once (a column of a million rows has a few)."""
    import numpy as np

    position = {fold(c): n for n, c in enumerate(_codes_of(f))}
    return {
        i: per_distinct(sample, lambda v: position.get(fold(v), -1), np.int64)
        for sample, i in zip(f.samples, f.sample_of, strict=True)
    }


def _by_codes(
    codes: Field, filled: np.ndarray, coded: np.ndarray
) -> tuple[float, int, Reason] | None:
    import numpy as np

    names = _codes_of(codes)
    known = coded >= 0
    total = np.bincount(coded[known], minlength=len(names))
    with_value = np.bincount(coded[known], weights=filled[known], minlength=len(names))
    seen = total > 0
    chosen = seen & (with_value >= CODE_FILLED * total)
    if not chosen.any() or chosen.sum() == seen.sum():
        return None
    inside = known & chosen[np.where(known, coded, 0)]
    outside = known & ~inside
    if not _holds(filled, inside, outside):
        return None
    order = [c for c, yes in zip(names, chosen, strict=True) if yes]
    others = [c for c, yes, any_ in zip(names, chosen, seen, strict=True) if any_ and not yes]
    if len(order) == 1:
        spec, written = f"equals: {quote(order[0])}", 1
    elif len(others) == 1:
        spec, written = f"not_equals: {quote(others[0])}", 1
    else:
        spec, written = f"in: [{', '.join(quote(c) for c in order)}]", len(order)
    return _reason(f"{{field: {codes.name}, {spec}}}", filled, inside, outside, written)


def _by_blank(
    other: Field, filled: np.ndarray, inside: np.ndarray
) -> tuple[float, int, Reason] | None:
    if not _holds(filled, inside, ~inside):
        return None
    return _reason(f"{{field: {other.name}, blank: false}}", filled, inside, ~inside, 1)


def _holds(filled: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> bool:
    """Whether the field is required inside and not outside, explaining its blanks."""
    rows, filled_in = int(inside.sum()), int((filled & inside).sum())
    blank = int((~filled & (inside | outside)).sum())
    blank_outside = int((~filled & outside).sum())
    return (
        rows >= MIN_ROWS
        and filled_in >= FILLED * rows
        and int((filled & outside).sum()) <= OTHERS_FILLED * max(int(outside.sum()), 1)
        and blank > 0
        and blank_outside >= EXPLAINED * blank
    )


def _reason(
    condition: str, filled: np.ndarray, inside: np.ndarray, outside: np.ndarray, size: int
) -> tuple[float, int, Reason]:
    rows, filled_in = int(inside.sum()), int((filled & inside).sum())
    blank = int((~filled & (inside | outside)).sum())
    explained = int((~filled & outside).sum()) / blank
    note = (
        f"filled in {filled_in:,} of the {rows:,} rows of the samples where it holds; "
        f"{round(100 * explained)}% of the blanks are where it does not"
    )
    return explained, size, Reason(condition, note)
