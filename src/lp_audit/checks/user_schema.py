"""A definition as a plain pandera schema, for a DataFrame of text you read yourself.

``validate_return`` parses each column once and runs the checks on the typed frame. A user with
their own DataFrame (``pd.read_csv(path, dtype=str)``) wants one object to call ``validate`` on:
:func:`pandera_schema` wraps the same check objects so that each parses the text it is given
first. Every value that does not parse is a failure of its own check (``invalid-type``,
``invalid-date``, or a ``date-format`` or ``non-standard-code`` warning), as in
``validate_return``; the other checks pass values that did not parse, or are blank, unless they
test for blanks. Check names read ``FIELD: code`` (``rule ID: code`` for rules), the codes of
``validate_return``'s findings, and each check's ``description`` is its severity and the message
``validate_return`` gives, so ``failure_cases`` needs no other table. As pandera does for every
check of a whole frame, a failing rule lists its row once per column.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lp_audit.checks.parsing import parse_return
from lp_audit.checks.schema import build_schema
from lp_audit.checks.specs import CheckFn, CheckSpec, Context
from lp_audit.definitions import Definition
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

#: The problems parsing can find in a field of each type: each becomes a check of its own.
PARSE_CODES: dict[str, tuple[str, ...]] = {
    "integer": ("invalid-type",),
    "decimal": ("invalid-type",),
    "boolean": ("invalid-type",),
    "date": ("invalid-date", "date-as-number", "date-with-time", "date-format"),
    # a date field that takes a time of day (``time: allowed`` or ``required``)
    "date-time": ("invalid-date", "date-as-number", "date-format"),
    "date-time-required": ("invalid-date", "date-as-number", "date-format", "date-without-time"),
    "code": ("non-standard-code",),
    "multi_code": ("non-standard-code",),
}


def check_name(spec: CheckSpec) -> str:
    """A check's name as people read it: ``age_at_referral: out-of-range``."""
    where = spec.field if spec.field is not None and spec.rule is None else f"rule {spec.rule}"
    return f"{where}: {spec.code}"


def _describe(spec: CheckSpec) -> str:
    return f"{spec.severity}: {spec.message}"


def pandera_schema(
    definition: Definition,
    *,
    period: str | Period | None = None,
    provider: str | None = None,
    today: date | None = None,
) -> pa.DataFrameSchema:
    """The definition as a ``pandera.DataFrameSchema`` over text columns named by field.

    Validate a DataFrame read as text (``pd.read_csv(path, dtype=str)``; blanks may be empty
    strings or missing) with ``schema.validate(frame, lazy=True)``: its ``SchemaErrors`` list
    the same failing rows as :func:`lp_audit.validate_return` for the checks of rows and
    fields (what reading the file finds, such as a missing column or blank lines, is not a
    check of a DataFrame). ``period``, ``provider`` and ``today`` are what the checks of the
    period, the provider and "not in the future" compare with.
    """
    import pandera.pandas as pa

    when = Period.parse(period) if isinstance(period, str) else period
    schema = build_schema(definition, Context(when, provider, today))
    columns = {}
    for f in definition.fields:
        kind = {None: f.type, "allowed": "date-time", "required": "date-time-required"}[f.time]
        checks = [_parse_check(definition, f.name, code) for code in PARSE_CODES.get(kind, ())]
        checks += [
            _column_check(definition, f.name, check, schema.specs[check.name])
            for check in schema.column_checks.get(f.name, ())
        ]
        columns[f.name] = pa.Column(
            nullable=True,
            required=False,
            coerce=False,
            checks=checks,
            title=f.label,
            description=f.description or None,
        )
    rules = [
        _rule_check(definition, rule.columns, check, schema.specs[check.name])
        for rule in schema.rules
        for check in rule.checks
    ]
    return pa.DataFrameSchema(
        columns, checks=rules, strict=False, coerce=False, name=definition.ref
    )


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text as lp_audit reads it: every value a string, blank for missing."""
    return frame.astype("str").where(frame.notna(), "")


def _parse_check(definition: Definition, name: str, code: str) -> pa.Check:
    import pandas as pd
    import pandera.pandas as pa

    def passes(column: pd.Series) -> pd.Series:
        parsed = parse_return(_text(column.to_frame(name)), definition)
        failing = [p.mask for p in parsed.problems if p.code == code]
        return ~failing[0] if failing else pd.Series(True, index=column.index)

    severity = "warning" if code in ("date-format", "non-standard-code") else "error"
    label = definition.field(name).label
    what = {
        "invalid-type": f"{label} is not a value of its type",
        "invalid-date": f"{label} is not a real date in a form the definition accepts",
        "date-as-number": f"{label} is a spreadsheet's date number, not a date",
        "date-with-time": f"{label} is a date with a time after it",
        "date-without-time": f"{label} is a date without the time of day it needs",
        "date-format": f"{label} is a date written in a form accepted with a warning",
        "non-standard-code": f"{label} is a code written in a non-standard way",
    }[code]
    return pa.Check(
        passes, name=f"{name}: {code}", ignore_na=False, description=f"{severity}: {what}."
    )


def _column_check(definition: Definition, name: str, check: CheckFn, spec: CheckSpec) -> pa.Check:
    import pandera.pandas as pa

    def passes(column: pd.Series) -> Any:
        parsed = parse_return(_text(column.to_frame(name)), definition)
        if spec.code == "missing-required":
            # a value that failed to parse has its own failure; blank means blank text
            return ~parsed.blank[name]
        return check.fn(parsed.typed[name])

    return pa.Check(passes, name=check_name(spec), ignore_na=False, description=_describe(spec))


def _rule_check(
    definition: Definition, columns: tuple[str, ...], check: CheckFn, spec: CheckSpec
) -> pa.Check:
    import pandas as pd
    import pandera.pandas as pa

    def passes(frame: pd.DataFrame) -> Any:
        if not all(c in frame.columns for c in columns):
            return pd.Series(True, index=frame.index)  # a rule on a missing column is not run
        return check.fn(parse_return(_text(frame[list(columns)]), definition).typed)

    return pa.Check(passes, name=check_name(spec), ignore_na=False, description=_describe(spec))
