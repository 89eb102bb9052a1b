"""Data definitions: YAML files loaded into frozen models, checked with every problem reported.

A definition says, for one kind of return, what each field means, its type, its codes, when it
is required and which rules it must meet. See the README for the format. Loading checks the
definition itself and raises one :class:`DefinitionError` listing every problem found, each as
``file:line: path: message``.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lp_audit._yaml import LocatedYaml, Path_, YamlProblem, load_located
from lp_audit.conditions import (
    FIELD_OPS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
    parse_compare,
)
from lp_audit.errors import DefinitionError, DefinitionNotFoundError, DefinitionProblem
from lp_audit.periods import Period

FieldType = Literal["text", "integer", "decimal", "date", "code", "multi_code", "boolean"]
Severity = Literal["error", "warning"]
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
#: Date formats a definition may name, and their strptime equivalents.
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY/MM/DD": "%Y/%m/%d",
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")


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
            lo = _fmt_num(self.minimum)
            hi = _fmt_num(self.maximum)
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


def _fmt_num(value: float | None) -> str | None:
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
class Rule:
    """A cross-field rule: where ``when`` holds (or always), ``check`` must hold."""

    id: str
    severity: Severity
    message: str
    check: Condition
    when: Condition | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def fields(self) -> tuple[str, ...]:
        """Fields the rule involves, in order of first mention, without repeats."""
        names = self.check.fields() + (self.when.fields() if self.when else ())
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
    line: int | None = field(default=None, compare=False)


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
class Continuity:
    """How a case carries over between consecutive returns: open cases reappear, unchanged."""

    id_field: str
    open_when: Condition
    same: tuple[str, ...] = ()


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

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

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

    def in_force_for(self, period: Period) -> bool:
        """Whether this version applies to returns for ``period``."""
        if self.in_force_from is not None and period < self.in_force_from:
            return False
        return not (self.in_force_to is not None and period > self.in_force_to)

    def describe_in_force(self) -> str:
        """The periods in force, e.g. ``2025-26 Q1 to 2026-27 Q4``."""
        start = str(self.in_force_from) if self.in_force_from else "any time"
        end = str(self.in_force_to) if self.in_force_to else "until replaced"
        return f"{start} to {end}" if self.in_force_to else f"from {start}"


# --------------------------------------------------------------------------------------------
# Parsing


class _Parser:
    """Reads located YAML into models, collecting every problem instead of stopping early."""

    def __init__(self, located: LocatedYaml, source: str) -> None:
        self.located = located
        self.source = source
        self.problems: list[DefinitionProblem] = []

    # -- helpers -----------------------------------------------------------------------------

    def problem(self, path: Path_, message: str, line: int | None = None) -> None:
        self.problems.append(
            DefinitionProblem(
                self.source,
                line if line is not None else self.located.line(path),
                _render_path(path, self.located.data),
                message,
            )
        )

    def mapping(self, value: Any, path: Path_, allowed: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping (key: value lines), found {_kind(value)}")
            return None
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.problem(
                    (*path, key),
                    f"unknown key {key!r}{suggestion} (allowed: {', '.join(sorted(allowed))})",
                )
        return value

    def text(
        self, data: Mapping[str, Any], key: str, path: Path_, *, required: bool = False
    ) -> str | None:
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"missing required key {key!r}")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem((*path, key), f"expected text, found {_kind(value)}")
            return None
        return str(value)

    def boolean(
        self, data: Mapping[str, Any], key: str, path: Path_, *, default: bool = False
    ) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem((*path, key), f"expected true or false, found {_kind(value)}")
            return default
        return value

    def text_list(self, data: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str | int) and not isinstance(value, bool):
            return (str(value),)
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            self.problem((*path, key), f"expected a list of text values, found {_kind(value)}")
            return ()
        return tuple(str(v) for v in value)

    def severity(self, data: Mapping[str, Any], path: Path_) -> Severity:
        value = data.get("severity", "error")
        if value not in SEVERITIES:
            self.problem((*path, "severity"), f"severity must be error or warning, not {value!r}")
            return "error"
        sev: Severity = value
        return sev

    def period(self, data: Mapping[str, Any], key: str, path: Path_) -> Period | None:
        text = self.text(data, key, path)
        if text is None:
            return None
        try:
            return Period.parse(text)
        except ValueError as exc:
            self.problem((*path, key), str(exc))
            return None

    # -- definition --------------------------------------------------------------------------

    HEAD_KEYS = (
        "format",
        "name",
        "version",
        "title",
        "description",
        "in_force",
        "extends",
        "return",
        "dates",
    )

    def definition(self) -> tuple[dict[str, Any], Definition | None]:
        data = self.located.data
        if data is None:
            self.problem((), "the file is empty: a definition starts with 'name:' and 'version:'")
            return {}, None
        top = self.mapping(
            data,
            (),
            (
                *self.HEAD_KEYS,
                "fields",
                "rules",
                "return_rules",
                "metrics",
                "continuity",
                "changes",
            ),
        )
        if top is None:
            return {}, None
        fmt = top.get("format")
        if fmt is not None and fmt != "lp-audit/definition-1":
            self.problem(("format",), f"unsupported format {fmt!r}: use 'lp-audit/definition-1'")
        name = self.text(top, "name", (), required=True) or "?"
        if name != "?" and not re.match(r"^[a-z][a-z0-9-]*$", name):
            self.problem(("name",), "a name is lower-case letters, digits and '-'")
        version = self.text(top, "version", (), required=True) or "?"
        if version != "?" and not _VERSION_RE.match(version):
            self.problem(
                ("version",), f"a version is numbers with dots, like '1.0', not {version!r}"
            )
        title = self.text(top, "title", (), required=True) or name
        in_force_from = in_force_to = None
        if "in_force" in top:
            span = self.mapping(top["in_force"], ("in_force",), ("from", "to"))
            if span is not None:
                in_force_from = self.period(span, "from", ("in_force",))
                in_force_to = self.period(span, "to", ("in_force",))
                if in_force_from and in_force_to and in_force_to < in_force_from:
                    self.problem(("in_force",), "'to' is before 'from'")
        ret = self.mapping(top.get("return", {}), ("return",), ("period_field", "provider_field"))
        ret = ret or {}
        dates = self.mapping(top.get("dates", {}), ("dates",), ("format", "accepted_with_warning"))
        dates = dates or {}
        date_format = self.text(dates, "format", ("dates",)) or "YYYY-MM-DD"
        with_warning = self.text_list(dates, "accepted_with_warning", ("dates",))
        for i, fmt_name in enumerate((date_format, *with_warning)):
            if fmt_name not in DATE_FORMATS:
                key: Path_ = ("dates", "format") if i == 0 else ("dates", "accepted_with_warning")
                self.problem(
                    key, f"unknown date format {fmt_name!r}: use one of {list(DATE_FORMATS)}"
                )
        fields = self.fields(top.get("fields"), ("fields",), required="extends" not in top)
        definition = Definition(
            name=name,
            version=version,
            title=title,
            description=self.text(top, "description", ()) or "",
            in_force_from=in_force_from,
            in_force_to=in_force_to,
            period_field=self.text(ret, "period_field", ("return",)),
            provider_field=self.text(ret, "provider_field", ("return",)),
            date_format=date_format,
            dates_accepted_with_warning=with_warning,
            fields=fields,
            rules=self.rules(top.get("rules"), ("rules",)),
            return_rules=self.return_rules(top.get("return_rules"), ("return_rules",)),
            metrics=self.metrics(top.get("metrics"), ("metrics",)),
            continuity=self.continuity(top.get("continuity"), ("continuity",)),
            extends=self.text(top, "extends", ()),
            source=self.source,
        )
        return top, definition

    # -- fields ------------------------------------------------------------------------------

    FIELD_KEYS = (
        "name",
        "label",
        "description",
        "guidance",
        "type",
        "required",
        "required_when",
        "codes",
        "unknown_codes",
        "aliases",
        "normalise",
        "ignore_spaces",
        "separator",
        "exclusive_codes",
        "constraints",
        "sensitive",
        "example",
        "compare",
    )

    def fields(self, value: Any, path: Path_, *, required: bool) -> tuple[Field, ...]:
        if value is None:
            if required:
                self.problem((), "missing required key 'fields'")
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of fields, found {_kind(value)}")
            return ()
        parsed = [self.field(item, (*path, i)) for i, item in enumerate(value)]
        return tuple(f for f in parsed if f is not None)

    def field(self, value: Any, path: Path_, extra_keys: tuple[str, ...] = ()) -> Field | None:
        data = self.mapping(value, path, self.FIELD_KEYS + extra_keys)
        if data is None:
            return None
        name = self.text(data, "name", path, required=True)
        if name is None:
            return None
        if not _NAME_RE.match(name):
            self.problem((*path, "name"), "a field name is lower-case letters, digits and '_'")
        ftype = data.get("type")
        if ftype not in FIELD_TYPES:
            hint = difflib.get_close_matches(str(ftype), FIELD_TYPES, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            self.problem(
                (*path, "type"),
                f"unknown type {ftype!r}{suggestion} (allowed: {', '.join(FIELD_TYPES)})"
                if ftype is not None
                else "missing required key 'type'",
            )
            ftype = "text"
        required = data.get("required", False)
        if not isinstance(required, bool):
            self.problem(
                (*path, "required"),
                "required is true or false; use required_when for a condition",
            )
            required = False
        required_when = None
        if "required_when" in data:
            required_when = self.condition(data["required_when"], (*path, "required_when"))
            if required:
                self.problem(
                    (*path, "required_when"), "a field cannot be both required and required_when"
                )
        codes = self.codes(data, path, unknown=False) + self.codes(data, path, unknown=True)
        seen: set[str] = set()
        for code in codes:
            if code.value in seen:
                self.problem((*path, "unknown_codes"), f"code {code.value!r} is listed twice")
            seen.add(code.value)
        if ftype in ("code", "multi_code") and not codes:
            self.problem(path, f"field {name!r} has type {ftype} but no codes")
        if ftype not in ("code", "multi_code") and codes:
            self.problem(
                (*path, "codes"), f"codes are only for code and multi_code fields, not {ftype}"
            )
        normalise = self.text_list(data, "normalise", path)
        for item in normalise:
            if item not in NORMALISATIONS:
                self.problem(
                    (*path, "normalise"),
                    f"unknown normalisation {item!r} (allowed: case, leading_zeros)",
                )
        exclusive = self.text_list(data, "exclusive_codes", path)
        for code_value in exclusive:
            if code_value not in seen:
                self.problem(
                    (*path, "exclusive_codes"), f"{code_value!r} is not one of the field's codes"
                )
        if exclusive and ftype != "multi_code":
            self.problem(
                (*path, "exclusive_codes"), "exclusive_codes are only for multi_code fields"
            )
        separator = self.text(data, "separator", path) or "|"
        ftype_checked: FieldType = ftype if ftype in FIELD_TYPES else "text"
        label = self.text(data, "label", path, required=True) or name
        return Field(
            name=name,
            label=label,
            type=ftype_checked,
            description=(self.text(data, "description", path) or "").strip(),
            guidance=(self.text(data, "guidance", path) or "").strip(),
            required=required,
            required_when=required_when,
            codes=codes,
            aliases=self.text_list(data, "aliases", path),
            normalise=tuple(n for n in NORMALISATIONS if n in normalise),
            ignore_spaces=self.boolean(data, "ignore_spaces", path),
            separator=separator,
            exclusive_codes=exclusive,
            constraints=self.constraints(data.get("constraints"), (*path, "constraints"), ftype),
            sensitive=self.boolean(data, "sensitive", path),
            example=self.text(data, "example", path),
            compare=self.boolean(data, "compare", path, default=True),
            line=self.located.line(path),
        )

    def codes(self, data: Mapping[str, Any], path: Path_, *, unknown: bool) -> tuple[Code, ...]:
        key = "unknown_codes" if unknown else "codes"
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.problem((*path, key), f"expected a mapping of code: label, found {_kind(value)}")
            return ()
        result = []
        for code, label in value.items():
            if not isinstance(label, str) or not label.strip():
                self.problem((*path, key, code), f"code {code!r} needs a label")
                continue
            result.append(Code(str(code), label.strip(), unknown))
        return tuple(result)

    CONSTRAINT_KINDS = ("range", "pattern", "max_length", "min_length", "check_digit")

    def constraints(self, value: Any, path: Path_, ftype: str) -> tuple[Constraint, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of constraints, found {_kind(value)}")
            return ()
        result = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            data = self.mapping(item, item_path, (*self.CONSTRAINT_KINDS, "severity", "message"))
            if data is None:
                continue
            kinds = [k for k in self.CONSTRAINT_KINDS if k in data]
            if len(kinds) != 1:
                self.problem(
                    item_path,
                    "each constraint has exactly one of: " + ", ".join(self.CONSTRAINT_KINDS),
                )
                continue
            kind = kinds[0]
            severity = self.severity(data, item_path)
            message = self.text(data, "message", item_path)
            constraint = self.constraint(kind, data[kind], (*item_path, kind), ftype)
            if constraint is not None:
                result.append(replace(constraint, severity=severity, message=message))
        return tuple(result)

    def constraint(self, kind: str, value: Any, path: Path_, ftype: str) -> Constraint | None:
        if kind == "range":
            if ftype not in ("integer", "decimal"):
                self.problem(path, f"a range is for integer or decimal fields, not {ftype}")
            data = self.mapping(value, path, ("min", "max"))
            if data is None:
                return None
            bounds = {}
            for key in ("min", "max"):
                bound = data.get(key)
                if bound is not None and (
                    isinstance(bound, bool) or not isinstance(bound, int | float)
                ):
                    self.problem((*path, key), f"expected a number, found {_kind(bound)}")
                    bound = None
                bounds[key] = bound
            if bounds["min"] is None and bounds["max"] is None:
                self.problem(path, "a range needs min, max or both")
                return None
            if (
                bounds["min"] is not None
                and bounds["max"] is not None
                and bounds["min"] > bounds["max"]
            ):
                self.problem(path, "min is greater than max")
            return Constraint("range", minimum=bounds["min"], maximum=bounds["max"])
        if kind == "pattern":
            if not isinstance(value, str):
                self.problem(path, f"expected a regular expression, found {_kind(value)}")
                return None
            try:
                re.compile(value)
            except re.error as exc:
                self.problem(path, f"invalid regular expression {value!r}: {exc}")
                return None
            return Constraint("pattern", pattern=value)
        if kind in ("max_length", "min_length"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.problem(path, f"expected a whole number of characters, found {value!r}")
                return None
            return Constraint(kind, length=value)  # type: ignore[arg-type]
        if value not in CHECK_DIGITS:
            self.problem(
                path, f"unknown check digit {value!r} (allowed: {', '.join(CHECK_DIGITS)})"
            )
            return None
        return Constraint("check_digit", algorithm=str(value))

    # -- conditions and rules ------------------------------------------------------------------

    def condition(self, value: Any, path: Path_) -> Condition | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a condition (a mapping), found {_kind(value)}")
            return None
        if "all" in value or "any" in value:
            key = "all" if "all" in value else "any"
            self.mapping(value, path, (key,))
            items = value[key]
            if not isinstance(items, list) or not items:
                self.problem((*path, key), f"'{key}' takes a list of conditions")
                return None
            parsed = [self.condition(c, (*path, key, i)) for i, c in enumerate(items)]
            if any(p is None for p in parsed):
                return None
            conditions = tuple(p for p in parsed if p is not None)
            return AllOf(conditions) if key == "all" else AnyOf(conditions)
        if "not" in value:
            self.mapping(value, path, ("not",))
            inner = self.condition(value["not"], (*path, "not"))
            return Not(inner) if inner is not None else None
        if "compare" in value:
            self.mapping(value, path, ("compare",))
            if not isinstance(value["compare"], str):
                self.problem((*path, "compare"), "compare takes text such as 'a_date <= b_date'")
                return None
            try:
                return parse_compare(value["compare"])
            except ValueError as exc:
                self.problem((*path, "compare"), str(exc))
                return None
        data = self.mapping(value, path, ("field", *FIELD_OPS))
        if data is None:
            return None
        fname = self.text(data, "field", path)
        ops = [op for op in FIELD_OPS if op in data]
        if fname is None or len(ops) != 1:
            self.problem(
                path,
                "a condition is {field: NAME, equals|not_equals|in|not_in|blank|contains: VALUE}, "
                "or compare, all, any or not",
            )
            return None
        op = ops[0]
        if op == "blank":
            return FieldTest(fname, "blank", blank=self.boolean(data, "blank", path))
        values = self.text_list(data, op, path)
        if not values:
            self.problem((*path, op), "needs a value")
            return None
        if op in ("equals", "not_equals", "contains") and len(values) != 1:
            self.problem((*path, op), f"'{op}' takes one value; use 'in' for a list")
        return FieldTest(fname, op, values)

    RULE_KEYS = ("id", "severity", "message", "check", "when")

    def rules(self, value: Any, path: Path_) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of rules, found {_kind(value)}")
            return ()
        result = []
        for i, item in enumerate(value):
            rule = self.rule(item, (*path, i))
            if rule is not None:
                result.append(rule)
        return tuple(result)

    def rule(self, item: Any, path: Path_) -> Rule | None:
        data = self.mapping(item, path, self.RULE_KEYS)
        if data is None:
            return None
        rule_id = self.text(data, "id", path, required=True)
        message = self.text(data, "message", path, required=True)
        if "check" not in data:
            self.problem(path, "missing required key 'check'")
            return None
        check = self.condition(data["check"], (*path, "check"))
        when = self.condition(data["when"], (*path, "when")) if "when" in data else None
        if rule_id is not None and not _ID_RE.match(rule_id):
            self.problem((*path, "id"), "a rule id is lower-case letters, digits and '-'")
        if rule_id is None or message is None or check is None or ("when" in data and when is None):
            return None
        return Rule(
            rule_id,
            self.severity(data, path),
            message.strip(),
            check,
            when,
            line=self.located.line(path),
        )

    METRIC_KEYS = ("id", "label", "kind", "description", "where", "of", "field", "from", "to")

    def metrics(self, value: Any, path: Path_) -> tuple[Metric, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of metrics, found {_kind(value)}")
            return ()
        result = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            data = self.mapping(item, item_path, self.METRIC_KEYS)
            if data is None:
                continue
            metric_id = self.text(data, "id", item_path, required=True)
            label = self.text(data, "label", item_path, required=True)
            kind = data.get("kind")
            if kind not in METRIC_KINDS:
                self.problem(
                    (*item_path, "kind"),
                    f"kind must be one of {', '.join(METRIC_KINDS)}, not {kind!r}",
                )
                continue
            where = (
                self.condition(data["where"], (*item_path, "where")) if "where" in data else None
            )
            of = self.condition(data["of"], (*item_path, "of")) if "of" in data else None
            needs = {"share": ("where",), "mean": ("field",), "median_days": ("from", "to")}[kind]
            missing = [k for k in needs if k not in data]
            if missing:
                self.problem(
                    item_path, f"a {kind} metric needs {' and '.join(repr(k) for k in missing)}"
                )
                continue
            if metric_id is None or label is None:
                continue
            result.append(
                Metric(
                    metric_id,
                    label,
                    kind,
                    (self.text(data, "description", item_path) or "").strip(),
                    where,
                    of,
                    self.text(data, "field", item_path),
                    self.text(data, "from", item_path),
                    self.text(data, "to", item_path),
                    line=self.located.line(item_path),
                )
            )
        return tuple(result)

    def continuity(self, value: Any, path: Path_) -> Continuity | None:
        if value is None:
            return None
        data = self.mapping(value, path, ("id_field", "open_when", "same"))
        if data is None:
            return None
        id_field = self.text(data, "id_field", path, required=True)
        if "open_when" not in data:
            self.problem(path, "missing required key 'open_when'")
            return None
        open_when = self.condition(data["open_when"], (*path, "open_when"))
        if id_field is None or open_when is None:
            return None
        return Continuity(id_field, open_when, self.text_list(data, "same", path))

    def return_rules(self, value: Any, path: Path_) -> tuple[ReturnRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of return rules, found {_kind(value)}")
            return ()
        result = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            data = self.mapping(
                item, item_path, ("id", "severity", "message", "unique", "duplicate")
            )
            if data is None:
                continue
            rule_id = self.text(data, "id", item_path, required=True)
            message = self.text(data, "message", item_path, required=True)
            severity = self.severity(data, item_path)
            if ("unique" in data) == ("duplicate" in data):
                self.problem(item_path, "a return rule has exactly one of 'unique' or 'duplicate'")
                continue
            if "unique" in data:
                fields = self.text_list(data, "unique", item_path)
                differ: tuple[str, ...] = ()
                kind: ReturnRuleKind = "unique"
            else:
                spec = self.mapping(
                    data["duplicate"], (*item_path, "duplicate"), ("same", "differ")
                )
                if spec is None:
                    continue
                fields = self.text_list(spec, "same", (*item_path, "duplicate"))
                differ = self.text_list(spec, "differ", (*item_path, "duplicate"))
                kind = "duplicate"
            if rule_id is None or message is None or not fields:
                if not fields:
                    self.problem(item_path, "name at least one field")
                continue
            result.append(
                ReturnRule(
                    rule_id,
                    kind,
                    fields,
                    severity,
                    message.strip(),
                    differ,
                    line=self.located.line(item_path),
                )
            )
        return tuple(result)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text {str(value)[:40]!r}"


def _render_path(path: Path_, data: Any) -> str:
    """``fields[3].codes`` rendered with field names where known: ``fields.gender.codes``."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int):
            name = (
                node[step].get("name")
                if isinstance(node, list) and step < len(node) and isinstance(node[step], dict)
                else None
            )
            id_ = (
                node[step].get("id")
                if isinstance(node, list) and step < len(node) and isinstance(node[step], dict)
                else None
            )
            label = name or id_
            if label is not None and isinstance(label, str | int):
                parts.append(f".{label}")
            else:
                parts.append(f"[{step}]")
        else:
            parts.append(f".{step}" if parts else str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts).lstrip(".")


