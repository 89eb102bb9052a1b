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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import header_key
from lp_audit.definitions.model import NAME_RE
from lp_audit.drafting.columns import ID_WORDS, Column, describe, plural, words

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.reading import RawTable

PROVIDER_WORDS = {"provider", "organisation", "organization", "org", "supplier", "agency", "trust"}


@dataclass
class Field:
    """A column of the samples as a field of the draft."""

    name: str
    column: Column
    alias: str | None = None
    missing_from: list[str] = field(default_factory=list)
    tolerance: str | None = None
    tolerance_note: str | None = None
    #: the column in each sample that has it, as read
    samples: list[pd.Series] = field(default_factory=list, repr=False)
    #: for the key: the tolerance of its rule of one row per key
    key_tolerance: str | None = None
    key_tolerance_note: str | None = None


@dataclass
class Draft:
    """A draft definition: its YAML text (with comments) and what it was made from."""

    text: str
    fields: list[Field]
    files: list[str]
    rows: int
    #: what the draft could not decide, also written as comments in the YAML
    undecided: list[str]
    period_field: str | None = None
    provider_field: str | None = None
    key: str | None = None


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
    from lp_audit.reading import read_table

    if not paths:
        raise ValueError("name at least one sample return")
    tables = [read_table(p, below_titles=True) for p in paths]
    draft = _draft(tables, name, title)
    if tolerate and draft.rows:
        _tolerate(draft, [str(p) for p in paths], name, title)
    return draft


def _draft(tables: list[RawTable], name: str, title: str | None) -> Draft:
    import pandas as pd

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
    fields: list[Field] = []
    taken: set[str] = set()
    for key, header in order.items():
        parts = []
        missing = []
        samples = []
        for table in tables:
            index = next(
                (i for i, h in enumerate(table.headers) if (header_key(h) or h) == key), None
            )
            if index is None:
                missing.append(table.path)
                parts.append(pd.Series([""] * len(table.cells), dtype="string"))
            else:
                samples.append(table.cells.iloc[:, index].astype("string"))
                parts.append(samples[-1])
        values = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="string")
        column = describe(header, values)
        field_name, alias = _name(header, len(fields) + 1, taken)
        fields.append(Field(field_name, column, alias, missing, samples=samples))
    rows = sum(len(t.cells) for t in tables)
    if rows < 20:
        undecided.append(
            f"only {rows} row(s) in the samples: the types, codes and blanks are guesses; "
            "infer again from more rows"
        )
    draft = Draft("", fields, [t.path for t in tables], rows, undecided)
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
    _roles(draft, tables)
    draft.text = render(draft, name, title)
    return draft


def draft_from_tables(tables: list[RawTable]) -> Draft:
    """A draft of tables already read, without the check against them (for ``init``)."""
    return _draft(tables, "draft-return", None)


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


def _roles(draft: Draft, tables: list[RawTable]) -> None:
    """The period column, the provider column and a key unique within each return."""
    constant: dict[str, bool] = {}
    unique: dict[str, int] = {}  # repeats in the return with most
    for f in draft.fields:
        per_file = []
        repeats = 0
        for sample in f.samples:
            values = sample.fillna("").str.strip()
            filled = values[values != ""]
            per_file.append(filled.nunique())
            repeats = max(repeats, int(filled.duplicated().sum()))
        constant[f.name] = bool(per_file) and all(n <= 1 for n in per_file)
        unique[f.name] = repeats
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
    varying = [c for c in candidates if len(c.column.codes) > 1] if len(tables) > 1 else []
    chosen = (named or varying)[:1]
    if chosen:
        draft.provider_field = chosen[0].name
    keys = [
        f
        for f in draft.fields
        if f.column.type in ("text", "code", "integer")
        and f.column.required
        and f.column.blank == 0
        and unique[f.name] <= max(0.01 * f.column.rows / max(len(tables), 1), 0)
        and f.name not in (draft.period_field, draft.provider_field)
        and f.column.filled > 1
    ]
    # an ID of the row's own (a referral's, an episode's) before a person's, which repeats
    keys.sort(
        key=lambda f: (
            f.column.sensitive is not None,
            not (ID_WORDS & set(words(f.column.header))),
            unique[f.name],
        )
    )
    if keys:
        draft.key = keys[0].name


