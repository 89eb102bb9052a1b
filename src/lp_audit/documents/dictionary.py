"""Definitions as documents for providers: a data dictionary, and what changed between versions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lp_audit.definitions import Definition, Field

TYPE_NAMES = {
    "text": "Text",
    "integer": "Whole number",
    "decimal": "Number",
    "date": "Date",
    "code": "Code from the list",
    "multi_code": "Codes from the list",
    "boolean": "Yes or no",
}


@dataclass(frozen=True)
class CodeDoc:
    code: str
    label: str
    unknown: bool


@dataclass(frozen=True)
class FieldDoc:
    """One field, described for a provider's data officer."""

    number: int
    name: str
    label: str
    description: str
    guidance: str
    type: str
    status: str
    codes: tuple[CodeDoc, ...]
    rules: tuple[str, ...]
    aliases: tuple[str, ...]
    example: str
    sensitive: bool


@dataclass(frozen=True)
class DictionaryContext:
    """Everything a data dictionary template shows."""

    title: str
    ref: str
    in_force: str
    description: str
    fields: tuple[FieldDoc, ...]
    rules: tuple[str, ...]
    #: for a return of several tables: each one's name, its file, its fields (labels) and key
    tables: tuple[tuple[str, str, str, str], ...] = ()


def _type_text(f: Field, definition: Definition) -> str:
    name = TYPE_NAMES[f.type]
    if f.type == "date":
        extra = ", ".join(definition.dates_accepted_with_warning)
        form = definition.date_format
        written = {
            None: f"{name}, written {form}",
            "allowed": f"{name}, written {form}, or {form} hh:mm with the time",
            "required": f"{name} and time, written {form} hh:mm",
        }[f.time]
        return written + (f" ({extra} accepted with a warning)" if extra else "")
    if f.type == "multi_code":
        return f"{name}, separated by {f.separator}"
    return name


def field_status(f: Field, definition: Definition) -> str:
    if f.required:
        return "Required"
    if f.required_when is not None:
        return f"Required when {f.required_when.describe(definition.labels())}"
    return "Optional"


def _example(f: Field) -> str:
    if f.example:
        return f.example
    valid = f.valid_codes
    if f.type == "multi_code" and len(valid) > 1:
        return f"{valid[0]}{f.separator}{valid[1]}"
    return valid[0] if valid else ""


def build_dictionary(definition: Definition) -> DictionaryContext:
    """The data dictionary of ``definition`` as a typed context."""
    labels = definition.labels()
    docs = []
    for number, f in enumerate(definition.fields, start=1):
        rules = [c.message or f"Must be {c.describe()}." for c in f.constraints]
        rules = [
            f"{r} ({c.severity})" if c.severity == "warning" else r
            for r, c in zip(rules, f.constraints, strict=True)
        ]
        if f.exclusive_codes:
            rules.append(
                f"{' or '.join(f.exclusive_codes)} must stand alone, not with other codes."
            )
        for rule in definition.rules:
            if f.name in rule.fields:
                when = f" Applies when {rule.when.describe(labels)}." if rule.when else ""
                rules.append(
                    f"{rule.message}{when}" + (" (warning)" if rule.severity == "warning" else "")
                )
        for rrule in definition.return_rules:
            if f.name in rrule.fields:
                rules.append(rrule.message + (" (warning)" if rrule.severity == "warning" else ""))
        docs.append(
            FieldDoc(
                number,
                f.name,
                f.label,
                f.description,
                f.guidance,
                _type_text(f, definition),
                field_status(f, definition),
                tuple(CodeDoc(c.value, c.label, c.unknown) for c in f.codes),
                tuple(rules),
                f.aliases,
                _example(f),
                f.sensitive,
            )
        )
    all_rules = [
        f"{r.message} ({r.id}, {r.severity}"
        + (f"; checked over {r.group.describe(labels)}" if r.group else "")
        + ")"
        for r in definition.rules
    ]
    all_rules += [f"{r.message} ({r.id}, {r.severity})" for r in definition.return_rules]
    return DictionaryContext(
        title=definition.title,
        ref=definition.ref,
        in_force=definition.describe_in_force(),
        description=definition.description,
        fields=tuple(docs),
        rules=tuple(all_rules),
        tables=tuple(
            (
                t.name,
                f"{t.file_name}.csv",
                ", ".join(labels.get(n, n) for n in t.fields),
                ", ".join(labels.get(n, n) for n in t.key) or "none",
            )
            for t in definition.tables
        ),
    )


