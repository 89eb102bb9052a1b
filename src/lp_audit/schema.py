"""Building pandera schemas from a definition: pure functions, vectorised checks only.

The schema checks *typed* columns (see :mod:`lp_audit.parsing`); it never coerces text. Each
pandera check carries a unique name that maps back to a :class:`CheckSpec`: the finding code,
severity, field, rule and message to report when the check fails. Cross-field rules are separate
one-check schemas run on just the columns they involve, so a failing row is reported once rather
than once per column of the return.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from lp_audit.definitions.conditions import AllOf, AnyOf, Compare, Condition, FieldTest, Not, Operand
from lp_audit.definitions import Constraint, Definition, Field, ReturnRule, Rule
from lp_audit.findings import shorten
from lp_audit.parsing import split_codes
from lp_audit.patterns import compile_simple
from lp_audit.patterns import matches as match_simple
from lp_audit.periods import Period

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pandera.pandas as pa


@dataclass(frozen=True)
class CheckSpec:
    """What to report when the pandera check of the same name fails."""

    name: str
    code: str
    severity: str
    message: str
    field: str | None = None
    rule: str | None = None
    show_value: bool = True


@dataclass(frozen=True)
class Context:
    """Facts about the return that some checks need: its period, its provider, today."""

    period: Period | None = None
    provider: str | None = None
    today: date | None = None


@dataclass(frozen=True)
class CheckFn:
    """One check: its unique name and its vectorised function, which takes a column (or, for
    a rule, a frame) and returns a boolean Series, True where the value passes.

    The function is what pandera runs; building the pandera objects (and importing pandera,
    0.2 s) waits until a schema is asked for, so large returns, whose checks are evaluated
    directly, need neither.
    """

    name: str
    fn: Callable[[Any], Any]

    def to_pandera(self) -> pa.Check:
        import pandera.pandas as pa

        return pa.Check(self.fn, name=self.name, ignore_na=False)


@dataclass(frozen=True)
class RuleSchema:
    """The check of a rule, and the columns it is run on."""

    columns: tuple[str, ...]
    checks: tuple[CheckFn, ...]
    #: "row" rules look at one row at a time; "return" rules (unique keys) at the whole return
    kind: str = "row"

    @property
    def schema(self) -> pa.DataFrameSchema:
        """The rule as a pandera schema of frame-level checks."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(checks=[c.to_pandera() for c in self.checks])


