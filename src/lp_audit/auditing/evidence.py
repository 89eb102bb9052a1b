"""The tests behind highlights: each provider against the rest of the network, exactly.

Every comparison of an audit is a test with a p-value, and all of them are corrected together
for false discoveries (Benjamini and Hochberg, 1995) before any is highlighted:

- a **rate** (blank, not known, invalid, non-standard values of a field; a share metric): the
  provider's count out of its rows against the rest of the network's (the network without the
  provider), by Fisher's exact test (the hypergeometric tail, one-sided for capture rates,
  where only higher is worse; two-sided, doubled, otherwise);
- a **code's use**: the provider's rows with the code (for several codes per row, rows that
  mention it) out of its rows with a value, against the rest's, by Fisher's exact test;
- a **drift metric** (a mean or a median per row): the provider's values against the rest's,
  by the Mann-Whitney rank test (normal approximation, ties and continuity corrected);
- a **trend**: a provider's change in a rate from its first to its last quarter against the
  rest's change over the same quarters, by the difference of the changes over its standard
  error (each share with one more row of each kind: Agresti and Caffo, 2000).

A difference is highlighted when its q-value (the Benjamini-Hochberg adjusted p-value) is at
most the audit's false-discovery rate (5% by default) and it is *material*: at least the
config's ``material`` difference in share (5 points), or for a drift metric at least ``ratio``
times the rest's value. The distributions are computed here with numpy from log-factorials and
the normal distribution (about a second of importing scipy.stats saved per audit); the tests
check them against scipy.stats.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import numpy as np

    from lp_audit.profiling import Tally

_LOG_FACTORIALS: list[np.ndarray] = []


def log_factorials(n: int) -> np.ndarray:
    """``log(k!)`` for k = 0..n, kept and grown as larger counts are seen."""
    import numpy as np

    if not _LOG_FACTORIALS or len(_LOG_FACTORIALS[0]) <= n:
        size = max(n + 1, 2 * len(_LOG_FACTORIALS[0]) if _LOG_FACTORIALS else 1024)
        table = np.zeros(size)
        table[1:] = np.cumsum(np.log(np.arange(1, size, dtype=float)))
        _LOG_FACTORIALS[:] = [table]
    return _LOG_FACTORIALS[0]


def hypergeometric_tails(x: int, n: int, k_total: int, n_total: int) -> tuple[float, float]:
    """P(X >= x) and P(X <= x) for X the events among ``n`` rows drawn from ``n_total`` rows
    holding ``k_total`` events: Fisher's exact test of one provider against the rest."""
    import numpy as np

    lo, hi = max(0, n - (n_total - k_total)), min(n, k_total)
    if hi < lo:
        return 1.0, 1.0
    lo, hi = _terms_that_count(x, n, k_total, n_total, lo, hi)
    lf = log_factorials(n_total)
    # log C(K, k) + log C(N - K, n - k) - log C(N, n) for k = lo..hi, less the terms that do
    # not depend on k: they cancel once the probabilities are scaled to sum to 1. Each term
    # is a slice of the table (reversed where k is subtracted), not a gather: the support is
    # as long as a provider has rows, and this runs for every provider, code and quarter
    rest = n_total - k_total - n
    cost = (
        lf[lo : hi + 1]
        + lf[k_total - hi : k_total - lo + 1][::-1]
        + lf[n - hi : n - lo + 1][::-1]
        + lf[rest + lo : rest + hi + 1]
    )
    pmf = np.exp(cost.min() - cost)
    total = pmf.sum()
    at = min(max(x - lo, 0), hi - lo + 1)
    greater = float(pmf[at:].sum() / total) if x <= hi else 0.0
    less = float(pmf[: at + 1].sum() / total) if x >= lo else 0.0
    return min(greater, 1.0), min(less, 1.0)


def _terms_that_count(
    x: int, n: int, k_total: int, n_total: int, lo: int, hi: int
) -> tuple[int, int]:
    """The range of k whose terms change the tails of :func:`hypergeometric_tails` (a
    provider's support is as long as its rows; most of it is far from anything observed).

    On the mean's side of ``x``, the terms within d of the mean: beyond, Bernstein's
    inequality (which holds for draws without replacement as with: Hoeffding, 1963) leaves
    less than 2e-26 of the probability, with d**2 / (2 * (variance + d / 3)) >= 60. On the
    far side, the small tail is kept to 1e-17 of its size: the distribution is log-concave,
    so from ``x`` outwards each term is at most r times the one before, r being the ratio
    at ``x``, and the terms left out add up to less than r**j / (1 - r) of the term at x.
    """
    share = k_total / n_total if n_total else 0.0
    mean = n * share
    d = 20 + math.sqrt(400 + 120 * mean * (1 - share))
    if x <= mean:  # the small tail is below x: ratio P(k - 1) / P(k) at k = x
        ratio = (x * (n_total - k_total - n + x)) / max((k_total - x + 1) * (n - x + 1), 1)
        far = x - _enough(ratio) if ratio < 1 else lo
        return max(lo, far), min(hi, max(x, math.ceil(mean + d)))
    ratio = ((k_total - x) * (n - x)) / max((x + 1) * (n_total - k_total - n + x + 1), 1)
    far = x + _enough(ratio) if ratio < 1 else hi
    return max(lo, min(x, math.floor(mean - d))), min(hi, far)


def _enough(ratio: float) -> int:
    """Terms past which a series falling by ``ratio`` each term adds under 1e-17 of its
    first (a ratio of 0 leaves nothing past the first)."""
    if ratio <= 0:
        return 1
    return math.ceil(math.log(1e-17 * (1 - ratio)) / math.log(ratio)) + 1


