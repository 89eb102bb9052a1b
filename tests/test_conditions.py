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
        if condition.op in ("starts_with", "length"):  # on the text, blank never passes
            text = s.astype("string")
            if condition.op == "starts_with":
                hit = text.str.startswith(condition.values)
            else:
                low, high = (int(v) if v else None for v in condition.values)
                hit = text.str.len().between(low or 0, high if high is not None else 10**9)
            return hit.fillna(False).astype("boolean")
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
            side = _side(op, frame, context)
            if side is None:
                return pd.Series(pd.NA, index=index, dtype="boolean")
            sides.append(side)
        left, right = sides
        if condition.shift and condition.unit == "months":  # pandas' calendar months
            right = right + pd.DateOffset(months=condition.shift)
        elif condition.shift:
            right = right + pd.Timedelta(days=condition.shift)
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


def _side(op: Operand, frame: pd.DataFrame, context: Context) -> object:
    """One side of a comparison as pandas has it; None where the context lacks it."""
    if op.kind == "field":
        return frame[op.value]
    if op.kind == "number":
        return int(op.value)
    if op.kind == "today":
        return pd.Timestamp(context.today)
    if op.kind == "years":  # the age at the second date, a birthday at a time, in Python
        start, end = (_side(part, frame, context) for part in op.parts)
        if start is None or end is None:
            return None
        starts = start if isinstance(start, pd.Series) else pd.Series(start, index=frame.index)
        ends = end if isinstance(end, pd.Series) else pd.Series(end, index=frame.index)
        ages = [
            pd.NA
            if pd.isna(a) or pd.isna(b)
            else b.year - a.year - ((b.month, b.day) < (a.month, a.day))
            for a, b in zip(starts, ends, strict=True)
        ]
        return pd.Series(ages, index=frame.index, dtype="Int64")
    if context.period is None:
        return None
    return pd.Timestamp(context.period.start if op.kind == "period_start" else context.period.end)


def _frames() -> st.SearchStrategy[pd.DataFrame]:
    code = st.sampled_from([*CODES, None])
    some_day = st.dates(FIRST_DAY, LAST_DAY)
    day = st.one_of(st.none(), some_day, some_day, some_day)  # mostly present
    count = st.one_of(st.none(), st.integers(-2, 8), st.integers(-2, 8))
    # dates of birth, 29 February among them, for ages
    birth = st.one_of(
        st.none(),
        st.dates(dt.date(2000, 1, 1), dt.date(2013, 12, 31)),
        st.sampled_from([dt.date(2008, 2, 29), dt.date(2004, 2, 29), dt.date(2010, 7, 20)]),
    )

    def frame(codes: list, firsts: list, seconds: list, counts: list, births: list) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "status": pd.Categorical(codes, categories=CODES),
                "text": pd.Series(codes, dtype="str"),
                "first": pd.to_datetime(pd.Series(firsts, dtype="object")).astype("<M8[s]"),
                "second": pd.to_datetime(pd.Series(seconds, dtype="object")).astype("<M8[s]"),
                "count": pd.array(counts, dtype="Int64"),
                "born": pd.to_datetime(pd.Series(births, dtype="object")).astype("<M8[s]"),
            }
        )

    column = st.lists
    return st.builds(
        frame,
        column(code, min_size=ROWS, max_size=ROWS),
        column(day, min_size=ROWS, max_size=ROWS),
        column(day, min_size=ROWS, max_size=ROWS),
        column(count, min_size=ROWS, max_size=ROWS),
        column(birth, min_size=ROWS, max_size=ROWS),
    )


def _conditions() -> st.SearchStrategy[Condition]:
    ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    values = st.lists(st.sampled_from(CODES), min_size=1, max_size=2).map(tuple)
    test = (
        st.builds(
            FieldTest,
            st.sampled_from(["status", "text"]),
            st.sampled_from(["equals", "not_equals", "in", "not_in"]),
            values,
        )
        | st.builds(
            FieldTest,
            st.sampled_from(["status", "text"]),
            st.just("starts_with"),
            st.lists(
                st.sampled_from(["OP", "C", "NOT_", "X", "CLOSED"]), min_size=1, max_size=2
            ).map(tuple),
        )
        | st.builds(
            FieldTest,
            st.sampled_from(["status", "text"]),
            st.just("length"),
            st.sampled_from([("4", "4"), ("5", "6"), ("", "5"), ("6", ""), ("9", "9")]),
        )
        | st.builds(
            lambda f, b: FieldTest(f, "blank", blank=b),
            st.sampled_from(["status", "first", "count"]),
            st.booleans(),
        )
    )
    day = st.sampled_from(
        [Operand("field", d) for d in DATES]
        + [Operand("period_start", "period.start"), Operand("period_end", "period.end")]
        + [Operand("today", "today")]
    )
    dates = st.builds(
        Compare, day, ops, day, st.integers(-20, 20), st.sampled_from(["days", "months"])
    )
    # dates of birth against the others shifted by whole years (months: the last of a month)
    births = st.builds(
        Compare,
        st.just(Operand("field", "born")),
        ops,
        day,
        st.sampled_from([-12 * 15, -12 * 17, -12 * 12 - 4, -1]),
        st.just("months"),
    )
    ages = st.builds(
        lambda end, op, years: Compare(
            Operand("years", "years(born, …)", (Operand("field", "born"), end)),
            op,
            Operand("number", str(years)),
        ),
        day,
        ops,
        st.integers(10, 26),
    )
    numbers = st.builds(
        Compare,
        st.just(Operand("field", "count")),
        ops,
        st.sampled_from([Operand("number", "0"), Operand("number", "5")]),
    )
    leaves = test | dates | numbers | births | ages
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
    later = Compare(Operand("field", "first"), ">", Operand("today", "today"), 24, "months")
    assert evaluate(later, frame, CONTEXTS[0]).tolist() == [True]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    days=st.lists(st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))),
    months=st.integers(-1200, 1200),
)
def test_calendar_months_move_as_pandas_moves_them(days: list, months: int) -> None:
    """'+ N months' and '+ N years' land on the same day as pandas' DateOffset: the last day
    of the month where the day is past its end (31 January + 1 month, 29 February + 1 year)."""
    from lp_audit.checks.truth import add_months

    dates = pd.to_datetime(pd.Series(days, dtype="object"))
    expected = (dates + pd.DateOffset(months=months)).to_numpy().astype("datetime64[D]")
    got = add_months(dates.to_numpy(), months)
    assert np.array_equal(np.isnat(got), np.isnat(expected))
    assert np.array_equal(got[~np.isnat(got)], expected[~np.isnat(expected)])
