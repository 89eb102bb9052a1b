"""Defects planted in synthetic returns, each of a known kind at a known line: what a test
of lp_audit expects it to find."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lp_audit.definitions import DATE_FORMATS, Definition
from lp_audit.definitions.forms import REAL_TIME

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The defect kinds planted, in turn: what each does, and the finding it gives.
KINDS = {
    "missing-required": "a required value left blank",
    "invalid-code": "a code not in the field's list",
    "invalid-date": "a date that does not exist (30 February)",
    "duplicate-key": "a row whose key repeats another row's",
    "no-matching-row": "a row whose key has no row in the table it belongs to",
    "entered-twice": "a row of a group entered again a day later (an episode entered twice)",
}


@dataclass(frozen=True)
class Planted:
    """A defect planted in a table (None: a return of one table) at a file line."""

    table: str | None
    line: int
    field: str
    kind: str


def tables_of(definition: Definition) -> list[tuple[str | None, tuple[str, ...], tuple[str, ...]]]:
    """Each table as (name, fields, key); one unnamed table for a definition without tables."""
    if not definition.tables:
        return [(None, tuple(f.name for f in definition.fields), ())]
    return [(t.name, tuple(t.fields), tuple(t.key)) for t in definition.tables]


def plant(
    definition: Definition,
    frames: dict[str | None, pd.DataFrame],
    rng: np.random.Generator,
    count: int,
    first_kind: int = 0,
) -> list[Planted]:
    """Plant ``count`` defects, each in a row of its own, taking :data:`KINDS` in turn (a kind
    the definition has nothing for is passed over)."""
    planted: list[Planted] = []
    used: dict[str | None, set[int]] = {name: set() for name in frames}
    kinds = list(KINDS)
    tries = 0
    while len(planted) < count and tries < count * len(kinds) + len(kinds):
        kind = kinds[(first_kind + tries) % len(kinds)]
        tries += 1
        done = _plant_one(definition, frames, rng, kind, used)
        if done is not None:
            planted.append(done)
    return planted


def _plant_one(
    definition: Definition,
    frames: dict[str | None, pd.DataFrame],
    rng: np.random.Generator,
    kind: str,
    used: dict[str | None, set[int]],
) -> Planted | None:
    import pandas as pd

    tables = tables_of(definition)
    name, fields, key = tables[int(rng.integers(0, len(tables)))]
    if kind == "no-matching-row":
        if len(tables) < 2:
            return None
        name, fields, key = tables[1 + int(rng.integers(0, len(tables) - 1))]
    elif kind == "entered-twice":  # in the table a rule reads in the order of a date
        ordered = {r.group.order[0] for r in definition.rules if r.group and r.group.order}
        having = [t for t in tables if ordered & set(t[1])]
        if not having:
            return None
        name, fields, key = having[int(rng.integers(0, len(having)))]
    frame = frames[name]
    free = [i for i in range(len(frame)) if i not in used[name]]
    if not free:
        return None
    row = free[int(rng.integers(0, len(free)))]
    candidates: list[str] = []
    value = ""
    if kind == "missing-required":
        candidates = [f for f in fields if definition.field(f).required and f not in key]
    elif kind == "invalid-code":
        candidates = [f for f in fields if definition.field(f).type == "code" and f not in key]
        value = "ZZ9"
    elif kind == "invalid-date":
        candidates = [
            f
            for f in fields
            if definition.field(f).type == "date" and definition.field(f).required and f not in key
        ]
        value = "2025-02-30"
    elif kind == "duplicate-key" and key:
        copy = frame.iloc[[row]].copy()
        frames[name] = pd.concat([frame, copy], ignore_index=True)
        line = len(frames[name]) + 1
        used[name] |= {row, len(frames[name]) - 1}
        return Planted(name, line, key[0], kind)
    elif kind == "entered-twice":
        return _enter_twice(definition, frames, name, fields, rng, used)
    elif kind == "no-matching-row":
        first = tables[0]
        shared = [f for f in key if f in first[2]]
        if not shared:
            return None
        old = str(frame.at[row, shared[0]])  # another identifier of the same length
        frame.at[row, shared[0]] = ("Z" if not old.startswith("Z") else "Y") + old[1:]
        used[name].add(row)
        return Planted(name, row + 2, shared[0], kind)
    if not candidates:
        return None
    chosen = candidates[int(rng.integers(0, len(candidates)))]
    frame.at[row, chosen] = value
    used[name].add(row)
    return Planted(name, row + 2, chosen, kind)


def _enter_twice(
    definition: Definition,
    frames: dict[str | None, pd.DataFrame],
    name: str | None,
    fields: tuple[str, ...],
    rng: np.random.Generator,
    used: dict[str | None, set[int]],
) -> Planted | None:
    """A copy of a row, its order date a day later, at the end of the table: for a group
    rule ordered by a date, the copy starts before the row it copies ends."""
    import pandas as pd

    orders = [
        r.group.order[0]
        for r in definition.rules
        if r.group is not None
        and r.group.order
        and r.group.order[0] in fields
        and definition.field(r.group.order[0]).type == "date"
    ]
    if not orders:
        return None
    order = orders[0]
    frame = frames[name]
    others = [f for f in fields if f != order and definition.field(f).type == "date"]
    form = DATE_FORMATS[definition.date_format]

    def days(name: str) -> pd.Series:  # in the definition's form, a time of day set aside
        text = frame[name].str.replace(REAL_TIME, "", regex=True)
        return pd.to_datetime(text, format=form, errors="coerce")

    start = days(order)
    fits = start.notna()
    for other in others:  # every other date of the row is later than the copy's start
        later = days(other)
        fits &= later.notna() & (later > start + pd.Timedelta(days=1))
    choices = [i for i in fits[fits].index if i not in used[name]]
    if not choices:
        return None
    row = choices[int(rng.integers(0, len(choices)))]
    copy = frame.iloc[[row]].copy()
    shape = f"{form} %H:%M" if definition.field(order).time else form
    copy[order] = (start[row] + pd.Timedelta(days=1)).strftime(shape)
    frames[name] = pd.concat([frame, copy], ignore_index=True)
    used[name] |= {row, len(frames[name]) - 1}
    return Planted(name, len(frames[name]) + 1, order, "entered-twice")
