"""The small, fixed condition language used by definitions: no eval, no query strings.

A condition is one of::

    {field: F, equals: V}      {field: F, not_equals: V}
    {field: F, in: [V, ...]}   {field: F, not_in: [V, ...]}
    {field: F, blank: true}    {field: F, blank: false}
    {field: F, contains: V}    # a multi-code field holds V among its codes
    {field: F, starts_with: V} # or a list: text that starts with any of them
    {field: F, length: N}      # or {min: N, max: M}: text of that many characters
    {field: F, in_codes_of: G} # one of the codes of field G (a placement LA among LAs)
    {compare: "LEFT OP RIGHT [+|- N days|weeks|months|years]"}
    {all: [C, ...]}   {any: [C, ...]}   {not: C}

``compare`` operands are field names, ``period.start``, ``period.end``, ``today``, dates
(``2015-04-01``), whole numbers, ``years(A, B)``: the whole years from date A to date B (an
age at a date, for A a date of birth), ``days(A, B)``: the days from date A to date B, or
``minutes(A, B)``: the whole minutes from date and time A to date and time B (two fields with
``time: required``; not known where either is blank or unreadable).

In a rule over a key's rows (a rule with ``group``), a field may be read from another row of
the same group, in its order: ``previous.F``, ``next.F``, ``first.F``, ``last.F`` (in a
``compare`` or a field test), and a compare may use the group's ``count()``, ``sum(X)``,
``min(X)`` or ``max(X)``, where X is a field or ``days(A, B)``. A shift in months or years is calendar arithmetic: a
day past the end of the month it lands in is that month's last day (2024-01-31 + 1 month is
2024-02-29). ``OP`` is one of ``< <= > >= == !=``. The text is matched against regular
expressions and never executed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Literal, get_args

FieldOp = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "blank",
    "contains",
    "starts_with",
    "length",
    "in_codes_of",
]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
OperandKind = Literal[
    "field",
    "period_start",
    "period_end",
    "today",
    "number",
    "date",
    "years",
    "days",
    "minutes",
    "count",
    "sum",
    "min",
    "max",
    "lookup",
    "rows_in",
]
ShiftUnit = Literal["days", "months"]

FIELD_OPS: tuple[FieldOp, ...] = get_args(FieldOp)
#: Tests of a field's text (not of its codes): the field must be text or a code.
TEXT_OPS: tuple[FieldOp, ...] = ("starts_with", "length")
SPECIAL_OPERANDS: dict[str, OperandKind] = {
    "period.start": "period_start",
    "period.end": "period_end",
    "today": "today",
}
_SIMPLE = r"[A-Za-z_][\w.]*|\d{4}-\d{2}-\d{2}|\d+"
_PAIR = rf"(?:years|days|minutes)\(\s*(?:{_SIMPLE})\s*,\s*(?:{_SIMPLE})\s*\)"
_OPERAND = (
    rf"(?:sum|min|max)\(\s*(?:{_PAIR}|{_SIMPLE})\s*\)|count\(\s*(?:[A-Za-z_]\w*)?\s*\)|{_PAIR}"
    rf"|[A-Za-z_]\w*\(\s*(?:{_SIMPLE})\s*\)|{_SIMPLE}"
)
_COMPARE_RE = re.compile(
    rf"^\s*(?P<left>{_OPERAND})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_OPERAND})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<count>\d+)\s*(?P<unit>days?|weeks?|months?|years?))?\s*$"
)
_PAIR_RE = re.compile(
    rf"^(?P<kind>years|days|minutes)\(\s*(?P<a>{_SIMPLE})\s*,\s*(?P<b>{_SIMPLE})\s*\)$"
)
_AGGREGATE_RE = re.compile(r"^(?P<kind>sum|min|max|count)\(\s*(?P<inner>.*?)\s*\)$")
_LOOKUP_RE = re.compile(rf"^(?P<name>[A-Za-z_]\w*)\(\s*(?P<inner>{_SIMPLE})\s*\)$")
#: the words of compares that look like a function: no lookup may be named so
RESERVED_FUNCTIONS = ("count", "sum", "min", "max", "years", "days", "minutes")
#: where another row of the same group is read from: ``previous.F`` is F on the row before
RELATIVES = ("previous", "next", "first", "last")
#: what a group's rows add up to, in a compare of a rule with ``group``
AGGREGATES: tuple[OperandKind, ...] = ("count", "sum", "min", "max")


#: where a field is read from the previous return: ``before.F`` is F on the matching row
BEFORE = "before"


def split_name(name: str) -> tuple[str | None, str]:
    """``previous.end_date`` as ``("previous", "end_date")``, ``before.dob`` as ``("before",
    "dob")``, ``header.DOB`` (a field of another table) as ``("header", "DOB")``; a plain field
    name as ``(None, name)``."""
    head, dot, rest = name.partition(".")
    if dot:  # a field name has no dot: anything before one is where it is read from
        return head, rest
    return None, name


def _relative_words(name: str, labels: Mapping[str, str]) -> str:
    relative, base = split_name(name)
    label = labels.get(base, base)
    if relative is None:
        return label
    if relative == BEFORE:
        return f"{label} in the previous return"
    if relative not in RELATIVES:
        return f"{label} of the matching row of {relative}"
    return (
        f"{label} of the {relative} row"
        if relative in ("first", "last")
        else (f"{label} on the {relative} row")
    )


_NUMBER_WORDS = {
    "<": "less than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
    "==": "equal to",
    "!=": "other than",
}
_OP_WORDS = {
    "<": "before",
    "<=": "on or before",
    ">": "after",
    ">=": "on or after",
    "==": "the same as",
    "!=": "different from",
}


@dataclass(frozen=True)
class Operand:
    """One side of a comparison; for ``years(A, B)``, ``parts`` are A and B."""

    kind: OperandKind
    value: str
    parts: tuple[Operand, ...] = ()
    #: for a lookup, the table's (key, value) rows (filled in once the whole definition is
    #: read, see :func:`with_codes`)
    table: tuple[tuple[str, str], ...] = dataclass_field(default=(), repr=False, compare=False)

    @property
    def inner(self) -> str:
        """What is between the brackets: the table of ``count(episodes)``."""
        return self.value[self.value.index("(") + 1 : -1]

    @property
    def function(self) -> str:
        """A lookup's name (``la_of_district`` in ``la_of_district(home_district)``)."""
        return self.value.split("(", 1)[0]

    def fields(self) -> tuple[str, ...]:
        """The fields it reads (``end_date`` for ``previous.end_date``)."""
        if self.kind == "field":
            return (split_name(self.value)[1],)
        return tuple(f for part in self.parts for f in part.fields())

    def names(self) -> tuple[str, ...]:
        """The fields as written, relatives included (``previous.end_date``)."""
        if self.kind == "field":
            return (self.value,)
        return tuple(n for part in self.parts for n in part.names())

    def grouped(self) -> bool:
        """Whether it needs the rows of a group: a relative or an aggregate."""
        if self.kind in AGGREGATES:
            return True
        return any(split_name(n)[0] in RELATIVES for n in self.names())

    def renamed(self, mapping: Mapping[str, str]) -> Operand:
        if self.kind == "field":
            relative, base = split_name(self.value)
            new = mapping.get(base, base)
            return Operand("field", f"{relative}.{new}" if relative else new)
        if self.kind == "lookup":
            inner = self.parts[0].renamed(mapping)
            return Operand("lookup", f"{self.function}({inner.value})", (inner,), self.table)
        if self.parts:
            return _composite(self.kind, tuple(p.renamed(mapping) for p in self.parts))
        return self

    def describe(self, labels: Mapping[str, str]) -> str:
        """Plain-English name of the operand, using field labels."""
        if self.kind == "field":
            return _relative_words(self.value, labels)
        if self.kind in ("years", "days", "minutes"):
            start, end = (p.describe(labels) for p in self.parts)
            whole = {"years": "whole years", "days": "days", "minutes": "minutes"}[self.kind]
            return f"the {whole} from {start} to {end}"
        if self.kind == "count":
            return "the number of rows of the group"
        if self.kind == "rows_in":
            return f"the number of rows of {self.inner} with the same key"
        if self.kind == "lookup":
            return f"{self.function} of {self.parts[0].describe(labels)}"
        if self.kind in ("sum", "min", "max"):
            inner = self.parts[0].describe(labels)
            word = {"sum": "total", "min": "smallest", "max": "largest"}[self.kind]
            return f"the {word} of {inner} over the group's rows"
        return {
            "period_start": "the start of the return period",
            "period_end": "the end of the return period",
            "today": "today",
            "number": self.value,
            "date": self.value,
        }[self.kind]


