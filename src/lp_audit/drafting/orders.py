"""Rules of the order of two dates of a row that the samples keep: a first contact on or after
the referral, an episode's end on or after its start.

Every ordered pair of date fields of a table is tried on the rows of the samples that have
both dates: where the first is on or after the second in at least 99% of at least 20 such
rows, and after it in some, the draft proposes the rule, and says how often it held. A rule
another two imply (closure after first contact after referral gives closure after referral)
is left out, unless a row may lack the date between them. Of a table with more than 40 dates,
the first 40 are tried.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lp_audit.definitions.forms import REAL_TIME
from lp_audit.drafting.columns import DATE_SHAPES, per_distinct
from lp_audit.drafting.model import Field, Rule, Table
from lp_audit.drafting.render import label as label_of

if TYPE_CHECKING:
    import pandas as pd

#: rows with both dates a rule needs in the samples, and the share of them it must hold in
MIN_ROWS = 20
HOLDS = 0.99
#: the dates of a table whose orders are tried (pairs grow as the square: a sample of a
#: thousand date columns would try a million)
MOST_DATES = 40


def date_orders(
    fields: Sequence[Field],
    tables: Sequence[Table],
    *,
    named: bool,
    links: Sequence[Rule] = (),
    returns: Sequence[str] = (),
    notes: list[str] | None = None,
) -> list[Rule]:
    """The date-order rules of ``tables`` (of the return, when not ``named``) the samples
    keep, in the order of their fields; then, for each of the ``links`` (a row's key in another
    table), those between a date of the row and a date of the row it finds, on the samples of
    the same return (``returns``: each sample's). What was not tried is added to ``notes``."""
    rules: list[Rule] = []
    within: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}  # each table's orders
    dates_of = _Dates()
    for table in tables:
        dates = [f for f in fields if f.name in table.fields and f.column.type == "date"]
        if len(dates) > MOST_DATES and notes is not None:
            notes.append(
                f"{len(dates)} dates{f' in {table.name}' if named else ''}: their orders were "
                f"tried among the first {MOST_DATES} only"
            )
        dates = dates[:MOST_DATES]
        own = set(table.samples)
        parsed = {f.name: dates_of(f, own) for f in dates}
        held: dict[tuple[str, str], tuple[int, int]] = {}
        for later in dates:
            for earlier in dates:
                if later is not earlier:
                    counted = _count(parsed[later.name], parsed[earlier.name])
                    if counted is not None:
                        held[(later.name, earlier.name)] = counted
        within[table.name] = held
        label = {f.name: f.column.header for f in dates}
        for (a, b), (kept, rows) in held.items():
            if (b, a) in held:
                continue  # the same day, as good as always: no order to keep
            between = [
                m
                for m in parsed
                if (a, m) in held and (m, b) in held and _covers(parsed, m, (a, b))
            ]
            if between:
                continue  # implied by two others, with the date between them always there
            rules.append(
                Rule(
                    "-".join((*([table.name] if named else []), a, "on-or-after", b)),
                    "order",
                    (a, b),
                    f"{label_of(label[a])} is before the {_lower(label_of(label[b]))}: "
                    "check both dates.",
                    table=table.name if named else None,
                    note=f"the samples keep it in {kept:,} of {rows:,} rows with both dates",
                )
            )
    for link in links:
        rules += _across(
            fields,
            {t.name: t for t in tables},
            link,
            returns,
            (within.get(str(link.table), {}), within.get(str(link.other), {})),
            dates_of,
        )
    return rules


