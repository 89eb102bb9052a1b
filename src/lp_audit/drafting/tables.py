"""The tables of sample returns: which samples are one table, each table's key, and the
fields of one table that find their row in another.

Samples are one table when they have the same file name (``Client.csv`` from every provider)
or much the same columns (returns of one table named after their providers: at least half of
the columns of the two are in both). Samples of two or more tables draft a return of several
tables, each named after its files, as ``lp-audit validate`` finds them in a return's folder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lp_audit.definitions.model import NAME_RE
from lp_audit.drafting.model import Field, Rule, Source, Table
from lp_audit.drafting.names import ID_WORDS, PERSON_WORDS, words

#: the share of two samples' columns (of all the columns either has) in both, from which they
#: are one table
SAME_TABLE = 0.5


def group(
    sources: Sequence[Source], columns: Sequence[Sequence[str]]
) -> tuple[list[Table], list[str]]:
    """The tables of samples from ``sources`` whose columns (header keys) are ``columns``, in
    the order of their first sample, and what could not be decided about them."""
    paths = [s.shown for s in sources]
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    stems = [s.name for s in sources]
    sets = [set(c) for c in columns]
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            both, either = len(sets[i] & sets[j]), len(sets[i] | sets[j])
            if stems[i].lower() == stems[j].lower() or (either and both / either >= SAME_TABLE):
                parent[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i in range(len(paths)):
        members.setdefault(root(i), []).append(i)
    tables: list[Table] = []
    notes: list[str] = []
    taken: set[str] = set()
    for samples in members.values():
        counts = Counter(stems[i].lower() for i in samples)
        commonest = next(
            stems[i] for i in samples if counts[stems[i].lower()] == max(counts.values())
        )
        name = commonest if NAME_RE.match(commonest) else "_".join(words(commonest))
        if not name or not name[0].isalpha():
            name = f"table_{name}" if name else f"table_{len(tables) + 1}"
        base, n = name, 2
        while name.lower() in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name.lower())
        tables.append(Table(name, samples, file=commonest if name != commonest else None))
        if len(counts) > 1:
            others = sorted({paths[i] for i in samples if stems[i].lower() != commonest.lower()})
            notes.append(
                f"{', '.join(others[:3])} {'has' if len(others) == 1 else 'have'} the columns "
                f"of table {name} but another name: a return's files are found by name "
                f"({commonest}.csv, or a sheet {commonest}), so rename "
                f"{'it' if len(others) == 1 else 'them'}"
            )
    return tables, notes


def choose_key(
    fields: Sequence[Field],
    table: Table,
    exclude: set[str | None],
    identifiers: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The fields of ``table`` whose values each of its rows has alone, within each sample
    (a repeat in 1% of rows is allowed, as a finding); none when no one or two do.

    One field if one will do: an ID of the row's own (an episode's, or one named after the
    table) before a person's, which repeats; a sensitive one last. Otherwise two: an
    identifier (named so, or the key of another table, ``identifiers``) and, best, a date
    (a child and the day an episode starts)."""
    import pandas as pd

    own = set(table.samples)
    eligible: dict[str, list[pd.Series]] = {}
    for f in fields:
        if f.name not in table.fields or f.name in exclude or f.column.time:
            continue
        if f.column.type not in ("text", "code", "integer", "date"):
            continue
        parts = [s for s, i in zip(f.samples, f.sample_of, strict=True) if i in own]
        if len(parts) < len(table.samples):
            continue  # a sample of the table has no such column
        values = [p.fillna("").str.strip() for p in parts]
        if any((v == "").any() for v in values) or sum(map(len, values)) <= 1:
            continue
        eligible[f.name] = values
    by_name = {f.name: f for f in fields}
    rows = sum(len(v) for v in next(iter(eligible.values()), []))
    allowed = 0.01 * rows / max(len(table.samples), 1)

    def repeats(names: tuple[str, ...]) -> int:
        return max(
            int(pd.DataFrame({n: eligible[n][k] for n in names}).duplicated().sum())
            for k in range(len(table.samples))
        )

    def says(name: str, kinds: set[str]) -> bool:
        return bool(kinds & set(words(by_name[name].column.header)))

    named = set(words(table.name)) if table.name else set()

    def an_id(name: str) -> bool:
        return name in identifiers or says(name, ID_WORDS) or says(name, PERSON_WORDS)

    # an identifier may repeat once in a small sample (a child sent twice): a key with a finding
    singles = [
        (n, r)
        for n in eligible
        if by_name[n].column.type != "date"
        and (r := repeats((n,))) <= (max(allowed, 1) if an_id(n) else allowed)
    ]
    singles.sort(
        key=lambda c: (
            by_name[c[0]].column.sensitive is not None,
            not says(c[0], ID_WORDS),
            not (named and named <= set(words(by_name[c[0]].column.header))),
            c[1],
        )
    )
    if singles:
        return (singles[0][0],)
    firsts = [n for n in eligible if by_name[n].column.type != "date" and an_id(n)][:3]
    pairs = [
        (a, b, r)
        for a in firsts
        for b in eligible
        if b != a and (r := repeats((a, b))) <= max(allowed, 1)
    ]
    pairs.sort(key=lambda p: (by_name[p[1]].column.type != "date", p[2]))
    return (pairs[0][0], pairs[0][1]) if pairs else ()


def links(tables: Sequence[Table]) -> list[Rule]:
    """A rule for each field of a table that is another table's key (an enrolment's person):
    its value must have a row there."""
    rules = []
    for table in tables:
        for other in tables:
            if other is table or len(other.key) != 1:
                continue
            key = other.key[0]
            if key not in table.fields or (key,) == table.key:
                continue
            rules.append(
                Rule(
                    id=f"{table.name}-{key}-in-{other.name}",
                    kind="link",
                    fields=(key,),
                    table=table.name,
                    other=other.name,
                    message=f"The {key} of this row is not in {other.name}: every {key} in "
                    f"{table.name} must have a row there.",
                )
            )
    return rules