def render_dictionary(definition: Definition, fmt: str = "html") -> str:
    """The data dictionary as self-contained HTML or as Markdown."""
    from lp_audit.reports import environment

    template = environment(fmt).get_template(
        "dictionary.html" if fmt == "html" else "dictionary.md"
    )
    return str(template.render(doc=build_dictionary(definition)))


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a definition."""

    kind: str  # field-added, field-removed, field-renamed, field-changed, rule-added, ...
    subject: str
    text: str


def diff_definitions(old: Definition, new: Definition) -> list[Change]:
    """What changed from ``old`` to ``new``, in words a provider understands."""
    changes: list[Change] = []
    old_fields = {f.name: f for f in old.fields}
    new_fields = {f.name: f for f in new.fields}
    renamed = {
        alias: f.name
        for f in new.fields
        for alias in f.aliases
        if alias in old_fields and alias not in new_fields and f.name not in old_fields
    }
    for name, f in old_fields.items():
        if name not in new_fields and name not in renamed:
            changes.append(Change("field-removed", name, f"{f.label} ({name}) is removed."))
    for old_name, new_name in renamed.items():
        changes.append(
            Change(
                "field-renamed",
                new_name,
                f"{old_fields[old_name].label} is renamed from {old_name} to {new_name}; the old name is still accepted, with a warning.",
            )
        )
    targets = set(renamed.values())
    for name, f in new_fields.items():
        if name not in old_fields and name not in targets:
            changes.append(
                Change(
                    "field-added",
                    name,
                    f"New field {f.label} ({name}): {field_status(f, new).lower()}, {TYPE_NAMES[f.type].lower()}.",
                )
            )
    pairs = [(old_fields[n], new_fields[n]) for n in new_fields if n in old_fields]
    pairs += [(old_fields[o], new_fields[n]) for o, n in renamed.items()]
    for before, after in pairs:
        subject = after.name
        if before.type != after.type:
            changes.append(
                Change(
                    "field-changed",
                    subject,
                    f"{after.label}: the type changes from {TYPE_NAMES[before.type].lower()} to {TYPE_NAMES[after.type].lower()}.",
                )
            )
        if field_status(before, old) != field_status(after, new):
            changes.append(
                Change(
                    "field-changed",
                    subject,
                    f"{after.label}: was {field_status(before, old).lower()}, now {field_status(after, new).lower()}.",
                )
            )
        before_codes = {c.value: c for c in before.codes}
        after_codes = {c.value: c for c in after.codes}
        for value in after_codes.keys() - before_codes.keys():
            code = after_codes[value]
            kind = "not-known code" if code.unknown else "code"
            changes.append(
                Change("code-added", subject, f"{after.label}: new {kind} {value} ({code.label}).")
            )
        for value in before_codes.keys() - after_codes.keys():
            changes.append(
                Change(
                    "code-removed",
                    subject,
                    f"{after.label}: code {value} ({before_codes[value].label}) is withdrawn.",
                )
            )
        if [c.describe() for c in before.constraints] != [c.describe() for c in after.constraints]:
            changes.append(
                Change("field-changed", subject, f"{after.label}: the checks on its values change.")
            )
        if before.type == after.type == "date" and before.time != after.time:
            says = {
                None: "a date alone",
                "allowed": "a date, with or without a time of day",
                "required": "a date and a time of day",
            }
            changes.append(
                Change(
                    "field-changed",
                    subject,
                    f"{after.label}: was {says[before.time]}, now {says[after.time]}.",
                )
            )
        if before.sensitive != after.sensitive:
            state = "now sensitive" if after.sensitive else "no longer sensitive"
            changes.append(Change("field-changed", subject, f"{after.label} is {state}."))
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    for rule_id in new_rules.keys() - old_rules.keys():
        changes.append(Change("rule-added", rule_id, f"New rule: {new_rules[rule_id].message}"))
    for rule_id in old_rules.keys() - new_rules.keys():
        changes.append(
            Change("rule-removed", rule_id, f"Rule withdrawn: {old_rules[rule_id].message}")
        )
    for rule_id in old_rules.keys() & new_rules.keys():
        a, b = old_rules[rule_id], new_rules[rule_id]
        same_check = a.check.describe(old.labels()) == b.check.describe(new.labels())
        same_when = (a.when.describe(old.labels()) if a.when else "") == (
            b.when.describe(new.labels()) if b.when else ""
        )
        if not (same_check and same_when and a.severity == b.severity and a.message == b.message):
            changes.append(Change("rule-changed", rule_id, f"Rule changed: {b.message}"))
    if old.describe_in_force() != new.describe_in_force():
        changes.append(
            Change(
                "in-force",
                new.ref,
                f"{new.ref} is in force {new.describe_in_force()}; {old.ref} was in force {old.describe_in_force()}.",
            )
        )
    order = {
        "field-removed": 0,
        "field-renamed": 1,
        "field-added": 2,
        "field-changed": 3,
        "code-added": 4,
        "code-removed": 5,
    }
    field_order = {f.name: i for i, f in enumerate(new.fields)} | {
        f.name: 1000 + i for i, f in enumerate(old.fields)
    }
    changes.sort(
        key=lambda c: (order.get(c.kind, 9), field_order.get(c.subject, 2000), c.subject, c.text)
    )
    return changes


def render_diff(old: Definition, new: Definition, fmt: str = "text") -> str:
    """The changes as plain text, Markdown release notes, or JSON."""
    import json

    changes = diff_definitions(old, new)
    if fmt == "json":
        document: dict[str, Any] = {
            "from": old.ref,
            "to": new.ref,
            "changes": [asdict(c) for c in changes],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        from lp_audit.reports import markdown_cell

        lines = [f"# Changes from {old.ref} to {new.ref}", ""]
        lines += [f"- {markdown_cell(c.text)}" for c in changes] or ["No changes."]
        return "\n".join(lines) + "\n"
    lines = [f"Changes from {old.ref} to {new.ref}:"]
    lines += [f"  - {c.text}" for c in changes] or ["  No changes."]
    return "\n".join(lines) + "\n"