# --------------------------------------------------------------------------------------------
# Versions expressed as changes


CHANGE_KEYS = (
    "add_fields",
    "remove_fields",
    "rename_fields",
    "change_fields",
    "add_rules",
    "remove_rules",
)
CHANGE_FIELD_KEYS = (*_Parser.FIELD_KEYS, "add_codes", "remove_codes", "add_unknown_codes")


def _apply_changes(
    parser: _Parser, top: dict[str, Any], head: Definition, base: Definition
) -> Definition:
    changes = parser.mapping(top.get("changes", {}), ("changes",), CHANGE_KEYS) or {}
    fields = list(base.fields)
    names = [f.name for f in fields]

    def index_of(name: str, path: Path_) -> int | None:
        if name in names:
            return names.index(name)
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        parser.problem(path, f"{base.ref} has no field {name!r}{suggestion}")
        return None

    for name in parser.text_list(changes, "remove_fields", ("changes",)):
        i = index_of(name, ("changes", "remove_fields"))
        if i is not None:
            del fields[i], names[i]

    renames: dict[str, str] = {}
    rename_spec = changes.get("rename_fields") or {}
    if not isinstance(rename_spec, dict):
        parser.problem(("changes", "rename_fields"), "expected a mapping of old_name: new_name")
        rename_spec = {}
    for old, new in rename_spec.items():
        i = index_of(old, ("changes", "rename_fields", old))
        if i is None or not isinstance(new, str):
            continue
        renames[old] = new
        fields[i] = replace(fields[i], name=new, aliases=(*fields[i].aliases, old))
        names[i] = new

    change_spec = changes.get("change_fields") or {}
    if not isinstance(change_spec, dict):
        parser.problem(("changes", "change_fields"), "expected a mapping of field name: changes")
        change_spec = {}
    for name, spec in change_spec.items():
        path = ("changes", "change_fields", name)
        i = index_of(name, path)
        data = parser.mapping(spec, path, CHANGE_FIELD_KEYS)
        if i is None or data is None:
            continue
        fields[i] = _change_field(parser, fields[i], data, path)

    add_spec = changes.get("add_fields") or []
    if not isinstance(add_spec, list):
        parser.problem(("changes", "add_fields"), "expected a list of fields")
        add_spec = []
    for j, item in enumerate(add_spec):
        path = ("changes", "add_fields", j)
        new_field = parser.field(item, path, extra_keys=("after",))
        if new_field is None:
            continue
        after = item.get("after") if isinstance(item, dict) else None
        position = len(fields)
        if after is not None:
            k = index_of(str(after), (*path, "after"))
            if k is not None:
                position = k + 1
        fields.insert(position, new_field)
        names.insert(position, new_field.name)

    removed_rules = set(parser.text_list(changes, "remove_rules", ("changes",)))
    rules = []
    for rule in base.rules:
        if rule.id in removed_rules:
            continue
        check = rule.check.renamed(renames)
        when = rule.when.renamed(renames) if rule.when else None
        rules.append(replace(rule, check=check, when=when))
    known_ids = {r.id for r in base.rules}
    for rule_id in removed_rules - known_ids:
        parser.problem(("changes", "remove_rules"), f"{base.ref} has no rule {rule_id!r}")
    rules.extend(parser.rules(changes.get("add_rules"), ("changes", "add_rules")))

    return_rules = (
        tuple(
            replace(
                r,
                fields=tuple(renames.get(f, f) for f in r.fields),
                differ=tuple(renames.get(f, f) for f in r.differ),
            )
            for r in base.return_rules
        )
        + head.return_rules
    )
    fields = [
        replace(f, required_when=f.required_when.renamed(renames)) if f.required_when else f
        for f in fields
    ]
    continuity = base.continuity
    if continuity is not None:
        continuity = Continuity(
            renames.get(continuity.id_field, continuity.id_field),
            continuity.open_when.renamed(renames),
            tuple(renames.get(f, f) for f in continuity.same),
        )
    return replace(
        head,
        description=head.description or base.description,
        period_field=renames.get(base.period_field or "", base.period_field)
        if head.period_field is None
        else head.period_field,
        provider_field=renames.get(base.provider_field or "", base.provider_field)
        if head.provider_field is None
        else head.provider_field,
        date_format=base.date_format if "dates" not in top else head.date_format,
        dates_accepted_with_warning=base.dates_accepted_with_warning
        if "dates" not in top
        else head.dates_accepted_with_warning,
        fields=tuple(fields) + head.fields,
        rules=tuple(rules) + head.rules,
        return_rules=return_rules,
        metrics=tuple(m.renamed(renames) for m in base.metrics) + head.metrics,
        continuity=head.continuity or continuity,
    )


