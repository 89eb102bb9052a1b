"""A draft definition as YAML, with comments for the people who finish it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lp_audit.definitions.model import NAME_RE
from lp_audit.drafting.names import tokens

if TYPE_CHECKING:
    from lp_audit.drafting.model import Draft, Field, Rule


def quote(value: Any) -> str:
    """A YAML scalar, quoted where YAML would read it as something else."""
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    return text.removesuffix("\n...\n").rstrip("\n")


ACRONYMS = {"id", "nhs", "la", "gp", "uk", "ons", "dob", "ni", "uln", "upn", "ed", "los", "ssn"}


def label(header: str) -> str:
    """``home_la`` as Home LA, ``SSNDataQuality`` as SSN data quality, ``RelationshipToHoH``
    as Relationship to HoH, ``Ethnic group`` as it is."""
    if not NAME_RE.match(header.strip()):
        return header.strip()
    mixed = any(c.islower() for c in header)  # in a header all in capitals, no word is an acronym
    parts = [
        w.upper()
        if w.lower() in ACRONYMS or (mixed and len(w) > 1 and w.isupper())
        else w
        if re.fullmatch("[A-Z][a-z][A-Z]", w)  # HoH
        else w.lower()
        for w in tokens(header)
    ]
    spaced = " ".join(parts)
    return (spaced[:1].upper() + spaced[1:]) if spaced else header


def render(draft: Draft, name: str, title: str | None, *, probe: bool = False) -> str:
    """The draft as YAML, with comments for people. ``probe`` gives every field and rule a
    tolerance of everything, to count the samples' errors by field and rule."""
    from lp_audit import __version__

    files = draft.files
    made_of = (
        f"{len(files)} sample file(s) of {len(draft.tables)} tables"
        if draft.tables
        else f"{len(files)} sample return(s)"
    )
    out = [
        f"# A draft definition inferred by lp-audit {__version__} from {made_of}, "
        f"{draft.rows:,} rows:",
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
    if draft.period:
        every, starts, label = draft.period
        spec = f"every: {every}" + (
            ", year_starts: january" if starts == 1 and every != "month" else ""
        )
        out.append(f"period: {{{spec}}}  # the samples' names are for periods like {label}")
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
    if draft.tables:
        out += ["", "tables:"]
        for table in draft.tables:
            out.append(f"  - name: {table.name}")
            if table.file:
                out.append(f"    file: {quote(table.file)}  # the name of its files")
            out.extend(_wrapped("    fields: [", table.fields, "]"))
            if table.key:
                out.append(f"    key: [{', '.join(table.key)}]")
            else:
                out.append(
                    "    # no field, or two, has a value of its own in every row of the samples:"
                    " write key: [...] with those that identify a row"
                )
    for section, kinds in (("rules", ("link", "order")), ("return_rules", ("unique",))):
        rules = [r for r in draft.rules if r.kind in kinds]
        if rules:
            out += ["", f"{section}:"]
            for rule in rules:
                out.extend(_rule_lines(rule, probe))
    out.append("")
    return "\n".join(out)


def _wrapped(start: str, names: list[str], end: str, width: int = 96) -> list[str]:
    """``start`` and ``names`` joined by commas, then ``end``, in lines of up to ``width``."""
    lines, line = [], start
    for i, name in enumerate(names):
        item = name + ("," if i < len(names) - 1 else end)
        if len(line) + len(item) + 1 > width and line.strip() != start.strip():
            lines.append(line.rstrip())
            line = " " * len(start)
        line += item + " "
    lines.append(line.rstrip() if names else start + end)
    return lines


def _rule_lines(rule: Rule, probe: bool) -> list[str]:
    lines = [f"  - id: {quote(rule.id)}"]
    if rule.table:
        lines.append(f"    table: {rule.table}")
    if rule.kind == "unique":
        lines.append(f"    unique: [{', '.join(rule.fields)}]")
    elif rule.kind == "order":
        lines.append(f"    check: {{compare: {rule.fields[0]} {rule.op} {rule.fields[1]}}}")
    else:
        lines.append(f"    check: {{field: {rule.other}.{rule.fields[0]}, blank: false}}")
    lines.append(f"    message: {quote(rule.message)}")
    if rule.note:
        lines.append(f"    # {rule.note}")
    if probe:
        lines.append("    tolerance: {warning: 100%}")
    elif rule.tolerance:
        lines.append(f"    tolerance: {rule.tolerance}  # {rule.tolerance_note}")
    return lines


def _field_lines(f: Field, probe: bool) -> list[str]:
    c = f.column
    lines = ["", f"  - name: {f.name}", f"    label: {quote(label(c.header))}"]
    ftype = "text" if c.type == "date" and c.date_format is None else c.type
    lines.append(f"    type: {ftype}")
    if ftype == "date" and c.time:
        lines.append(f"    time: {c.time}  # a time of day after the date")
    if c.required:
        note = f"  # blank in {c.blank:,} of {c.rows:,} rows of the samples" if c.blank else ""
        lines.append(f"    required: true{note}")
    elif f.required_when:
        condition, note = f.required_when
        lines.append(f"    required_when: {condition}")
        lines.append(f"    # blank in {c.blank:,} of {c.rows:,} rows; required when: {note}")
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
    constraints = []
    if c.type in ("integer", "decimal") and c.low is not None and c.high is not None:
        low, high = (int(v) if c.type == "integer" else v for v in (c.low, c.high))
        constraints += [
            f"      - range: {{min: {low}, max: {high}}}",
            "        severity: warning",
            "        message: Outside the range of the samples, rounded outward; check the value.",
        ]
    if c.period:
        constraints += [
            "      - pattern: '^\\d{4}-\\d{2} Q[1-4]$'",
            "        message: Write the period as YYYY-YY Qn, for example 2025-26 Q2.",
        ]
    if c.pattern:
        constraints += [
            f"      - pattern: {quote(c.pattern[0])}",
            "        severity: warning",
            f"        message: {quote(c.pattern[1])}",
        ]
    if constraints:
        lines += ["    constraints:", *constraints]
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
