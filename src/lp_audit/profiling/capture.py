"""Capture profiles: how each field of one return was filled in, and its drift metrics.

Every cell of a field falls in exactly one class, the split NHS data quality dashboards use:

- ``valid``: a real value that passed its checks (possibly after normalisation);
- ``unknown``: one of the field's "not known" codes (a valid way of saying it was not captured);
- ``invalid``: a value with an error finding (wrong code, type, date, range, form, …);
- ``missing``: blank where the field is required (always, or because its condition holds), or
  blank in an optional field;
- ``not_applicable``: blank in a conditional field whose condition does not hold.

``non_standard`` counts the valid or unknown values that were accepted only after normalisation
(a code in the wrong case, a DD/MM/YYYY date). Rates use the applicable rows
(``rows - not_applicable``):

- completeness = (applicable - missing) / applicable
- validity = (valid + unknown) / (applicable - missing)
- field score = valid / applicable: the share of rows that hold a real, valid value, so
  "not known" codes, invalid values and blanks all lower it
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.checks import Context, evaluate
from lp_audit.definitions import Definition, Field
from lp_audit.profiling.tally import Tally

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.checks.parsing import Distinct, Parsed

#: Error codes that make a value invalid (rule failures and missing values do not).
INVALID_CODES = frozenset(
    {
        "invalid-code",
        "invalid-type",
        "invalid-date",
        "date-as-number",
        "date-with-time",
        "date-without-time",
        "out-of-range",
        "pattern-mismatch",
        "too-long",
        "too-short",
        "invalid-check-digit",
        "exclusive-code",
    }
)
NON_STANDARD_CODES = frozenset({"non-standard-code", "date-format"})
CLASSES = ("valid", "unknown", "invalid", "missing", "not_applicable")
PROFILE_COLUMNS = ("field", "rows", *CLASSES, "non_standard")


@dataclass(frozen=True)
class SetAside:
    """A return's cases written to an Arrow file, to be read back when continuity is
    followed: an audit holds each return's summaries in memory, not a row per case."""

    path: Path
    dtypes: dict[str, str]  # each column's pandas type, restored on reading
    #: what keeps the file: its folder is removed once no set-aside cases refer to it
    folder: object = field(default=None, compare=False, repr=False)


@dataclass
class Capture:
    """The capture profile of one return."""

    fields: pd.DataFrame  # PROFILE_COLUMNS, one row per field of the definition
    categories: (
        pd.DataFrame
    )  # field, code, count, rows: how many rows (of rows with a value) use each code
    metrics: pd.DataFrame  # metric, numerator, denominator, value
    #: continuity: the id field, the 'same' fields, and 'open'; an audit sets them aside on
    #: disk as each return is validated (see lp_audit.validation.stored.cases_of)
    cases: pd.DataFrame | SetAside | None
    #: the values each mean or median metric is taken over, tallied: what a rank test of one
    #: provider against the rest and the network's mean or median need
    metric_values: dict[str, Tally] = field(default_factory=dict)
    #: field, signal, count, of: capture problems that pass every check (see SIGNALS)
    signals: pd.DataFrame | None = None


def capture(
    definition: Definition,
    parsed: Parsed,
    marks: Mapping[tuple[str, str, str], np.ndarray],
    context: Context,
) -> Capture:
    """Profile one validated return from its typed values and where its checks failed.

    ``marks`` holds, for each (field, finding code, severity), a mask of the rows with that
    finding: every row, including those a long list of findings does not show one by one.
    """
    return captures(definition, parsed, marks, context)[0]


