"""Conditions evaluated in numpy agree with pandas' nullable booleans, NA for NA.

`lp_audit.checks.truth` evaluates definitions' conditions with numpy arrays for speed. The
reference here is the plain reading of the condition language in pandas, whose ``boolean``
dtype implements the same three-valued (Kleene) logic: a comparison with a missing value is
unknown, ``unknown and False`` is False, ``unknown or True`` is True.
"""

from __future__ import annotations

import datetime as dt
import operator

import numpy as np
import pandas as pd
from conftest import FUZZ_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from lp_audit.checks import Context, evaluate
from lp_audit.definitions.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
    Operand,
)
from lp_audit.periods import Period

ROWS = 12
CODES = ["OPEN", "CLOSED", "NOT_KNOWN"]
DATES = ["first", "second"]
NUMBERS = ["count"]
# dates close together, so that shifts of days and the ends of periods matter
FIRST_DAY, LAST_DAY = dt.date(2025, 6, 10), dt.date(2025, 7, 20)
CONTEXTS = [
    Context(Period.parse("2025-26 Q1"), None, dt.date(2025, 7, 5)),
    Context(Period.parse("2025-26 Q2"), None, dt.date(2025, 6, 25)),
    Context(None, None, dt.date(2025, 7, 5)),  # no period: comparisons with it are unknown
]


def _reference(condition: Condition, frame: pd.DataFrame, context: Context) -> pd.Series:
    index = frame.index
    if isinstance(condition, FieldTest):
        s = frame[condition.field]
        if condition.op == "blank":
            result = s.isna() if condition.blank else s.notna()
        elif condition.op in ("equals", "in"):
            result = s.isin(condition.values)
        else:
            result = ~s.isin(condition.values)
        return result.fillna(False).astype("boolean")
    if isinstance(condition, Compare):
        sides = []
        for op in (condition.left, condition.right):
            if op.kind == "field":
                sides.append(frame[op.value])
            elif op.kind == "number":
                sides.append(int(op.value))
            elif op.kind == "today":
                sides.append(pd.Timestamp(context.today))
            elif context.period is None:
                return pd.Series(pd.NA, index=index, dtype="boolean")
            else:
                day = context.period.start if op.kind == "period_start" else context.period.end
                sides.append(pd.Timestamp(day))
        left, right = sides
        if condition.days:
            right = right + pd.Timedelta(days=condition.days)
        known = pd.Series(True, index=index)
        for side in (left, right):
            if isinstance(side, pd.Series):
                known &= side.notna()
        ops = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
        ops |= {"==": operator.eq, "!=": operator.ne}
        values = pd.Series(ops[condition.op](left, right), index=index).astype("boolean")
        return values.where(known, pd.NA)
    if isinstance(condition, AllOf | AnyOf):
        parts = [_reference(c, frame, context) for c in condition.conditions]
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if isinstance(condition, AllOf) else (result | part)
        return result
    assert isinstance(condition, Not)
    return ~_reference(condition.condition, frame, context)


def _frames() -> st.SearchStrategy[pd.DataFrame]:
    code = st.sampled_from([*CODES, None])
    some_day = st.dates(FIRST_DAY, LAST_DAY)
    day = st.one_of(st.none(), some_day, some_day, some_day)  # mostly present
    count = st.one_of(st.none(), st.integers(-2, 8), st.integers(-2, 8))

    def frame(codes: list, firsts: list, seconds: list, counts: list) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "status": pd.Categorical(codes, categories=CODES),
                "text": pd.Series(codes, dtype="str"),
                "first": pd.to_datetime(pd.Series(firsts, dtype="object")).astype("<M8[s]"),
                "second": pd.to_datetime(pd.Series(seconds, dtype="object")).astype("<M8[s]"),
                "count": pd.array(counts, dtype="Int64"),
            }
        )

    column = st.lists
    return st.builds(
        frame,
        column(code, min_size=ROWS, max_size=ROWS),
        column(day, min_size=ROWS, max_size=ROWS),
        column(day, min_size=ROWS, max_size=ROWS),
        column(count, min_size=ROWS, max_size=ROWS),
    )


def _conditions() -> st.SearchStrategy[Condition]:
    ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    values = st.lists(st.sampled_from(CODES), min_size=1, max_size=2).map(tuple)
    test = st.builds(
        FieldTest,
        st.sampled_from(["status", "text"]),
        st.sampled_from(["equals", "not_equals", "in", "not_in"]),
        values,
    ) | st.builds(
        lambda f, b: FieldTest(f, "blank", blank=b),
        st.sampled_from(["status", "first", "count"]),
        st.booleans(),
    )
    day = st.sampled_from(
        [Operand("field", d) for d in DATES]
        + [Operand("period_start", "period.start"), Operand("period_end", "period.end")]
        + [Operand("today", "today")]
    )
    dates = st.builds(Compare, day, ops, day, st.integers(-20, 20))
    numbers = st.builds(
        Compare,
        st.just(Operand("field", "count")),
        ops,
        st.sampled_from([Operand("number", "0"), Operand("number", "5")]),
    )
    leaves = test | dates | numbers
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3).map(lambda c: AllOf(tuple(c)))
            | st.lists(inner, min_size=1, max_size=3).map(lambda c: AnyOf(tuple(c)))
            | inner.map(Not)
        ),
        max_leaves=6,
    )


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(frame=_frames(), condition=_conditions(), context=st.sampled_from(CONTEXTS))
def test_numpy_evaluation_matches_pandas_three_valued_logic(
    frame: pd.DataFrame, condition: Condition, context: Context
) -> None:
    got = evaluate(condition, frame, context)
    expected = _reference(condition, frame, context)
    assert got.dtype == "boolean"
    assert np.array_equal(got.isna().to_numpy(), expected.isna().to_numpy()), condition
    known = expected.notna().to_numpy()
    assert np.array_equal(got.to_numpy()[known], expected.to_numpy()[known]), condition


def test_comparisons_far_from_today_do_not_overflow() -> None:
    frame = pd.DataFrame({"first": pd.Series([dt.datetime(9999, 1, 1)], dtype="<M8[s]")})
    later = Compare(Operand("field", "first"), ">", Operand("today", "today"), 14)
    assert evaluate(later, frame, CONTEXTS[0]).tolist() == [True]
