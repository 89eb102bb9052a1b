"""One provider against the rest of the network: the building blocks of every comparison.

The rest is the network without the provider, and without any provider already found far
apart (:func:`leave_out`); counts are compared by Fisher's exact test (:func:`proportions`).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd


class Rows:
    """The rows of a table, gathered as a list per column: a dict per row (of 20 columns)
    held 1 KB, and a comparisons table of 30 providers over 8 quarters has 32,000 rows."""

    def __init__(self, columns: list[str]) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in columns}

    def append(self, row: dict[str, Any]) -> None:
        """Add ``row``: its value of each column (NaN where it has none, as in records)."""
        for name, values in self.columns.items():
            values.append(row.get(name, math.nan))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def frame(self) -> pd.DataFrame:
        """The rows as a table, each column's type inferred from its values."""
        import pandas as pd

        if not len(self):  # no values to infer from: columns of objects, as records give
            return pd.DataFrame(columns=list(self.columns))
        return pd.DataFrame(self.columns)


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
    rows: Rows,
    *,
    one_sided: bool,
) -> None:
    """Fisher's exact test of each provider's ``x`` of ``n`` against the rest of its group.

    Each quarter on its own: summing quarters would count a case carried over from one return
    to the next twice, and overstate the evidence."""
    from lp_audit.auditing.evidence import hypergeometric_tails

    for group in _groups(frame, keys):
        if sum(g["x"] for g in group) == 0 or sum(g["x"] for g in group) == sum(
            g["n"] for g in group
        ):
            continue  # nothing happened (or everything did): nothing to compare
        records = {str(rec["provider"]): rec for rec in group if int(rec["n"]) >= min_rows}
        if len(records) < 2:
            continue

        xs = {u: int(rec["x"]) for u, rec in records.items()}
        ns = {u: int(rec["n"]) for u, rec in records.items()}

        def test(
            unit: str, reference: list[str], xs: dict[str, int] = xs, ns: dict[str, int] = ns
        ) -> float:
            x, n = xs[unit], ns[unit]
            rest_x = sum([xs[u] for u in reference])
            rest_n = sum([ns[u] for u in reference])
            if rest_x + x == 0 or rest_x + x == rest_n + n:
                return 1.0
            greater, less = hypergeometric_tails(x, n, x + rest_x, n + rest_n)
            return greater if one_sided else min(1.0, 2 * min(greater, less))

        def effect(
            unit: str, reference: list[str], xs: dict[str, int] = xs, ns: dict[str, int] = ns
        ) -> float:
            rest_n = sum([ns[u] for u in reference]) or 1
            rest_x = sum([xs[u] for u in reference])
            return xs[unit] / ns[unit] - rest_x / rest_n

        for unit, (p, reference) in leave_out(records, test, alpha, effect).items():
            rec = records[unit]
            x, n = xs[unit], ns[unit]
            rest_x = sum([xs[u] for u in reference])
            rest_n = sum([ns[u] for u in reference])
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


def _groups(frame: pd.DataFrame, keys: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The rows of each group of ``frame`` by ``keys`` as records (``to_dict("records")``),
    groups in order of first appearance, rows in order: what ``groupby(keys, sort=False)``
    gives, for a fifth of its cost over a thousand groups. Each group's records are made as
    it is taken (all at once, the codes of 240 returns held 20 MB of them)."""
    import numpy as np

    if not len(frame):
        return
    numbered = frame.groupby(keys, sort=False).ngroup()  # a blank key: in no group
    kept = np.flatnonzero(numbered.notna().to_numpy())
    number = numbered.to_numpy()[kept].astype(np.int64)
    order = kept[np.argsort(number, kind="stable")]
    names = list(frame.columns)
    columns = [frame[name].to_numpy()[order].tolist() for name in names]
    bounds = [0, *(np.flatnonzero(np.diff(np.sort(number))) + 1).tolist(), len(order)]
    for a, b in itertools.pairwise(bounds):
        yield [
            dict(zip(names, values, strict=True))
            for values in zip(*(column[a:b] for column in columns), strict=True)
        ]