def captures(
    definition: Definition,
    parsed: Parsed,
    marks: Mapping[tuple[str, str, str], np.ndarray],
    context: Context,
) -> list[Capture]:
    """The capture profile of each return of ``parsed``: one return, or with
    ``context.returns``, several returns' rows one after another (each row's return
    numbered there), profiled together and told apart by counting rows per return."""
    import numpy as np
    import pandas as pd

    typed = parsed.typed
    n = len(typed)
    returns = context.returns
    number = returns.number if returns is not None else np.zeros(n, dtype=np.int64)
    k = len(returns.periods) if returns is not None else 1
    starts = np.searchsorted(number, np.arange(k + 1))  # each return's rows, one after another

    def per_return(mask: np.ndarray) -> np.ndarray:
        if k > 64:
            counted: np.ndarray = np.bincount(number[mask], minlength=k)
            return counted
        # each return's rows are one run: counting each run is a fiftieth of the time
        return np.array(
            [np.count_nonzero(mask[starts[i] : starts[i + 1]]) for i in range(k)], dtype=np.int64
        )

    sizes = per_return(np.ones(n, dtype=bool))

    def rows_with(field: str, codes: frozenset[str], severity: str | None = None) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for (name, code, level), rows in marks.items():
            if name == field and code in codes and (severity is None or level == severity):
                mask |= rows
        return mask

    records: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    categories: list[tuple[str, list[str], np.ndarray, np.ndarray]] = []
    signals: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    for f in definition.fields:
        if f.name not in typed.columns:
            for i in range(k):
                records[i].append(
                    {
                        "field": f.name,
                        "rows": int(sizes[i]),
                        "valid": 0,
                        "unknown": 0,
                        "invalid": 0,
                        "missing": int(sizes[i]),
                        "not_applicable": 0,
                        "non_standard": 0,
                    }
                )
            continue
        blank = parsed.blank[f.name].to_numpy(dtype=bool)
        invalid = rows_with(f.name, INVALID_CODES, "error") & ~blank
        required_here = rows_with(f.name, frozenset({"missing-required"}))
        if f.required_when is not None:
            missing = blank & required_here
            not_applicable = blank & ~required_here
        else:
            missing = blank
            not_applicable = np.zeros(n, dtype=bool)
        values = typed[f.name]
        unknown = np.zeros(n, dtype=bool)
        if f.type == "code" and f.unknown_codes:
            unknown = _holds(values, f.unknown_codes) & ~invalid & ~blank
        valid = ~blank & ~invalid & ~unknown
        non_standard = rows_with(f.name, NON_STANDARD_CODES) & (valid | unknown)
        counts = {
            "valid": per_return(valid),
            "unknown": per_return(unknown),
            "invalid": per_return(invalid),
            "missing": per_return(missing),
            "not_applicable": per_return(not_applicable),
            "non_standard": per_return(non_standard),
        }
        for i in range(k):
            record: dict[str, Any] = {"field": f.name, "rows": int(sizes[i])}
            record.update({name: int(count[i]) for name, count in counts.items()})
            records[i].append(record)
        found = _field_signals(f, values, valid, context, parsed.distinct.get(f.name))
        if found is not None:
            of = per_return(found[0])
            for signal, hits in found[1].items():
                hit = per_return(hits & found[0])
                for i in range(k):
                    if of[i] and (signal != "period-start" or _period_of(context, i)):
                        signals[i].append(
                            {
                                "field": f.name,
                                "signal": signal,
                                "count": int(hit[i]),
                                "of": int(of[i]),
                            }
                        )
        if f.is_coded:
            codes = [c.value for c in f.codes]
            used = valid | unknown
            counted = _category_counts(f, values, used, number, k, codes)
            rows = counts["valid"] + counts["unknown"]  # used: valid or unknown, never both
            categories.append((f.name, codes, counted, rows))
    metrics, per_row = _metrics(definition, typed, context, starts)
    cases = _cases(definition, typed, context, number, starts)
    return [
        Capture(
            pd.DataFrame.from_records(records[i], columns=list(PROFILE_COLUMNS)),
            _category_frame(categories, i),
            metrics[i],
            cases[i] if cases is not None else None,
            per_row[i],
            pd.DataFrame.from_records(signals[i], columns=["field", "signal", "count", "of"]),
        )
        for i in range(k)
    ]


def _holds(values: pd.Series, wanted: Any) -> np.ndarray:
    """Where ``values`` is one of ``wanted``: of a column of categories, each category looked
    at once."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        of_category = np.append(values.cat.categories.isin(list(wanted)), False)
        held: np.ndarray = of_category[values.cat.codes.to_numpy()]
        return held
    found: np.ndarray = values.isin(wanted).to_numpy(dtype=bool)
    return found


def _period_of(context: Context, i: int) -> bool:
    """Whether the ``i``-th return's period is known."""
    if context.returns is not None:
        return context.returns.periods[i] is not None
    return context.period is not None


