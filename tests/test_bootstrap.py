"""Known answers of the lab's bootstrap numbers: the paired test of two recipes and one metric with its
interval (`studies.bootstrap`), and the transfer matrix by each metric on synthetic atlases."""
from __future__ import annotations

import numpy as np
import pytest

from swap_engine import analysis
from swap_engine.studies import bootstrap


def _data(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    return truth + 0.5 * rng.normal(size=n), truth + 2.0 * rng.normal(size=n), truth


def test_a_recipe_against_itself_differs_by_nothing_with_p_one():
    good, _, truth = _data()
    result = bootstrap.paired(good, good.copy(), truth, n_boot=200)
    assert result.difference == 0 and (result.low, result.high) == (0, 0) and result.p_value == 1
    assert "cannot tell A from B" in result.words()


def test_a_recipe_against_its_negation_is_clearly_better_at_the_smallest_p():
    good, _, truth = _data()
    result = bootstrap.paired(good, -good, truth, n_boot=200)
    rho = analysis.correlate(good, truth, n_boot=0).spearman
    assert result.difference == pytest.approx(2 * rho) and result.low > 0
    assert result.p_value == pytest.approx(2 / 201) and result.p_value == result.smallest_p
    assert "A ranks the architectures better than B" in result.words() and "p ≤ 0.01" in result.words()
    assert bootstrap.paired(-good, good, truth, n_boot=200).high < 0  # the other way round: B is better


def test_a_close_pair_has_an_interval_narrower_than_two_unpaired_ones():
    good, noisy, truth = _data()
    result = bootstrap.paired(good, noisy, truth, n_boot=300)
    assert result.low < result.difference < result.high and 0 < result.p_value < 0.05
    a = analysis.correlate(good, truth, n_boot=300)
    b = analysis.correlate(noisy, truth, n_boot=300)
    assert result.high - result.low < (a.spearman_ci[1] - a.spearman_ci[0]) + (b.spearman_ci[1] - b.spearman_ci[0])
    with pytest.raises(ValueError, match="at least one bootstrap resample"):
        bootstrap.paired(good, noisy, truth, n_boot=0)


def test_each_metric_with_the_interval_the_lab_draws():
    good, _, truth = _data()
    truth[:5] = np.nan  # dropped, as the lab drops them
    lab = analysis.correlate(good, truth, n_boot=100, seed=3, top_k=0.1)
    spearman = bootstrap.estimate(good, truth, "spearman", n_boot=100, seed=3)
    assert spearman.value == pytest.approx(lab.spearman) and spearman.n == lab.n == 395
    assert (spearman.low, spearman.high) == pytest.approx(lab.spearman_ci)  # the same resamples
    kendall = bootstrap.estimate(good, truth, "kendall", n_boot=100, seed=3)
    assert kendall.value == pytest.approx(lab.kendall) and (kendall.low, kendall.high) == pytest.approx(lab.kendall_ci)
    top = bootstrap.estimate(good, truth, "top_k", n_boot=100, seed=3)
    assert top.value == lab.top_k_precision and 0 <= top.low <= top.value <= top.high <= 1
    assert np.isnan(bootstrap.estimate(good, truth, "top_k", n_boot=0).low)
    with pytest.raises(ValueError, match="unknown metric"):
        bootstrap.estimate(good, truth, "pearson")


def test_the_transfer_matrix_by_each_metric_and_its_n_a_cells(monkeypatch):
    from swap_engine.studies import families
    from tests.test_families import _synthetic

    frames = {"darts-1k": _synthetic(1), "nb301-500": _synthetic(2).drop(columns=["naswot_b64"])}
    monkeypatch.setattr(families, "frame", lambda name: frames[name].copy())
    found, _ = families.parts(["darts-1k", "nb301-500"])
    recipes = {"darts-1k": "log_rank:swap_b16+naswot_b64", "nb301-500": "swap_b16"}
    cells = families.transfer_cells(recipes, found, metric="kendall", n_boot=50)
    lacking = cells[(cells["chosen on"] == "darts-1k") & (cells["read on"] == "nb301-500")].iloc[0]
    assert lacking["lacks"] == "naswot_b64" and np.isnan(lacking["value"])
    same = cells[(cells["chosen on"] == "nb301-500") & (cells["read on"] == "nb301-500")].iloc[0]
    part = found["nb301-500"]
    want = bootstrap.estimate(part.frame["swap_b16"].to_numpy()[part.report_rows],
                              part.truth("cifar10_valid_acc_pct")[part.report_rows], "kendall", n_boot=50)
    assert same["value"] == pytest.approx(want.value) and same["low"] == pytest.approx(want.low)
    matrix = families.transfer_matrix(recipes, found)  # Spearman, as the study reports it
    assert np.isnan(matrix.loc["darts-1k", "nb301-500"]) and matrix.loc["nb301-500", "darts-1k"] > 0.8
