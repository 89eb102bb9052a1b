"""A draft definition from sample returns: ``lp-audit definitions infer``.

The draft is a starting point for people to finish, so it says what it decided and what it
could not, as comments: codes without labels are marked TODO; a column that looks sensitive is
marked ``sensitive: true`` and none of its values is copied; values that do not fit the type
chosen are counted, not hidden. The samples are then validated against the draft, and where
they still have errors (a few impossible dates, a blank in a column otherwise always filled),
the field gets a tolerance that lets the samples pass, with a comment saying how many findings
it covers: the draft validates the samples it came from with no error, and the findings stay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions import header_key
from lp_audit.definitions.model import NAME_RE
from lp_audit.drafting.columns import describe
from lp_audit.drafting.conditions import required_when
from lp_audit.drafting.model import Draft, Field, Rule, Source, Table
from lp_audit.drafting.names import PERSON_WORDS, plural, words
from lp_audit.drafting.orders import date_orders
from lp_audit.drafting.render import quote, render
from lp_audit.drafting.tables import choose_key, group, links

if TYPE_CHECKING:
    from lp_audit.reading import RawTable

__all__ = ["Draft", "Field", "draft_from_tables", "infer_definition", "quote", "render"]

#: the names of a workbook's sheets that are about the tables, not tables (a template's
#: ``Codes`` and ``Guidance``)
NOT_TABLES = {
    "codes",
    "guidance",
    "notes",
    "instructions",
    "read me",
    "readme",
    "contents",
    "cover",
}
PROVIDER_WORDS = {"provider", "organisation", "organization", "org", "supplier", "agency", "trust"}


def infer_definition(
    paths: Sequence[str | Path],
    *,
    name: str = "draft-return",
    title: str | None = None,
    tolerate: bool = True,
) -> Draft:
    """Draft a definition from sample returns (CSV or XLSX, one or more providers).

    ``tolerate`` validates the samples against the draft and gives a tolerance to each field
    or rule they still have errors on, so that they pass.

    Raises:
        ReturnReadError: if a sample cannot be read as a table.
    """
    from lp_audit.errors import ReturnReadError
    from lp_audit.reading import read_table, sheet_names

    if not paths:
        raise ValueError("name at least one sample return")
    tables, sources, undecided, left_out = [], [], [], []
    for path in map(Path, paths):
        sheets = sheet_names(path) if path.suffix.lower() in (".xlsx", ".xlsm") else []
        if len(sheets) <= 1:
            tables.append(read_table(path, below_titles=True))
            sources.append(Source(str(path)))
            continue
        for sheet in sheets:  # a workbook of several tables, a sheet each
            if " ".join(words(sheet)) in NOT_TABLES:
                undecided.append(f"sheet {sheet} of {path} is taken for notes: left out")
                left_out.append(f"{sheet} (notes)")
                continue
            table = read_table(path, sheet=sheet, below_titles=True)
            if len(table.headers) < 2 or not table.rows:
                undecided.append(f"sheet {sheet} of {path} has not two columns and a row: left out")
                left_out.append(f"{sheet} (not two columns and a row)")
                continue
            table.path = Source(str(path), sheet).shown
            tables.append(table)
            sources.append(Source(str(path), sheet))
    if not tables:  # every sample a workbook of notes
        raise ReturnReadError(
            str(paths[0]),
            f"no sheet is a table of column names and rows: {', '.join(left_out)} left out",
        )
    draft = _draft(tables, name, title, sources)
    draft.undecided[:0] = undecided
    if tolerate and draft.rows:
        _tolerate(draft, sources, name, title)
    else:
        draft.text = render(draft, name, title)
    return draft


def _draft(
    tables: list[RawTable], name: str, title: str | None, sources: list[Source] | None = None
) -> Draft:
    import pandas as pd

    sources = sources or [Source(t.path) for t in tables]
    undecided: list[str] = []
    order: dict[str, str] = {}  # header key -> the header as first written
    for table in tables:
        if _looks_like_data(table.headers):
            undecided.append(
                f"the first row of {table.path} looks like data, not column names: "
                "add a row of column names and infer again"
            )
        undecided += [
            f"the header of {table.path} is on line {f.line}: the lines above it were taken "
            "for a title or notes and left out"
            for f in table.findings
            if f.code == "header-not-first"
        ]
        for header in table.headers:
            order.setdefault(header_key(header) or header, header)
    keys = [[header_key(h) or h for h in t.headers] for t in tables]
    groups, notes = group(sources, keys)
    if len(groups) > 1:  # the files of one table need no names
        undecided += notes
    table_of = {i: g for g in groups for i in g.samples}
    fields: list[Field] = []
    taken: set[str] = set()
    for key, header in order.items():
        parts = []
        missing = []
        samples = []
        sample_of = []
        # a table's samples without the column count as blank; another table's do not
        having = {table_of[i].name for i, k in enumerate(keys) if key in k}
        for i, table in enumerate(tables):
            if table_of[i].name not in having:
                continue
            index = keys[i].index(key) if key in keys[i] else None
            if index is None:
                missing.append(table.path)
                parts.append(pd.Series([""] * len(table.cells), dtype="string"))
            else:
                samples.append(table.cells.iloc[:, index].astype("string"))
                sample_of.append(i)
                parts.append(samples[-1])
        values = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="string")
        column = describe(header, values)
        field_name, alias = _name(header, len(fields) + 1, taken)
        fields.append(
            Field(field_name, column, alias, missing, samples=samples, sample_of=sample_of)
        )
    named = {k: f.name for k, f in zip(order, fields, strict=True)}
    for g in groups:  # its fields in the order its samples have them
        g.fields = list(dict.fromkeys(named[k] for i in g.samples for k in keys[i]))
    rows = sum(len(t.cells) for t in tables)
    if rows < 20:
        undecided.append(
            f"only {rows} row(s) in the samples: the types, codes and blanks are guesses; "
            "infer again from more rows"
        )
    draft = Draft("", fields, [t.path for t in tables], rows, undecided)
    if len(groups) > 1:
        draft.tables = groups
    draft.period = _cadence([s.return_name if draft.tables else Path(s.path).stem for s in sources])
    separators = {f.column.separator for f in fields if f.column.separator}
    if len(separators) == 1:  # the samples write several codes one way: a plural may too
        separator = separators.pop()
        for f in fields:
            if f.column.type == "code" and plural(f.column.header) and not f.column.sensitive:
                f.column.type, f.column.separator = "multi_code", separator
                f.column.notes.append(
                    f"one code in every row of the samples, but the name is plural and other "
                    f"fields hold several codes separated by {separator}: make it type code if "
                    "a row can only have one"
                )
    _roles(draft, tables, sources)
    for field_name, reason in required_when(draft.fields).items():
        draft.named(field_name).required_when = (reason.condition, reason.note)
    draft.text = render(draft, name, title)
    return draft


def draft_from_tables(tables: list[RawTable]) -> Draft:
    """A draft of tables already read, without the check against them (for ``init``)."""
    return _draft(tables, "draft-return", None)


#: a period in a file's or folder's name: 2025-26-q2, 2024-25, 2025_Q3, 2025-07
_NAMED_PERIOD = re.compile(r"(?<!\d)(\d{4})(?:-(\d{2}))?(?:[-_ ]?[qQ]([1-4]))?(?!\d)")


def _cadence(names: Sequence[str]) -> tuple[str, int, str] | None:
    """How often the returns come, when the returns' ``names`` (a file's; a folder's or a
    workbook's, for returns of several tables) say so alike and it is not the default, a
    financial quarter: (every, the month its year starts, a name's period)."""
    from lp_audit.periods import Period

    found: dict[tuple[str, int], str] = {}
    for name in names:
        name = re.sub(r"\d{4}[-_]?\d{2}[-_]?\d{2}", " ", name)  # a day's export, not a period
        for match in _NAMED_PERIOD.finditer(name):
            year, pair, quarter = match.groups()
            if not 2000 <= int(year) < 2100:
                continue
            label = year + (f"-{pair}" if pair else "") + (f" Q{quarter}" if quarter else "")
            try:
                period = Period.parse(label)
            except ValueError:
                continue
            found.setdefault((period.every, period.starts), label)
    if len(found) != 1:
        return None
    (every, starts), label = found.popitem()
    return None if (every, starts) == ("quarter", 4) else (every, starts, label)


def _looks_like_data(headers: list[str]) -> bool:
    """A header row with a number or a date in it is more likely the first row of data."""
    return any(
        re.fullmatch(r"[+-]?\d[\d.,/: -]*", h.strip())
        or re.fullmatch(r"\d{4}-\d{2} Q[1-4]", h.strip())
        for h in headers
    )


def _name(header: str, position: int, taken: set[str]) -> tuple[str, str | None]:
    """A field name for a header: the header itself when it is a valid name (it then matches
    with no warning), or its words joined by '_' with the header kept as an alias."""
    stripped = header.strip()
    if NAME_RE.match(stripped) and stripped.lower() not in taken:
        taken.add(stripped.lower())
        return stripped, None
    base = "_".join(words(stripped)) or f"column_{position}"
    if not base[0].isalpha():
        base = f"column_{base}"
    candidate, n = base, 2
    while candidate.lower() in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate.lower())
    return candidate, (stripped or None)


