"""Building the checks of a definition: pure functions, vectorised checks only.

The checks test *typed* columns (see :mod:`lp_audit.checks.parsing`); they never coerce text. Each
check carries a unique name that maps back to a :class:`CheckSpec`: the finding code, severity,
field, rule and message to report when the check fails. Cross-field rules are separate
one-check schemas run on just the columns they involve, so a failing row is reported once rather
than once per column of the return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lp_audit.checks.parsing import split_codes
from lp_audit.definitions import Constraint, Definition, Field, ReturnRule, Rule
from lp_audit.definitions.conditions import BEFORE, RELATIVES, split_name
from lp_audit.definitions.walk import grouped_parts, table_counts, written

if TYPE_CHECKING:
    import pandas as pd


from lp_audit.checks.functions import (
    equals_or_blank,
    isin_or_blank,
    matches_pattern,
    modulus11_ok,
    repeated_keys,
)
from lp_audit.checks.groups import with_counts, with_group_values, with_matching_rows
from lp_audit.checks.specs import (
    RETURN_COLUMN,
    CheckFn,
    CheckSpec,
    Context,
    ReturnSchema,
    RuleSchema,
    describe_codes,
)
from lp_audit.checks.truth import truth


class _Builder:
    def __init__(self, definition: Definition, context: Context) -> None:
        self.definition = definition
        self.context = context
        self.specs: dict[str, CheckSpec] = {}
        self.separators = definition.separators
        #: the rows of each key in order, worked out once a frame for the rules over them
        self.grouping: dict[Any, Any] = {}
        #: each table's key, for the rules that read another table's matching row
        self.definition_tables = {t.name: t.key for t in definition.tables}
        #: the type of each field's values, for one read from a file that lacks it
        self.dtypes = {
            f.name: _DTYPES.get(f.type, "object") for f in (*definition.fields, *definition.outside)
        }

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
                    isin_or_blank(allowed),
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
        # every row gives its return's period and provider: one check for each value
        # expected (of several returns in one frame, each return's own)
        for facts, name, code, says in (
            ("periods", self.definition.period_field, "period-mismatch", _PERIOD_SAYS),
            ("providers", self.definition.provider_field, "provider-mismatch", _PROVIDER_SAYS),
        ):
            if f.name != name:
                continue
            for expected in self._expected(facts):
                checks.append(
                    self._by_row(
                        self._equals(expected, facts),
                        code,
                        "error",
                        f"{label} {says.format(expected)}",
                        field=f.name,
                    )
                )
        return tuple(checks)

    def _expected(self, facts: str) -> list[str]:
        """The periods (or providers) the rows must give: the return's, or of several
        returns in one frame, each one's, each once."""
        one = self.context.period if facts == "periods" else self.context.provider
        returns = self.context.returns
        return ([str(one)] if one is not None else []) + _each(
            getattr(returns, facts) if returns is not None else ()
        )

    def _by_row(self, fn: Callable[[Any], Any], *args: Any, **kwargs: Any) -> CheckFn:
        """:meth:`check`, for a check that reads which return each row is of."""
        check = self.check(fn, *args, **kwargs)
        return replace(check, by_row=self.context.returns is not None)

    def _equals(self, expected: str, facts: str) -> Callable[[pd.Series], pd.Series]:
        """Blank or ``expected``; of several returns in one frame, only the rows of the
        returns whose period (or provider) is ``expected`` are checked, so that each return's
        rows fail the one check (and message) they would fail checked alone."""
        returns = self.context.returns
        if returns is None:
            return equals_or_blank(expected)
        import numpy as np

        mine = np.array(
            [str(v) == expected if v is not None else False for v in getattr(returns, facts)]
        )

        def equals_or_blank_in_its_return(s: pd.Series) -> pd.Series:
            ok: pd.Series = equals_or_blank(expected)(s) | ~returns.per_row(s.index, mine)
            return ok

        return equals_or_blank_in_its_return

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
                matches_pattern(pattern),
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
        when, group = rule.when, rule.group
        conditions = [c for c in (rule.check, when) if c is not None]
        # every field it reads, by where from: its own row (None), another row of its group
        # (previous, next, first, last), the previous return (before), another table
        names = list(dict.fromkeys(n for c in conditions for n in written(c)))
        read: dict[str | None, list[str]] = {}
        for name in names:
            read.setdefault(split_name(name)[0], []).append(name)
        relatives = [n for n in names if split_name(n)[0] in RELATIVES]
        aggregates = list(dict.fromkeys(o for c in conditions for o in grouped_parts(c)[1]))
        befores = read.get(BEFORE, [])
        elsewhere = {
            k: v for k, v in read.items() if k is not None and k not in (BEFORE, *RELATIVES)
        }
        counted = [o for c in conditions for o in table_counts(c)]
        home = self.definition_tables.get(self.definition.table_name or "", ())
        # of several returns in one frame, a group's rows are of one return
        keyed = (
            replace(group, by=(*group.by, RETURN_COLUMN))
            if group is not None and self.context.returns is not None
            else group
        )
        previous = self.definition.previous_return
        match = previous.match if previous is not None and befores else ()

        def passes(frame: pd.DataFrame) -> pd.Series:
            import pandas as pd

            if befores:  # the matching rows of the previous return, as columns
                if self.context.previous is None:
                    return pd.Series(True, index=frame.index)  # not given: nothing to compare
                frame = with_matching_rows(
                    frame, self.context.previous, match, befores, self.dtypes
                )
            for other, names in elsewhere.items():  # the matching rows of other tables
                rows = (self.context.tables or {}).get(other)
                if rows is None:
                    return pd.Series(True, index=frame.index)  # not given: nothing to compare
                frame = with_matching_rows(
                    frame, rows, self.definition_tables[other], names, self.dtypes
                )
            for operand in counted:  # the rows of another table with this row's key
                rows = (self.context.tables or {}).get(operand.inner)
                if rows is None or not home:
                    return pd.Series(True, index=frame.index)  # not given: nothing to compare
                frame = with_counts(frame, rows, home, operand.value)
            if keyed is not None:  # the other rows of each row's group, as columns
                frame = with_group_values(
                    frame, keyed, relatives, aggregates, self.context, self.grouping
                )
            # a rule fails where its condition is known to hold and its check known to fail
            failed = truth(rule.check, frame, self.context, self.separators).fails()
            if when is not None:
                failed &= truth(when, frame, self.context, self.separators).holds()
            return pd.Series(~failed, index=frame.index)

        keys = [k for other in elsewhere for k in self.definition_tables.get(other, ())]
        # a field read only from another table's row (header.DOB) is not a column of this one
        read_here = {split_name(n)[1] for n in names if split_name(n)[0] not in elsewhere}
        elsewhere_only = {split_name(n)[1] for ns in elsewhere.values() for n in ns} - read_here
        if group is not None:
            elsewhere_only -= {*group.by, *group.order}
        columns = tuple(
            dict.fromkeys(
                (
                    *(f for f in rule.fields if f not in elsewhere_only),
                    *match,
                    *keys,
                    *(home if counted else ()),
                )
            )
        )
        if group is not None:
            # a finding names (and shows) a value of its own row, not one of another row's
            columns = tuple(dict.fromkeys([*read.get(None, [])[:1], *columns]))
        first = columns[0] if columns else None
        check = self.check(
            passes, "rule-failed", rule.severity, rule.message, field=first, rule=rule.id
        )
        if group is None:
            return RuleSchema(columns, (check,))
        # a group's rows may be anywhere in the return: checked on the whole return, with
        # the values it compares kept as they are (its key may be kept as a hash)
        values = tuple(f for f in columns if f not in group.by or f in _compared(rule))
        return RuleSchema(columns, (check,), "return", values, shares_frame=True)

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
        if self.context.returns is not None:  # the same key in two returns is no repeat
            same.append(RETURN_COLUMN)
        differ = list(rule.differ)
        if rule.kind == "unique":

            def passes(frame: pd.DataFrame) -> pd.Series:
                import numpy as np
                import pandas as pd

                rows, keys = repeated_keys(frame, same)
                failed = np.zeros(len(frame), dtype=bool)
                failed[rows[pd.Series(keys).duplicated(keep="first").to_numpy()]] = True
                return pd.Series(~failed, index=frame.index)

            code = "duplicate-id"
        else:

            def passes(frame: pd.DataFrame) -> pd.Series:
                import numpy as np
                import pandas as pd

                # only rows whose key repeats can differ: group just those
                rows, keys = repeated_keys(frame, same, also_present=differ)
                sub = frame.iloc[rows][differ].reset_index(drop=True)
                variety = sub.groupby(keys).transform("nunique").max(axis=1).to_numpy()
                later = pd.Series(keys).duplicated(keep="first").to_numpy()
                failed = np.zeros(len(frame), dtype=bool)
                failed[rows[(variety > 1) & later]] = True
                return pd.Series(~failed, index=frame.index)

            code = "rule-failed"
        check = self.check(passes, code, rule.severity, rule.message, field=same[0], rule=rule.id)
        return RuleSchema(tuple(same + differ), (check,), "return")


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


_PERIOD_SAYS = "differs from the period of the return ({}). Every row must have the same period."
_PROVIDER_SAYS = "differs from the provider submitting the return ({})."


def _each(values: Iterable[object]) -> list[str]:
    """Each value given once, as text, in order of first appearance."""
    return list(dict.fromkeys(str(v) for v in values if v is not None))


def _compared(rule: Rule) -> set[str]:
    """The fields a rule's conditions read (not only group by)."""
    return set(rule.check.fields()) | (set(rule.when.fields()) if rule.when else set())


#: the pandas type of a field's typed values, for a column of none
_DTYPES = {"date": "datetime64[s]", "integer": "Int64", "decimal": "float64", "boolean": "boolean"}
