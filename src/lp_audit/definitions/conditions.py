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
(``2015-04-01``), whole numbers, or ``years(A, B)``: the whole years from date A to date B (an
age at a date, for A a date of birth). A shift in months or years is calendar arithmetic: a
day past the end of the month it lands in is that month's last day (2024-01-31 + 1 month is
2024-02-29). ``OP`` is one of ``< <= > >= == !=``. The text is matched against regular
expressions and never executed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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
OperandKind = Literal["field", "period_start", "period_end", "today", "number", "date", "years"]
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
_OPERAND = rf"years\(\s*(?:{_SIMPLE})\s*,\s*(?:{_SIMPLE})\s*\)|{_SIMPLE}"
_COMPARE_RE = re.compile(
    rf"^\s*(?P<left>{_OPERAND})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_OPERAND})"
    r"(?:\s*(?P<sign>[+-])\s*(?P<count>\d+)\s*(?P<unit>days?|weeks?|months?|years?))?\s*$"
)
_YEARS_RE = re.compile(rf"^years\(\s*(?P<a>{_SIMPLE})\s*,\s*(?P<b>{_SIMPLE})\s*\)$")
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

    def fields(self) -> tuple[str, ...]:
        if self.kind == "field":
            return (self.value,)
        return tuple(f for part in self.parts for f in part.fields())

    def renamed(self, mapping: Mapping[str, str]) -> Operand:
        if self.kind == "field":
            return Operand("field", mapping.get(self.value, self.value))
        if self.parts:
            parts = tuple(p.renamed(mapping) for p in self.parts)
            return Operand(self.kind, f"years({parts[0].value}, {parts[1].value})", parts)
        return self

    def describe(self, labels: Mapping[str, str]) -> str:
        """Plain-English name of the operand, using field labels."""
        if self.kind == "field":
            return labels.get(self.value, self.value)
        if self.kind == "years":
            start, end = (p.describe(labels) for p in self.parts)
            return f"the whole years from {start} to {end}"
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
        return (self.field,)

    def renamed(self, mapping: Mapping[str, str]) -> FieldTest:
        of = mapping.get(self.of, self.of) if self.of is not None else None
        return FieldTest(mapping.get(self.field, self.field), self.op, self.values, self.blank, of)

    def describe(self, labels: Mapping[str, str]) -> str:
        name = labels.get(self.field, self.field)
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
        numeric = {self.left.kind, self.right.kind} & {"number", "years"}
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


def with_codes(condition: Condition, codes: Mapping[str, tuple[str, ...]]) -> Condition:
    """``condition`` with each ``in_codes_of`` test given the codes of the field it names."""
    if isinstance(condition, FieldTest):
        if condition.op == "in_codes_of" and condition.of is not None:
            return FieldTest(
                condition.field, "in_codes_of", codes.get(condition.of, ()), of=condition.of
            )
        return condition
    if isinstance(condition, AllOf):
        return AllOf(tuple(with_codes(c, codes) for c in condition.conditions))
    if isinstance(condition, AnyOf):
        return AnyOf(tuple(with_codes(c, codes) for c in condition.conditions))
    if isinstance(condition, Not):
        return Not(with_codes(condition.condition, codes))
    return condition


def parse_operand(text: str) -> Operand:
    """Turn one side of a ``compare`` expression into an operand."""
    text = text.strip()
    years = _YEARS_RE.match(text)
    if years:
        parts = (parse_operand(years["a"]), parse_operand(years["b"]))
        return Operand("years", f"years({parts[0].value}, {parts[1].value})", parts)
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
            "number, or years(date_of_birth, referral_date) for an age), optionally followed "
            "by '+ 14 days' (or weeks, months, years)"
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