def _roles(draft: Draft, tables: list[RawTable], sources: list[Source]) -> None:
    """The period column, the provider column, and the key of the return or of each table,
    with the rules they give."""
    constant: dict[str, bool] = {}
    for f in draft.fields:
        per_file = []
        for sample in f.samples:
            values = sample.fillna("").str.strip()
            per_file.append(values[values != ""].nunique())
        constant[f.name] = bool(per_file) and all(n <= 1 for n in per_file)
    for f in draft.fields:
        if f.column.period and constant[f.name]:
            draft.period_field = f.name
            break
    candidates = [
        f
        for f in draft.fields
        if f.column.type == "code" and constant[f.name] and f.name != draft.period_field
    ]
    named = [f for f in candidates if PROVIDER_WORDS & set(words(f.column.header))]
    # by its name, or else a code that differs between the samples and is fixed within each
    returns = max((len(t.samples) for t in draft.tables), default=len(tables))
    varying = [c for c in candidates if len(c.column.codes) > 1] if returns > 1 else []
    chosen = (named or varying)[:1]
    if chosen:
        draft.provider_field = chosen[0].name
    exclude = {draft.period_field, draft.provider_field}
    if not draft.tables:
        one = Table("", list(range(len(tables))), [f.name for f in draft.fields])
        draft.key = choose_key(draft.fields, one, exclude)
        draft.rules += date_orders(draft.fields, [one], named=False, notes=draft.undecided)
        if draft.key:
            draft.rules.append(_unique(draft, draft.key, None))
        return
    for table in draft.tables:
        table.key = choose_key(draft.fields, table, exclude)
    identifiers = frozenset(t.key[0] for t in draft.tables if len(t.key) == 1)
    for table in draft.tables:
        if not table.key:  # found by two fields, one of them perhaps another table's key
            table.key = choose_key(draft.fields, table, exclude, identifiers)
    linked = links(draft.tables)
    return_of = [s.path if s.sheet else str(Path(s.path).parent) for s in sources]
    draft.rules += linked
    draft.rules += date_orders(
        draft.fields,
        draft.tables,
        named=True,
        links=linked,
        returns=return_of,
        notes=draft.undecided,
    )
    draft.rules += [_unique(draft, t.key, t.name) for t in draft.tables if t.key]
    for table in draft.tables:
        if len(table.key) != 1:
            continue
        f = draft.named(table.key[0])
        if f.column.type == "code":
            # a child's ID repeats in the episodes, like a code, but names one row of the header
            f.column.type, f.column.codes, f.column.unknown_codes = "text", [], []
            f.column.normalise = []
            f.column.notes = [n for n in f.column.notes if not n.startswith("seen in at most")]
            f.column.notes.append(f"identifies a row of {table.name}: text, not codes")
        if f.column.sensitive is None and PERSON_WORDS & set(words(f.column.header)):
            f.column.sensitive = f"it identifies a person, a row of {table.name}"