def _change_field(parser: _Parser, old: Field, data: dict[str, Any], path: Path_) -> Field:
    """Apply ``change_fields`` entries: plain keys replace, add_/remove_codes edit the list."""
    merged: dict[str, Any] = {"name": old.name, "label": old.label, "type": old.type}
    if old.codes and "codes" not in data:
        merged["codes"] = {c.value: c.label for c in old.codes if not c.unknown}
        merged["unknown_codes"] = {c.value: c.label for c in old.codes if c.unknown} or None
    probe = parser.field(
        {**merged, **{k: v for k, v in data.items() if k in _Parser.FIELD_KEYS}}, path
    )
    if probe is None:
        return old
    updates: dict[str, Any] = {}
    for key in data:
        if key in ("codes", "unknown_codes"):
            continue
        if key in _Parser.FIELD_KEYS:
            updates[key] = getattr(probe, key)
    codes = list(old.codes)
    if "codes" in data or "unknown_codes" in data:
        codes = list(probe.codes)
    for key, unknown in (("add_codes", False), ("add_unknown_codes", True)):
        if key not in data:
            continue
        extra = parser.codes(
            {("unknown_codes" if unknown else "codes"): data[key]}, path, unknown=unknown
        )
        for code in extra:
            if any(c.value == code.value for c in codes):
                parser.problem((*path, key), f"code {code.value!r} already exists")
            codes.append(code)
    for value in parser.text_list(data, "remove_codes", path):
        if not any(c.value == value for c in codes):
            parser.problem((*path, "remove_codes"), f"{old.name} has no code {value!r}")
        codes = [c for c in codes if c.value != value]
    return replace(old, codes=tuple(codes), **updates)