def _category_frame(
    categories: list[tuple[str, list[str], np.ndarray, np.ndarray]], i: int
) -> pd.DataFrame:
    """The ``i``-th return's counts of each code: field, code, count, rows."""
    import numpy as np
    import pandas as pd

    if not categories:
        return pd.DataFrame({"field": [], "code": [], "count": [], "rows": []})
    return pd.DataFrame(
        {
            "field": [name for name, codes, _, _ in categories for _ in codes],
            "code": [code for _, codes, _, _ in categories for code in codes],
            "count": np.concatenate([counted[i] for _, _, counted, _ in categories]),
            "rows": np.concatenate(
                [np.full(len(codes), rows[i], dtype="int64") for _, codes, _, rows in categories]
            ),
        }
    )


#: Signals of capture problems that pass every validity check, per field: each a count of
#: values out of the field's valid values, compared across providers like any rate.
SIGNALS = {
    "first-of-month": "dates on the first of a month",
    "period-start": "dates on the first day of the return period",
    "placeholder-date": "placeholder dates (1900-01-01, 1970-01-01, 2000-01-01 and the like)",
    "placeholder-number": "placeholder numbers (99, 999, 9999, -1)",
    "placeholder-text": "placeholder text ('unknown', 'n/a', 'tbc', '-' and the like)",
}
_PLACEHOLDER_DATES = ("1900-01-01", "1901-01-01", "1970-01-01", "2000-01-01", "1999-12-31")
_PLACEHOLDER_TEXT = frozenset(
    {"unknown", "not known", "n/a", "na", "none", "tbc", "tba", "-", "--", "?", "x", "xx", "xxx"}
)


