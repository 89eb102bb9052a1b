"""Conditions evaluated over a frame in three-valued logic, vectorised in numpy."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from lp_audit.definitions.conditions import (
    AGGREGATES,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
    Operand,
    split_name,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


from lp_audit.checks.specs import Context


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
        if isinstance(s.dtype, np.dtype) and s.dtype.kind == "M":
            # a date as its day: a time of day after it counts only in minutes(A, B)
            return _days(s.to_numpy()), known
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "miuf":
            return s.to_numpy(), known
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iuf":
            return s.fillna(0).to_numpy(), known  # Int64 to int64, Float64 to float64
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
            # text and codes compare as plain values: two code columns' categories differ
            return s.astype(object).to_numpy(), known
        return s, known  # anything else is compared as pandas compares it
    if op.kind == "number":
        return int(op.value), True
    if op.kind in ("years", "days"):  # whole years (an age), or days, from one date to another
        first = _operand(op.parts[0], frame, context)
        second = _operand(op.parts[1], frame, context)
        if first is None or second is None:
            return None
        known = np.logical_and(first[1], second[1])
        if op.kind == "years":
            return whole_years(first[0], second[0]), known
        return days_between(first[0], second[0]), known
    if op.kind == "minutes":  # whole minutes from one date and time to another
        a, b = (frame[p.value].to_numpy(dtype="datetime64[s]") for p in op.parts)
        known = ~(np.isnat(a) | np.isnat(b))
        minutes = np.trunc((b - a).astype("float64") / 60)  # from seconds
        minutes[~known] = np.nan
        return minutes, known
    if op.kind == "lookup":  # the table's value for the row's value, as text
        inner = _operand(op.parts[0], frame, context)
        if inner is None:
            return None
        values, known = inner
        keys = pd.Series(np.broadcast_to(values, (len(frame),)), dtype=object)
        found = keys.map(dict(op.table)).to_numpy(dtype=object)
        return found, np.logical_and(known, pd.notna(found))
    if op.kind in (*AGGREGATES, "rows_in"):  # worked out beforehand (see checks.groups)
        if op.value not in frame.columns:
            return None
        return _operand(Operand("field", op.value), frame, context)
    if op.kind == "date":
        return np.datetime64(op.value, "D"), True
    # dates as days: no cast of a column to nanoseconds, which would overflow in year 2262
    if op.kind == "today":
        return np.datetime64(context.today or date.today(), "D"), True
    if context.returns is not None:  # several returns in one frame: each row's own period
        days = context.returns.days(frame.index, op.kind == "period_end")
        return days, ~np.isnat(days)
    if context.period is None:
        return None
    day = context.period.start if op.kind == "period_start" else context.period.end
    return np.datetime64(day, "D"), True


def operand_values(op: Operand, frame: pd.DataFrame, context: Context) -> tuple[Any, Any]:
    """An operand's value in every row and where it is known, as numpy arrays (nothing known
    where the context lacks it)."""
    import numpy as np

    n = len(frame)
    found = _operand(op, frame, context)
    if found is None:
        return np.zeros(n), np.zeros(n, dtype=bool)
    values, known = found
    if not isinstance(values, np.ndarray) or values.shape != (n,):
        values = np.full(n, values)
    return values, _everywhere(np.asarray(known), n)


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
            separator = (separators or {}).get(split_name(condition.field)[1], "|")
            tokens = s.str.split(separator, regex=False).explode()
            found = tokens.isin(condition.values).groupby(level=0).any()
            return Truth(found.reindex(frame.index, fill_value=False).to_numpy(bool), everywhere)
        if condition.op in ("starts_with", "length"):
            return Truth(_text_test(condition, s), everywhere)
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
        if condition.shift and condition.unit == "months":
            b = add_months(b, condition.shift)
        elif condition.shift:
            shift = np.timedelta64(condition.shift, "D")
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


def _text_test(condition: FieldTest, s: pd.Series) -> np.ndarray:
    """``starts_with`` or ``length`` on each value's text; False where it is blank. A code
    column is tested once per category."""
    import numpy as np
    import pandas as pd

    def test(text: pd.Series) -> np.ndarray:
        if condition.op == "starts_with":
            hit = text.str.startswith(tuple(condition.values))
        else:
            low, high = condition.values
            length = text.str.len()
            hit = length >= int(low or 0)
            if high:
                hit &= length <= int(high)
        return np.asarray(hit.fillna(False).to_numpy(dtype=bool))

    if isinstance(s.dtype, pd.CategoricalDtype):
        among = np.append(test(pd.Series(s.cat.categories.astype(str))), False)  # -1: blank
        result: np.ndarray = among[s.cat.codes.to_numpy()]
        return result
    return test(s.astype("string"))


def _days(values: Any) -> np.ndarray:
    """Dates (a column or one date) as numpy days."""
    import numpy as np

    return np.asarray(values).astype("datetime64[D]")


def add_months(dates: Any, months: int) -> np.ndarray:
    """``dates`` moved by whole calendar months; a day past the end of the month it lands in
    becomes that month's last day (2024-01-31 + 1 month is 2024-02-29). Missing stays missing."""
    import numpy as np

    days = _days(dates)
    month = days.astype("datetime64[M]")
    offset = (days - month.astype("datetime64[D]")).astype("int64")
    target = month + np.timedelta64(months, "M")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    moved: np.ndarray = target.astype("datetime64[D]") + np.minimum(offset, length - 1).astype(
        "timedelta64[D]"
    )
    return np.where(np.isnat(days), np.datetime64("NaT", "D"), moved)


def days_between(start: Any, end: Any) -> np.ndarray:
    """The days from ``start`` to ``end`` (negative when ``end`` is earlier), as floats: NaN
    where either is missing."""
    import numpy as np

    a, b = np.broadcast_arrays(_days(start), _days(end))
    days: np.ndarray = (b - a).astype("float64")
    days[np.isnat(a) | np.isnat(b)] = np.nan
    return days


def whole_years(start: Any, end: Any) -> np.ndarray:
    """The whole years from ``start`` to ``end`` (an age at ``end`` of someone born on
    ``start``; born on 29 February, a year older on 1 March in a common year). Where either is
    missing the value means nothing (the caller knows where)."""
    import numpy as np

    a, b = np.broadcast_arrays(_days(start), _days(end))
    missing = np.isnat(a) | np.isnat(b)
    a = np.where(missing, np.datetime64("2000-01-01", "D"), a)
    b = np.where(missing, np.datetime64("2000-01-01", "D"), b)
    years = b.astype("datetime64[Y]").astype("int64") - a.astype("datetime64[Y]").astype("int64")
    # not yet the birthday in the end year: (month, day) of the end before that of the start
    a_month = a.astype("datetime64[M]").astype("int64") % 12
    b_month = b.astype("datetime64[M]").astype("int64") % 12
    a_day = (a - a.astype("datetime64[M]").astype("datetime64[D]")).astype("int64")
    b_day = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype("int64")
    before: np.ndarray = (b_month < a_month) | ((b_month == a_month) & (b_day < a_day))
    return np.asarray(years - before.astype("int64"))


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