# -- the YAML ---------------------------------------------------------------------------------


def quote(value: Any) -> str:
    """A YAML scalar, quoted where YAML would read it as something else."""
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    return text.removesuffix("\n...\n").rstrip("\n")


ACRONYMS = {"id", "nhs", "la", "gp", "uk", "ons", "dob", "ni", "uln", "upn", "ed", "los"}


def _label(header: str) -> str:
    """``home_la`` as Home LA, ``Ethnic group`` as it is."""
    if not NAME_RE.match(header.strip()):
        return header.strip()
    parts = [w.upper() if w in ACRONYMS else w for w in words(header)]
    spaced = " ".join(parts)
    return (spaced[:1].upper() + spaced[1:]) if spaced else header


def render(draft: Draft, name: str, title: str | None, *, probe: bool = False) -> str:
    """The draft as YAML, with comments for people. ``probe`` gives every field and rule a
    tolerance of everything, to count the samples' errors by field and rule."""
    from lp_audit import __version__

    files = draft.files
    out = [
        f"# A draft definition inferred by lp-audit {__version__} from {len(files)} sample "
        f"return(s), {draft.rows:,} rows:",
        *(f"#   {path}" for path in files[:6]),
        *([f"#   and {len(files) - 6} more"] if len(files) > 6 else []),
        "# Check every field, fill in each TODO, and run `lp-audit definitions check` on it.",
        "# Columns that look sensitive are marked sensitive: true, and none of their values is",
        "# copied here. The format is described in the lp_audit README.",
        "format: lp-audit/definition-1",
        f"name: {quote(name)}",
        'version: "0.1"',
        f"title: {quote(title or 'TODO the title of the return')}",
        "description: TODO say what the return is, who sends it, and what a row is.",
    ]
    if draft.period_field or draft.provider_field:
        out.append("return:")
        if draft.period_field:
            out.append(f"  period_field: {draft.period_field}  # the same period on every row")
        if draft.provider_field:
            out.append(f"  provider_field: {draft.provider_field}  # the same on every row")
    else:
        out.append(
            "# no column names the period (like 2025-26 Q2) or the provider on every row: add"
        )
        out.append("# return: {period_field: ..., provider_field: ...} if the returns have them")
    formats: dict[str, int] = {}
    for f in draft.fields:
        for fmt, n in f.column.date_formats.items():
            if not f.column.sensitive:
                formats[fmt] = formats.get(fmt, 0) + n
    if formats:
        main = max(formats, key=lambda k: formats[k])
        others = [k for k in formats if k != main]
        spelled = (
            f"{{format: {main}"
            + (f", accepted_with_warning: [{', '.join(others)}]" if others else "")
            + "}"
        )
        out.append(f"dates: {spelled}")
        if others:
            counts = ", ".join(f"{formats[k]:,} as {k}" for k in [main, *others])
            out.append(f"# dates in the samples: {counts}")
    for note in draft.undecided:
        out.append(f"# NOTE: {note}")
    out.append("")
    out.append("fields:")
    for f in draft.fields:
        out.extend(_field_lines(f, probe))
    if draft.key:
        key = next(f for f in draft.fields if f.name == draft.key)
        out.append("")
        out.append("return_rules:")
        out.append(f"  - id: {draft.key}-unique")
        out.append(f"    unique: [{draft.key}]")
        out.append(f"    message: Each {quote(key.column.header)} appears once in a return.")
        if probe:
            out.append("    tolerance: {warning: 100%}")
        elif key.key_tolerance:
            out.append(f"    tolerance: {key.key_tolerance}  # {key.key_tolerance_note}")
    out.append("")
    return "\n".join(out)


