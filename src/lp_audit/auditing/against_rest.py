"""One provider against the rest of the network: the building blocks of every comparison.

The rest is the network without the provider, and without any provider already found far
apart (:func:`leave_out`); counts are compared by Fisher's exact test (:func:`proportions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def record(
    kind: str, period: Any, provider: Any, subject: Any, measure: str, **values: Any
) -> dict[str, Any]:
    """One row of the comparisons table (see :data:`lp_audit.auditing.comparisons.COLUMNS`)."""
    return {
        "kind": kind,
        "period": str(period),
        "provider": str(provider),
        "subject": str(subject),
        "measure": measure,
        "since": None,
        "before": None,
        **values,
    }


def leave_out(
    units: dict[str, Any], test: Any, alpha: float, effect: Any
) -> dict[str, tuple[float, list[str]]]:
    """Each unit's p-value against the rest, and the units its rest was made of.

    The rest of the network leaves out the unit itself, and then any unit already found to
    differ: the most extreme unit (smallest p-value, below ``alpha`` divided by the units
    compared) is set aside and the others are compared again without it, until none is. So
    one provider far from the others does not make the others look different from "the rest".
    """
    remaining = set(units)
    excluded: list[str] = []
    final: dict[str, tuple[float, list[str]]] = {}
    while remaining:
        trial = {}
        for unit in [u for u in units if u in remaining]:  # in order: the same table each run
            reference = [u for u in units if u != unit and u not in excluded]
            if reference:
                trial[unit] = (test(unit, reference), reference)
        if not trial:
            break
        # the smallest p-value; among p-values too small to tell apart, the largest difference
        smallest = min(p for p, _ in trial.values())
        tied = [u for u in trial if trial[u][0] == smallest]
        worst = min(tied, key=lambda u: (-abs(effect(u, trial[u][1])), u))
        final.update(trial)
        if trial[worst][0] >= alpha / len(trial) or len(trial) <= 2:
            break
        excluded.append(worst)
        remaining.discard(worst)
    return final


def proportions(
    kind: str,
    frame: pd.DataFrame,
    keys: list[str],
    measure_of: Any,
    min_rows: int,
    alpha: float,
    rows: list[dict[str, Any]],
    *,
    one_sided: bool,
) -> None:
    """Fisher's exact test of each provider's ``x`` of ``n`` against the rest of its group.

    Each quarter on its own: summing quarters would count a case carried over from one return
    to the next twice, and overstate the evidence."""
    from lp_audit.auditing.evidence import hypergeometric_tails

    for _, group in frame.groupby(keys, sort=False):
        if group["x"].sum() == 0 or group["x"].sum() == group["n"].sum():
            continue  # nothing happened (or everything did): nothing to compare
        records = {
            str(rec["provider"]): rec
            for rec in group.to_dict("records")
            if int(rec["n"]) >= min_rows
        }
        if len(records) < 2:
            continue

        def test(unit: str, reference: list[str], records: dict[str, Any] = records) -> float:
            x, n = int(records[unit]["x"]), int(records[unit]["n"])
            rest_x = sum(int(records[u]["x"]) for u in reference)
            rest_n = sum(int(records[u]["n"]) for u in reference)
            if rest_x + x == 0 or rest_x + x == rest_n + n:
                return 1.0
            greater, less = hypergeometric_tails(x, n, x + rest_x, n + rest_n)
            return greater if one_sided else min(1.0, 2 * min(greater, less))

        def effect(unit: str, reference: list[str], records: dict[str, Any] = records) -> float:
            rest_n = sum(int(records[u]["n"]) for u in reference) or 1
            rest_x = sum(int(records[u]["x"]) for u in reference)
            return int(records[unit]["x"]) / int(records[unit]["n"]) - rest_x / rest_n

        for unit, (p, reference) in leave_out(records, test, alpha, effect).items():
            rec = records[unit]
            x, n = int(rec["x"]), int(rec["n"])
            rest_x = sum(int(records[u]["x"]) for u in reference)
            rest_n = sum(int(records[u]["n"]) for u in reference)
            if rest_n < min_rows:
                continue
            rate, rest = x / n, rest_x / rest_n
            rows.append(
                record(
                    kind,
                    rec["period"],
                    unit,
                    rec["subject"],
                    measure_of(rec),
                    x=x,
                    n=n,
                    rest_x=rest_x,
                    rest_n=rest_n,
                    value=rate,
                    rest_value=rest,
                    difference=rate - rest,
                    size=min(abs(rate - rest) / 0.3, 1.0),
                    p=p,
                )
            )