@dataclass(frozen=True)
class FieldTest:
    """A test of one field's value."""

    field: str
    op: FieldOp
    values: tuple[str, ...] = ()
    blank: bool = False
    #: for ``in_codes_of``, the field whose codes ``values`` are (filled in once the whole
    #: definition is read, see :func:`with_codes`)
    of: str | None = None

    def fields(self) -> tuple[str, ...]:
        """The field it reads (``placement`` for ``previous.placement``)."""
        return (split_name(self.field)[1],)

    def renamed(self, mapping: Mapping[str, str]) -> FieldTest:
        of = mapping.get(self.of, self.of) if self.of is not None else None
        relative, base = split_name(self.field)
        new = mapping.get(base, base)
        name = f"{relative}.{new}" if relative else new
        return FieldTest(name, self.op, self.values, self.blank, of)

    def describe(self, labels: Mapping[str, str]) -> str:
        name = _relative_words(self.field, labels)
        if self.op == "blank":
            return f"{name} is {'blank' if self.blank else 'filled in'}"
        if self.op == "length":
            low, high = self.values
            if low == high:
                return f"{name} is {low} characters long"
            if not high:
                return f"{name} has at least {low} characters"
            if not low:
                return f"{name} has at most {high} characters"
            return f"{name} has {low} to {high} characters"
        if self.op == "starts_with":
            return f"{name} starts with {' or '.join(self.values)}"
        if self.op == "in_codes_of":
            return f"{name} is one of the codes of {labels.get(self.of or '', self.of)}"
        joined = ", ".join(self.values)
        return {
            "equals": f"{name} is {joined}",
            "not_equals": f"{name} is not {joined}",
            "in": f"{name} is one of {joined}",
            "not_in": f"{name} is not one of {joined}",
            "contains": f"{name} includes {joined}",
        }[self.op]


