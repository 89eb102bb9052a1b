"""The values a mean or median metric is taken over, kept as each distinct value and its count.

A rank test of one provider against the rest, and the network's mean or median, need every
value a metric is taken over, but not their order: a tally of distinct values gives the same
ranks, ties, medians and sums as the values themselves. Metrics are mostly whole days and
counts, so a return of 100,000 rows tallies to a few hundred numbers, and an audit holds a
tally per return and metric rather than a value per row (240 returns of 5,000 rows: about
100 KB a return as values, 1 to 3 KB as tallies).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, eq=False)
class Tally:
    """Distinct values in ascending order (no NaN) and how many times each occurs."""

    values: np.ndarray  # float64, ascending, distinct
    counts: np.ndarray  # int64, each at least 1

    @classmethod
    def of(cls, values: Iterable[float] | np.ndarray) -> Tally:
        """The tally of ``values`` (NaN left out: it is never a metric's value)."""
        import numpy as np

        numbers = np.asarray(values, dtype="float64")
        distinct, counts = np.unique(numbers[~np.isnan(numbers)], return_counts=True)
        return cls(distinct, counts.astype("int64"))

    @classmethod
    def pooled(cls, tallies: Iterable[Tally]) -> Tally:
        """One tally of all the values of ``tallies``."""
        import numpy as np

        parts = list(tallies)
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.of(())
        values = np.concatenate([t.values for t in parts])
        counts = np.concatenate([t.counts for t in parts])
        distinct, where = np.unique(values, return_inverse=True)
        return cls(
            distinct, np.bincount(where, weights=counts, minlength=len(distinct)).astype("int64")
        )

    def __len__(self) -> int:
        """How many values were tallied."""
        return int(self.counts.sum())

    def expanded(self) -> np.ndarray:
        """Every value, in ascending order."""
        import numpy as np

        return np.repeat(self.values, self.counts)

    def total(self) -> float:
        """The sum of the values, correctly rounded (``math.fsum`` of value times count)."""
        return math.fsum((self.values * self.counts).tolist())

    def mean(self) -> float:
        """The mean of the values; NaN for none."""
        n = len(self)
        return self.total() / n if n else math.nan

    def median(self) -> float:
        """The median of the values, as ``numpy.median`` gives it; NaN for none."""
        import numpy as np

        n = len(self)
        if not n:
            return math.nan
        ends = np.cumsum(self.counts)  # the values up to each distinct one
        low = self.values[int(np.searchsorted(ends, (n - 1) // 2, side="right"))]
        high = self.values[int(np.searchsorted(ends, n // 2, side="right"))]
        return float((low + high) / 2) if n % 2 == 0 else float(low)

    def __eq__(self, other: object) -> bool:
        import numpy as np

        if not isinstance(other, Tally):
            return NotImplemented
        return bool(
            np.array_equal(self.values, other.values) and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]
