"""analysis.correlate: golden values against scipy, bootstrap replicates equal scipy on each resample,
NaN handling, top-k precision, and speed (the app calls it live)."""
from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats

from swap_engine.analysis import bootstrap_kendall, bootstrap_spearman, correlate, top_k_precision


def noisy(n=300, seed=1, ties=True):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    x = y + rng.normal(size=n)
    if ties:
        x[: n // 5] = np.round(x[: n // 5])  # ties in the scores
        y[n // 2:] = np.round(y[n // 2:], 1)  # and in the targets
    return x, y


def test_point_estimates_equal_scipy():
    x, y = noisy()
    c = correlate(x, y, n_boot=0)
    assert c.spearman == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert c.kendall == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    assert c.n == 300 and c.dropped == 0
    assert np.isnan(c.spearman_ci[0])


def test_known_small_case():
    # Perfectly monotone: rho = tau = 1, and every resample keeps it (or is undefined).
    c = correlate([1, 2, 3, 4, 5], [10, 20, 30, 40, 50], n_boot=200)
    assert (c.spearman, c.kendall, c.top_k_precision) == pytest.approx((1.0, 1.0, 1.0))
    assert c.spearman_ci == pytest.approx((1.0, 1.0)) and c.kendall_ci == pytest.approx((1.0, 1.0))
    # Reversed order: tau = -1
    assert correlate([5, 4, 3, 2, 1], [1, 2, 3, 4, 5], n_boot=0).kendall == pytest.approx(-1.0)


@pytest.mark.parametrize("ties", [False, True])
def test_each_bootstrap_replicate_equals_scipy_on_that_resample(ties):
    x, y = noisy(n=120, ties=ties)
    idx = np.random.default_rng(7).integers(0, x.size, size=(25, x.size))
    rho = bootstrap_spearman(x, y, idx)
    tau = bootstrap_kendall(x, y, idx)
    for r, row in enumerate(idx):
        assert rho[r] == pytest.approx(stats.spearmanr(x[row], y[row]).statistic, abs=1e-10)
        assert tau[r] == pytest.approx(stats.kendalltau(x[row], y[row]).statistic, abs=1e-9)


def test_ci_brackets_the_estimate_and_is_seeded():
    x, y = noisy(n=200)
    a = correlate(x, y, n_boot=300, seed=3)
    b = correlate(x, y, n_boot=300, seed=3)
    assert a == b
    assert a.spearman_ci[0] < a.spearman < a.spearman_ci[1]
    assert a.kendall_ci[0] < a.kendall < a.kendall_ci[1]
    assert correlate(x, y, n_boot=300, seed=4).spearman_ci != a.spearman_ci


def test_non_finite_pairs_are_dropped_and_counted():
    x, y = noisy(n=50)
    x2, y2 = x.copy(), y.copy()
    x2[3], x2[7], y2[9] = np.nan, -np.inf, np.inf
    keep = np.ones(50, bool)
    keep[[3, 7, 9]] = False
    c = correlate(x2, y2, n_boot=50)
    assert (c.n, c.dropped) == (47, 3)
    assert c.spearman == pytest.approx(stats.spearmanr(x[keep], y[keep]).statistic)


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="differ in length"):
        correlate([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 3 finite"):
        correlate([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="top_k"):
        correlate([1, 2, 3], [1, 2, 3], top_k=0)


def test_top_k_precision():
    targets = np.arange(10.0)
    assert top_k_precision(targets, targets, 0.3) == 1.0
    assert top_k_precision(-targets, targets, 0.3) == 0.0
    scores = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 8.0])[::-1]  # proxy's top-2: the two lowest targets
    assert top_k_precision(scores, targets, 0.2) == 0.0
    assert top_k_precision(np.r_[targets[:8], 9, 8], targets, 0.2) == 1.0  # set, not order


def test_fast_enough_for_live_sliders():
    x, y = noisy(n=1000, ties=False)
    correlate(x[:50], y[:50], n_boot=10)  # warm-up imports
    started = time.perf_counter()
    correlate(x, y, n_boot=1000)
    assert time.perf_counter() - started < 1.5  # ~0.25 s on one core of the 2-core dev machine


def test_large_n_falls_back_to_scipy_per_resample():
    x, y = noisy(n=3000, ties=False)
    idx = np.random.default_rng(0).integers(0, 3000, size=(2, 3000))
    tau = bootstrap_kendall(x, y, idx)
    assert tau[1] == pytest.approx(stats.kendalltau(x[idx[1]], y[idx[1]]).statistic)
