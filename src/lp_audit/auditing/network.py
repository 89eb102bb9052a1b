"""Drift metrics, category mix and continuity between periods, across the network."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lp_audit.definitions import Definition
from lp_audit.profiling import Tally
from lp_audit.validation.stored import cases_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.validation import ReturnResult

from lp_audit.auditing.profiles import metric_rows, metric_values, return_key, stacked


def metric_table(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = metric_rows(results)
    out = []
    kinds = {m.id: m.kind for m in definition.metrics}
    per_row = metric_values(results)
    for (period, metric_id), group in rows.groupby(["period", "metric"], sort=False):
        kind = kinds.get(str(metric_id), "share")
        if kind != "share":
            # means and medians over every row of the network, as one provider's are over its
            # rows (the median of providers' medians is not the network's median)
            pooled = Tally.pooled(per_row.get((str(period), str(metric_id)), {}).values())
            network = pooled.median() if kind == "median_days" else pooled.mean()
        else:
            den = group["denominator"].sum()
            network = float(group["numerator"].sum() / den) if den else np.nan
        for rec in group.to_dict("records"):
            out.append(
                {
                    "period": period,
                    "metric": metric_id,
                    "kind": kind,
                    "provider": rec["provider"],
                    "value": rec["value"],
                    "n": int(rec["denominator"]),
                    "network": network,
                    "low": float(group["value"].min()),
                    "high": float(group["value"].max()),
                }
            )
    return pd.DataFrame(
        out,
        columns=["period", "metric", "kind", "provider", "value", "n", "network", "low", "high"],
    )


def category_table(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import pandas as pd

    from lp_audit.auditing.statistics import category_mix

    counts = stacked(results, "categories")
    columns = [
        "period",
        "field",
        "provider",
        "code",
        "count",
        "total",
        "share",
        "pooled",
        "pooled_count",
        "expected",
        "z",
        "method",
    ]
    if counts is None:
        return pd.DataFrame(columns=columns)
    # identity fields and fields marked compare: false differ between providers by design
    skip = {f.name for f in definition.fields if f.sensitive or not f.compare}
    skip |= {n for n in (definition.period_field, definition.provider_field) if n}
    out = []
    for key, group in counts.groupby(["period", "field"], sort=False):
        period, name = (str(k) for k in key)
        if name in skip or group["provider"].nunique() < 2:
            continue
        mix = category_mix(group[["provider", "code", "count"]])
        out.append(mix.assign(period=str(period), field=str(name)))
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def continuity_table(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    c = definition.continuity
    columns = [
        "provider",
        "from_period",
        "to_period",
        "open",
        "carried",
        "vanished",
        "changed",
        "examples",
    ]
    if c is None:
        return pd.DataFrame(columns=columns)
    by_key = {
        return_key(r): r.capture
        for r in results
        if r.capture is not None and r.capture.cases is not None
    }
    rows = []
    last: dict[tuple[str, str], pd.DataFrame] = {}  # the one read last

    def cases_at(key: tuple[str, str]) -> pd.DataFrame:
        """The cases of the return of ``key``, read back if set aside: the later return of
        one pair is the earlier of the next, so most are read once."""
        if key not in last:
            read = cases_of(by_key[key])
            assert read is not None  # by_key holds captures with cases
            last.clear()
            last[key] = read
        return last[key]

    for provider, period in sorted(by_key):
        try:
            following = str(definition.parse_period(period).next())
        except ValueError:
            continue
        if (provider, following) not in by_key:
            continue
        cases = cases_at((provider, period))
        later = cases_at((provider, following))
        open_cases = cases[cases["open"]].reset_index(drop=True)
        # each ID is once in a return's cases: where each open case is in the next return
        at = _positions(open_cases[c.id_field], later[c.id_field])
        found = at >= 0
        changed_mask = np.zeros(len(open_cases), dtype=bool)
        for name in c.same:
            before = open_cases[name][found].reset_index(drop=True)
            after = later[name].take(at[found]).reset_index(drop=True)
            differs = (before != after).fillna(False) & before.notna() & after.notna()
            changed_mask[found] = changed_mask[found] | differs.to_numpy(dtype=bool)
        ids = open_cases[c.id_field]
        examples = (
            []  # a sensitive id is never shown
            if definition.field(c.id_field).sensitive
            else [str(x) for x in list(ids[~found])[:3] + list(ids[changed_mask])[:3]]
        )
        rows.append(
            {
                "provider": provider,
                "from_period": period,
                "to_period": following,
                "open": len(open_cases),
                "carried": int(found.sum()),
                "vanished": int((~found).sum()),
                "changed": int(changed_mask.sum()),
                "examples": ", ".join(examples),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _positions(values: pd.Series, among: pd.Series) -> np.ndarray:
    """For each of ``values``, its position in ``among`` (which holds each value once), -1
    where it is not there: looked up in Arrow, without pandas' copy of text as objects (a
    third of the continuity table's time)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        found = pc.index_in(
            pa.chunked_array(pa.array(values)),
            value_set=pa.chunked_array(pa.array(among)).combine_chunks(),
        )
    except (pa.ArrowException, TypeError):
        positions: np.ndarray = pd.Index(among).get_indexer(values)
        return positions
    at: np.ndarray = found.fill_null(-1).to_numpy()
    return at
