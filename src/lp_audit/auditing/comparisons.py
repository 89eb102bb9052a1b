"""Every comparison of an audit as one table: each provider against the rest of the network.

One row per test (see :mod:`~lp_audit.auditing.evidence` for the methods): its counts or
values and the rest's, the difference, its p-value and its q-value after the
Benjamini-Hochberg correction over every test of the audit, whether it is material, and its
importance. Highlights are the rows that are significant and material.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lp_audit.auditing.config import AuditConfig
from lp_audit.definitions import Definition

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.validation import ReturnResult

from lp_audit.auditing.against_rest import Rows, leave_out, proportions, record
from lp_audit.auditing.profiles import metric_rows, metric_values
from lp_audit.auditing.result import ALL, RATES

COLUMNS = [
    "kind",
    "period",
    "provider",
    "subject",
    "measure",
    "x",
    "n",
    "rest_x",
    "rest_n",
    "value",
    "rest_value",
    "difference",
    "size",
    "p",
    "q",
    "material",
    "significant",
    "importance",
    "since",
    "before",
]


def comparison_table(
    definition: Definition,
    results: list[ReturnResult],
    profile: pd.DataFrame,
    settings: AuditConfig,
) -> pd.DataFrame:
    """Test every provider against the rest, and correct the p-values together."""

    from lp_audit.auditing.evidence import benjamini_hochberg, strength

    min_rows, alpha = settings.thresholds.min_rows, settings.thresholds.fdr
    rows = Rows(COLUMNS)
    providers = profile[profile["provider"] != ALL] if len(profile) else profile
    _rates(providers, definition, min_rows, alpha, rows)
    _shares(results, definition, min_rows, alpha, rows)
    _codes(results, definition, min_rows, alpha, rows)
    _drift(results, definition, min_rows, alpha, rows)
    _signals(results, definition, min_rows, alpha, rows)
    _trends(providers, min_rows, alpha, rows)
    table = rows.frame()
    if table.empty:
        return table
    table["q"] = benjamini_hochberg(table["p"].to_numpy())
    material, ratio = settings.thresholds.material, settings.thresholds.ratio
    import numpy as np

    table["material"] = np.where(
        table["kind"] == "drift",
        table["difference"].abs() >= np.log(ratio) - 1e-12,
        table["difference"].abs() >= material - 1e-12,
    )
    table["significant"] = table["q"] <= settings.thresholds.fdr
    table["importance"] = [
        strength(q, size) for q, size in zip(table["q"], table["size"], strict=True)
    ]
    return table


def _rates(
    providers: pd.DataFrame,
    definition: Definition,
    min_rows: int,
    alpha: float,
    rows: Rows,
) -> None:
    """Blank, not known, invalid and non-standard values of each field: higher is worse."""
    import pandas as pd

    if providers.empty:
        return
    present = providers["applicable"] - providers["missing"]
    skip = {definition.period_field, definition.provider_field}
    frames = []
    for measure in RATES:
        frames.append(
            pd.DataFrame(
                {
                    "period": providers["period"],
                    "provider": providers["provider"],
                    "subject": providers["field"],
                    "measure": measure,
                    "x": providers[measure],
                    "n": providers["applicable"] if measure == "missing" else present,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[~frame["subject"].isin(skip)]
    proportions(
        "rate",
        frame,
        ["period", "subject", "measure"],
        lambda rec: str(rec["measure"]),
        min_rows,
        alpha,
        rows,
        one_sided=True,
    )


def _shares(
    results: list[ReturnResult],
    definition: Definition,
    min_rows: int,
    alpha: float,
    rows: Rows,
) -> None:
    """Share metrics: neither higher nor lower is worse, so two-sided."""
    metric_frame = metric_rows(results)
    shares = {m.id for m in definition.metrics if m.kind == "share"}
    if metric_frame.empty:
        return
    chosen = metric_frame[metric_frame["metric"].isin(shares)]
    frame = chosen.rename(columns={"metric": "subject", "numerator": "x", "denominator": "n"})
    frame = frame.assign(x=frame["x"].fillna(0).astype(int), n=frame["n"].astype(int))
    proportions(
        "share",
        frame,
        ["period", "subject"],
        lambda _: "share",
        min_rows,
        alpha,
        rows,
        one_sided=False,
    )


def _codes(
    results: list[ReturnResult],
    definition: Definition,
    min_rows: int,
    alpha: float,
    rows: Rows,
) -> None:
    """Each code's use: rows with it (or mentioning it) out of rows with a value."""
    import pandas as pd

    from lp_audit.auditing.profiles import stacked

    counts = stacked(results, "categories")
    if counts is None:
        return
    skip = {f.name for f in definition.fields if f.sensitive or not f.compare}
    skip |= {n for n in (definition.period_field, definition.provider_field) if n}
    unknown = {(f.name, c) for f in definition.fields for c in f.unknown_codes}
    keep = ~counts["field"].isin(skip) & ~pd.Series(
        [(f, c) in unknown for f, c in zip(counts["field"], counts["code"], strict=True)],
        index=counts.index,
    )
    counts = counts[keep]
    frame = counts.groupby(["period", "field", "code", "provider"], as_index=False, sort=False)[
        ["count", "rows"]
    ].sum()
    frame = frame.rename(columns={"field": "subject", "count": "x", "rows": "n"})
    proportions(
        "code",
        frame,
        ["period", "subject", "code"],
        lambda rec: f"code:{rec['code']}",
        min_rows,
        alpha,
        rows,
        one_sided=False,
    )


