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


# --- rank aggregation (golden values worked out by hand) -------------------------------------------------

from swap_engine.analysis import (aggregate, auto_regularization, log_ranks, normalized_ranks,  # noqa: E402
                                  ranks, regularized)


def test_ranks_are_ascending_average_ranks_and_keep_nan():
    assert ranks([3, 1, np.nan, 2]) == pytest.approx([3, 1, np.nan, 2], nan_ok=True)
    assert ranks([5, 5, 7]) == pytest.approx([1.5, 1.5, 3])
    # -inf is a measured value (a singular NASWOT kernel): lowest rank, not missing
    assert ranks([-np.inf, 0.0, np.inf, np.nan]) == pytest.approx([1, 2, 3, np.nan], nan_ok=True)
    assert normalized_ranks([10, 30, 20, np.nan]) == pytest.approx([1 / 3, 1, 2 / 3, np.nan], nan_ok=True)
    assert log_ranks([10, 20]) == pytest.approx([np.log(0.5), 0.0])


def test_log_rank_prefers_rows_good_by_every_proxy_mean_rank_does_not():
    a = [1, 2, 3, 4]
    b = [4, 3, 2, 1]  # the exact opposite order
    # normalised ranks: a -> .25 .5 .75 1, b -> 1 .75 .5 .25
    assert aggregate([a, b], method="mean_rank") == pytest.approx([1.25] * 4)
    expected = [np.log(.25), np.log(.5) + np.log(.75), np.log(.75) + np.log(.5), np.log(.25)]
    assert aggregate({"a": a, "b": b}) == pytest.approx(expected)
    assert np.argmax(aggregate([a, b])) in (1, 2)


def test_aggregate_of_one_proxy_keeps_its_order_and_weights_scale_terms():
    x = [0.3, 0.1, 0.7, 0.5]
    assert np.argsort(aggregate([x])).tolist() == np.argsort(x).tolist()
    a, b = [1, 2, 3, 4], [4, 3, 2, 1]
    weighted = aggregate([a, b], weights=[2, 1])
    assert weighted == pytest.approx(2 * log_ranks(a) + log_ranks(b))
    assert np.argmax(weighted) == 2  # -1.27 vs -1.39 for the last row: the heavier proxy pulls towards its best


def test_missing_values_propagate_or_are_skipped_explicitly():
    a = [1.0, 2.0, 3.0, np.nan]
    b = [3.0, 1.0, 2.0, 4.0]
    out = aggregate([a, b])
    assert np.isnan(out[3]) and np.isfinite(out[:3]).all()
    # a's ranks are over its 3 measured rows; b's over all 4
    assert out[0] == pytest.approx(np.log(1 / 3) + np.log(3 / 4))
    skipped = aggregate([a, b], missing="skip")
    assert skipped[:3] == pytest.approx(out[:3])
    assert skipped[3] == pytest.approx(2 * np.log(4 / 4))  # its one proxy's term, on the two-proxy scale
    assert np.isnan(aggregate([[np.nan, 1.0], [np.nan, 2.0]], missing="skip")[0])


def test_aggregate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate([[1, 2]], method="borda")
    with pytest.raises(ValueError, match="missing"):
        aggregate([[1, 2]], missing="zero")
    with pytest.raises(ValueError, match="differ in length"):
        aggregate([[1, 2], [1, 2, 3]])
    with pytest.raises(ValueError, match="weights"):
        aggregate([[1, 2], [2, 1]], weights=[1])
    with pytest.raises(ValueError, match="at least one"):
        aggregate([])


def test_auto_regularization_from_the_parameter_distribution_only():
    params = [1000, 2000, 3000, np.nan]  # theta = 1, 2, 3 thousand; std sqrt(2/3)
    assert auto_regularization(params) == pytest.approx((2.0, 4 / 3))
    assert auto_regularization(params, "max") == pytest.approx((3.0, 4 / 3))
    with pytest.raises(ValueError, match="rule"):
        auto_regularization(params, "best")
    with pytest.raises(ValueError, match="spread"):
        auto_regularization([5, 5, 5])


def test_regularized_is_the_engine_factor_times_swap():
    from swap_engine import regularization_factor

    out = regularized([100.0, 200.0, 300.0], [1000, 2000, np.nan], mu=1.5, sigma=2.0)
    assert out[0] == pytest.approx(100 * regularization_factor(1000, 1.5, 2.0))
    assert out[1] == pytest.approx(200 * regularization_factor(2000, 1.5, 2.0))
    assert np.isnan(out[2])


from swap_engine import analysis as study  # noqa: E402  (the study's regulariser fit is analysis's now)


def test_fit_regularization_recovers_a_planted_optimum():
    rng = np.random.default_rng(0)
    params = rng.uniform(50_000, 1_500_000, 400)
    truth = -((params / 1000 - 600) ** 2) + rng.normal(0, 1e3, 400)  # best accuracy near 600 K params
    mu, sigma = study.fit_regularization(np.ones(400), params, truth)
    assert abs(mu - 600) < 100
