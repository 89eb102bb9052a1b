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
from typing import TYPE_CHECKING, Any

from lp_audit.checks import Context, evaluate
from lp_audit.definitions import Definition, Field

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.checks.parsing import Parsed

#: Error codes that make a value invalid (rule failures and missing values do not).
INVALID_CODES = frozenset(
    {
        "invalid-code",
        "invalid-type",
        "invalid-date",
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


@dataclass
class Capture:
    """The capture profile of one return."""

    fields: pd.DataFrame  # PROFILE_COLUMNS, one row per field of the definition
    categories: (
        pd.DataFrame
    )  # field, code, count, rows: how many rows (of rows with a value) use each code
    metrics: pd.DataFrame  # metric, numerator, denominator, value
    cases: pd.DataFrame | None  # continuity: the id field, the 'same' fields, and 'open'
    #: the values each mean or median metric is taken over, one per row it counts: what a
    #: rank test of one provider against the rest needs
    metric_values: dict[str, np.ndarray] = field(default_factory=dict)
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
    import numpy as np
    import pandas as pd

    typed = parsed.typed
    n = len(typed)

    def rows_with(field: str, codes: frozenset[str], severity: str | None = None) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for (name, code, level), rows in marks.items():
            if name == field and code in codes and (severity is None or level == severity):
                mask |= rows
        return mask

    records = []
    categories = []
    signals: list[dict[str, Any]] = []
    for f in definition.fields:
        if f.name not in typed.columns:
            records.append(
                {
                    "field": f.name,
                    "rows": n,
                    "valid": 0,
                    "unknown": 0,
                    "invalid": 0,
                    "missing": n,
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
            unknown = values.isin(f.unknown_codes).to_numpy(dtype=bool) & ~invalid & ~blank
        valid = ~blank & ~invalid & ~unknown
        non_standard = rows_with(f.name, NON_STANDARD_CODES) & (valid | unknown)
        signals += _field_signals(f, values, valid, context)
        records.append(
            {
                "field": f.name,
                "rows": n,
                "valid": int(valid.sum()),
                "unknown": int(unknown.sum()),
                "invalid": int(invalid.sum()),
                "missing": int(missing.sum()),
                "not_applicable": int(not_applicable.sum()),
                "non_standard": int(non_standard.sum()),
            }
        )
        if f.is_coded:
            categories.append(
                _category_counts(
                    f.name, f.type, f.separator, values[valid | unknown], [c.value for c in f.codes]
                )
            )
    fields = pd.DataFrame.from_records(records, columns=list(PROFILE_COLUMNS))
    category_frame = (
        pd.concat(categories, ignore_index=True)
        if categories
        else pd.DataFrame({"field": [], "code": [], "count": [], "rows": []})
    )
    per_row: dict[str, np.ndarray] = {}
    return Capture(
        fields,
        category_frame,
        _metrics(definition, typed, context, per_row),
        _cases(definition, typed, context),
        per_row,
        pd.DataFrame.from_records(signals, columns=["field", "signal", "count", "of"]),
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
    f: Field, values: pd.Series, valid: np.ndarray, context: Context
) -> list[dict[str, Any]]:
    """Dates heaped on the 1st of a month or the period's first day, placeholder dates,
    numbers and text in one field: counts among its valid values, and how many those are."""
    import pandas as pd

    if f.type not in ("date", "integer", "decimal", "text"):
        return []
    valid = valid & values.notna().to_numpy()
    of = int(valid.sum())
    if not of:
        return []
    if f.type == "date":
        dates = pd.to_datetime(values, errors="coerce")
        counts = {
            "first-of-month": (dates.dt.day == 1).to_numpy(dtype=bool),
            "placeholder-date": dates.isin(pd.to_datetime(list(_PLACEHOLDER_DATES))).to_numpy(
                dtype=bool
            ),
        }
        if context.period is not None:
            start = pd.Timestamp(context.period.start)
            counts["period-start"] = (dates == start).to_numpy(dtype=bool)
    elif f.type in ("integer", "decimal"):
        numbers = pd.to_numeric(values, errors="coerce")
        counts = {"placeholder-number": numbers.isin([99, 999, 9999, -1]).to_numpy(dtype=bool)}
    else:
        text = values.astype("string").str.strip().str.lower()
        counts = {
            "placeholder-text": text.isin(_PLACEHOLDER_TEXT).fillna(False).to_numpy(dtype=bool)
        }
    return [
        {"field": f.name, "signal": signal, "count": int((hits & valid).sum()), "of": of}
        for signal, hits in counts.items()
    ]


def _category_counts(
    name: str, ftype: str, separator: str, values: pd.Series, codes: list[str]
) -> pd.DataFrame:
    import pandas as pd

    from lp_audit.checks.parsing import split_codes

    if ftype == "multi_code":
        tokens = pd.Series(split_codes(values, separator).tokens, dtype="str")
        counts = tokens.value_counts()
    else:
        counts = values.value_counts()
    counts = counts.reindex(codes, fill_value=0)
    return pd.DataFrame(
        {
            "field": name,
            "code": codes,
            "count": counts.to_numpy(dtype="int64"),
            "rows": len(values),  # rows with a value: several codes in a row count it once
        }
    )


def _metrics(
    definition: Definition, typed: pd.DataFrame, context: Context, values: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Each metric's numerator, denominator and value; ``values`` gets the per-row values of
    means and medians."""
    import numpy as np
    import pandas as pd

    separators = definition.separators
    records = []
    for metric in definition.metrics:
        if any(name not in typed.columns for name in metric.fields):
            records.append(
                {"metric": metric.id, "numerator": np.nan, "denominator": 0, "value": np.nan}
            )
            continue

        def holds(cond: object, default: bool) -> np.ndarray:
            if cond is None:
                return np.full(len(typed), default)
            return evaluate(cond, typed, context, separators).fillna(False).to_numpy(dtype=bool)  # type: ignore[arg-type]

        where = holds(metric.where, True)
        num: float
        if metric.kind == "share":
            denominator = holds(metric.of, True)
            num, den = float((denominator & where).sum()), int(denominator.sum())
            value = num / den if den else np.nan
        elif metric.kind == "mean":
            numbers = pd.to_numeric(typed[str(metric.field)], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            use = where & ~np.isnan(numbers)
            num, den = float(numbers[use].sum()), int(use.sum())
            value = num / den if den else np.nan
            values[metric.id] = numbers[use]
        else:
            days = (typed[str(metric.end)] - typed[str(metric.start)]).dt.days.to_numpy(
                dtype="float64", na_value=np.nan
            )
            use = where & ~np.isnan(days)
            den = int(use.sum())
            value = float(np.median(days[use])) if den else np.nan
            num = np.nan
            values[metric.id] = days[use]
        records.append({"metric": metric.id, "numerator": num, "denominator": den, "value": value})
    return pd.DataFrame.from_records(
        records, columns=["metric", "numerator", "denominator", "value"]
    )


def _cases(definition: Definition, typed: pd.DataFrame, context: Context) -> pd.DataFrame | None:
    c = definition.continuity
    if c is None or any(
        name not in typed.columns for name in (c.id_field, *c.same, *c.open_when.fields())
    ):
        return None
    frame = typed[[c.id_field, *c.same]].copy()
    frame["open"] = evaluate(c.open_when, typed, context).fillna(False).to_numpy(dtype=bool)
    return (
        frame[frame[c.id_field].notna()].drop_duplicates(subset=[c.id_field]).reset_index(drop=True)
    )