def _signals(
    results: list[ReturnResult],
    definition: Definition,
    min_rows: int,
    alpha: float,
    rows: Rows,
) -> None:
    """Heaped and placeholder values (see profiling.SIGNALS): higher is worse."""

    from lp_audit.auditing.profiles import stacked

    frame = stacked(results, "signals")
    if frame is None:
        return
    frame = frame.groupby(["period", "field", "signal", "provider"], as_index=False, sort=False)[
        ["count", "of"]
    ].sum()
    frame = frame.rename(columns={"field": "subject", "count": "x", "of": "n"})
    proportions(
        "signal",
        frame,
        ["period", "subject", "signal"],
        lambda rec: str(rec["signal"]),
        min_rows,
        alpha,
        rows,
        one_sided=True,
    )
    del definition


def _drift(
    results: list[ReturnResult],
    definition: Definition,
    min_rows: int,
    alpha: float,
    rows: Rows,
) -> None:
    """Means and medians per row: each provider's values against the rest's, by ranks."""
    import numpy as np

    from lp_audit.auditing.evidence import mann_whitney_against
    from lp_audit.profiling import Tally

    kinds = {m.id: m.kind for m in definition.metrics if m.kind != "share"}
    for (period, metric), per_provider in metric_values(results).items():
        if metric not in kinds or len(per_provider) < 3:
            continue  # with two providers there is no rest to speak of
        merged = {p: v for p, v in per_provider.items() if len(v) >= min_rows}
        if len(merged) < 3:
            continue
        median = kinds[metric] == "median_days"

        def centre(values: Tally, median: bool = median) -> float:
            return values.median() if median else values.mean()

        test = mann_whitney_against(merged)

        def effect(unit: str, reference: list[str], merged: dict[str, Tally] = merged) -> float:
            return merged[unit].mean() - Tally.pooled(merged[u] for u in reference).mean()

        for provider, (p, reference) in leave_out(merged, test, alpha, effect).items():
            mine = merged[provider]
            rest = Tally.pooled(merged[u] for u in reference)
            value, rest_value = centre(mine), centre(rest)
            if value <= 0 or rest_value <= 0:
                difference = 0.0 if value == rest_value else _log_ratio_at_zero(value, rest_value)
            else:
                difference = float(np.log(value / rest_value))
            rows.append(
                record(
                    "drift",
                    period,
                    provider,
                    metric,
                    kinds[metric],
                    x=None,
                    n=len(mine),
                    rest_x=None,
                    rest_n=len(rest),
                    value=value,
                    rest_value=rest_value,
                    difference=difference,
                    size=min(abs(difference) / np.log(3), 1.0),
                    p=p,
                )
            )


