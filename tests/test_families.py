"""The study across families: each benchmark's own recipe on held-out halves, leave-one-benchmark-out fitted
without the held-out labels, the transfer matrix and recipes.json, on synthetic atlases."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from swap_engine.studies import families


def _synthetic(seed: int, n: int = 200, noise: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    frame = pd.DataFrame({"index": np.arange(n), "arch": [f"a{i}" for i in range(n)],
                          "swap_b16": truth + noise * rng.normal(size=n), "params": rng.normal(size=n),
                          "naswot_b64": -truth + rng.normal(size=n), "cifar10_valid_acc_pct": truth,
                          "zc_nwot": truth + rng.normal(size=n)})
    frame.attrs = {"targets": ["cifar10_valid_acc_pct", "zc_nwot"], "cells": n}
    return frame


@pytest.fixture
def synthetic(monkeypatch):
    frames = {"darts-1k": _synthetic(1), "nb301-500": _synthetic(2), "nb101-500": _synthetic(3, noise=0.5)}
    def frame(name: str) -> pd.DataFrame:
        if name not in frames:
            raise FileNotFoundError(f"no atlas for {name}")
        return frames[name].copy()

    monkeypatch.setattr(families, "frame", frame)
    return frames


def test_each_benchmark_its_recipe_leave_one_out_and_transfer(synthetic):
    report = families.study(["darts-1k", "nb301-500", "nb101-500"], n_boot=50, max_terms=2)
    own = {row.task: row for row in report.own}
    assert set(own) == {"darts-1k", "nb301-500", "nb101-500"}
    assert all("swap_b16" in row.recipe for row in own.values())
    assert all(row.held_out.spearman > 0.8 and row.held_out.n == 100 for row in own.values())
    loo = {row.task: row for row in report.loo}
    assert "darts-1k" not in loo["darts-1k"].note and "nb301-500" in loo["darts-1k"].note
    assert loo["nb101-500"].held_out.spearman > 0.7
    assert report.transfer.shape == (3, 3) and np.all(np.diag(report.transfer.to_numpy(dtype=float)) > 0.8)
    published = report.alone[report.alone["source"] == "published"]
    assert set(published["proxy"]) == {"nwot"}
    recipes = report.recipes()
    assert set(recipes) == {"darts-1k", "nb301-500", "nb101-500", "darts-1k:loo", "nb301-500:loo", "nb101-500:loo"}


def test_a_missing_atlas_is_left_out_with_its_reason_and_the_files_are_written(synthetic, tmp_path):
    report = families.study(["darts-1k", "zoo"], n_boot=0, max_terms=1)
    assert "zoo" in report.skipped and [row.task for row in report.own] == ["darts-1k"]
    results = tmp_path / "results.md"
    results.write_text("# Results\n\nbefore\n")
    families.update_results_md(results, report, "python -m swap_engine families")
    families.update_results_md(results, report, "python -m swap_engine families")  # replaced, not appended
    text = results.read_text()
    assert text.count(families.RESULTS_BEGIN) == 1 and "before" in text and "Left out: zoo" in text
    families.write_recipes(tmp_path / "recipes.json", report)
    assert json.loads((tmp_path / "recipes.json").read_text()) == {"darts-1k": report.own[0].recipe}
    with pytest.raises(ValueError, match="unknown task"):
        families.task("nb999")


def test_auto_terms_are_chosen_on_an_inner_split_of_the_fitting_half_only(synthetic):
    from dataclasses import replace

    assert families._terms_cap("auto", {3: 0.8, 5: 0.8, 7: 0.79}.get) == 3  # a tie: the fewer terms
    assert families._terms_cap("auto", {3: 0.8, 5: 0.82, 7: 0.83}.get) == 7
    assert families._terms_cap(4, lambda k: 1 / 0) == 4  # a number is taken as it is, nothing rated
    found, _ = families.parts(["nb101-500"])
    part = found["nb101-500"]
    chosen = families.choose_own(part).recipe
    scrambled = part.frame.copy()
    rows = part.report_rows
    target = scrambled.columns.get_loc("cifar10_valid_acc_pct")
    scrambled.iloc[rows, target] = np.random.default_rng(9).permutation(scrambled.iloc[rows, target].to_numpy())
    assert families.choose_own(replace(part, frame=scrambled)).recipe == chosen  # the reporting half is not read


def test_kin_benchmarks_are_left_out_together(monkeypatch):
    """Many of the zoo's networks are timm-in1k's too: neither's leave-one-out recipe is chosen on the other."""
    frames = {"zoo": _synthetic(4), "timm-in1k": _synthetic(5), "nb301-500": _synthetic(2)}
    for frame in frames.values():
        frame["imagenet_top1_acc_pct"] = frame["cifar10_valid_acc_pct"]
    monkeypatch.setattr(families, "frame", lambda name: frames[name].copy())
    report = families.study(["zoo", "timm-in1k", "nb301-500"], n_boot=0, max_terms=1)
    notes = {row.task: row.note for row in report.loo}
    assert notes["timm-in1k"] == "fitted on nb301-500" and notes["zoo"] == "fitted on nb301-500"
    assert "zoo" in notes["nb301-500"] and "timm-in1k" not in notes["nb301-500"]


def _two_columns(seed: int, a_follows: bool) -> pd.DataFrame:
    """Column `a` ranks perfectly where `a_follows` and not at all elsewhere; `b` ranks moderately everywhere."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=400)
    frame = pd.DataFrame({"index": np.arange(400), "arch": [f"a{i}" for i in range(400)],
                          "a": truth if a_follows else rng.normal(size=400),
                          "b": truth + 1.2 * rng.normal(size=400), "cifar10_valid_acc_pct": truth})
    frame.attrs = {"targets": ["cifar10_valid_acc_pct"], "cells": 400}
    return frame


def test_weighing_each_search_space_once_halves_the_two_darts_benchmarks():
    frames = {"darts-1k": _two_columns(1, True), "nb301-500": _two_columns(2, True),
              "nb101-500": _two_columns(3, False)}
    parts = [families.fitted(families.task(name), 0, frames) for name in frames]
    assert list(families.part_weights(parts)) == [1.0, 1.0, 1.0]
    assert list(families.part_weights(parts, "space")) == [0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match="unknown weighing"):
        families.part_weights(parts, "family")
    terms = families.common_terms(parts)
    # Each benchmark once: a's two perfect DARTS fits outweigh its miss on NB101; each space once: they do not.
    by_benchmark, _ = families.choose_across(parts, terms, max_terms=1)
    by_space, _ = families.choose_across(parts, terms, max_terms=1, weigh="space")
    assert by_benchmark.columns() == ["a"] and by_space.columns() == ["b"]


def test_the_command_takes_the_weighing_and_prints_the_leave_one_out_recipes(synthetic, capsys):
    from swap_engine.cli import main

    assert main(["families", "--tasks", "darts-1k,nb301-500,nb101-500", "--n-boot", "0", "--max-terms", "1",
                 "--weigh", "space", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["task"] for r in rows if r["kind"] == "loo"} == {"darts-1k", "nb301-500", "nb101-500"}
    with pytest.raises(SystemExit):
        main(["families", "--weigh", "family"])