def _unique(draft: Draft, key: tuple[str, ...], table: str | None) -> Rule:
    """The rule that a key's values are each in one row, of a table or of the return."""
    headers = [draft.named(n).column.header for n in key]
    what = headers[0] if len(key) == 1 else f"{' and '.join(headers)} together"
    verb = "appears" if len(key) == 1 else "appear"
    return Rule(
        "-".join((*([table] if table else []), *key, "unique")),
        "unique",
        key,
        f"Each {what} {verb} once in {table or 'a return'}.",
        table=table,
    )


# -- tolerances from the samples' own errors ---------------------------------------------------


def _tolerate(draft: Draft, sources: list[Source], name: str, title: str | None) -> None:
    """Validate the samples against the draft; give each field (or the key's rule) with errors a
    tolerance that covers the return with most of them, and say so.

    The check runs with every field and the key's rule tolerating everything, so that each
    return counts its errors per field and rule exactly, listed or not.
    """
    import tempfile

    from lp_audit.definitions import load_definition_file
    from lp_audit.validation import validate_returns

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "draft.yaml"
        path.write_text(render(draft, name, title, probe=True), encoding="utf-8")
        definition = load_definition_file(path)
        results = [
            result
            for together, sheet in _returns(draft, sources)
            for result in validate_returns(together, definition, chunk_rows=0, sheet=sheet).results
        ]
    worst: dict[str, tuple[float, int]] = {}  # subject -> (share of rows, errors), at most
    kinds: dict[str, dict[str, int]] = {}
    for result in results:
        for outcome in result.tolerated:
            if not outcome.errors:
                continue
            share, count = worst.get(outcome.subject, (0.0, 0))
            worst[outcome.subject] = (
                max(share, outcome.errors / max(outcome.rows, 1)),
                max(count, outcome.errors),
            )
        errors = result.findings[result.findings["severity"] == "error"]
        about = errors["rule"].where(errors["rule"].notna(), errors["field"]).fillna("")
        for subject, code in zip(about.astype(str), errors["code"].astype(str), strict=True):
            merged = kinds.setdefault(subject, {})
            merged[code] = merged.get(code, 0) + 1
        if result.verdict["error"]:
            placed = {o.subject for o in result.tolerated}
            left = [
                f"{code} ×{n}" for k, v in kinds.items() if k not in placed for code, n in v.items()
            ]
            draft.undecided.append(
                f"{result.path} has errors no field's tolerance covers: {', '.join(left)}"
            )
    rules = {r.id: r for r in draft.rules}
    for subject, (share, count) in worst.items():
        what = ", ".join(f"{code} ×{n:,}" for code, n in sorted(kinds.get(subject, {}).items()))
        note = (
            f"the samples have {what or 'errors'} (at most {count:,} in one return): lower or "
            "remove it once providers have fixed them"
        )
        if subject in rules:
            rule = rules[subject]
            if rule.kind == "unique":
                rule.tolerance = f"{{error: {count}}}"
            else:
                rule.tolerance = f"{{error: {math.ceil(share * 1000) / 10:g}%}}"
            rule.tolerance_note = note
            continue
        target = draft.named(subject)
        percent = math.ceil(share * 1000) / 10  # one decimal, rounded up
        target.tolerance, target.tolerance_note = f"{{error: {percent:g}%}}", note
    draft.text = render(draft, name, title)


def _returns(draft: Draft, sources: list[Source]) -> list[tuple[list[str], str | None]]:
    """The samples as returns to validate, with the sheet to read: each file (or sheet) alone,
    or for a return of several tables, each workbook, and the files of each folder named after
    a table (one of each)."""
    if not draft.tables:
        files = [s.path for s in sources if s.sheet is None]
        return [(files, None)] * bool(files) + [([s.path], s.sheet) for s in sources if s.sheet]
    names = {(t.file or t.name).lower() for t in draft.tables}
    returns: dict[tuple[str, int], list[str]] = {}
    for source in sources:
        if source.sheet is not None:
            returns.setdefault((source.path, 0), [source.path])
        elif source.name.lower() in names:
            # a folder's files, one of each table (client.csv beside Client.csv: two returns)
            folder, slot = str(Path(source.path).parent), 0
            while any(
                Path(p).stem.lower() == source.name.lower() for p in returns.get((folder, slot), [])
            ):
                slot += 1
            returns.setdefault((folder, slot), []).append(source.path)
    return [(files, None) for files in returns.values()]
