"""swap_engine.studies.recipe_study: the honest study, a recipe chosen on one half and reported on the other."""
from __future__ import annotations

import numpy as np

from tests.test_recipe import synthetic


def test_study_reports_the_held_out_half_and_regenerates_its_block(tmp_path):
    from swap_engine.studies import recipe_study as recipes

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
    from swap_engine.studies import recipe_study as recipes

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


def test_the_study_also_chooses_a_search_recipe_by_the_best_of_100_it_expects():
    from swap_engine.studies import recipe_study as recipes

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


def test_the_study_reports_az_nas_measured_here_on_the_cells_it_covers():
    from swap_engine.studies import recipe_study as recipes

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
