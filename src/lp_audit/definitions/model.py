"""The frozen model of a definition: fields, codes, constraints, rules, metrics."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from lp_audit.definitions.conditions import (
    Condition,
    split_name,
)
from lp_audit.definitions.forms import TimeOfDay
from lp_audit.definitions.links import Continuity, Lookup, PreviousReturn, Severity, Table
from lp_audit.definitions.walk import (
    own_fields,
    table_counts,
    table_names,
)
from lp_audit.periods import Every, Period

FieldType = Literal["text", "integer", "decimal", "date", "code", "multi_code", "boolean"]
Normalisation = Literal["case", "leading_zeros"]
ConstraintKind = Literal["range", "pattern", "max_length", "min_length", "check_digit"]
ReturnRuleKind = Literal["unique", "duplicate"]
MetricKind = Literal["share", "mean", "median_days"]
METRIC_KINDS: tuple[MetricKind, ...] = ("share", "mean", "median_days")

FIELD_TYPES: tuple[FieldType, ...] = (
    "text",
    "integer",
    "decimal",
    "date",
    "code",
    "multi_code",
    "boolean",
)
SEVERITIES: tuple[Severity, ...] = ("error", "warning")
NORMALISATIONS: tuple[Normalisation, ...] = ("case", "leading_zeros")
CHECK_DIGITS = ("modulus-11",)
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
VERSION_RE = re.compile(r"^\d+(\.\d+)*$")


@dataclass(frozen=True)
class Limit:
    """A number of findings, or a share of a return's rows (``percent``: 2.0 for 2%)."""

    value: float
    percent: bool = False

    def allows(self, findings: int, rows: int) -> bool:
        if self.percent:
            return findings <= self.value / 100 * rows + 1e-9
        return findings <= self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g}"


@dataclass(frozen=True)
class Tolerance:
    """How many findings of a field or rule a return may have before they count against it.

    Up to ``warning`` findings (of any severity) count for nothing; up to ``error`` errors count
    as warnings; beyond, findings count as their own severity. Either may be left out. The
    findings are listed whatever the tolerance.
    """

    warning: Limit | None = None
    error: Limit | None = None

    def level(self, errors: int, warnings: int, rows: int) -> Literal["none", "warning", "own"]:
        """How the findings count: not at all, errors as warnings, or as their own severity."""
        if self.warning is not None and self.warning.allows(errors + warnings, rows):
            return "none"
        if self.error is not None and self.error.allows(errors, rows):
            return "warning"
        return "own"

    def __str__(self) -> str:
        parts = [f"{k} {v}" for k, v in (("warning", self.warning), ("error", self.error)) if v]
        return ", ".join(parts)


@dataclass(frozen=True)
class Code:
    """One allowed code and its label; ``unknown`` codes mean the value was not captured."""

    value: str
    label: str
    unknown: bool = False


@dataclass(frozen=True)
class Constraint:
    """A check on one field's value, with its own severity."""

    kind: ConstraintKind
    severity: Severity = "error"
    message: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    length: int | None = None
    algorithm: str | None = None

    def describe(self) -> str:
        """Plain-English statement of what the constraint requires."""
        if self.kind == "range":
            lo = fmt_num(self.minimum)
            hi = fmt_num(self.maximum)
            if lo is not None and hi is not None:
                return f"between {lo} and {hi}"
            return f"at least {lo}" if lo is not None else f"at most {hi}"
        if self.kind == "pattern":
            return f"in the form {self.pattern}"
        if self.kind == "max_length":
            return f"at most {self.length} characters"
        if self.kind == "min_length":
            return f"at least {self.length} characters"
        return f"a valid {self.algorithm} check digit"