@dataclass(frozen=True)
class Compare:
    """A comparison of two operands, the right one optionally shifted: by ``shift`` days, or
    by ``shift`` calendar months (``unit="months"``; a year is 12)."""

    left: Operand
    op: CompareOp
    right: Operand
    shift: int = 0
    unit: ShiftUnit = "days"

    def fields(self) -> tuple[str, ...]:
        return (*self.left.fields(), *self.right.fields())

    def renamed(self, mapping: Mapping[str, str]) -> Compare:
        return Compare(
            self.left.renamed(mapping), self.op, self.right.renamed(mapping), self.shift, self.unit
        )

    def describe(self, labels: Mapping[str, str]) -> str:
        right = self.right.describe(labels)
        if self.shift:
            count, unit = abs(self.shift), str(self.unit)
            if unit == "months" and count % 12 == 0:
                count, unit = count // 12, "years"
            if count == 1:
                unit = unit.removesuffix("s")
            right += f" {'plus' if self.shift > 0 else 'minus'} {count} {unit}"
        numeric = {self.left.kind, self.right.kind} & {"number", "years", "minutes"}
        words = _NUMBER_WORDS if numeric else _OP_WORDS
        return f"{self.left.describe(labels)} is {words[self.op]} {right}"


@dataclass(frozen=True)
class AllOf:
    """True when every condition holds."""

    conditions: tuple[Condition, ...]

    def fields(self) -> tuple[str, ...]:
        return tuple(f for c in self.conditions for f in c.fields())

    def renamed(self, mapping: Mapping[str, str]) -> AllOf:
        return AllOf(tuple(c.renamed(mapping) for c in self.conditions))

    def describe(self, labels: Mapping[str, str]) -> str:
        return " and ".join(c.describe(labels) for c in self.conditions)


@dataclass(frozen=True)
class AnyOf:
    """True when at least one condition holds."""

    conditions: tuple[Condition, ...]

    def fields(self) -> tuple[str, ...]:
        return tuple(f for c in self.conditions for f in c.fields())

    def renamed(self, mapping: Mapping[str, str]) -> AnyOf:
        return AnyOf(tuple(c.renamed(mapping) for c in self.conditions))

    def describe(self, labels: Mapping[str, str]) -> str:
        return "(" + " or ".join(c.describe(labels) for c in self.conditions) + ")"


@dataclass(frozen=True)
class Not:
    """True when the condition does not hold."""

    condition: Condition

    def fields(self) -> tuple[str, ...]:
        return self.condition.fields()

    def renamed(self, mapping: Mapping[str, str]) -> Not:
        return Not(self.condition.renamed(mapping))

    def describe(self, labels: Mapping[str, str]) -> str:
        return f"not ({self.condition.describe(labels)})"