def _log_ratio_at_zero(value: float, rest: float) -> float:
    """A log ratio for a zero on one side: as large as a ratio of 3, in its direction."""
    import math

    return math.log(3) if value > rest else -math.log(3)


def _trends(providers: pd.DataFrame, min_rows: int, alpha: float, rows: Rows) -> None:
    """A provider's change in a capture rate from its first to its last quarter, against the
    rest's change over the same quarters."""
    from lp_audit.periods import sort_key

    if providers.empty:
        return
    if len({str(p) for p in providers["period"]}) < 2:
        return
    frame = providers.assign(present=providers["applicable"] - providers["missing"])
    for subject, sub in frame.groupby("field", sort=False):
        for measure in RATES:
            den = "applicable" if measure == "missing" else "present"
            table = {
                (str(p), str(v)): (int(x), int(n))
                for p, v, x, n in zip(
                    sub["provider"], sub["period"], sub[measure], sub[den], strict=True
                )
            }
            spans: dict[str, tuple[str, str]] = {}
            for provider in sorted({p for p, _ in table}):
                mine = sorted((v for p, v in table if p == provider), key=sort_key)
                if (
                    len(mine) >= 2
                    and min(table[(provider, v)][1] for v in (mine[0], mine[-1])) >= min_rows
                ):
                    spans[provider] = (mine[0], mine[-1])
            # one comparison per span of quarters: every provider with both of its quarters
            # is in it, so it serves every provider whose own span it is
            found_for: dict[tuple[str, str], dict[str, tuple[float, list[str]]]] = {}
            for provider, (start, end) in spans.items():
                x1, n1 = table[(provider, start)]
                x2, n2 = table[(provider, end)]
                if (start, end) not in found_for:
                    found_for[(start, end)] = _trend_leave_out(table, start, end, alpha)
                found = found_for[(start, end)]
                if provider not in found:
                    continue
                p_value, reference = found[provider]
                rx1 = sum(table[(u, start)][0] for u in reference)
                rn1 = sum(table[(u, start)][1] for u in reference)
                rx2 = sum(table[(u, end)][0] for u in reference)
                rn2 = sum(table[(u, end)][1] for u in reference)
                if min(rn1, rn2) < min_rows or x1 + x2 + rx1 + rx2 == 0:
                    continue
                change = x2 / n2 - x1 / n1
                rest_change = rx2 / rn2 - rx1 / rn1
                row = record(
                    "trend",
                    end,
                    provider,
                    subject,
                    measure,
                    x=x2,
                    n=n2,
                    rest_x=rx2,
                    rest_n=rn2,
                    value=x2 / n2,
                    rest_value=rx2 / rn2,
                    difference=change - rest_change,
                    size=min(abs(change - rest_change) / 0.3, 1.0),
                    p=p_value,
                )
                row["since"] = start
                row["before"] = (x1, n1, rx1, rn1)  # the first quarter's counts, the same way
                rows.append(row)


def _trend_leave_out(
    table: dict[tuple[str, str], tuple[int, int]], start: str, end: str, alpha: float
) -> dict[str, tuple[float, list[str]]]:
    """Each provider with returns for both ``start`` and ``end`` against the rest's change
    over those quarters, leaving out any provider whose change already stands out."""
    from lp_audit.auditing.evidence import interaction

    candidates = {p: None for p, _ in table if (p, start) in table and (p, end) in table}
    if len(candidates) < 2:
        return {}

    def counts(units: list[str]) -> tuple[int, int, int, int]:
        first = [table[(u, start)] for u in units]
        last = [table[(u, end)] for u in units]
        return (
            sum(c[0] for c in first),
            sum(c[1] for c in first),
            sum(c[0] for c in last),
            sum(c[1] for c in last),
        )

    def test(unit: str, reference: list[str]) -> float:
        return interaction(counts([unit]), counts(reference))

    def effect(unit: str, reference: list[str]) -> float:
        x1, n1, x2, n2 = counts([unit])
        r1, m1, r2, m2 = counts(reference)
        return (x2 / (n2 or 1) - x1 / (n1 or 1)) - (r2 / (m2 or 1) - r1 / (m1 or 1))

    return leave_out(candidates, test, alpha, effect)
