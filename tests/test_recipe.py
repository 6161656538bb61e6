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


def test_study_reports_the_held_out_half_and_regenerates_its_block(tmp_path):
    from swap_engine import recipe as recipes

    frame, truth = synthetic()
    rng = np.random.default_rng(1)
    for target in recipes.REPORT_TARGETS:
        frame[target] = truth + rng.normal(scale=0.1, size=len(truth))
    frame.attrs["source"] = "synthetic"
    report = recipes.study(frame=frame, n_boot=0, command="python -m swap_engine recipe --test")
    assert report.held_out[0]["n"] == 200 and report.held_out[0]["target"] == "cifar10_test_acc_pct"
    assert {r["recipe"] for r in report.single} >= {"swap_b16", "params", "noise_b64"}
    path = tmp_path / "results.md"
    path.write_text("# Results\n\nintro\n\n## Generated table\n\nkept\n")
    recipes.update_results_md(path, report)
    recipes.update_results_md(path, report)  # a rerun replaces its block, once
    text = path.read_text()
    assert text.count(recipes.RESULTS_BEGIN) == 1 and "kept" in text and "intro" in text
    assert text.index(recipes.RESULTS_BEGIN) < text.index("## Generated table")
    assert report.whole is None  # no subset: the study is already the whole space's


def test_a_subset_study_also_chooses_on_the_whole_space_with_its_complete_columns():
    from swap_engine import recipe as recipes

    frame, truth = synthetic()
    rng = np.random.default_rng(1)
    for target in recipes.REPORT_TARGETS:
        frame[target] = truth + rng.normal(scale=0.1, size=len(truth))
    frame["partial_b64"] = np.where(np.arange(400) < 100, truth, np.nan)  # a perfect proxy on a quarter
    report = recipes.study(frame=frame, n_boot=0, subset="partial_b64")
    assert report.n_cells == 100 and "partial_b64" in report.choice.recipe.columns()
    assert report.whole is not None and report.whole.n_cells == 400
    assert "partial_b64" not in report.whole.choice.candidates  # not measured on every cell
    assert report.whole.held_out[0]["n"] == 200
    single = {r["recipe"]: r["n"] for r in report.single}
    assert single["swap_b16"] == 400 and single["partial_b64"] == 100  # alone: on all the cells each covers
    assert "The same choice on the whole space (400 cells" in report.markdown()


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


def test_the_study_also_chooses_a_search_recipe_by_the_best_of_100_it_expects():
    from swap_engine import recipe as recipes

    frame, truth = synthetic()
    rng = np.random.default_rng(1)
    for target in recipes.REPORT_TARGETS:
        frame[target] = truth + rng.normal(scale=0.1, size=len(truth))
    report = recipes.study(frame=frame, n_boot=0)
    search = report.search
    assert search is not None and search.choice.objective == "best-of-100"
    assert search.choice.recipe.terms[0].column != "noise_b64"
    by_name = {(r["recipe"], r["target"]): r for r in search.rows}
    oracle, mean_cell = by_name[("oracle", "cifar10_test_acc_pct")], by_name[("random", "cifar10_test_acc_pct")]
    chosen = by_name[(f"`{search.choice.recipe.text()}`", "cifar10_test_acc_pct")]
    assert mean_cell["best_of"] < chosen["best_of"] <= oracle["best_of"] and chosen["n"] == 200
    assert "A recipe for search" in report.markdown()


def test_named_recipes_offer_az_nas_and_the_studys_choices_where_their_columns_exist(tmp_path, monkeypatch):
    import json

    from swap_engine import recipe

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


def test_the_study_reports_az_nas_measured_here_on_the_cells_it_covers():
    from swap_engine import recipe as recipes

    frame, truth = synthetic()
    rng = np.random.default_rng(1)
    for target in recipes.REPORT_TARGETS:
        frame[target] = truth + rng.normal(scale=0.1, size=len(truth))
    frame["flops"] = frame["params"] * 10
    for n, column in enumerate(("az_expressivity_b64", "az_progressivity_b64", "az_trainability_b64")):
        frame[column] = np.where(np.arange(400) < 300, truth + rng.normal(scale=1.0 + n, size=400), np.nan)
    frame["az_b64_seconds"] = 0.5
    report = recipes.study(frame=frame, n_boot=0)
    row = next(r for r in report.single if r["recipe"] == recipes.AZ_NAS)
    assert row["n"] == 300 and row["spearman"] > 0.5 and row["published"].startswith("0.913")
    assert any(r["recipe"] == recipes.AZ_NAS for r in report.held_out)  # beside the chosen recipe, held out
    assert f"`{recipes.AZ_NAS}`" in report.markdown()