# --------------------------------------------------------------------------------------------
# Cross-reference checks on a whole definition


def _check(parser: _Parser, definition: Definition) -> None:
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
            target = fields.get(test.field)
            if target is None or not target.is_coded:
                continue
            for value in test.values:
                if target.code_label(value) is None:
                    parser.problem(
                        (), f"{where}: {value!r} is not a code of {test.field}", line=line
                    )
        for comp in _compares(cond):
            kinds = {
                fields[o.value].type if o.value in fields else None
                for o in (comp.left, comp.right)
                if o.kind == "field"
            }
            specials = {o.kind for o in (comp.left, comp.right) if o.kind != "field"}
            numeric = kinds <= {"integer", "decimal", None} and specials <= {"number"}
            dated = kinds <= {"date", None} and specials <= {"period_start", "period_end", "today"}
            if not (numeric or dated):
                parser.problem(
                    (), f"{where}: cannot compare {comp.describe(definition.labels())}", line=line
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


def header_key(text: str) -> str:
    """Fold a header for matching: case, spaces, punctuation and a BOM are ignored."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("\ufeff", "")).strip("_")


# --------------------------------------------------------------------------------------------
# Loading and finding definitions


def is_path_spec(spec: str | Path) -> bool:
    """Whether a definition spec names a file rather than a bundled ``NAME[@VERSION]``."""
    text = str(spec)
    return isinstance(spec, Path) or text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text


def load_definition_file(path: str | Path, _chain: tuple[str, ...] = ()) -> Definition:
    """Load and check one definition file, resolving ``extends`` from the same folder.

    Loaded definitions are cached by path, size and modification time: they are immutable.

    Raises:
        DefinitionError: listing every problem in the file (and in its base).
        DefinitionNotFoundError: if the file does not exist.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _load_definition_file(path, _chain)
    key = (path, stat.st_size, stat.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached is None:
        # a base loaded for the version that extends it is kept too: loaded again on its own,
        # as a return of its period asks, it would cost another parse of its YAML
        cached = _load_definition_file(path, _chain)
        if len(_CACHE) >= 64:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


#: Loaded definitions by path, size and modification time. A definition that failed to load
#: is not kept; one that loaded, with or without a chain of versions extending it, is the
#: same definition (a loop of versions fails wherever it is entered).
_CACHE: dict[tuple[Path, int, int], Definition] = {}


def _load_definition_file(path: Path, _chain: tuple[str, ...]) -> Definition:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionNotFoundError(f"{path}: no such definition file") from None
    except IsADirectoryError:
        raise DefinitionNotFoundError(f"{path}: is a folder, not a definition file") from None
    except OSError as exc:
        raise DefinitionNotFoundError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            [DefinitionProblem(source, line, "", "the file is not UTF-8 text: save it as UTF-8")]
        ) from None
    if "\x00" in text:
        raise DefinitionError([DefinitionProblem(source, None, "", "the file is binary, not YAML")])
    try:
        located = load_located(text)
    except YamlProblem as exc:
        raise DefinitionError([DefinitionProblem(source, exc.line, "", exc.message)]) from None
    parser = _Parser(located, source)
    top, definition = parser.definition()
    if definition is not None and definition.extends is not None:
        definition = _resolve_base(parser, top, definition, path, _chain)
    elif "changes" in top:
        parser.problem(("changes",), "'changes' needs 'extends' to name the version it changes")
    if definition is not None:
        _check(parser, definition)
    if parser.problems or definition is None:
        raise DefinitionError(parser.problems)
    return definition


def _resolve_base(
    parser: _Parser, top: dict[str, Any], head: Definition, path: Path, chain: tuple[str, ...]
) -> Definition:
    base_version = head.extends or ""
    if head.ref in chain:
        parser.problem(
            ("extends",), "versions extend each other in a loop: " + " -> ".join((*chain, head.ref))
        )
        return head
    base_path = _find_version_file(path.parent, head.name, base_version)
    if base_path is None:
        available = ", ".join(
            sorted(info.version for info in _scan(path.parent) if info.name == head.name)
        )
        parser.problem(
            ("extends",),
            f"cannot find {head.name} version {base_version!r} beside this file"
            + (f" (found: {available})" if available else ""),
        )
        return head
    try:
        base = load_definition_file(base_path, (*chain, head.ref))
    except DefinitionError as exc:
        parser.problems.extend(exc.problems)
        return head
    return _apply_changes(parser, top, head, base)


@dataclass(frozen=True)
class DefinitionInfo:
    """What ``definitions list`` shows: a definition's identity and where it lives."""

    name: str
    version: str
    title: str
    in_force_from: Period | None
    in_force_to: Period | None
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def bundled_definitions_dir() -> Path:
    """The folder of definitions that ship with lp_audit."""
    packaged = Path(__file__).parent / "_definitions"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "definitions"  # a source checkout


def _scan(folder: Path) -> list[DefinitionInfo]:
    """Every definition file in ``folder``, remembered until a file changes."""
    files = sorted(folder.rglob("*.yaml"))
    stamps = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        stamps.append((file, stat.st_size, stat.st_mtime_ns))
    return list(_scan_files(tuple(stamps)))


@functools.lru_cache(maxsize=16)
def _scan_files(stamps: tuple[tuple[Path, int, int], ...]) -> tuple[DefinitionInfo, ...]:
    infos = []
    for file, _, _ in stamps:
        try:
            located = load_located(_head(file.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError, YamlProblem):
            continue
        data = located.data
        if not isinstance(data, dict) or "name" not in data or "version" not in data:
            continue
        span: dict[str, Any] = data["in_force"] if isinstance(data.get("in_force"), dict) else {}
        infos.append(
            DefinitionInfo(
                str(data["name"]),
                str(data["version"]),
                str(data.get("title", "")),
                _maybe_period(span.get("from")),
                _maybe_period(span.get("to")),
                file,
            )
        )
    return tuple(infos)


def _head(text: str) -> str:
    """The top of a definition, before its fields: enough to list it, quick to parse."""
    match = re.search(r"^(fields|changes|rules|return_rules):", text, flags=re.MULTILINE)
    return text[: match.start()] if match else text


def _maybe_period(value: Any) -> Period | None:
    try:
        return Period.parse(str(value)) if value is not None else None
    except ValueError:
        return None


def _find_version_file(folder: Path, name: str, version: str) -> Path | None:
    for info in _scan(folder):
        if info.name == name and info.version == version:
            return info.path
    return None


def list_definitions(folder: Path | None = None) -> list[DefinitionInfo]:
    """Every definition in ``folder`` (default: the bundled ones), sorted by name and version."""
    infos = _scan(folder or bundled_definitions_dir())
    return sorted(infos, key=lambda i: (i.name, _version_key(i.version)))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def load_definition(spec: str | Path, *, period: Period | None = None) -> Definition:
    """Load a definition by path, or by ``NAME`` or ``NAME@VERSION`` from the bundled ones.

    With a bare ``NAME``, the version in force for ``period`` is chosen, or the latest.

    Raises:
        DefinitionNotFoundError: if nothing matches.
        DefinitionError: if the definition has problems.
    """
    text = str(spec)
    if is_path_spec(spec):
        return load_definition_file(Path(spec))
    name, _, version = text.partition("@")
    candidates = [i for i in list_definitions() if i.name == name]
    if not candidates:
        known = sorted({i.name for i in list_definitions()})
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise DefinitionNotFoundError(
            f"no bundled definition called {name!r}.{suggestion} Known: {', '.join(known) or 'none'}"
        )
    if version:
        chosen = [i for i in candidates if i.version == version]
        if not chosen:
            versions = ", ".join(i.version for i in candidates)
            raise DefinitionNotFoundError(
                f"{name} has no version {version!r} (versions: {versions})"
            )
        return load_definition_file(chosen[0].path)
    if period is not None:
        in_force = [
            i
            for i in candidates
            if (i.in_force_from is None or i.in_force_from <= period)
            and (i.in_force_to is None or period <= i.in_force_to)
        ]
        if in_force:
            return load_definition_file(in_force[-1].path)
    return load_definition_file(candidates[-1].path)