def _across(
    fields: Sequence[Field],
    tables: dict[str, Table],
    link: Rule,
    returns: Sequence[str],
    held: tuple[dict[tuple[str, str], tuple[int, int]], dict[tuple[str, str], tuple[int, int]]],
    dates_of: _Dates,
) -> list[Rule]:
    """Date-order rules between the rows of ``link``'s table and the rows of the table it
    finds them in (an exit on or after its enrolment's entry). One that another across and an
    order within a row imply is left out when the date between them is always there: within
    the row itself (an episode's end after the child's birth, as its start is, and it ends
    after it starts), or within the row it finds (a stay's entry after the client's birth, as
    it is after the client's record was made, which is after the birth). ``held`` is the
    orders the samples keep within each of the two tables."""
    import pandas as pd

    held_own, held_other = held

    table, other = tables[str(link.table)], tables[str(link.other)]
    key = {f.name: f for f in fields}[link.fields[0]]
    columns = {(i, key.name): s for s, i in zip(key.samples, key.sample_of, strict=True)}
    own = [f for f in fields if f.name in table.fields and f.column.type == "date"]
    found = [f for f in fields if f.name in other.fields and f.column.type == "date"]
    own, found = own[:MOST_DATES], found[:MOST_DATES]
    for f, samples in [(f, table.samples) for f in own] + [(f, other.samples) for f in found]:
        columns.update({(i, f.name): d for i, d in dates_of(f, set(samples)).items()})
    kept_orders: dict[tuple[str, str], tuple[str, int, int]] = {}  # (mine, theirs): op, counts
    across: dict[str, dict[int, pd.Series]] = {}  # theirs, for each sample of the table
    for theirs in found:
        mapped: dict[int, pd.Series] = {}  # for each sample of the table, the other's date
        for i in table.samples:
            for j in other.samples:
                needed = ((i, key.name), (j, key.name), (j, theirs.name))
                if returns[i] != returns[j] or not all(n in columns for n in needed):
                    continue
                keys = columns[(j, key.name)].fillna("").str.strip()
                lookup = pd.Series(columns[(j, theirs.name)].to_numpy(), index=keys.to_numpy())
                lookup = lookup[(lookup.index != "") & ~lookup.index.duplicated()]
                finding = columns[(i, key.name)].fillna("").str.strip()
                mapped[i] = pd.Series(finding.map(lookup).to_numpy(), index=finding.index)
        across[theirs.name] = mapped
        for mine in own:
            dated = {i: columns[(i, mine.name)] for i in mapped if (i, mine.name) in columns}
            after, before = _count(dated, mapped), _count(mapped, dated)
            if (after is None) == (before is None):
                continue  # no order, or the same day as good as always
            op, counted = (">=", after) if after is not None else ("<=", before)
            assert counted is not None
            kept_orders[(mine.name, theirs.name)] = (op, *counted)
    rules = []
    for (mine_name, theirs_name), (op, kept, rows) in kept_orders.items():
        mine = next(f for f in own if f.name == mine_name)
        theirs = next(f for f in found if f.name == theirs_name)
        mapped = across[theirs_name]
        dated = {i: columns[(i, mine_name)] for i in mapped if (i, mine_name) in columns}
        implied = False
        for m in own:  # mine, m within the row, then m and theirs across
            inner = (mine_name, m.name) if op == ">=" else (m.name, mine_name)
            if (
                m is mine
                or inner not in held_own
                or kept_orders.get((m.name, theirs_name), ("",))[0] != op
            ):
                continue
            between = {i: columns[(i, m.name)] for i in mapped if (i, m.name) in columns}
            if _always(dated, mapped, between):
                implied = True
                break
        for m in [] if implied else found:  # mine and m across, then m, theirs in its row
            inner = (m.name, theirs_name) if op == ">=" else (theirs_name, m.name)
            if (
                m is theirs
                or inner not in held_other
                or inner[::-1] in held_other  # the same day as good as always: no order
                or kept_orders.get((mine_name, m.name), ("",))[0] != op
            ):
                continue
            if _always(dated, mapped, across[m.name]):
                implied = True
                break
        if not implied:
            word = "before" if op == ">=" else "after"
            rules.append(
                Rule(
                    f"{table.name}-{mine.name}-{'on-or-after' if op == '>=' else 'on-or-before'}"
                    f"-{other.name}-{theirs.name}",
                    "order",
                    (mine.name, f"{other.name}.{theirs.name}"),
                    f"{label_of(mine.column.header)} is {word} the "
                    f"{_lower(label_of(theirs.column.header))} in {other.name}: check both dates.",
                    table=table.name,
                    note=f"the samples keep it in {kept:,} of {rows:,} rows with both dates",
                    op=op,
                )
            )
    return rules


def _always(
    first: dict[int, pd.Series], second: dict[int, pd.Series], between: dict[int, pd.Series]
) -> bool:
    """Whether the date ``between`` is there in every row of every sample with both dates."""
    return all(
        i in between and not (a.notna() & second[i].notna() & between[i].isna()).any()
        for i, a in first.items()
    )


class _Dates:
    """Each sample's dates of a field, read once however many orders use them."""

    def __init__(self) -> None:
        self._read: dict[tuple[str, int], pd.Series] = {}

    def __call__(self, f: Field, samples: set[int]) -> dict[int, pd.Series]:
        """The dates of ``f`` in each of ``samples`` that has it."""
        found = {}
        for values, i in zip(f.samples, f.sample_of, strict=True):
            if i in samples:
                if (f.name, i) not in self._read:
                    self._read[(f.name, i)] = _dates(values)
                found[i] = self._read[(f.name, i)]
        return found


def _dates(values: pd.Series) -> pd.Series:
    """A column's dates, in any form a draft reads (not a date: missing), each distinct text
    read once."""
    import pandas as pd

    return pd.Series(per_distinct(values, _date, "datetime64[ns]"), index=values.index)


def _date(text: str) -> object:
    """The day ``text`` is, in any form a draft reads; NaT if none."""
    from datetime import datetime

    text = re.sub(REAL_TIME, "", text.strip())
    for pattern, strptime in DATE_SHAPES.values():
        if re.fullmatch(pattern, text):
            try:
                return datetime.strptime(text, strptime)
            except ValueError:
                return None
    return None


def _count(first: dict[int, pd.Series], second: dict[int, pd.Series]) -> tuple[int, int] | None:
    """(rows where the first date is on or after the second, rows with both), when the
    samples keep that order; None when they do not."""
    rows = kept = after = 0
    for sample, a in first.items():
        if sample not in second:
            continue
        b = second[sample]
        both = a.notna() & b.notna()
        rows += int(both.sum())
        kept += int((a[both] >= b[both]).sum())
        after += int((a[both] > b[both]).sum())
    if rows >= MIN_ROWS and kept >= HOLDS * rows and after:
        return kept, rows
    return None


def _covers(parsed: dict[str, dict[int, pd.Series]], middle: str, ends: tuple[str, str]) -> bool:
    """Whether ``middle`` is known in every row of the samples where both ``ends`` are."""
    a, b = (parsed[e] for e in ends)
    for sample, values in a.items():
        if sample not in b:
            continue
        both = values.notna() & b[sample].notna()
        known = parsed[middle].get(sample)
        if known is None or (both & known.isna()).any():
            return False
    return True


def _lower(label: str) -> str:
    """A label within a sentence: Referral date as referral date, DOB as it is."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