@dataclass(frozen=True)
class ReturnSchema:
    """Everything needed to check one return's typed frame."""

    column_checks: dict[str, tuple[CheckFn, ...]]
    rules: tuple[RuleSchema, ...]
    specs: dict[str, CheckSpec]
    name: str | None = None

    @property
    def columns(self) -> pa.DataFrameSchema:
        """The column checks as a pandera schema (columns optional, never coerced)."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {
                name: pa.Column(
                    nullable=True,
                    checks=[c.to_pandera() for c in checks],
                    required=False,
                    coerce=False,
                )
                for name, checks in self.column_checks.items()
            },
            strict=False,
            coerce=False,
            name=self.name,
        )


def describe_codes(f: Field) -> str:
    """The allowed codes with labels for a message, shortened when there are many."""
    listed = [f"{c.value} {c.label}" for c in f.codes]
    if len(listed) <= 8:
        return ", ".join(listed)
    return shorten(listed, 6) + " (the data definition lists them all)"


class _Builder:
    def __init__(self, definition: Definition, context: Context) -> None:
        self.definition = definition
        self.context = context
        self.specs: dict[str, CheckSpec] = {}
        self.separators = {f.name: f.separator for f in definition.fields if f.type == "multi_code"}

    def check(
        self,
        fn: Callable[[Any], Any],
        code: str,
        severity: str,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
    ) -> CheckFn:
        name = f"{code}:{field or ''}:{rule or ''}:{len(self.specs)}"
        sensitive = (
            field is not None and self.definition.field(field).sensitive
            if field in self.definition.field_names
            else False
        )
        self.specs[name] = CheckSpec(
            name, code, severity, message, field, rule, show_value=not sensitive
        )
        return CheckFn(name, fn)

    # -- columns ---------------------------------------------------------------------------------

    def column(self, f: Field) -> tuple[CheckFn, ...]:
        checks: list[CheckFn] = []
        label = f.label
        if f.required:
            checks.append(
                self.check(
                    lambda s: s.notna(),
                    "missing-required",
                    "error",
                    f"{label} is required but blank.",
                    field=f.name,
                )
            )
        if f.type == "code":
            allowed = [c.value for c in f.codes]
            checks.append(
                self.check(
                    _isin_or_blank(allowed),
                    "invalid-code",
                    "error",
                    f"{label} is not one of its codes. Use one of: {describe_codes(f)}.",
                    field=f.name,
                )
            )
        if f.type == "multi_code":
            checks.extend(self._multi_code_checks(f))
        for constraint in f.constraints:
            checks.append(self._constraint(f, constraint))
        if f.name == self.definition.period_field and self.context.period is not None:
            expected = str(self.context.period)
            checks.append(
                self.check(
                    _equals_or_blank(expected),
                    "period-mismatch",
                    "error",
                    f"{label} differs from the period of the return ({expected}). Every row must have the same period.",
                    field=f.name,
                )
            )
        if f.name == self.definition.provider_field and self.context.provider is not None:
            expected = self.context.provider
            checks.append(
                self.check(
                    _equals_or_blank(expected),
                    "provider-mismatch",
                    "error",
                    f"{label} differs from the provider submitting the return ({expected}).",
                    field=f.name,
                )
            )
        return tuple(checks)

    def _multi_code_checks(self, f: Field) -> list[CheckFn]:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        codes = pa.array([c.value for c in f.codes], type=pa.large_string())
        sep = f.separator

        def all_valid(s: pd.Series) -> pd.Series:
            split = split_codes(s, sep)
            unknown = ~pc.is_in(split.tokens, value_set=codes).to_numpy(zero_copy_only=False)
            return pd.Series(split.per_row(unknown, len(s)) == 0, index=s.index)

        checks = [
            self.check(
                all_valid,
                "invalid-code",
                "error",
                f"{f.label} has a code that is not one of its codes. Use codes from: {describe_codes(f)}, separated by {sep}.",
                field=f.name,
            )
        ]

        def no_repeats(s: pd.Series) -> pd.Series:
            split = split_codes(s, sep)
            index = pc.index_in(split.tokens, value_set=codes)
            known = index.is_valid().to_numpy(zero_copy_only=False)
            keys = split.rows[known] * (len(codes) + 1) + index.drop_null().to_numpy()
            keys.sort()
            repeated_rows = keys[1:][keys[1:] == keys[:-1]] // (len(codes) + 1)
            bad = np.zeros(len(s), dtype=bool)
            bad[repeated_rows] = True
            return pd.Series(~bad, index=s.index)

        checks.append(
            self.check(
                no_repeats,
                "duplicate-code",
                "warning",
                f"{f.label} lists the same code twice.",
                field=f.name,
            )
        )
        if f.exclusive_codes:
            exclusive = pa.array(list(f.exclusive_codes), type=pa.large_string())

            def alone(s: pd.Series) -> pd.Series:
                split = split_codes(s, sep)
                n = len(s)
                count = split.per_row(np.ones(len(split.rows), dtype=bool), n)
                hit = pc.is_in(split.tokens, value_set=exclusive).to_numpy(zero_copy_only=False)
                has = split.per_row(hit, n) > 0
                return pd.Series(~((count > 1) & has), index=s.index)

            names = " or ".join(f.exclusive_codes)
            checks.append(
                self.check(
                    alone,
                    "exclusive-code",
                    "error",
                    f"{f.label}: {names} must stand alone, not with other codes.",
                    field=f.name,
                )
            )
        return checks

    def _constraint(self, f: Field, c: Constraint) -> CheckFn:
        label = f.label
        advice = c.message or f"It must be {c.describe()}."
        lead = f"{label}: "
        if c.kind == "range":
            lo, hi = c.minimum, c.maximum

            def within_bounds(s: pd.Series) -> pd.Series:
                ok = s.isna() | s.notna()
                if lo is not None:
                    ok = ok & ~(s < lo).fillna(False)
                if hi is not None:
                    ok = ok & ~(s > hi).fillna(False)
                return ok

            return self.check(
                within_bounds,
                "out-of-range",
                c.severity,
                (lead if c.message else f"{label} is out of range. ") + advice,
                field=f.name,
            )
        if c.kind == "pattern":
            pattern = c.pattern or ""
            return self.check(
                _matches(pattern),
                "pattern-mismatch",
                c.severity,
                (lead if c.message else f"{label} is not in the expected form. ") + advice,
                field=f.name,
            )
        if c.kind in ("max_length", "min_length"):
            n = c.length or 0
            if c.kind == "max_length":
                return self.check(
                    lambda s: s.isna() | (s.str.len() <= n),
                    "too-long",
                    c.severity,
                    (lead if c.message else f"{label} is longer than {n} characters. ") + advice,
                    field=f.name,
                )
            return self.check(
                lambda s: s.isna() | (s.str.len() >= n),
                "too-short",
                c.severity,
                (lead if c.message else f"{label} is shorter than {n} characters. ") + advice,
                field=f.name,
            )
        return self.check(
            modulus11_ok,
            "invalid-check-digit",
            c.severity,
            (lead if c.message else f"{label} has an invalid check digit. ") + advice,
            field=f.name,
        )

    # -- rules -----------------------------------------------------------------------------------

    def rule(self, rule: Rule) -> RuleSchema:
        when = rule.when

        def passes(frame: pd.DataFrame) -> pd.Series:
            import pandas as pd

            # a rule fails where its condition is known to hold and its check known to fail
            failed = truth(rule.check, frame, self.context, self.separators).fails()
            if when is not None:
                failed &= truth(when, frame, self.context, self.separators).holds()
            return pd.Series(~failed, index=frame.index)

        first = rule.fields[0] if rule.fields else None
        check = self.check(
            passes, "rule-failed", rule.severity, rule.message, field=first, rule=rule.id
        )
        return RuleSchema(rule.fields, (check,))

    def required_when(self, f: Field) -> RuleSchema:
        condition = f.required_when
        assert condition is not None
        labels = self.definition.labels()

        def passes(frame: pd.DataFrame) -> pd.Series:
            import pandas as pd

            applies = truth(condition, frame, self.context, self.separators).holds()
            return pd.Series(~(applies & frame[f.name].isna().to_numpy()), index=frame.index)

        check = self.check(
            passes,
            "missing-required",
            "error",
            f"{f.label} is required when {condition.describe(labels)}, but is blank.",
            field=f.name,
        )
        columns = tuple(dict.fromkeys((f.name, *condition.fields())))
        return RuleSchema(columns, (check,))

    def return_rule(self, rule: ReturnRule) -> RuleSchema:
        same = list(rule.fields)
        differ = list(rule.differ)
        if rule.kind == "unique":

            def passes(frame: pd.DataFrame) -> pd.Series:
                import numpy as np
                import pandas as pd

                rows, keys = _repeated_keys(frame, same)
                failed = np.zeros(len(frame), dtype=bool)
                failed[rows[pd.Series(keys).duplicated(keep="first").to_numpy()]] = True
                return pd.Series(~failed, index=frame.index)

            code = "duplicate-id"
        else:

            def passes(frame: pd.DataFrame) -> pd.Series:
                import numpy as np
                import pandas as pd

                # only rows whose key repeats can differ: group just those
                rows, keys = _repeated_keys(frame, same, also_present=differ)
                sub = frame.iloc[rows][differ].reset_index(drop=True)
                variety = sub.groupby(keys).transform("nunique").max(axis=1).to_numpy()
                later = pd.Series(keys).duplicated(keep="first").to_numpy()
                failed = np.zeros(len(frame), dtype=bool)
                failed[rows[(variety > 1) & later]] = True
                return pd.Series(~failed, index=frame.index)

            code = "rule-failed"
        check = self.check(passes, code, rule.severity, rule.message, field=same[0], rule=rule.id)
        return RuleSchema(tuple(same + differ), (check,), "return")


def _value_codes(s: pd.Series) -> np.ndarray:
    """A number for each value of ``s``, the same for equal values, -1 where it is missing.

    Text is hashed once, by pyarrow's dictionary encoding: for a million IDs, 0.1 to 0.17 s,
    about what pandas' ``duplicated`` takes on one column (and 0.27 s on two).
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64)
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        text = pa.array(s, type=pa.large_string(), from_pandas=True)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        indices = pc.dictionary_encode(text).indices.fill_null(-1)
        numbers: np.ndarray = indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return numbers
    codes: np.ndarray = pd.factorize(s, use_na_sentinel=True)[0].astype(np.int64)
    return codes


