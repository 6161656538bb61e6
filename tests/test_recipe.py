"""swap_engine.recipe: the recipe text form, scoring, and an honest choice (it never reads held-out truth)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swap_engine import analysis
from swap_engine.recipe import Recipe, Term, choose, proxy_columns


def synthetic(n=400, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    frame = pd.DataFrame({
        "nb201_index": np.arange(n), "arch": [f"a{i}" for i in range(n)],
        "swap_b16": truth + rng.normal(scale=0.7, size=n),
        "params": 1000 * (50 + 10 * (truth + rng.normal(scale=1.0, size=n))),
        "noise_b64": rng.normal(size=n),
        "swap_b16_seconds": np.full(n, 0.1),
        "cifar10_valid_acc_pct": truth,
    })
    return frame, truth


@pytest.mark.parametrize("text", ["swap_b16", "log_rank:swap_b16+params", "mean_rank:2*swap_b16+params",
                                  "swap_b16@reg=median", "log_rank:swap_b16@reg=1000/1e+06+0.5*params"])
def test_text_round_trip(text):
    recipe = Recipe.parse(text)
    assert Recipe.parse(recipe.text()) == recipe


def test_parse_reads_weights_rules_and_pairs():
    recipe = Recipe.parse("mean_rank:2*swap_b16@reg=max+params+swap_b64@reg=1000/1e6")
    assert recipe.method == "mean_rank"
    assert recipe.terms == (Term("swap_b16", 2.0, "max"), Term("params"), Term("swap_b64", 1.0, (1000.0, 1e6)))
    assert recipe.columns() == ["swap_b16", "params", "swap_b64"]
    for bad in ("borda:swap_b16", "swap_b16@reg=best", "2**swap", ""):
        with pytest.raises(ValueError):
            Recipe.parse(bad)


def test_score_is_the_aggregate_of_its_terms():
    frame, _ = synthetic()
    got = Recipe.parse("log_rank:2*swap_b16+params").score(frame)
    want = analysis.aggregate([frame["swap_b16"], frame["params"]], weights=[2, 1])
    assert got == pytest.approx(want)
    mu, sigma = analysis.auto_regularization(frame["params"])
    reg = Recipe.parse("swap_b16@reg=median").score(frame)
    assert reg == pytest.approx(analysis.regularized(frame["swap_b16"], frame["params"], mu, sigma))
    with pytest.raises(ValueError, match="not in the atlas"):
        Recipe.parse("zico_b64").score(frame)


def test_proxy_columns_skip_keys_costs_and_targets():
    frame, _ = synthetic()
    assert proxy_columns(frame) == ["swap_b16", "params", "noise_b64"]


def test_choice_uses_only_the_fitting_rows_truth():
    frame, truth = synthetic()
    fit_rows = np.arange(0, 400, 2)
    a = choose(frame, truth, fit_rows)
    scrambled = truth.copy()
    scrambled[1::2] = np.random.default_rng(5).normal(size=200)  # other half's truth: garbage
    b = choose(frame, scrambled, fit_rows)
    assert a.recipe == b.recipe and a.fit == b.fit
    assert {t.column for t in a.recipe.terms} >= {"swap_b16", "params"}  # both informative columns
    assert "noise_b64" not in {t.column for t in a.recipe.terms} or a.recipe.terms[-1].weight <= 1


def test_expected_best_of_matches_every_draw_counted_by_hand():
    from itertools import combinations

    from swap_engine.recipe import expected_best_of

    rng = np.random.default_rng(3)
    scores, truth = rng.permutation(9).astype(float), rng.normal(size=9)
    for budget in (1, 3, 9):
        draws = [truth[list(d)][np.argmax(scores[list(d)])] for d in combinations(range(9), budget)]
        assert expected_best_of(scores, truth, budget) == pytest.approx(np.mean(draws), abs=1e-12)
    assert expected_best_of(scores, truth, 1) == pytest.approx(truth.mean())
    with pytest.raises(ValueError, match="at least budget"):
        expected_best_of(scores, truth, 10)


def test_named_recipes_offer_az_nas_and_the_studys_choices_where_their_columns_exist(tmp_path, monkeypatch):
    import json

    from swap_engine.recipe import language as recipe

    (tmp_path / recipe.CHOICES_FILE).write_text(json.dumps({"ranking": "log_rank:swap_b16+noise_b64",
                                                            "whole_space": None, "search": "log_rank:gone_b8"}))
    monkeypatch.setattr(recipe, "sample_data_path", lambda name, must_exist=True: tmp_path / name)
    frame, _ = synthetic()
    named = recipe.named_recipes(frame)
    assert named == {"SWAP at B = 16 and the parameter count, by log-ranks": "log_rank:swap_b16+params",
                     recipe.CHOICE_LABELS["ranking"]: "log_rank:swap_b16+noise_b64"}
    for column in ("az_expressivity_b64", "az_progressivity_b64", "az_trainability_b64", "flops"):
        frame[column] = 1.0
    assert recipe.named_recipes(frame)["AZ-NAS (CVPR 2024), its four proxies measured here"] == recipe.AZ_NAS