def _field_lines(f: Field, probe: bool) -> list[str]:
    c = f.column
    lines = ["", f"  - name: {f.name}", f"    label: {quote(_label(c.header))}"]
    ftype = "text" if c.type == "date" and c.date_format is None else c.type
    lines.append(f"    type: {ftype}")
    if c.required:
        note = f"  # blank in {c.blank:,} of {c.rows:,} rows of the samples" if c.blank else ""
        lines.append(f"    required: true{note}")
    elif c.filled:
        lines.append(
            f"    # blank in {c.blank:,} of {c.rows:,} rows ({100 * c.blank / c.rows:.0f}%): not "
            "required; if it is required in some cases, write required_when"
        )
    if c.sensitive:
        lines.append(f"    sensitive: true  # {c.sensitive}")
    lines.append("    description: TODO what it records")
    if f.alias:
        lines.append(f"    aliases: [{quote(f.alias)}]  # the samples' header")
    if f.missing_from:
        lines.append(
            f"    # not in {len(f.missing_from)} of the samples: {', '.join(f.missing_from[:3])}"
        )
    if c.normalise:
        lines.append(f"    normalise: [{', '.join(c.normalise)}]")
    if c.separator:
        lines.append(f"    separator: {quote(c.separator)}")
    if c.codes or c.unknown_codes:
        lines.append("    # TODO: give each code its label, as CODE: Label")
        if c.codes:
            lines.append(f"    codes: [{', '.join(quote(v) for v in c.codes)}]")
        if c.unknown_codes:
            lines.append(
                f"    unknown_codes: [{', '.join(quote(v) for v in c.unknown_codes)}]  # they look like 'not known'"
            )
    if c.type in ("integer", "decimal") and c.low is not None and c.high is not None:
        low, high = (int(v) if c.type == "integer" else v for v in (c.low, c.high))
        lines.append("    constraints:")
        lines.append(f"      - range: {{min: {low}, max: {high}}}")
        lines.append("        severity: warning")
        lines.append(
            "        message: Outside the range of the samples, rounded outward; check the value."
        )
    if c.period:
        lines.append("    constraints:")
        lines.append("      - pattern: '^\\d{4}-\\d{2} Q[1-4]$'")
        lines.append("        message: Write the period as YYYY-YY Qn, for example 2025-26 Q2.")
    if c.misfit_count:
        shown = (
            f" (e.g. {', '.join(quote(v) for v in c.misfits)})"
            if c.misfits and not c.sensitive
            else ""
        )
        lines.append(
            f"    # {c.misfit_count:,} value(s) in the samples do not fit this type{shown}"
        )
    for note in c.notes:
        lines.append(f"    # {note}")
    if probe:
        lines.append("    tolerance: {warning: 100%}")
    elif f.tolerance:
        lines.append(f"    tolerance: {f.tolerance}  # {f.tolerance_note}")
    return lines


# -- tolerances from the samples' own errors ---------------------------------------------------


def _tolerate(draft: Draft, paths: list[str], name: str, title: str | None) -> None:
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
        validation = validate_returns(paths, definition, chunk_rows=0)
    worst: dict[str, tuple[float, int]] = {}  # subject -> (share of rows, errors), at most
    kinds: dict[str, dict[str, int]] = {}
    for result in validation.results:
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
    key_rule = f"{draft.key}-unique" if draft.key else None
    for subject, (share, count) in worst.items():
        what = ", ".join(f"{code} ×{n:,}" for code, n in sorted(kinds.get(subject, {}).items()))
        note = (
            f"the samples have {what or 'errors'} (at most {count:,} in one return): lower or "
            "remove it once providers have fixed them"
        )
        if subject == key_rule:
            target = next(f for f in draft.fields if f.name == draft.key)
            target.key_tolerance = f"{{error: {count}}}"
            target.key_tolerance_note = note
            continue
        target = next(f for f in draft.fields if f.name == subject)
        percent = math.ceil(share * 1000) / 10  # one decimal, rounded up
        target.tolerance, target.tolerance_note = f"{{error: {percent:g}%}}", note
    draft.text = render(draft, name, title)
