"""Cross-reference checks on a whole definition: every problem, each with its line."""

from __future__ import annotations

import difflib

from lp_audit.definitions.conditions import (
    TEXT_OPS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
)
from lp_audit.definitions.model import (
    Definition,
    Field,
    header_key,
)
from lp_audit.definitions.reader import ParserBase


def check_definition(parser: ParserBase, definition: Definition) -> None:
    fields = {f.name: f for f in definition.fields}
    seen: dict[str, Field] = {}
    for f in definition.fields:
        if f.name in seen:
            parser.problem((), f"field {f.name!r} is defined twice", line=f.line)
        seen[f.name] = f
    header_names: dict[str, str] = {}
    for f in definition.fields:
        for alias in (f.name, f.label, *f.aliases):
            key = header_key(alias)
            other = header_names.get(key)
            if other is not None and other != f.name:
                parser.problem(
                    (),
                    f"fields.{f.name}: header {alias!r} would also match field {other!r}",
                    line=f.line,
                )
            header_names.setdefault(key, f.name)
    for role in ("period_field", "provider_field"):
        name = getattr(definition, role)
        if name is not None and name not in fields:
            parser.problem(("return", role), f"no field called {name!r}")

    def check_condition(cond: Condition, where: str, line: int | None) -> None:
        for name in cond.fields():
            if name not in fields:
                hint = difflib.get_close_matches(name, list(fields), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                parser.problem(
                    (),
                    f"{where}: refers to a field {name!r} that does not exist{suggestion}",
                    line=line,
                )
        for test in _field_tests(cond):
            if test.op == "in_codes_of":
                source = fields.get(test.of or "")
                if source is None or not source.is_coded:
                    parser.problem(
                        (),
                        f"{where}: in_codes_of names {test.of!r}, which is not a field with "
                        "codes (give a code or multi_code field)",
                        line=line,
                    )
                continue
            target = fields.get(test.field)
            if target is not None and test.op in TEXT_OPS and target.type not in ("text", "code"):
                parser.problem(
                    (),
                    f"{where}: {test.op} tests the text of a text or code field, and "
                    f"{test.field} is a {target.type} field",
                    line=line,
                )
                continue
            if target is None or not target.is_coded or test.op in TEXT_OPS:
                continue
            for value in test.values:
                if target.code_label(value) is None:
                    parser.problem(
                        (), f"{where}: {value!r} is not a code of {test.field}", line=line
                    )
        for comp in _compares(cond):
            for age in (o for o in (comp.left, comp.right) if o.kind == "years"):
                for part in age.parts:
                    if part.kind == "number" or (
                        part.kind == "field"
                        and part.value in fields
                        and fields[part.value].type != "date"
                    ):
                        parser.problem(
                            (),
                            f"{where}: {age.value} counts the years between two dates, and "
                            f"{part.value!r} is not a date (give a date field, period.start, "
                            "period.end, today or a date such as 2015-04-01)",
                            line=line,
                        )
            kinds = {
                fields[o.value].type if o.value in fields else None
                for o in (comp.left, comp.right)
                if o.kind == "field"
            }
            specials = {o.kind for o in (comp.left, comp.right) if o.kind != "field"}
            numeric = kinds <= {"integer", "decimal", None} and specials <= {"number", "years"}
            dated = kinds <= {"date", None} and specials <= {
                "period_start",
                "period_end",
                "today",
                "date",
            }
            textual = (
                kinds <= {"text", "code", None}
                and not specials
                and comp.op in ("==", "!=")
                and not comp.shift
            )
            if not (numeric or dated or textual) or (comp.shift and not dated):
                parser.problem(
                    (),
                    f"{where}: cannot compare {comp.describe(definition.labels())}: a compare "
                    "takes two numbers (years(A, B), the whole years between two dates, is a "
                    "number), two dates (period.start, period.end, today and YYYY-MM-DD are "
                    "dates; '+ N days', weeks, months or years shifts the second), or two text "
                    "or code fields with == or != "
                    f"(here: {', '.join(sorted(str(k) for k in kinds | specials))})",
                    line=line,
                )

    for f in definition.fields:
        if f.required_when is not None:
            check_condition(f.required_when, f"fields.{f.name}.required_when", f.line)
    ids: set[str] = set()
    for rule in definition.rules:
        if rule.id in ids:
            parser.problem((), f"rules.{rule.id}: the rule id is used twice", line=rule.line)
        ids.add(rule.id)
        check_condition(rule.check, f"rules.{rule.id}.check", rule.line)
        if rule.when is not None:
            check_condition(rule.when, f"rules.{rule.id}.when", rule.line)
    for metric in definition.metrics:
        where = f"metrics.{metric.id}"
        for name in metric.fields:
            if name not in fields:
                parser.problem(
                    (), f"{where}: refers to a field {name!r} that does not exist", line=metric.line
                )
        for cond in (metric.where, metric.of):
            if cond is not None:
                check_condition(cond, where, metric.line)
        if metric.field in fields and fields[metric.field].type not in ("integer", "decimal"):
            parser.problem(
                (),
                f"{where}: the mean needs a number field, not {metric.field!r}",
                line=metric.line,
            )
        for name in (metric.start, metric.end):
            if name in fields and fields[name].type != "date":
                parser.problem((), f"{where}: {name!r} is not a date field", line=metric.line)
    if definition.continuity is not None:
        c = definition.continuity
        for name in (c.id_field, *c.same, *c.open_when.fields()):
            if name not in fields:
                parser.problem((), f"continuity: refers to a field {name!r} that does not exist")
    for rrule in definition.return_rules:
        if rrule.id in ids:
            parser.problem(
                (), f"return_rules.{rrule.id}: the rule id is used twice", line=rrule.line
            )
        ids.add(rrule.id)
        for name in (*rrule.fields, *rrule.differ):
            if name not in fields:
                parser.problem(
                    (),
                    f"return_rules.{rrule.id}: refers to a field {name!r} that does not exist",
                    line=rrule.line,
                )


def _field_tests(cond: Condition) -> list[FieldTest]:
    if isinstance(cond, FieldTest):
        return [cond]
    if isinstance(cond, AllOf | AnyOf):
        return [t for c in cond.conditions for t in _field_tests(c)]
    if isinstance(cond, Not):
        return _field_tests(cond.condition)
    return []


def _compares(cond: Condition) -> list[Compare]:
    if isinstance(cond, Compare):
        return [cond]
    if isinstance(cond, AllOf | AnyOf):
        return [t for c in cond.conditions for t in _compares(c)]
    if isinstance(cond, Not):
        return _compares(cond.condition)
    return []
