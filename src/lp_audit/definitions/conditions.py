"""The small, fixed condition language used by definitions: no eval, no query strings.

A condition is one of::

    {field: F, equals: V}      {field: F, not_equals: V}
    {field: F, in: [V, ...]}   {field: F, not_in: [V, ...]}
    {field: F, blank: true}    {field: F, blank: false}
    {field: F, contains: V}    # a multi-code field holds V among its codes
    {compare: "LEFT OP RIGHT [+|- N days]"}
    {all: [C, ...]}   {any: [C, ...]}   {not: C}

``compare`` operands are field names, ``period.start``, ``period.end``, ``today`` or whole
numbers; ``OP`` is one of ``< <= > >= == !=``. The text is matched against one regular
expression and never executed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FieldOp = Literal["equals", "not_equals", "in", "not_in", "blank", "contains"]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
OperandKind = Literal["field", "period_start", "period_end", "today", "number", "date"]

FIELD_OPS: tuple[FieldOp, ...] = ("equals", "not_equals", "in", "not_in", "blank", "contains")
SPECIAL_OPERANDS: dict[str, OperandKind] = {
    "period.start": "period_start",
    "period.end": "period_end",
    "today": "today",
}
_COMPARE_RE = re.compile(
    r"^\s*(?P<left>[A-Za-z_][\w.]*|\d{4}-\d{2}-\d{2}|\d+)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<right>[A-Za-z_][\w.]*|\d{4}-\d{2}-\d{2}|\d+)"
    r"(?:\s*(?P<sign>[+-])\s*(?P<days>\d+)\s*days?)?\s*$"
)
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
    """One side of a comparison."""

    kind: OperandKind
    value: str

    def describe(self, labels: Mapping[str, str]) -> str:
        """Plain-English name of the operand, using field labels."""
        if self.kind == "field":
            return labels.get(self.value, self.value)
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

    def fields(self) -> tuple[str, ...]:
        return (self.field,)

    def renamed(self, mapping: Mapping[str, str]) -> FieldTest:
        return FieldTest(mapping.get(self.field, self.field), self.op, self.values, self.blank)

    def describe(self, labels: Mapping[str, str]) -> str:
        name = labels.get(self.field, self.field)
        if self.op == "blank":
            return f"{name} is {'blank' if self.blank else 'filled in'}"
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
    """A comparison of two operands, optionally shifted by a number of days."""

    left: Operand
    op: CompareOp
    right: Operand
    days: int = 0

    def fields(self) -> tuple[str, ...]:
        return tuple(o.value for o in (self.left, self.right) if o.kind == "field")

    def renamed(self, mapping: Mapping[str, str]) -> Compare:
        def ren(o: Operand) -> Operand:
            return Operand(o.kind, mapping.get(o.value, o.value)) if o.kind == "field" else o

        return Compare(ren(self.left), self.op, ren(self.right), self.days)

    def describe(self, labels: Mapping[str, str]) -> str:
        right = self.right.describe(labels)
        if self.days:
            right += f" {'plus' if self.days > 0 else 'minus'} {abs(self.days)} days"
        return f"{self.left.describe(labels)} is {_OP_WORDS[self.op]} {right}"


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


def parse_operand(text: str) -> Operand:
    """Turn one side of a ``compare`` expression into an operand."""
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
    """Parse ``LEFT OP RIGHT [+|- N days]``.

    Raises:
        ValueError: with a message for the definition author.
    """
    match = _COMPARE_RE.match(text)
    if not match:
        raise ValueError(
            f"cannot read the comparison {text!r}: write it as "
            "'field_a <= field_b' (or a date such as 2015-04-01, period.start, today, a whole "
            "number), optionally followed by '+ 14 days'"
        )
    days = int(match["days"] or 0) * (-1 if match["sign"] == "-" else 1)
    op: CompareOp = match["op"]  # type: ignore[assignment]
    return Compare(parse_operand(match["left"]), op, parse_operand(match["right"]), days)
