"""What a rule with a group reads from the other rows of each row's group, as columns.

A rule with ``group: {by: child_id, order: start_date}`` may read ``previous.end_date`` (the end
date on the same child's row before, in order of start date), ``next.F``, ``first.F``,
``last.F``, and what the child's rows add up to: ``count()``, ``sum(F)``, ``min(F)``,
``max(F)``, ``sum(days(A, B))``. Each becomes a column of the frame, named as written, in the
row's own place; the rule's conditions then read them like any field, a row at a time
(:func:`lp_audit.checks.truth.truth`).

All of it is vectorised: the keys numbered once (factorised), the keyed rows sorted once by key
and order (one stable ``lexsort`` of numbers: dates as ticks, text as ranks), neighbours found
by comparing each sorted row's key with the next, and sums and counts by ``bincount`` (minima
and maxima by a grouped transform). No Python loop over rows or groups.

How blanks behave:

- a row whose key is blank (any ``by`` field) is in no group: everything it would read from
  its group is not known, so the rule does not fail on it;
- a row whose order is blank has no place in the order: it has no previous or next row, and is
  no other row's;
- ties in the order keep the file's order;
- ``count()`` counts the group's rows; ``sum`` adds its values that are known (a group with
  none has a sum of 0); ``min`` and ``max`` of a group with none are not known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lp_audit.checks.specs import Context
from lp_audit.definitions.conditions import Operand, split_name

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.definitions import Group


def with_group_values(
    frame: pd.DataFrame,
    group: Group,
    relatives: Sequence[str],
    aggregates: Sequence[Operand],
    context: Context,
    cache: dict[Any, Any] | None = None,
) -> pd.DataFrame:
    """``frame`` with a column for each relative (``previous.end_date``) and aggregate
    (``sum(days(start_date, end_date))``) a rule reads, in each row's place.

    ``cache`` keeps each key's numbering and order for the frame it was worked out on (held
    by a weak reference, and used again only for that very frame): the rules over one key of
    one return share them (measured, six rules over a million episodes: 1.8 CPU s added
    without, see benchmarks/rules.py)."""
    import weakref

    entry = (cache or {}).get((group.by, group.order))
    if entry is not None and entry[0]() is frame:
        codes, neighbours = entry[1], entry[2]
    else:
        codes, neighbours = _group_codes(frame, group.by), None
    if relatives and neighbours is None:
        neighbours = _neighbours(frame, codes, group.order)
    if cache is not None:
        cache[(group.by, group.order)] = (weakref.ref(frame), codes, neighbours)
    out = frame.copy(deep=False)
    if relatives:
        assert neighbours is not None
        for name in relatives:
            relative, base = split_name(name)
            assert relative is not None
            out[name] = _take(frame[base], neighbours[relative])
    for operand in aggregates:
        out[operand.value] = _aggregate(operand, frame, codes, context)
    return out


def _group_codes(frame: pd.DataFrame, by: Sequence[str]) -> np.ndarray:
    """Each row's group as a number from 0, or -1 where any of the key is blank."""
    import numpy as np
    import pandas as pd

    if len(by) == 1:
        codes: np.ndarray = pd.factorize(frame[by[0]], use_na_sentinel=True)[0].astype(np.int64)
        return codes
    numbered = frame.groupby(list(by), sort=False, dropna=True, observed=True).ngroup()
    return numbered.fillna(-1).to_numpy(dtype=np.int64)


def _sortable(values: pd.Series) -> np.ndarray:
    """A column as numbers in the same order: dates as their ticks, numbers as themselves,
    anything else as its rank among its distinct values."""
    import numpy as np
    import pandas as pd

    if values.dtype.kind in "Mm":
        return values.to_numpy().view(np.int64)
    if values.dtype.kind in "iuf":
        return values.to_numpy(dtype="float64", na_value=np.nan)
    ranks: np.ndarray = pd.factorize(values, sort=True)[0]
    return ranks


