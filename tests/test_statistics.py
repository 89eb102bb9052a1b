"""The audit's statistics against scipy.stats, the reference implementation.

lp_audit computes its distributions with numpy (importing scipy.stats costs an audit most of
a second); these tests hold them to scipy's on random inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lp_audit.auditing.evidence import (
    benjamini_hochberg,
    binomial_quantile,
    hypergeometric_tails,
    interaction,
    mann_whitney,
    mann_whitney_against,
)
from lp_audit.profiling import Tally


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fisher_tails_are_scipys_hypergeometric(data: st.DataObject) -> None:
    n_total = data.draw(st.integers(2, 5000))
    k_total = data.draw(st.integers(0, n_total))
    n = data.draw(st.integers(1, n_total))
    x = data.draw(st.integers(max(0, n - (n_total - k_total)), min(n, k_total)))
    greater, less = hypergeometric_tails(x, n, k_total, n_total)
    want_greater = stats.hypergeom.sf(x - 1, n_total, k_total, n)
    want_less = stats.hypergeom.cdf(x, n_total, k_total, n)
    assert greater == pytest.approx(want_greater, rel=1e-9, abs=1e-300)
    assert less == pytest.approx(want_less, rel=1e-9, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fisher_tails_of_a_large_network_are_scipys_far_into_either_tail(
    data: st.DataObject,
) -> None:
    # the terms far from the mean and from x are left out: each tail must still be scipy's,
    # whether it is 0.5 or 1e-200
    n_total = data.draw(st.integers(20_000, 400_000))
    k_total = data.draw(st.integers(1, n_total // 3))
    n = data.draw(st.integers(100, 12_000))
    lo, hi = max(0, n - (n_total - k_total)), min(n, k_total)
    mean = n * k_total / n_total
    spread = math.sqrt(mean + 1)
    x = data.draw(st.integers(max(lo, int(mean - 40 * spread)), min(hi, int(mean + 40 * spread))))
    greater, less = hypergeometric_tails(x, n, k_total, n_total)
    want_greater = stats.hypergeom.sf(x - 1, n_total, k_total, n)
    want_less = stats.hypergeom.cdf(x, n_total, k_total, n)
    # log-factorials of 400,000 rows are known to about 5e-11 in their sums
    assert greater == pytest.approx(want_greater, rel=1e-7, abs=1e-300)
    assert less == pytest.approx(want_less, rel=1e-7, abs=1e-300)


def test_fisher_one_sided_is_scipys_fisher_exact() -> None:
    for x, n, rest_x, rest_n in [(12, 120, 70, 3500), (0, 80, 58, 266), (5, 10, 1, 30)]:
        greater, _ = hypergeometric_tails(x, n, x + rest_x, n + rest_n)
        table = [[x, n - x], [rest_x, rest_n - rest_x]]
        assert greater == pytest.approx(stats.fisher_exact(table, "greater").pvalue, rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 20_000), st.floats(0.0005, 0.9995), st.sampled_from([0.001, 0.025, 0.975, 0.999])
)
def test_binomial_quantiles_are_scipys(n: int, p: float, q: float) -> None:
    assert binomial_quantile(q, n, p) == int(stats.binom.ppf(q, n, p))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=3, max_size=80),
    st.lists(st.integers(0, 30), min_size=3, max_size=200),
)
def test_mann_whitney_is_scipys_asymptotic(a: list[int], b: list[int]) -> None:
    if len(set(a + b)) < 2:
        return  # all values equal: scipy warns and gives nan; lp_audit says no difference
    want = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True).pvalue
    assert mann_whitney(np.array(a, float), np.array(b, float)) == pytest.approx(want, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from("ABCDEF"),
        st.lists(st.integers(0, 12).map(float), max_size=40),
        min_size=2,
    ),
    st.data(),
)
def test_one_ranking_of_a_pool_gives_each_units_mann_whitney_exactly(
    units: dict[str, list[float]], data: st.DataObject
) -> None:
    values = {u: np.array(v) for u, v in units.items()}
    test = mann_whitney_against({u: Tally.of(v) for u, v in values.items()})
    for _ in range(6):  # pools in any order, each asked for again after others
        unit = data.draw(st.sampled_from(sorted(values)))
        others = [u for u in values if u != unit]
        reference = data.draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        alone = mann_whitney(values[unit], np.concatenate([values[u] for u in reference]))
        assert test(unit, reference) == alone  # to the last bit


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.integers(-5, 400).map(float),
                st.floats(-1e6, 1e6, allow_nan=False),
                st.just(float("nan")),
            ),
            max_size=60,
        ),
        max_size=5,
    )
)
def test_a_tally_gives_the_median_and_mean_of_its_values(parts: list[list[float]]) -> None:
    """A tally of values, and a pool of tallies, have the values' median to the last bit and
    their mean to within rounding; NaN is never tallied."""
    pooled = Tally.pooled(Tally.of(p) for p in parts)
    values = np.array([v for p in parts for v in p if not math.isnan(v)], dtype=float)
    assert len(pooled) == len(values)
    np.testing.assert_array_equal(pooled.expanded(), np.sort(values))
    if len(values):
        assert pooled.median() == float(np.median(values))
        assert pooled.mean() == pytest.approx(float(np.mean(values)), rel=1e-12, abs=1e-9)
    else:
        assert math.isnan(pooled.median()) and math.isnan(pooled.mean())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=300))
def test_benjamini_hochberg_is_scipys(p: list[float]) -> None:
    want = stats.false_discovery_control(np.array(p), method="bh")
    assert benjamini_hochberg(np.array(p)) == pytest.approx(want, abs=1e-12)


def test_the_trend_test_by_hand() -> None:
    """A provider's change of -0.76 against the rest's -0.002, each share with one more row of
    each kind: z = (-0.7600 - -0.0017) / sqrt(0.001589) = -19.0."""
    p = interaction((80, 80, 28, 125), (0, 160, 0, 221))
    p1, p2, r1, r2 = 81 / 82, 29 / 127, 1 / 162, 1 / 223
    se = math.sqrt(
        p1 * (1 - p1) / 82 + p2 * (1 - p2) / 127 + r1 * (1 - r1) / 162 + r2 * (1 - r2) / 223
    )
    z = ((p2 - p1) - (r2 - r1)) / se
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-12)
    assert p < 1e-50


def test_one_provider_far_apart_is_left_out_of_the_others_rest() -> None:
    """Three providers, one using a code for 60% of rows and two for 20%: the two are compared
    with each other, not with a rest that the third drags up."""
    from lp_audit.auditing.against_rest import leave_out

    counts = {"A": (60, 100), "B": (20, 100), "C": (21, 100)}

    def test(unit: str, reference: list[str]) -> float:
        x, n = counts[unit]
        rx, rn = sum(counts[u][0] for u in reference), sum(counts[u][1] for u in reference)
        greater, less = hypergeometric_tails(x, n, x + rx, n + rn)
        return min(1.0, 2 * min(greater, less))

    def effect(unit: str, reference: list[str]) -> float:
        rx, rn = sum(counts[u][0] for u in reference), sum(counts[u][1] for u in reference)
        return counts[unit][0] / counts[unit][1] - rx / rn

    found = leave_out(counts, test, 0.05, effect)
    assert found["A"][1] == ["B", "C"] and found["A"][0] < 1e-6
    assert found["B"][1] == ["C"] and found["B"][0] > 0.5
    assert found["C"][1] == ["B"]