def _repeated_keys(
    frame: pd.DataFrame, columns: Sequence[str], also_present: Sequence[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """The rows, in order, whose values in ``columns`` are all present and repeat in another
    such row, and for each a number standing for those values (the same for the same values).

    Rows must also have values in ``also_present``. A key repeats only if its first column's
    value does, so each further column is numbered on just the rows still in question: on a
    million rows of unique IDs, one column is hashed, not every column nor their combination.
    """
    import numpy as np
    import pandas as pd

    present = np.ones(len(frame), dtype=bool)
    for name in (*columns, *also_present):
        present &= frame[name].notna().to_numpy()
    rows = np.flatnonzero(present)
    keys = np.zeros(len(rows), dtype=np.int64)
    for i, name in enumerate(columns):
        if not len(rows):
            break
        if i == 0:
            # numbered on every row, then taken: cheaper than taking the values first
            keys = _value_codes(frame[name])[rows]
        else:
            codes = _value_codes(frame[name].iloc[rows])
            combined = keys * (int(codes.max()) + 1) + codes  # keys and codes below len(rows)
            keys = pd.factorize(combined)[0].astype(np.int64)
        repeats = np.bincount(keys)[keys] > 1
        rows, keys = rows[repeats], keys[repeats]
    return rows, keys


def _matches(pattern: str) -> Callable[[pd.Series], pd.Series]:
    """A check that values match ``pattern`` (RE2, as pandas' ``str.contains`` uses for pyarrow
    strings), blanks passing: simple anchored patterns on the values' bytes, any other in
    pyarrow's RE2, and for a category once per category."""
    simple = compile_simple(pattern)

    def matches(s: pd.Series) -> pd.Series:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(s.dtype, pd.CategoricalDtype):
            per_category = matches(pd.Series(s.cat.categories)).to_numpy(dtype=bool)
            codes = s.cat.codes.to_numpy()
            ok = np.where(codes >= 0, per_category[codes], True)
            return pd.Series(ok, index=s.index)
        text = pa.array(s, type=pa.large_string(), from_pandas=True)
        if simple is not None:
            return pd.Series(match_simple(simple, text), index=s.index)
        found = pc.match_substring_regex(text, pattern).fill_null(True)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=s.index)

    return matches


def _isin_or_blank(allowed: list[str]) -> Callable[[pd.Series], pd.Series]:
    def isin_or_blank(s: pd.Series) -> pd.Series:
        return s.isna() | s.isin(allowed)

    return isin_or_blank


def _equals_or_blank(expected: str) -> Callable[[pd.Series], pd.Series]:
    def equals_or_blank(s: pd.Series) -> pd.Series:
        return s.isna() | (s == expected)

    return equals_or_blank


def modulus11_ok(s: pd.Series) -> pd.Series:
    """NHS number check digit (Modulus 11), vectorised; values not of 10 digits pass here."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from lp_audit.patterns import layout

    _, offsets, data = layout(pa.array(s, type=pa.large_string(), from_pandas=True))
    result = np.ones(len(s), dtype=bool)
    rows = np.flatnonzero(offsets[1:] - offsets[:-1] == 10)
    if len(rows):
        first, last = int(offsets[0]), int(offsets[-1])
        if len(rows) * 10 == last - first:  # every value of ten bytes: a table, not a copy
            table = data[first:last].reshape(-1, 10)
        else:
            table = data[offsets[rows][:, None] + np.arange(10)]
        digits = table - np.uint8(48)  # bytes: no table of int64; other bytes exceed 9
        ten = (digits <= 9).all(axis=1)  # ten ASCII digits, as ^[0-9]{10}$
        total = digits[:, :9].astype(np.int32) @ np.arange(10, 1, -1, dtype=np.int32)
        check = (11 - total % 11) % 11  # 11 becomes 0; 10 matches no digit, so is invalid
        result[rows] = ~ten | (check == digits[:, 9])
    return pd.Series(result, index=s.index)


class Truth(NamedTuple):
    """A condition's value in each row, in three-valued logic: ``true`` where it holds,
    ``known`` where the values it needs are present (``true`` means nothing elsewhere)."""

    true: np.ndarray
    known: np.ndarray

    def holds(self) -> np.ndarray:
        """True where the condition is known to hold."""
        import numpy as np

        holds: np.ndarray = np.logical_and(self.true, self.known)
        return holds

    def fails(self) -> np.ndarray:
        """True where the condition is known not to hold."""
        import numpy as np

        fails: np.ndarray = np.logical_and(~self.true, self.known)
        return fails


_COMPARE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _operand(op: Operand, frame: pd.DataFrame, context: Context) -> tuple[Any, Any] | None:
    """An operand's values and where they are known, as numpy arrays or scalars; None when the
    context lacks it (no period)."""
    import numpy as np
    import pandas as pd

    if op.kind == "field":
        s = frame[op.value]
        known = s.notna().to_numpy()
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "Mmiuf":
            return s.to_numpy(), known
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iuf":
            return s.fillna(0).to_numpy(), known  # Int64 to int64, Float64 to float64
        return s, known  # anything else is compared as pandas compares it
    if op.kind == "number":
        return int(op.value), True
    # dates as days: no cast of a column to nanoseconds, which would overflow in year 2262
    if op.kind == "today":
        return np.datetime64(context.today or date.today(), "D"), True
    if context.period is None:
        return None
    day = context.period.start if op.kind == "period_start" else context.period.end
    return np.datetime64(day, "D"), True


def truth(
    condition: Condition,
    frame: pd.DataFrame,
    context: Context,
    separators: Mapping[str, str] | None = None,
) -> Truth:
    """Evaluate a condition on every row of ``frame``, in numpy: no nullable pandas booleans,
    which cost ten times as much (measured: 20 rules on a million rows, 0.45 s to 0.05 s)."""
    import numpy as np
    import pandas as pd

    n = len(frame)
    if isinstance(condition, FieldTest):
        s = frame[condition.field]
        everywhere = np.ones(n, dtype=bool)
        if condition.op == "blank":
            blank = s.isna().to_numpy()
            return Truth(blank if condition.blank else ~blank, everywhere)
        if condition.op == "contains":
            separator = (separators or {}).get(condition.field, "|")
            tokens = s.str.split(separator, regex=False).explode()
            found = tokens.isin(condition.values).groupby(level=0).any()
            return Truth(found.reindex(frame.index, fill_value=False).to_numpy(bool), everywhere)
        if isinstance(s.dtype, pd.CategoricalDtype):  # a test of each category, not each row
            codes = s.cat.codes.to_numpy()
            among = np.append(s.cat.categories.isin(condition.values), False)  # -1: blank
            isin = among[codes]
        else:
            isin = s.isin(condition.values).fillna(False).to_numpy(dtype=bool)
        return Truth(~isin if condition.op in ("not_equals", "not_in") else isin, everywhere)
    if isinstance(condition, Compare):
        left = _operand(condition.left, frame, context)
        right = _operand(condition.right, frame, context)
        if left is None or right is None:
            return Truth(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        (a, a_known), (b, b_known) = left, right
        if condition.days:
            shift = np.timedelta64(condition.days, "D")
            b = b + (shift if isinstance(b, np.ndarray | np.generic) else pd.Timedelta(shift))
        with np.errstate(invalid="ignore"):  # missing values compare as anything: not known
            result = _COMPARE_OPS[condition.op](a, b)
        if isinstance(result, pd.Series):
            result = result.fillna(False)
        true = np.asarray(result, dtype=bool)
        known = np.logical_and(a_known, b_known)
        return Truth(_everywhere(true, n), _everywhere(known, n))
    if isinstance(condition, AllOf | AnyOf):
        parts = [truth(c, frame, context, separators) for c in condition.conditions]
        result = parts[0]
        for part in parts[1:]:
            # Kleene logic: one known False decides "all", one known True decides "any"
            if isinstance(condition, AllOf):
                true = result.holds() & part.holds()
                result = Truth(true, true | result.fails() | part.fails())
            else:
                true = result.holds() | part.holds()
                result = Truth(true, true | (result.fails() & part.fails()))
        return result
    assert isinstance(condition, Not)
    inner = truth(condition.condition, frame, context, separators)
    return Truth(~inner.true, inner.known)


def _everywhere(values: np.ndarray, n: int) -> np.ndarray:
    """``values`` as one per row (a comparison of two scalars gives one value)."""
    import numpy as np

    return values if values.shape == (n,) else np.full(n, bool(values))


def evaluate(
    condition: Condition,
    frame: pd.DataFrame,
    context: Context,
    separators: Mapping[str, str] | None = None,
) -> pd.Series:
    """Evaluate a condition to a nullable boolean Series (NA where a value it needs is missing)."""
    import pandas as pd

    result = truth(condition, frame, context, separators)
    values = pd.arrays.BooleanArray(result.holds(), ~result.known)
    return pd.Series(values, index=frame.index)


def build_schema(definition: Definition, context: Context | None = None) -> ReturnSchema:
    """Build the checks for ``definition``; ``context`` supplies period and provider.

    ``schema.columns`` and each ``rule.schema`` are the pandera schemas that run them.
    """
    builder = _Builder(definition, context or Context())
    columns = {f.name: builder.column(f) for f in definition.fields}
    rules = [builder.required_when(f) for f in definition.fields if f.required_when is not None]
    rules += [builder.rule(r) for r in definition.rules]
    rules += [builder.return_rule(r) for r in definition.return_rules]
    return ReturnSchema(columns, tuple(rules), builder.specs, definition.ref)