def _neighbours(
    frame: pd.DataFrame, codes: np.ndarray, order: Sequence[str]
) -> dict[str, np.ndarray]:
    """For each row, the position of the previous, next, first and last row of its group in
    ``order``; -1 where there is none."""
    import numpy as np

    n = len(frame)
    placed = codes >= 0
    for name in order:
        placed &= frame[name].notna().to_numpy()
    rows = np.flatnonzero(placed)
    # one stable sort by key, then order (the last key of lexsort sorts first); ties keep
    # the file's order
    keys = [_sortable(frame[name])[rows] for name in reversed(order)]
    position = rows[np.lexsort([*keys, codes[rows]])]
    group = codes[position]
    starts = np.ones(len(group), dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    ends = np.ones(len(group), dtype=bool)
    ends[:-1] = starts[1:]
    which = np.cumsum(starts) - 1  # each sorted row's group, counted in sorted order
    first_at = np.flatnonzero(starts)
    last_at = np.flatnonzero(ends)
    result = {k: np.full(n, -1, dtype=np.int64) for k in ("previous", "next", "first", "last")}
    if not len(position):
        return result
    before = np.full(len(position), -1, dtype=np.int64)
    before[1:] = np.where(starts[1:], -1, position[:-1])
    after = np.full(len(position), -1, dtype=np.int64)
    after[:-1] = np.where(ends[:-1], -1, position[1:])
    result["previous"][position] = before
    result["next"][position] = after
    result["first"][position] = position[first_at[which]]
    result["last"][position] = position[last_at[which]]
    return result


def _take(values: pd.Series, at: np.ndarray) -> pd.Series:
    """``values`` at the positions ``at`` (blank where -1), in ``values``' own index."""
    import numpy as np
    import pandas as pd

    taken = values.iloc[np.maximum(at, 0)]
    taken.index = values.index
    result: pd.Series = taken.where(pd.Series(at >= 0, index=values.index))
    return result


def _aggregate(
    operand: Operand, frame: pd.DataFrame, codes: np.ndarray, context: Context
) -> pd.Series:
    """What each row's group adds up to, in each row's place; not known where the row is in
    no group."""
    import numpy as np
    import pandas as pd

    from lp_audit.checks.truth import operand_values

    keyed = codes >= 0
    place = np.maximum(codes, 0)
    groups = int(codes.max()) + 1 if len(codes) else 0
    if operand.kind == "count":
        counts = np.bincount(codes[keyed], minlength=groups).astype("float64")
        return pd.Series(np.where(keyed, counts[place] if groups else 0, np.nan), index=frame.index)
    values, known = operand_values(operand.parts[0], frame, context)
    use = keyed & known
    if operand.kind == "sum":
        weights = np.asarray(values, dtype="float64")[use]
        totals = np.bincount(codes[use], weights=weights, minlength=groups)
        return pd.Series(np.where(keyed, totals[place] if groups else 0, np.nan), index=frame.index)
    series = pd.Series(values, index=frame.index)
    if series.dtype.kind not in "Mm":
        series = series.astype("float64")
    series = series.where(pd.Series(use, index=frame.index))
    grouped = series.groupby(np.where(keyed, codes, -1))
    extreme = grouped.transform("min" if operand.kind == "min" else "max")
    result: pd.Series = extreme.where(pd.Series(keyed, index=frame.index))
    return result


def with_matching_rows(
    frame: pd.DataFrame,
    previous: pd.DataFrame,
    match: Sequence[str],
    names: Sequence[str],
    dtypes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` with a column for each ``before.F`` (or ``header.F``) a rule reads: F on the
    row of ``previous`` (the previous return's rows, or another table's, one per key) whose
    ``match`` fields hold the same values; blank where there is none (a new case, a child not
    in the header), so the rule does not fail on it. Keys are matched as text, whatever their
    type in either frame. A field ``previous`` lacks (its file has no such column) is blank,
    of the type ``dtypes`` gives it, so that it compares as nothing known."""
    import pandas as pd

    wanted = [split_name(n)[1] for n in names]
    types = dtypes or {}

    def blank(base: str, index: pd.Index) -> pd.Series:
        return pd.Series(index=index, dtype=types.get(base, "object"))

    if not all(m in previous.columns for m in match):  # it cannot be matched: nothing known
        out = frame.copy(deep=False)
        for name, base in zip(names, wanted, strict=True):
            out[name] = blank(base, frame.index)
        return out
    left = frame[list(match)].astype("string").reset_index(drop=True)
    right = previous[list(match)].astype("string")
    for name, base in zip(names, wanted, strict=True):
        # the same index: the values keep their type (a column it lacks: nothing known)
        right[name] = previous[base] if base in previous.columns else blank(base, right.index)
    joined = left.merge(right, on=list(match), how="left", sort=False)
    out = frame.copy(deep=False)
    for name in names:
        out[name] = pd.Series(joined[name].array, index=frame.index)
    return out


def with_counts(
    frame: pd.DataFrame, rows: pd.DataFrame, key: Sequence[str], name: str
) -> pd.DataFrame:
    """``frame`` with a column ``name`` (``count(episodes)``): how many of ``rows`` (another
    table's) have the same ``key`` values as each row (0 when none; not known where the row's
    key is blank). Keys are matched as text."""
    import pandas as pd

    out = frame.copy(deep=False)
    if not all(k in rows.columns for k in key):  # it cannot be matched: nothing known
        out[name] = pd.Series(index=frame.index, dtype="float64")
        return out
    left = frame[list(key)].astype("string").reset_index(drop=True)
    sizes = rows[list(key)].astype("string").value_counts(dropna=True).rename(name).reset_index()
    joined = left.merge(sizes, on=list(key), how="left", sort=False)
    counts = joined[name].fillna(0).astype("float64")
    counts[left.isna().any(axis=1).to_numpy()] = float("nan")
    out[name] = pd.Series(counts.to_numpy(), index=frame.index)
    return out
