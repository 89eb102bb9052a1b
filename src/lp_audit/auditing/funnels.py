"""Funnel limits: each provider's rates against the network's, per field and period."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lp_audit.auditing.config import AuditConfig
from lp_audit.definitions import Definition

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.validation import ReturnResult

from lp_audit.auditing.profiles import metric_rows
from lp_audit.auditing.result import ALL, RATES


def funnel_table(
    profile: pd.DataFrame,
    results: list[ReturnResult],
    definition: Definition,
    settings: AuditConfig,
) -> pd.DataFrame:
    import pandas as pd

    from lp_audit.auditing.statistics import funnel_groups

    providers = profile[profile["provider"] != ALL]
    present = providers["applicable"] - providers["missing"]
    frames = [
        pd.DataFrame(
            {
                "period": providers["period"],
                "subject": providers["field"],
                "kind": "field",
                "measure": rate,
                "provider": providers["provider"],
                "numerator": providers[rate],
                "denominator": providers["applicable"] if rate == "missing" else present,
            }
        )
        for rate in RATES
    ]
    metric_frame = metric_rows(results)
    shares = {m.id for m in definition.metrics if m.kind == "share"}
    if not metric_frame.empty:
        chosen = metric_frame[metric_frame["metric"].isin(shares)]
        frames.append(
            pd.DataFrame(
                {
                    "period": chosen["period"],
                    "subject": chosen["metric"],
                    "kind": "metric",
                    "measure": "share",
                    "provider": chosen["provider"],
                    "numerator": chosen["numerator"],
                    "denominator": chosen["denominator"],
                }
            )
        )
    frames = [
        funnel_groups(
            pd.concat(frames, ignore_index=True),
            ["period", "subject", "kind", "measure"],
            adjust=settings.overdispersion,
        )
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            columns=[
                "period",
                "subject",
                "kind",
                "measure",
                "provider",
                "numerator",
                "denominator",
                "rate",
                "pooled",
                "z",
                "lo95",
                "hi95",
                "lo998",
                "hi998",
                "phi",
                "pooled_numerator",
                "flag",
            ]
        )
    table = pd.concat(frames, ignore_index=True)
    groups = table.groupby(["period", "subject", "kind", "measure"], sort=False)
    table["pooled_numerator"] = groups["numerator"].transform("sum")
    table["flag"] = _flag(table)
    return table


def _flag(table: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    rate = table["rate"]
    flag = np.select(
        [rate > table["hi998"], rate < table["lo998"], rate > table["hi95"], rate < table["lo95"]],
        ["above 99.8%", "below 99.8%", "above 95%", "below 95%"],
        default="",
    )
    return pd.Series(flag, index=table.index)