def fmt_num(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Field:
    """One column of a return."""

    name: str
    label: str
    type: FieldType
    description: str = ""
    guidance: str = ""
    required: bool = False
    required_when: Condition | None = None
    codes: tuple[Code, ...] = ()
    aliases: tuple[str, ...] = ()
    normalise: tuple[Normalisation, ...] = ()
    ignore_spaces: bool = False
    separator: str = "|"
    exclusive_codes: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    sensitive: bool = False
    example: str | None = None
    compare: bool = True
    tolerance: Tolerance | None = None
    #: for a date field: a time of day may (``allowed``) or must (``required``) follow the
    #: date; it is checked, then set aside (rules and profiles compare days)
    time: TimeOfDay | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def is_coded(self) -> bool:
        """Whether the field holds codes from a list."""
        return self.type in ("code", "multi_code")

    @property
    def valid_codes(self) -> tuple[str, ...]:
        """Codes that are real values (not the unknown codes)."""
        return tuple(c.value for c in self.codes if not c.unknown)

    @property
    def unknown_codes(self) -> tuple[str, ...]:
        """Codes that mean the value was not captured."""
        return tuple(c.value for c in self.codes if c.unknown)

    @property
    def status(self) -> str:
        """``required``, ``conditional`` or ``optional``."""
        if self.required:
            return "required"
        return "conditional" if self.required_when is not None else "optional"

    def code_label(self, value: str) -> str | None:
        """The label of ``value``, or None if it is not a code of this field."""
        return next((c.label for c in self.codes if c.value == value), None)


@dataclass(frozen=True)
class Group:
    """The rows a rule looks at together: rows with the same values of ``by`` (a child's
    episodes), in the order of ``order`` (then of the file, for ties)."""

    by: tuple[str, ...]
    order: tuple[str, ...] = ()

    def renamed(self, mapping: Mapping[str, str]) -> Group:
        return Group(
            tuple(mapping.get(n, n) for n in self.by),
            tuple(mapping.get(n, n) for n in self.order),
        )

    def describe(self, labels: Mapping[str, str]) -> str:
        by = ", ".join(labels.get(n, n) for n in self.by)
        order = ", ".join(labels.get(n, n) for n in self.order)
        return f"rows with the same {by}" + (f", in order of {order}" if order else "")


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: where ``when`` holds (or always), ``check`` must hold. With
    ``group``, the conditions may read other rows of the row's group (``previous.F``) and
    what the group adds up to (``sum(F)``)."""

    id: str
    severity: Severity
    message: str
    check: Condition
    when: Condition | None = None
    tolerance: Tolerance | None = None
    line: int | None = field(default=None, compare=False)
    group: Group | None = None
    #: in a return of several tables, the table it checks (by default, the one that has its
    #: fields)
    table: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """Fields the rule involves, in order of first mention, without repeats: those of
        its conditions, then its group's."""
        names = self.check.fields() + (self.when.fields() if self.when else ())
        if self.group is not None:
            names += self.group.by + self.group.order
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class ReturnRule:
    """A rule over the whole return: unique keys, or duplicates across keys."""

    id: str
    kind: ReturnRuleKind
    fields: tuple[str, ...]
    severity: Severity
    message: str
    differ: tuple[str, ...] = ()
    tolerance: Tolerance | None = None
    line: int | None = field(default=None, compare=False)
    #: in a return of several tables, the table it checks (by default, the one that has its
    #: fields)
    table: str | None = None


@dataclass(frozen=True)
class Metric:
    """A definition-drift signal computed per return, e.g. the share of young people engaged.

    ``share``: rows where ``where`` holds, out of rows where ``of`` holds (default: all rows).
    ``mean``: the mean of ``field`` over rows where ``where`` holds.
    ``median_days``: the median number of days from ``start`` to ``end`` (both dates).
    """

    id: str
    label: str
    kind: MetricKind
    description: str = ""
    where: Condition | None = None
    of: Condition | None = None
    field: str | None = None
    start: str | None = None
    end: str | None = None
    line: int | None = dataclasses.field(default=None, compare=False)

    @property
    def fields(self) -> tuple[str, ...]:
        """Fields the metric reads."""
        names = [n for n in (self.field, self.start, self.end) if n]
        for cond in (self.where, self.of):
            if cond is not None:
                names.extend(cond.fields())
        return tuple(dict.fromkeys(names))

    def renamed(self, mapping: Mapping[str, str]) -> Metric:
        """The metric with fields renamed (for a new version that renames fields)."""

        def ren(name: str | None) -> str | None:
            return mapping.get(name, name) if name else name

        return replace(
            self,
            where=self.where.renamed(mapping) if self.where else None,
            of=self.of.renamed(mapping) if self.of else None,
            field=ren(self.field),
            start=ren(self.start),
            end=ren(self.end),
        )


@dataclass(frozen=True)
class Definition:
    """A versioned data definition for one kind of return."""

    name: str
    version: str
    title: str
    fields: tuple[Field, ...]
    description: str = ""
    in_force_from: Period | None = None
    in_force_to: Period | None = None
    #: how often returns are due (quarter, year or month) and the month a year starts in
    #: (4, April: a financial year; 1, January): what a period label means
    period_every: Every = "quarter"
    period_starts: int = 4
    period_field: str | None = None
    provider_field: str | None = None
    date_format: str = "YYYY-MM-DD"
    dates_accepted_with_warning: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    return_rules: tuple[ReturnRule, ...] = ()
    metrics: tuple[Metric, ...] = ()
    continuity: Continuity | None = None
    extends: str | None = None
    source: str | None = field(default=None, compare=False)
    #: the reference files it reads (code lists, lookups), relative to it, each with its
    #: SHA-256
    references: tuple[tuple[str, str], ...] = ()
    lookups: tuple[Lookup, ...] = ()
    previous_return: PreviousReturn | None = None
    #: a return of several tables; none: one table of all the fields
    tables: tuple[Table, ...] = ()
    #: for one table's definition (:meth:`for_table`), the fields of the other tables, which
    #: its rules read on their matching rows
    outside: tuple[Field, ...] = ()
    #: for one table's definition, the table it is of
    table_name: str | None = None

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def parse_period(self, text: str) -> Period:
        """A period label as this definition's returns mean it.

        Raises:
            ValueError: if the text is not a period of this definition's kind.
        """
        return Period.parse(text, self.period_every, self.period_starts)

    def period_of(self, day: date) -> Period:
        """The period of this definition's kind that ``day`` falls in."""
        return Period.of(day, self.period_every, self.period_starts)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``.

        Raises:
            KeyError: if there is none.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def labels(self) -> dict[str, str]:
        """Field name to label."""
        return {f.name: f.label for f in self.fields}

    @property
    def separators(self) -> dict[str, str]:
        """Each multi-code field's separator, by name (what ``contains`` splits on)."""
        return {f.name: f.separator for f in self.fields if f.type == "multi_code"}

    def table(self, name: str) -> Table:
        """The table called ``name``.

        Raises:
            KeyError: if there is none.
        """
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def tables_checking(self, rule: Rule | ReturnRule) -> tuple[str, ...]:
        """The tables a rule checks: the one it names, or every table that has the fields it
        reads on its own row, save those it reads other rows of (``header.CHILD`` is read
        from an episode's row, about the header)."""
        if isinstance(rule, ReturnRule):
            own, elsewhere = {*rule.fields, *rule.differ}, set()
        else:
            conditions = [c for c in (rule.check, rule.when) if c is not None]
            own = {n for c in conditions for n in own_fields(c)}
            if rule.group is not None:
                own |= {*rule.group.by, *rule.group.order}
            elsewhere = {split_name(n)[0] for c in conditions for n in table_names(c)}
            elsewhere |= {o.inner for c in conditions for o in table_counts(c)}
        return tuple(
            t.name
            for t in self.tables
            if (rule.table is None or t.name == rule.table)
            and own <= set(t.fields)
            and t.name not in elsewhere
        )

    def tables_read(self) -> frozenset[str]:
        """The tables whose rows some rule reads from another table's row (``header.DOB``,
        ``count(episodes)``): the ones a return's other files need."""
        read: set[str] = set()
        for rule in self.rules:
            for c in (rule.check, rule.when):
                if c is not None:
                    read |= {str(split_name(n)[0]) for n in table_names(c)}
                    read |= {str(o.inner) for o in table_counts(c)}
        return frozenset(read)

    def fields_read(self, name: str) -> frozenset[str]:
        """The fields of table ``name`` that rules of other tables read (``header.DOB``), and
        its key, by which they find its rows (all ``count(name)`` needs)."""
        read = set(self.table(name).key)
        for rule in self.rules:
            for c in (rule.check, rule.when):
                if c is not None:
                    read |= {split_name(n)[1] for n in table_names(c) if split_name(n)[0] == name}
        return frozenset(read)

    def for_table(self, name: str) -> Definition:
        """The definition of one table: its fields, and the rules, return rules and metrics
        of its fields alone (rules may still read other tables' rows, ``T.F``)."""
        table = self.table(name)
        mine = set(table.fields)
        return replace(
            self,
            fields=tuple(f for f in self.fields if f.name in mine),
            outside=tuple(f for f in self.fields if f.name not in mine),
            table_name=name,
            rules=tuple(r for r in self.rules if name in self.tables_checking(r)),
            return_rules=tuple(r for r in self.return_rules if name in self.tables_checking(r)),
            metrics=tuple(m for m in self.metrics if set(m.fields) <= mine),
            continuity=self.continuity
            if self.continuity is not None
            and {self.continuity.id_field, *self.continuity.same} <= mine
            else None,
            previous_return=self.previous_return
            if self.previous_return is not None and set(self.previous_return.fields) <= mine
            else None,
            period_field=self.period_field if self.period_field in mine else None,
            provider_field=self.provider_field if self.provider_field in mine else None,
        )

    def in_force_for(self, period: Period) -> bool:
        """Whether this version applies to returns for ``period``."""
        if self.in_force_from is not None and period < self.in_force_from:
            return False
        return not (self.in_force_to is not None and period > self.in_force_to)

    def unknown_provider(self, provider: str) -> str | None:
        """Why ``provider`` cannot send this return (its provider codes do not list it), or
        None when they do, or the definition lists none."""
        if self.provider_field is None:
            return None
        codes = self.field(self.provider_field).valid_codes
        if not codes or provider in codes:
            return None
        return f"unknown provider {provider!r}: the definition's providers are {', '.join(codes)}"

    def describe_in_force(self) -> str:
        """The periods in force, e.g. ``2025-26 Q1 to 2026-27 Q4``."""
        start = str(self.in_force_from) if self.in_force_from else "any time"
        end = str(self.in_force_to) if self.in_force_to else "until replaced"
        return f"{start} to {end}" if self.in_force_to else f"from {start}"


# --------------------------------------------------------------------------------------------
# Parsing


def header_key(text: str) -> str:
    """Fold a header for matching: case, spaces, punctuation and a BOM are ignored."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("\ufeff", "")).strip("_")
