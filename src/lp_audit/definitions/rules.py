"""Parsing conditions, rules, metrics, continuity and return rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lp_audit.definitions.conditions import (
    BEFORE,
    FIELD_OPS,
    RELATIVES,
    AllOf,
    AnyOf,
    Condition,
    FieldTest,
    Not,
    parse_compare,
)
from lp_audit.definitions.links import (
    Continuity,
    PreviousReturn,
    Table,
)
from lp_audit.definitions.located import Path_
from lp_audit.definitions.model import (
    ID_RE,
    METRIC_KINDS,
    NAME_RE,
    Group,
    Limit,
    Metric,
    ReturnRule,
    ReturnRuleKind,
    Rule,
    Tolerance,
)
from lp_audit.definitions.reader import ParserBase, describe_kind


class RuleParser(ParserBase):
    """Conditions, rules, metrics, continuity and return rules."""

    # -- conditions and rules ------------------------------------------------------------------

    def condition(self, value: Any, path: Path_) -> Condition | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a condition (a mapping), found {describe_kind(value)}")
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
            if (
                isinstance(value["compare"], str)
                and len(value) > 1
                and value["compare"].count("(") > value["compare"].count(")")
            ):
                # {compare: days(a, b) <= 3}: YAML split the mapping at the comma
                self.problem(
                    (*path, "compare"),
                    "the comparison was cut at a comma: in a {...} mapping, quote it, as in "
                    '{compare: "days(start_date, end_date) <= 3"}',
                )
                return None
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
                "a condition is {field: NAME, equals|not_equals|in|not_in|blank|contains|"
                "starts_with|length|in_codes_of: VALUE}, or compare, all, any or not",
            )
            return None
        op = ops[0]
        if op == "blank":
            return FieldTest(fname, "blank", blank=self.boolean(data, "blank", path))
        if op == "length":
            return self.length(fname, data["length"], (*path, "length"))
        if op == "in_codes_of":
            other = self.text(data, "in_codes_of", path)
            return FieldTest(fname, "in_codes_of", (), of=other) if other else None
        values = self.text_list(data, op, path)
        if not values:
            self.problem((*path, op), "needs a value")
            return None
        if op in ("equals", "not_equals", "contains") and len(values) != 1:
            self.problem((*path, op), f"'{op}' takes one value; use 'in' for a list")
        return FieldTest(fname, op, values)

    def tolerance(self, data: Mapping[str, Any], path: Path_) -> Tolerance | None:
        """``tolerance: {warning: 2%, error: 10%}``: shares of a return's rows, or numbers of
        findings (``{error: 5}``)."""
        if "tolerance" not in data:
            return None
        where = (*path, "tolerance")
        spec = self.mapping(data["tolerance"], where, ("warning", "error"))
        if spec is None:
            return None
        limits: dict[str, Limit] = {}
        for level in ("warning", "error"):
            if level not in spec:
                continue
            raw = spec[level]
            text = str(raw).strip()
            limit = None
            if isinstance(raw, bool):
                limit = None
            elif isinstance(raw, int) and raw >= 0:
                limit = Limit(float(raw))
            elif isinstance(raw, str) and re.fullmatch(r"\d+(\.\d+)?\s*%", text):
                share = float(text.rstrip("%").strip())
                limit = Limit(share, percent=True) if share <= 100 else None
            if limit is None:
                self.problem(
                    (*where, level),
                    f"{text!r} is not a tolerance: write a share of the return's rows such as "
                    "2% (at most 100%), or a whole number of findings such as 5",
                )
            else:
                limits[level] = limit
        if not spec:
            self.problem(where, "name a warning or an error tolerance, e.g. {error: 2%}")
            return None
        warning, error = limits.get("warning"), limits.get("error")
        if warning and error and warning.percent == error.percent and warning.value > error.value:
            self.problem(where, "the warning tolerance is above the error tolerance: swap them")
        return Tolerance(warning, error) if limits else None

    RULE_KEYS = ("id", "severity", "message", "check", "when", "tolerance", "group", "table")

    def group(self, value: Any, path: Path_) -> Group | None:
        """``group: {by: child_id, order: start_date}`` (either may be a list of fields)."""
        data = self.mapping(value, path, ("by", "order"))
        if data is None:
            return None
        by = self.text_list(data, "by", path)
        if not by:
            self.problem(
                path,
                "a group needs 'by': the field(s) whose rows go together, e.g. "
                "{by: child_id, order: start_date}",
            )
            return None
        return Group(by, self.text_list(data, "order", path))

    def length(self, fname: str, value: Any, path: Path_) -> FieldTest | None:
        """``length: 6`` (exactly), or ``length: {min: 2, max: 4}`` (either may be left out)."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return FieldTest(fname, "length", (str(value), str(value)))
        bounds = self.mapping(value, path, ("min", "max")) if isinstance(value, dict) else None
        if bounds:
            limits = [bounds.get(k) for k in ("min", "max")]
            if all(
                v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
                for v in limits
            ) and (limits[0] is None or limits[1] is None or limits[0] <= limits[1]):
                return FieldTest(
                    fname, "length", tuple("" if v is None else str(v) for v in limits)
                )
        self.problem(
            path,
            "length takes a whole number of characters (length: 6), or {min: 2, max: 4} "
            "with min at most max",
        )
        return None

    def rules(self, value: Any, path: Path_) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of rules, found {describe_kind(value)}")
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
        group = self.group(data["group"], (*path, "group")) if "group" in data else None
        if rule_id is not None and not ID_RE.match(rule_id):
            self.problem(
                (*path, "id"),
                f"{rule_id!r} cannot be a rule id: it is letters, digits, '-', '_' or '.', "
                "starting with a letter or digit (as specifications number them: 178, R-12)",
            )
        if (
            rule_id is None
            or message is None
            or check is None
            or ("when" in data and when is None)
            or ("group" in data and group is None)
        ):
            return None
        return Rule(
            rule_id,
            self.severity(data, path),
            message.strip(),
            check,
            when,
            tolerance=self.tolerance(data, path),
            line=self.located.line(path),
            group=group,
            table=self.text(data, "table", path),
        )

    METRIC_KEYS = ("id", "label", "kind", "description", "where", "of", "field", "from", "to")

    def metrics(self, value: Any, path: Path_) -> tuple[Metric, ...]:
        result = []
        for item_path, data in self.entries(value, path, self.METRIC_KEYS, "metrics"):
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

    def tables(self, value: Any, path: Path_) -> tuple[Table, ...]:
        """``tables: [{name: episodes, fields: [CHILD, DECOM], key: [CHILD, DECOM], file:
        episodes}]``: a return of several tables."""
        result: list[Table] = []
        for where, data in self.entries(value, path, ("name", "fields", "key", "file"), "tables"):
            name = self.text(data, "name", where, required=True)
            fields = self.text_list(data, "fields", where)
            if name is not None and not NAME_RE.match(name):
                self.problem(
                    (*where, "name"), f"{name!r}: a table's name is letters, digits and '_'"
                )
                continue
            if name in (*RELATIVES, BEFORE, "period"):
                self.problem(
                    (*where, "name"),
                    f"{name!r} is a word of rules ({', '.join((*RELATIVES, BEFORE, 'period'))}): "
                    "name the table otherwise",
                )
                continue
            if not fields:
                self.problem(where, "name the table's fields: fields: [CHILD, DECOM]")
                continue
            if name is None:
                continue
            result.append(
                Table(
                    name,
                    fields,
                    self.text_list(data, "key", where),
                    self.text(data, "file", where) or "",
                    line=self.located.line(where),
                )
            )
        return tuple(result)

    def previous_return(self, value: Any, path: Path_) -> PreviousReturn | None:
        """``previous_return: {match: CHILD, carried: {when: C, severity: error, message: M}}``."""
        if value is None:
            return None
        data = self.mapping(value, path, ("match", "carried"))
        if data is None:
            return None
        match = self.text_list(data, "match", path)
        if not match:
            self.problem(
                path, "name the field(s) that match a row with the previous return's: match: CHILD"
            )
            return None
        if "carried" not in data:
            return PreviousReturn(match, line=self.located.line(path))
        where = (*path, "carried")
        spec = self.mapping(data["carried"], where, ("when", "severity", "message"))
        if spec is None:
            return None
        when = self.condition(spec["when"], (*where, "when")) if "when" in spec else None
        message = self.text(spec, "message", where, required=True)
        if "when" not in spec:
            self.problem(
                where, "say which rows must appear again: when: {field: status, equals: OPEN}"
            )
        if when is None or message is None:
            return None
        return PreviousReturn(
            match, when, self.severity(spec, where), message.strip(), line=self.located.line(path)
        )

    def return_rules(self, value: Any, path: Path_) -> tuple[ReturnRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of return rules, found {describe_kind(value)}")
            return ()
        result = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            data = self.mapping(
                item,
                item_path,
                ("id", "severity", "message", "unique", "duplicate", "tolerance", "table"),
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
                    tolerance=self.tolerance(data, item_path),
                    line=self.located.line(item_path),
                    table=self.text(data, "table", item_path),
                )
            )
        return tuple(result)
