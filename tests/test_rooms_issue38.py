"""The rooms issue 38 added: one column parser, one join of an atlas with its truth, one split, one "each proxy
alone", the scorer interface, the goals file, the spaces' editors."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swap_engine import analysis, atlas
from swap_engine.columns import Column, column, is_score
from swap_engine.recipe import NonFinite, Recipe, Scorer, reads
from swap_engine.studies import families, published
from swap_engine.studies.alone import each_alone
from swap_engine.studies.split import Split

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))


def test_a_column_name_is_read_in_one_place():
    assert Column.parse("swap_layersum_b32") == Column("swap", "layersum", 32)
    assert Column.parse("az_expressivity_b64") == Column("az", "expressivity", 64)
    assert Column.parse("grad_norm_b64") == Column("grad_norm", None, 64)  # not a family: the name keeps its "_"
    assert Column.parse("params") == Column("params") and Column.parse("flops").batch is None
    assert Column.parse("swap_stage2_b16").cost == "swap_b16_seconds" == Column.parse("swap_b16_seconds").cost
    assert Column.parse("az_trainability_b64").job.name == "az_b64" and Column.parse("params").cost == "params_seconds"
    assert [Column.parse(c).words() for c in ("swap_b16", "swap_layersum_b32", "naswot_b64", "params")] == [
        "SWAP (B = 16)", "SWAP layersum (B = 32)", "naswot (B = 64)", "parameters"]
    assert column("swap", 16) == "swap_b16" and column("params", 64) == "params"
    assert not is_score("swap_b16_seconds") and not is_score("swap_neurons_b16") and is_score("swap_b16")


@pytest.mark.parametrize("name", atlas.available())
def test_every_column_of_every_atlas_parses_back_to_itself(name):
    columns = pd.read_parquet(atlas.path(name)).columns[2:]
    for c in columns:
        parsed = Column.parse(c)
        assert (parsed.name + ("_seconds" if c.endswith("_seconds") else "")) == c
        assert atlas.job_of(c.removesuffix("_seconds"))[0] == parsed.proxy


@pytest.mark.parametrize("name", atlas.available())
def test_with_truth_joins_every_atlas_to_its_targets(name, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    from swap_engine import data

    try:
        frame = atlas.with_truth(name)
    except data.MissingDataError:
        pytest.skip(f"{name}'s ground truth is not under {DATA}")
    spec = atlas.spec(name)
    targets = data.targets(spec.benchmark)
    assert set(targets) <= set(frame.attrs["targets"]) and set(targets) <= set(frame.columns)
    assert frame.attrs["cells"] >= len(frame) > 0 and frame.attrs["atlas"] == name
    assert frame[targets[0]].notna().mean() > 0.9  # the join found the cells' accuracies


def test_every_space_with_an_atlas_names_it_in_the_specs():
    from swap_engine import spaces

    for name, spec in atlas.SPECS.items():
        assert name in atlas.of_space(spec.space)
    for space_name in ("nb201", "darts", "nb101", "flexibert"):
        assert atlas.of_space(space_name, spaces.get(space_name).benchmark)


def test_one_split_for_halves_inner_splits_and_k_labels():
    split = Split.halves(101, seed=3)
    fit, report = analysis.split_halves(101, 3)
    assert np.array_equal(split.fit, fit) and np.array_equal(split.report, report) and len(split) == 101
    first, second = split.inner()
    assert set(first.fit) | set(second.fit) == set(split.fit) and not set(first.fit) & set(second.fit)
    a, b = analysis.split_halves(len(split.fit), 4)  # the inner split's seed is the split's + 1
    assert np.array_equal(first.fit, split.fit[a]) and np.array_equal(second.fit, split.fit[b])
    rows = np.arange(0, 200, 2)
    labelled = Split.labelled(rows, 10, seed=0, draw=1)
    again = np.sort(np.random.default_rng([0, 1001]).choice(rows, size=10, replace=False))
    assert np.array_equal(labelled.fit, again) and len(labelled.report) == 90
    assert not set(labelled.fit) & set(labelled.report)
    assert Split.labelled(rows, 10, 0, 1).fit.tolist() == again.tolist()


def test_each_proxy_alone_reads_minus_inf_by_one_rule():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=50)
    frame = pd.DataFrame({"arch": [str(i) for i in range(50)], "a_b8": truth + rng.normal(size=50) * 0.1,
                          "acc": truth})
    frame.loc[:4, "a_b8"] = -np.inf
    frame.attrs["targets"] = ["acc"]
    last = each_alone(frame, ["acc"], kendall=True).iloc[0]
    drop = each_alone(frame, ["acc"], rule=NonFinite.DROP).iloc[0]
    assert (last["column"], last["read"], last["cells"]) == ("a_b8", 50, 50)
    assert (drop["read"], drop["cells"]) == (45, 45)
    finite = frame.iloc[5:]
    want = analysis.correlate(finite["a_b8"], finite["acc"], n_boot=0)
    assert drop["spearman"] == pytest.approx(want.spearman)
    assert -1 <= last["kendall"] <= 1


def test_a_recipe_is_a_scorer_keyed_on_its_text():
    recipe = Recipe.parse("log_rank:swap_b16+params")
    assert isinstance(recipe, Scorer) and recipe.key == recipe.label == "log_rank:swap_b16+params"
    assert reads(recipe, pd.DataFrame()) == ["swap_b16", "params"]
    assert NonFinite("last") == "last" and NonFinite.DROP.words().startswith("drop")


def test_goals_live_in_one_file_and_loo_is_a_task_field():
    assert [t.name for t in families.TASKS if t.loo] == ["nb201-cifar10", "darts-1k", "nb301-500", "nb101-500",
                                                           "flexibert-500", "zoo"]
    assert published.task_goal("nb201-cifar10") == 0.93 and published.task_goal("zoo") is None
    assert families.loo_goal() == 0.70 and published.best_published("nb101-500").startswith("0.77")
    assert published.recipe_study_column("naswot_b64").startswith("0.80")
    assert published.correlation()[("flexibert", "glue_avg_score", "swap")] == "0.71 (paper)"


def test_saved_recipes_are_each_tasks_own_and_its_leave_one_out():
    saved = families.SavedRecipes.from_json({"nb201-cifar10": "swap_b16", "nb201-cifar10:loo": "swap_b32"})
    assert saved.own == {"nb201-cifar10": "swap_b16"} and saved.loo == {"nb201-cifar10": "swap_b32"}
    assert saved.to_json() == {"nb201-cifar10": "swap_b16", "nb201-cifar10:loo": "swap_b32"}


def test_the_editable_spaces_come_from_the_spaces_room():
    from swap_engine import spaces
    from swap_engine.spaces import edits

    assert edits.editable() == ("nb201", "darts", "nb101")
    nb201 = spaces.get("nb201")
    arch = nb201.example(0)
    assert edits.truth_key("nb201", arch) == nb201.index(arch)
    assert nb201.cell_edges and not spaces.get("darts").cell_edges
    with pytest.raises(ValueError, match="no editor"):
        edits.neighbours("zoo", None)
