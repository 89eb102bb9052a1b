"""Cross-reference checks on a whole definition: every problem, each with its line."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from lp_audit.definitions.conditions import (
    TEXT_OPS,
    Condition,
    Operand,
    split_name,
)
from lp_audit.definitions.model import (
    Definition,
    Field,
    Group,
    ReturnRule,
    Rule,
    header_key,
)
from lp_audit.definitions.reader import ParserBase
from lp_audit.definitions.walk import (
    before_names,
    compares,
    field_tests,
    grouped_parts,
    own_fields,
    table_counts,
    table_names,
)


def check_definition(parser: ParserBase, definition: Definition) -> None:
    fields = {f.name: f for f in definition.fields}
    lookups = [lookup.name for lookup in definition.lookups]
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
        for test in field_tests(cond):
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
            target = fields.get(split_name(test.field)[1])
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
        for comp in compares(cond):
            for operand in (comp.left, comp.right):
                for problem in _operand_problems(operand, type_of, timed):
                    parser.problem((), f"{where}: {problem}", line=line)
                if operand.kind == "lookup" and operand.function not in lookups:
                    parser.problem(
                        (),
                        f"{where}: no lookup called {operand.function!r} (the definition's "
                        f"lookups: {', '.join(lookups) or 'none'})",
                        line=line,
                    )
            types = {type_of(o) for o in (comp.left, comp.right)}
            numeric = types <= {"number", None}
            dated = types <= {"date", None}
            textual = types <= {"text", None} and comp.op in ("==", "!=") and not comp.shift
            if not (numeric or dated or textual) or (comp.shift and not dated):
                parser.problem(
                    (),
                    f"{where}: cannot compare {comp.describe(definition.labels())}: a compare "
                    "takes two numbers (years(A, B) and days(A, B) between two dates, count(), "
                    "sum(...) are numbers), two dates (period.start, period.end, today and "
                    "YYYY-MM-DD are dates; '+ N days', weeks, months or years shifts the second), "
                    "or two text or code fields with == or != "
                    f"(here: {', '.join(sorted(str(t) for t in types))})",
                    line=line,
                )

    def timed(operand: Operand) -> bool:
        """Whether an operand is a date field that requires a time of day (one that allows
        it has none on some rows, and midnight is not its time)."""
        target = fields.get(split_name(operand.value)[1]) if operand.kind == "field" else None
        return target is not None and target.time == "required"

    def type_of(operand: Operand) -> str | None:
        """What an operand is: a number, a date, text; None for a field that does not exist
        (reported on its own)."""
        if operand.kind == "field":
            target = fields.get(split_name(operand.value)[1])
            if target is None:
                return None
            return _TYPE_WORDS.get(target.type, target.type)
        if operand.kind in ("min", "max"):
            return type_of(operand.parts[0])
        if operand.kind == "lookup":
            return "text"
        return _OPERAND_TYPES[operand.kind]

    def check_before(cond: Condition, where: str, line: int | None, allowed: bool) -> None:
        names = before_names(cond)
        if not names:
            return
        if not allowed:
            parser.problem(
                (),
                f"{where}: {names[0]} reads the previous return, which only a rule can",
                line=line,
            )
        elif definition.previous_return is None:
            parser.problem(
                (),
                f"{where}: {names[0]} reads the matching row of the previous return: say how "
                "rows match, e.g. previous_return: {match: child_id}",
                line=line,
            )

    def check_grouping(
        rule_group: Group | None, cond: Condition, where: str, line: int | None
    ) -> None:
        relatives, aggregates = grouped_parts(cond)
        used = [*relatives, *(a.value for a in aggregates)]
        if not used:
            return
        if rule_group is None:
            parser.problem(
                (),
                f"{where}: {used[0]} reads the other rows of a group, which only a rule with "
                "a group has: add group: {by: [the key field], order: [a date field]}",
                line=line,
            )
        elif relatives and not rule_group.order:
            parser.problem(
                (),
                f"{where}: {relatives[0]} is a row before or after in the group's order: give "
                "the group an order, e.g. group: {by: child_id, order: start_date}",
                line=line,
            )

    for f in definition.fields:
        if f.required_when is not None:
            check_condition(f.required_when, f"fields.{f.name}.required_when", f.line)
            check_grouping(None, f.required_when, f"fields.{f.name}.required_when", f.line)
            check_before(f.required_when, f"fields.{f.name}.required_when", f.line, False)
    ids: set[str] = set()
    for rule in definition.rules:
        if rule.id in ids:
            parser.problem((), f"rules.{rule.id}: the rule id is used twice", line=rule.line)
        ids.add(rule.id)
        check_condition(rule.check, f"rules.{rule.id}.check", rule.line)
        check_grouping(rule.group, rule.check, f"rules.{rule.id}.check", rule.line)
        check_before(rule.check, f"rules.{rule.id}.check", rule.line, True)
        if rule.when is not None:
            check_condition(rule.when, f"rules.{rule.id}.when", rule.line)
            check_grouping(rule.group, rule.when, f"rules.{rule.id}.when", rule.line)
            check_before(rule.when, f"rules.{rule.id}.when", rule.line, True)
        if rule.group is not None:
            for name in (*rule.group.by, *rule.group.order):
                if name not in fields:
                    parser.problem(
                        (),
                        f"rules.{rule.id}.group: refers to a field {name!r} that does not exist",
                        line=rule.line,
                    )
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
                check_grouping(None, cond, where, metric.line)
                check_before(cond, where, metric.line, False)
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
        check_grouping(None, c.open_when, "continuity.open_when", None)
        check_before(c.open_when, "continuity.open_when", None, False)
    _check_tables(parser, definition)
    previous = definition.previous_return
    if previous is not None:
        for name in previous.match:
            if name not in fields:
                parser.problem(
                    (),
                    f"previous_return.match: refers to a field {name!r} that does not exist",
                    line=previous.line,
                )
        if previous.carried_when is not None:
            where = "previous_return.carried.when"
            check_condition(previous.carried_when, where, previous.line)
            check_grouping(None, previous.carried_when, where, previous.line)
            check_before(previous.carried_when, where, previous.line, False)
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


_TYPE_WORDS = {"integer": "number", "decimal": "number", "code": "text"}
_OPERAND_TYPES: dict[str, str] = {
    "number": "number",
    "years": "number",
    "days": "number",
    "minutes": "number",
    "count": "number",
    "rows_in": "number",
    "sum": "number",
    "date": "date",
    "period_start": "date",
    "period_end": "date",
    "today": "date",
}


def _operand_problems(
    operand: Operand, type_of: Callable[[Operand], str | None], timed: Callable[[Operand], bool]
) -> list[str]:
    """What is wrong inside one side of a compare: the dates of years() and days(), the
    dates and times of minutes(), what sum(), min() and max() add up."""
    problems = []
    if operand.kind == "minutes":
        for part in operand.parts:
            if type_of(part) is not None and not timed(part):
                problems.append(
                    f"{operand.value} counts the minutes between two dates and times, and "
                    f"{part.value!r} is not a date field that requires a time (give it "
                    "time: required)"
                )
    if operand.kind in ("years", "days"):
        for part in operand.parts:
            if type_of(part) not in ("date", None):
                problems.append(
                    f"{operand.value} counts the {'years' if operand.kind == 'years' else 'days'} "
                    f"between two dates, and {part.value!r} is not a date (give a date field, "
                    "period.start, period.end, today or a date such as 2015-04-01)"
                )
    if operand.kind in ("sum", "min", "max"):
        inner = operand.parts[0]
        wanted = ("number",) if operand.kind == "sum" else ("number", "date")
        if inner.grouped() or inner.kind not in ("field", "years", "days", "minutes"):
            problems.append(
                f"{operand.value}: {operand.kind}() takes a field, or days(A, B), "
                "minutes(A, B) or years(A, B) of each row"
            )
        elif type_of(inner) not in (*wanted, None):
            problems.append(
                f"{operand.value}: {operand.kind}() needs "
                + ("numbers" if operand.kind == "sum" else "numbers or dates")
                + f", and {inner.value!r} is not"
            )
        else:
            problems += _operand_problems(inner, type_of, timed)
    return problems


def _check_tables(parser: ParserBase, definition: Definition) -> None:
    """The tables of a return of several: their fields and keys, and every rule's place."""
    fields = set(definition.field_names)
    tables = {t.name: t for t in definition.tables}
    seen: set[str] = set()
    for t in definition.tables:
        where = f"tables.{t.name}"
        if t.name in seen:
            parser.problem((), f"{where}: the table name is used twice", line=t.line)
        seen.add(t.name)
        for name in t.fields:
            if name not in fields:
                parser.problem(
                    (), f"{where}: refers to a field {name!r} that does not exist", line=t.line
                )
        for name in t.key:
            if name not in t.fields:
                parser.problem(
                    (),
                    f"{where}.key: {name!r} is not one of the table's fields "
                    f"({', '.join(t.fields)})",
                    line=t.line,
                )
    if tables:
        placed = {n for t in definition.tables for n in t.fields}
        for f in definition.fields:
            if f.name not in placed:
                parser.problem(
                    (), f"fields.{f.name}: the field is in no table: add it to one", line=f.line
                )
    for rrule in definition.return_rules:
        _check_place(parser, definition, f"return_rules.{rrule.id}", rrule)
    for rule in definition.rules:
        where = f"rules.{rule.id}"
        conditions = [c for c in (rule.check, rule.when) if c is not None]
        read = [n for c in conditions for n in table_names(c)]
        own = {n for c in conditions for n in own_fields(c)}
        if rule.group is not None:
            own |= {*rule.group.by, *rule.group.order}
        home = [tables[n] for n in definition.tables_checking(rule)]
        _check_place(parser, definition, where, rule)
        if tables and not home and (rule.table is None or rule.table in tables):
            parser.problem(
                (),
                f"{where}: its fields are not all in one table: read another table's field as "
                "TABLE.FIELD (header.DOB)",
                line=rule.line,
            )
        for operand in (o for c in conditions for o in table_counts(c)):
            if operand.inner not in tables:
                parser.problem(
                    (),
                    f"{where}: {operand.value} counts the rows of table {operand.inner!r}, and "
                    f"there is no table called so (tables: {', '.join(tables) or 'none'})",
                    line=rule.line,
                )
            elif home and (
                not home[0].key or not set(home[0].key) <= set(tables[operand.inner].fields)
            ):
                parser.problem(
                    (),
                    f"{where}: {operand.value} counts the rows of {operand.inner} with the "
                    f"same key as the row of {home[0].name}: give {home[0].name} a key of "
                    f"fields {operand.inner} has too",
                    line=rule.line,
                )
        for name in read:
            other = split_name(name)[0] or ""
            if other not in tables:
                known = ", ".join(tables) or "none: the definition has no tables"
                parser.problem(
                    (),
                    f"{where}: {name} reads table {other!r}, and there is no table called so "
                    f"(tables: {known})",
                    line=rule.line,
                )
                continue
            target = tables[other]
            if not target.key:
                parser.problem(
                    (),
                    f"{where}: {name} reads the matching row of {other}, which has no key: "
                    f"say which fields identify its rows (key: [...])",
                    line=rule.line,
                )
            elif home and not set(target.key) <= set(home[0].fields):
                parser.problem(
                    (),
                    f"{where}: {name} is read from the {other} row with the same "
                    f"{', '.join(target.key)}, and table {home[0].name} does not have "
                    f"{'them' if len(target.key) > 1 else 'it'}",
                    line=rule.line,
                )


def _check_place(
    parser: ParserBase, definition: Definition, where: str, rule: Rule | ReturnRule
) -> None:
    """A rule's table: named, or the one table that has its fields."""
    names = [t.name for t in definition.tables]
    if rule.table is not None and rule.table not in names:
        parser.problem(
            (),
            f"{where}.table: there is no table called {rule.table!r} (tables: "
            f"{', '.join(names) or 'none: the definition has no tables'})",
            line=rule.line,
        )
        return
    homes = definition.tables_checking(rule)
    if rule.table is None and len(homes) > 1:
        parser.problem(
            (),
            f"{where}: its fields are in tables {', '.join(homes)}: say which it checks "
            f"(table: {homes[0]})",
            line=rule.line,
        )