def binomial_quantile(q: float, n: int, p: float) -> int:
    """The smallest k with P(X <= k) >= q, for X ~ Binomial(n, p)."""
    return binomial_quantiles((q,), n, p)[0]


def binomial_quantiles(qs: Sequence[float], n: int, p: float) -> list[int]:
    """:func:`binomial_quantile` for each of ``qs``, from one distribution function."""
    import numpy as np

    if n <= 0 or p <= 0:
        return [0] * len(qs)
    if p >= 1:
        return [n] * len(qs)
    sd = math.sqrt(n * p * (1 - p))
    lo, hi = max(0, math.floor(n * p - 12 * sd - 10)), min(n, math.ceil(n * p + 12 * sd + 10))
    lf = log_factorials(n)
    k = np.arange(lo, hi + 1)
    log_pmf = lf[n] - lf[k] - lf[n - k] + k * math.log(p) + (n - k) * math.log1p(-p)
    cdf = np.cumsum(np.exp(log_pmf))
    at = np.minimum(np.searchsorted(cdf, np.asarray(qs, dtype=float) - 1e-12), len(k) - 1)
    return [int(v) for v in k[at]]


def mann_whitney(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation with tie and
    continuity corrections, as scipy.stats.mannwhitneyu(method="asymptotic"))."""
    import numpy as np
    import pandas as pd

    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return 1.0
    both = np.concatenate([a, b])
    ranks = pd.Series(both).rank(method="average").to_numpy()
    _, counts = np.unique(both, return_counts=True)
    return _rank_sum_p(ranks[:n1].sum(), n1, n2, _ties(counts))


def _rank_sum_p(rank_sum: float, n1: int, n2: int, ties: float) -> float:
    """The two-sided p-value of a rank sum of ``n1`` values among ``n1 + n2`` (normal
    approximation; ``ties``: the sum of t**3 - t over groups of t equal values)."""
    u1 = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return 1.0
    mean = n1 * n2 / 2
    z = (abs(u1 - mean) - 0.5) / math.sqrt(variance)
    return min(1.0, two_sided(max(z, 0.0)))


def _ties(counts: np.ndarray) -> float:
    """The sum of t**3 - t over groups of t equal values, in floating point (as whole numbers
    a group of 2.1 million equal values would overflow)."""
    t = counts.astype("float64")
    return float((t**3 - t).sum())


def mann_whitney_against(values: Mapping[str, Tally]) -> Callable[[str, Sequence[str]], float]:
    """:func:`mann_whitney` of one unit's values against those of a reference (other units),
    for any unit and reference: ``test(unit, reference)``; each unit's values as a tally.

    A unit and its reference are ranked together, and each unit of that pool has the same
    ranks whichever is tested, so a pool is ranked once for all its units (the rest of the
    network is the same pool for every provider: 30 providers took 30 rankings of the whole
    network, now one). Ranks come from the pool's tally: the values equal to its ``j``-th
    distinct value take the ranks after the values below it, and each of them their average,
    a whole or half number. A unit's rank sum is the sum over the distinct values of how many
    it holds times that average, exact in floating point as the sum of every value's rank
    is, so the p-values are :func:`mann_whitney`'s to the last bit (a test compares).
    """
    import numpy as np

    from lp_audit.profiling import Tally

    pools: dict[frozenset[str], tuple[dict[str, float], float, int]] = {}

    def test(unit: str, reference: Sequence[str]) -> float:
        members = frozenset((unit, *reference))
        if members not in pools:
            order = [u for u in values if u in members]
            pool = Tally.pooled(values[u] for u in order)
            below = np.cumsum(pool.counts) - pool.counts
            average = below + (pool.counts + 1) / 2
            sums = {
                u: float(
                    (
                        values[u].counts * average[np.searchsorted(pool.values, values[u].values)]
                    ).sum()
                )
                for u in order
            }
            pools[members] = (sums, _ties(pool.counts), len(pool))
        sums, ties, n = pools[members]
        n1 = len(values[unit])
        if not n1 or not n - n1:
            return 1.0
        return _rank_sum_p(sums[unit], n1, n - n1, ties)

    return test


def interaction(provider: tuple[int, int, int, int], rest: tuple[int, int, int, int]) -> float:
    """Two-sided p-value that a provider's change in a share (``x1 of n1`` then ``x2 of n2``)
    differs from the rest's change over the same quarters: the difference of the two changes
    over its standard error, each share taken with one more row of each kind (Agresti and
    Caffo 2000), which keeps the test honest at shares of 0% and 100%."""

    def change(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
        p1, p2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
        return p2 - p1, p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2)

    mine, v1 = change(*provider)
    theirs, v2 = change(*rest)
    z = (mine - theirs) / math.sqrt(v1 + v2)
    return min(1.0, two_sided(abs(z)))


def two_sided(z: float) -> float:
    """P(|Z| >= z) for a standard normal Z, accurate far into the tail (no 1 - cdf)."""
    return math.erfc(z / math.sqrt(2))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values: the Benjamini-Hochberg adjusted p-values of ``p`` (as
    scipy.stats.false_discovery_control)."""
    import numpy as np

    p = np.asarray(p, dtype=float)
    m = len(p)
    if not m:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def strength(q: float, size: float) -> float:
    """Importance on one scale (0-80) for every kind of difference: the geometric mean of the
    evidence (-log10 q, counted up to 12) and the size (a difference in share, counted up to 30
    points, or a ratio, up to 3 times), so a highlight needs both to rank high."""
    evidence = min(-math.log10(max(q, 1e-12)), 12.0) / 12
    return round(80 * math.sqrt(evidence * min(max(size, 0.0), 1.0)), 2)
