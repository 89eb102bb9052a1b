"""Parsing a definition file's head and fields into the model."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lp_audit.definitions.forms import DATE_FORMATS, TIMES_OF_DAY, TimeOfDay
from lp_audit.definitions.located import Path_
from lp_audit.definitions.model import (
    CHECK_DIGITS,
    FIELD_TYPES,
    NAME_RE,
    NORMALISATIONS,
    VERSION_RE,
    Code,
    Constraint,
    Definition,
    Field,
    FieldType,
)
from lp_audit.definitions.reader import describe_kind
from lp_audit.definitions.references import ReferenceParser
from lp_audit.definitions.rules import RuleParser
from lp_audit.periods import EVERY, YEAR_STARTS, Every

# -- definition --------------------------------------------------------------------------


class Parser(RuleParser, ReferenceParser):
    """Reads located YAML into models, collecting every problem instead of stopping early."""

    HEAD_KEYS = (
        "format",
        "name",
        "version",
        "title",
        "description",
        "in_force",
        "extends",
        "period",
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
                "lookups",
                "previous_return",
                "tables",
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
        if version != "?" and not VERSION_RE.match(version):
            self.problem(
                ("version",), f"a version is numbers with dots, like '1.0', not {version!r}"
            )
        title = self.text(top, "title", (), required=True) or name
        every, starts = self.cadence(top)
        in_force_from = in_force_to = None
        if "in_force" in top:
            span = self.mapping(top["in_force"], ("in_force",), ("from", "to"))
            if span is not None:
                in_force_from = self.period(span, "from", ("in_force",), every, starts)
                in_force_to = self.period(span, "to", ("in_force",), every, starts)
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
        lookups = self.lookups(top.get("lookups"), ("lookups",))
        definition = Definition(
            name=name,
            version=version,
            title=title,
            description=self.text(top, "description", ()) or "",
            in_force_from=in_force_from,
            in_force_to=in_force_to,
            period_every=every,
            period_starts=starts,
            period_field=self.text(ret, "period_field", ("return",)),
            provider_field=self.text(ret, "provider_field", ("return",)),
            date_format=date_format,
            dates_accepted_with_warning=with_warning,
            fields=fields,
            rules=self.rules(top.get("rules"), ("rules",)),
            return_rules=self.return_rules(top.get("return_rules"), ("return_rules",)),
            metrics=self.metrics(top.get("metrics"), ("metrics",)),
            continuity=self.continuity(top.get("continuity"), ("continuity",)),
            previous_return=self.previous_return(top.get("previous_return"), ("previous_return",)),
            tables=self.tables(top.get("tables"), ("tables",)),
            extends=self.text(top, "extends", ()),
            source=self.source,
            references=tuple(sorted(self.references.items())),
            lookups=lookups,
        )
        return top, definition

    def cadence(self, top: dict[str, Any]) -> tuple[Every, int]:
        """``period: {every: quarter|year|month, year_starts: april|january}``; by default
        quarters of a financial year (April)."""
        if "period" not in top:
            return "quarter", 4
        spec = self.mapping(top["period"], ("period",), ("every", "year_starts")) or {}
        every = self.text(spec, "every", ("period",)) or "quarter"
        starts = self.text(spec, "year_starts", ("period",)) or "april"
        if every not in EVERY:
            self.problem(
                ("period", "every"), f"returns come every quarter, year or month, not {every!r}"
            )
            every = "quarter"
        if starts not in YEAR_STARTS:
            self.problem(
                ("period", "year_starts"),
                f"a year starts in april (a financial year) or january, not {starts!r}",
            )
            starts = "april"
        return every, YEAR_STARTS[starts]  # type: ignore[return-value]

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
        "tolerance",
        "time",
    )

    def fields(self, value: Any, path: Path_, *, required: bool) -> tuple[Field, ...]:
        if value is None:
            if required:
                self.problem((), "missing required key 'fields'")
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of fields, found {describe_kind(value)}")
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
        if not NAME_RE.match(name):
            self.problem(
                (*path, "name"),
                f"{name!r} cannot be a field name: it starts with a letter, then letters, digits "
                "or '_' (as a specification's header: CHILD, DECOM, age_at_referral)",
            )
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
            tolerance=self.tolerance(data, path),
            time=self.time_of_day(data, path, ftype_checked),
            line=self.located.line(path),
        )

    def time_of_day(
        self, data: Mapping[str, Any], path: Path_, ftype: FieldType
    ) -> TimeOfDay | None:
        """A date field's ``time``: whether a time of day may or must follow the date."""
        if data.get("time") is None:
            return None
        value = data["time"]
        if ftype != "date":
            self.problem((*path, "time"), f"time is only for date fields, not {ftype}")
            return None
        if value not in TIMES_OF_DAY:
            self.problem(
                (*path, "time"),
                f"time is 'allowed' (a time of day may follow the date) or 'required' (it "
                f"must), not {value!r}",
            )
            return None
        return value  # type: ignore[no-any-return]

    def codes(self, data: Mapping[str, Any], path: Path_, *, unknown: bool) -> tuple[Code, ...]:
        key = "unknown_codes" if unknown else "codes"
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, dict) and "file" in value:
            return self.code_file(value, (*path, key), unknown)
        if isinstance(value, list) and all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            # a list of codes without labels, as many specifications give them: each its own label
            return tuple(Code(str(v), str(v), unknown) for v in value)
        if not isinstance(value, dict):
            self.problem(
                (*path, key),
                f"expected codes as a mapping of code: label, or a list of codes, found "
                f"{describe_kind(value)}",
            )
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
            self.problem(path, f"expected a list of constraints, found {describe_kind(value)}")
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
                    self.problem((*path, key), f"expected a number, found {describe_kind(bound)}")
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
                self.problem(path, f"expected a regular expression, found {describe_kind(value)}")
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