def _field_signals(
    f: Field,
    values: pd.Series,
    valid: np.ndarray,
    context: Context,
    distinct: Distinct | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Dates heaped on the 1st of a month or the period's first day, placeholder dates,
    numbers and text in one field: the field's valid values, and where each signal is.

    A column parsed through its ``distinct`` values is looked at value by value, then each
    row takes its value's answer (a tenth of the time for a column of dates)."""
    import numpy as np
    import pandas as pd

    if f.type not in ("date", "integer", "decimal", "text"):
        return None
    valid = valid & values.notna().to_numpy()
    if not valid.any():
        return None
    looked_at = distinct.values if distinct is not None else values

    def spread(hits: np.ndarray) -> np.ndarray:
        return hits[distinct.rows] if distinct is not None else hits

    if f.type == "date":
        dates = pd.to_datetime(looked_at, errors="coerce").dt.normalize()  # days, no times
        counts = {
            "first-of-month": spread((dates.dt.day == 1).to_numpy(dtype=bool)),
            "placeholder-date": spread(
                dates.isin(pd.to_datetime(list(_PLACEHOLDER_DATES))).to_numpy(dtype=bool)
            ),
        }
        if context.returns is not None:  # each row's own period
            days = context.returns.days(np.arange(len(values)), end=False)
            counts["period-start"] = spread(dates.to_numpy(dtype="datetime64[s]")) == days
        elif context.period is not None:
            start = pd.Timestamp(context.period.start)
            counts["period-start"] = spread((dates == start).to_numpy(dtype=bool))
    elif f.type in ("integer", "decimal"):
        numbers = pd.to_numeric(looked_at, errors="coerce")
        counts = {
            "placeholder-number": spread(numbers.isin([99, 999, 9999, -1]).to_numpy(dtype=bool))
        }
    else:
        text = looked_at.astype("string").str.strip().str.lower()
        counts = {
            "placeholder-text": spread(
                text.isin(_PLACEHOLDER_TEXT).fillna(False).to_numpy(dtype=bool)
            )
        }
    return valid, counts


def _category_counts(
    f: Field, values: pd.Series, used: np.ndarray, number: np.ndarray, k: int, codes: list[str]
) -> np.ndarray:
    """For each return, how many of its ``used`` rows hold each code (a row of several codes
    counts for each)."""
    import numpy as np
    import pandas as pd

    from lp_audit.checks.parsing import split_codes

    m = len(codes)
    if f.type == "code" and isinstance(values.dtype, pd.CategoricalDtype):
        # each category looked up once, and every row counted in one pass: a row's place
        # among the codes, 0 where it holds none or is not used
        held = values.cat.codes.to_numpy()
        of_category = np.append(pd.Index(codes).get_indexer(values.cat.categories), -1) + 1
        place = np.where(used, of_category[held], 0)
        counted = np.bincount(number * (m + 1) + place, minlength=k * (m + 1))
        return counted.reshape(k, m + 1)[:, 1:].astype("int64")
    owner = number[used]
    if f.type == "multi_code":  # each token's place among the codes, looked up in Arrow
        import pyarrow as pa
        import pyarrow.compute as pc

        split = split_codes(values[used], f.separator)
        found = pc.index_in(split.tokens, value_set=pa.array(codes, type=pa.large_string()))
        position = found.fill_null(-1).to_numpy(zero_copy_only=False)
        owner = owner[split.rows]
    else:
        position = pd.Index(codes).get_indexer(pd.Index(values[used]))
    known = position >= 0
    counted = np.bincount(
        owner[known] * len(codes) + position[known], minlength=k * len(codes)
    ).reshape(k, len(codes))
    return counted.astype("int64")


def _metrics(
    definition: Definition, typed: pd.DataFrame, context: Context, starts: np.ndarray
) -> tuple[list[pd.DataFrame], list[dict[str, Tally]]]:
    """For each return (its rows from ``starts[i]`` to ``starts[i + 1]``), each metric's
    numerator, denominator and value, and the tally of the values of its means and medians."""
    import numpy as np
    import pandas as pd

    separators = definition.separators
    k = len(starts) - 1
    records: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    values: list[dict[str, Tally]] = [{} for _ in range(k)]
    for metric in definition.metrics:
        if any(name not in typed.columns for name in metric.fields):
            for i in range(k):
                records[i].append(
                    {"metric": metric.id, "numerator": np.nan, "denominator": 0, "value": np.nan}
                )
            continue

        def holds(cond: object, default: bool) -> np.ndarray:
            if cond is None:
                return np.full(len(typed), default)
            return evaluate(cond, typed, context, separators).fillna(False).to_numpy(dtype=bool)  # type: ignore[arg-type]

        where = holds(metric.where, True)
        if metric.kind == "share":
            denominator = holds(metric.of, True)
        elif metric.kind == "mean":
            numbers = pd.to_numeric(typed[str(metric.field)], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            use = where & ~np.isnan(numbers)
        else:
            # days from day to day, whatever the times of day after them
            end, start = (typed[str(name)].dt.normalize() for name in (metric.end, metric.start))
            numbers = (end - start).dt.days.to_numpy(dtype="float64", na_value=np.nan)
            use = where & ~np.isnan(numbers)
        for i in range(k):
            rows = slice(int(starts[i]), int(starts[i + 1]))
            num: float
            if metric.kind == "share":
                num = float((denominator[rows] & where[rows]).sum())
                den = int(denominator[rows].sum())
                value = num / den if den else np.nan
            elif metric.kind == "mean":
                taken = numbers[rows][use[rows]]
                num, den = float(taken.sum()), len(taken)
                value = num / den if den else np.nan
                values[i][metric.id] = Tally.of(taken)
            else:
                taken = numbers[rows][use[rows]]
                den = len(taken)
                value = float(np.median(taken)) if den else np.nan
                num = np.nan
                values[i][metric.id] = Tally.of(taken)
            records[i].append(
                {"metric": metric.id, "numerator": num, "denominator": den, "value": value}
            )
    frames = [
        pd.DataFrame.from_records(r, columns=["metric", "numerator", "denominator", "value"])
        for r in records
    ]
    return frames, values


def _cases(
    definition: Definition,
    typed: pd.DataFrame,
    context: Context,
    number: np.ndarray,
    starts: np.ndarray,
) -> list[pd.DataFrame] | None:
    """For each return, its cases for continuity: each ID once, with its 'same' fields and
    whether it is open."""
    import numpy as np

    c = definition.continuity
    if c is None or any(
        name not in typed.columns for name in (c.id_field, *c.same, *c.open_when.fields())
    ):
        return None
    frame = typed[[c.id_field, *c.same]].copy()
    frame["open"] = evaluate(c.open_when, typed, context).fillna(False).to_numpy(dtype=bool)
    present = frame[c.id_field].notna().to_numpy()
    kept = frame[present]
    owner = number[present]
    first = ~kept.assign(_return=owner).duplicated(subset=[c.id_field, "_return"]).to_numpy()
    kept, owner = kept[first], owner[first]
    bounds = np.searchsorted(owner, np.arange(len(starts)))
    return [
        kept.iloc[int(bounds[i]) : int(bounds[i + 1])].reset_index(drop=True)
        for i in range(len(starts) - 1)
    ]
