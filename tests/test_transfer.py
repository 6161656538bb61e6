"""swap_engine.studies.transfer: an NB201 recipe applied unchanged to DARTS-1k (real cells, through the runner)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from swap_engine import atlas
from swap_engine.recipe import Recipe
from swap_engine.runner import Store
from swap_engine.studies import transfer

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
needs_darts = pytest.mark.skipif(not (DATA / "darts" / "DARTS_archs_CIFAR10.csv").exists()
                                 or not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                 reason=f"the DARTS-1k benchmark or CIFAR-10 not found under {DATA}")


def test_parse_reads_benchmarks_and_cell_counts():
    assert transfer.parse("darts-1k, nb101-500:100") == [("darts-1k", None), ("nb101-500", 100)]
    assert transfer.parse("") == []
    with pytest.raises(ValueError, match="unknown transfer benchmark"):
        transfer.parse("nb201")
    with pytest.raises(ValueError, match="at least 3"):
        transfer.parse("darts-1k:two")


def test_swap_variants_share_one_pass_and_params_its_own_job():
    jobs = transfer.jobs("darts-1k", ["a", "b"], ["swap_stage2_b16", "swap_satfree_b16", "params", "jacov_b64"])
    assert sorted({(j.proxy, j.settings["batch_size"]) for j in jobs}) == [("jacov", 64), ("params", 64),
                                                                           ("swap", 16)]
    assert len(jobs) == 2 * 3 and all(j.space == "darts" and j.settings == atlas.settings(j.settings["batch_size"])
                                      for j in jobs)
    with pytest.raises(ValueError, match="not an atlas column"):
        atlas.job_of("swap")


@needs_darts
def test_a_recipe_on_seeded_darts_cells_resumes_from_its_store(tmp_path):
    recipe = Recipe.parse("log_rank:swap_stage2_b16+swap_b16@reg=max")
    store = tmp_path / "darts.csv"
    frame = transfer.scores(recipe, "darts-1k", count=5, store=store, progress=False)
    assert len(frame) == 5 and list(frame["arch"]) == list(transfer.cells("darts-1k", 5)["arch"])
    assert np.isfinite(frame["recipe"]).all() and np.isfinite(frame["cifar10_valid_acc_pct"]).all()
    assert (frame["swap_stage2_b16"] <= frame["swap_b16"]).all()  # a stage's count is part of the total
    lines = len(list(Store(store).records()))
    assert lines == 5 * 2  # a SWAP pass and a params job per cell
    again = transfer.scores(recipe, "darts-1k", count=5, store=store, progress=False)  # nothing to run
    assert len(list(Store(store).records())) == lines
    assert np.array_equal(again["recipe"], frame["recipe"])


@needs_darts
def test_the_study_reports_the_transferred_recipe(tmp_path):
    from swap_engine.studies import recipe_study as recipes
    from tests.test_recipe import synthetic

    frame, truth = synthetic(200)
    for target in recipes.REPORT_TARGETS:
        frame[target] = truth
    report = recipes.study(frame=frame, n_boot=0, max_terms=1, transfers=[("darts-1k", 4)],
                           transfer_store=tmp_path, runner_options={"progress": False})
    row = report.transfer[0]
    assert row["benchmark"] == "darts-1k (4 seeded cells)" and row["n"] == 4 and row["target"] == "CIFAR-10 valid"
    assert "darts-1k (4 seeded cells)" in report.markdown()


@needs_darts
def test_a_recipe_that_cannot_be_computed_there_is_reported_as_skipped_with_the_reason(tmp_path):
    from swap_engine.studies import recipe_study as recipes

    # DARTS's scored network is the SWAP authors' one-cell proxy: AZ-NAS's proxies find no chain of blocks.
    row = recipes._transfer(Recipe.parse("log_rank:az_trainability_b64+params"), "darts-1k", 3, 0, 0, tmp_path,
                            {"progress": False}, lambda _line: None)
    assert row["skipped"].startswith("the recipe cannot be computed on these cells")
    assert "az: ValueError: proxy 'az' compares consecutive stages" in row["skipped"]