Condition = FieldTest | Compare | AllOf | AnyOf | Not


def with_codes(
    condition: Condition,
    codes: Mapping[str, tuple[str, ...]],
    tables: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> Condition:
    """``condition`` with each ``in_codes_of`` test given the codes of the field it names,
    and each lookup its table."""
    if isinstance(condition, FieldTest):
        if condition.op == "in_codes_of" and condition.of is not None:
            return FieldTest(
                condition.field, "in_codes_of", codes.get(condition.of, ()), of=condition.of
            )
        return condition
    if isinstance(condition, Compare):
        if tables is None:
            return condition
        return replace(
            condition,
            left=_with_table(condition.left, tables),
            right=_with_table(condition.right, tables),
        )
    if isinstance(condition, AllOf):
        return AllOf(tuple(with_codes(c, codes, tables) for c in condition.conditions))
    if isinstance(condition, AnyOf):
        return AnyOf(tuple(with_codes(c, codes, tables) for c in condition.conditions))
    if isinstance(condition, Not):
        return Not(with_codes(condition.condition, codes, tables))
    return condition


def _with_table(operand: Operand, tables: Mapping[str, tuple[tuple[str, str], ...]]) -> Operand:
    if operand.kind == "lookup":
        return replace(operand, table=tables.get(operand.function, ()))
    if operand.parts:
        return replace(operand, parts=tuple(_with_table(p, tables) for p in operand.parts))
    return operand


def _composite(kind: OperandKind, parts: tuple[Operand, ...]) -> Operand:
    """An operand made of others, its value the canonical text (``sum(days(a, b))``): the
    name of the column a group's values are kept in."""
    inner = ", ".join(p.value for p in parts)
    return Operand(kind, f"{kind}({inner})", parts)


def parse_operand(text: str) -> Operand:
    """Turn one side of a ``compare`` expression into an operand."""
    text = text.strip()
    pair = _PAIR_RE.match(text)
    if pair:
        parts = (parse_operand(pair["a"]), parse_operand(pair["b"]))
        return _composite(pair["kind"], parts)  # type: ignore[arg-type]
    aggregate = _AGGREGATE_RE.match(text)
    if aggregate:
        if aggregate["kind"] == "count":
            if aggregate["inner"]:  # the rows of another table with this row's key
                return Operand("rows_in", f"count({aggregate['inner']})")
            return Operand("count", "count()")
        return _composite(aggregate["kind"], (parse_operand(aggregate["inner"]),))  # type: ignore[arg-type]
    lookup = _LOOKUP_RE.match(text)
    if lookup:
        inner = parse_operand(lookup["inner"])
        return Operand("lookup", f"{lookup['name']}({inner.value})", (inner,))
    if text in SPECIAL_OPERANDS:
        return Operand(SPECIAL_OPERANDS[text], text)
    if text.isdigit():
        return Operand("number", text)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        import datetime as dt

        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date (write dates as YYYY-MM-DD)") from None
        return Operand("date", text)
    return Operand("field", text)


def parse_compare(text: str) -> Compare:
    """Parse ``LEFT OP RIGHT [+|- N days|weeks|months|years]``.

    Raises:
        ValueError: with a message for the definition author.
    """
    match = _COMPARE_RE.match(text)
    if not match:
        raise ValueError(
            f"cannot read the comparison {text!r}: write it as "
            "'field_a <= field_b' (or a date such as 2015-04-01, period.start, today, a whole "
            "number, years(date_of_birth, referral_date) for an age, days(start_date, "
            "end_date); in a rule with a group, previous.F, next.F, first.F, last.F, count(), "
            "sum(F), min(F), max(F) or sum(days(A, B))), optionally followed by '+ 14 days' "
            "(or weeks, months, years)"
        )
    count = int(match["count"] or 0) * (-1 if match["sign"] == "-" else 1)
    unit = (match["unit"] or "days").rstrip("s")
    shift, kind = {
        "day": (count, "days"),
        "week": (7 * count, "days"),
        "month": (count, "months"),
        "year": (12 * count, "months"),
    }[unit]
    op: CompareOp = match["op"]  # type: ignore[assignment]
    return Compare(
        parse_operand(match["left"]),
        op,
        parse_operand(match["right"]),
        shift,
        kind,  # type: ignore[arg-type]
    )
