"""Capture profiles and scores per provider and period, and which returns arrived."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lp_audit.auditing.config import AuditConfig
from lp_audit.definitions import Definition

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.profiling import Tally
    from lp_audit.validation import ReturnResult

from lp_audit.auditing.result import ALL
from lp_audit.periods import consecutive, sort_key


def return_key(result: ReturnResult) -> tuple[str, str]:
    return (result.provider or "?", result.period or "?")


def stacked(results: list[ReturnResult], table: str) -> pd.DataFrame | None:
    """One capture table (``fields``, ``categories``, ``metrics`` or ``signals``) of every
    non-empty return, one after another, with its provider and period as the last two
    columns; None if no return has one."""
    import numpy as np
    import pandas as pd

    frames, providers, periods = [], [], []
    for r in results:
        part = getattr(r.capture, table) if r.capture is not None else None
        if part is None or r.rows == 0:
            continue
        frames.append(part)
        providers.append(return_key(r)[0])
        periods.append(return_key(r)[1])
    if not frames:
        return None
    # one concatenation and two columns, not two columns a return: 240 returns' tables took
    # 1.2 s labelled one by one
    sizes = [len(f) for f in frames]
    frame: pd.DataFrame = pd.concat(frames, ignore_index=True)
    frame["provider"] = np.repeat(np.array(providers, dtype=object), sizes)
    frame["period"] = np.repeat(np.array(periods, dtype=object), sizes)
    return frame


def profile_table(
    definition: Definition, results: list[ReturnResult], settings: AuditConfig
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    stack = stacked(results, "fields")
    columns = [
        "provider",
        "period",
        "field",
        "rows",
        "valid",
        "unknown",
        "invalid",
        "missing",
        "not_applicable",
        "non_standard",
    ]
    if stack is None:
        return pd.DataFrame(
            columns=[*columns, "applicable", "completeness", "validity", "score", "weight"]
        )
    table = stack[columns]
    table = table.groupby(["provider", "period", "field"], as_index=False, sort=False).sum(
        numeric_only=True
    )
    pooled = (
        table.groupby(["period", "field"], as_index=False, sort=False)
        .sum(numeric_only=True)
        .assign(provider=ALL)
    )
    table = pd.concat([table, pooled[columns]], ignore_index=True)
    applicable = table["rows"] - table["not_applicable"]
    present = applicable - table["missing"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["applicable"] = applicable
        table["completeness"] = np.where(applicable > 0, present / applicable, np.nan)
        table["validity"] = np.where(
            present > 0, (table["valid"] + table["unknown"]) / present, np.nan
        )
        table["score"] = np.where(applicable > 0, table["valid"] / applicable, np.nan)
    default = {f.name: (1.0 if f.status != "optional" else 0.0) for f in definition.fields}
    default.update(settings.weights)
    table["weight"] = table["field"].map(default).fillna(0.0)
    return table


def scores_table(profile: pd.DataFrame) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if profile.empty:
        return pd.DataFrame(columns=["provider", "period", "rows", "score", "previous", "change"])
    usable = profile[(profile["weight"] > 0) & profile["score"].notna()]
    weighted = usable.assign(w_score=usable["score"] * usable["weight"])
    grouped = weighted.groupby(["provider", "period"], as_index=False).agg(
        w_score=("w_score", "sum"), weight=("weight", "sum"), rows=("rows", "max")
    )
    grouped["score"] = np.where(
        grouped["weight"] > 0, 100 * grouped["w_score"] / grouped["weight"], np.nan
    )
    grouped = grouped[["provider", "period", "rows", "score"]]
    grouped["_order"] = grouped["period"].map(sort_key)
    grouped = grouped.sort_values(["provider", "_order"]).drop(columns="_order")
    grouped["previous"] = grouped.groupby("provider")["score"].shift(1)
    previous_period = grouped.groupby("provider")["period"].shift(1)
    follows = [
        consecutive(a, b) if isinstance(a, str) else False
        for a, b in zip(previous_period, grouped["period"], strict=True)
    ]
    grouped["previous"] = grouped["previous"].where(pd.Series(follows, index=grouped.index))
    grouped["change"] = grouped["score"] - grouped["previous"]
    return grouped.reset_index(drop=True)


def coverage_table(results: list[ReturnResult], settings: AuditConfig) -> pd.DataFrame:
    import pandas as pd

    received: dict[tuple[str, str], int] = {}
    for r in results:
        received[return_key(r)] = received.get(return_key(r), 0) + 1
    periods = sorted({p for _, p in received} | {str(p) for p in settings.expected}, key=sort_key)
    providers = sorted({p for p, _ in received})
    rows = []
    for period in periods:
        expected = None
        for p, codes in settings.expected.items():
            if str(p) == period:
                expected = set(codes)
        names = expected if expected is not None else set(providers)
        for provider in sorted(names | {p for p, q in received if q == period}):
            rows.append(
                {
                    "provider": provider,
                    "period": period,
                    "expected": provider in names,
                    "received": received.get((provider, period), 0),
                }
            )
    return pd.DataFrame(rows, columns=["provider", "period", "expected", "received"])


def metric_values(results: list[ReturnResult]) -> dict[tuple[str, str], dict[str, Tally]]:
    """For each period and mean or median metric, the tally of each provider's values."""
    from lp_audit.profiling import Tally

    parts: dict[tuple[str, str], dict[str, list[Tally]]] = {}
    for r in results:
        if r.capture is None:
            continue
        provider, period = return_key(r)
        for metric, values in r.capture.metric_values.items():
            parts.setdefault((period, metric), {}).setdefault(provider, []).append(values)
    return {
        key: {p: Tally.pooled(v) for p, v in providers.items()} for key, providers in parts.items()
    }


def metric_rows(results: list[ReturnResult]) -> pd.DataFrame:
    import pandas as pd

    stack = stacked(results, "metrics")
    if stack is None:
        return pd.DataFrame(
            columns=["metric", "numerator", "denominator", "value", "provider", "period"]
        )
    return stack
