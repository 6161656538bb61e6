"""Zero-shot, k labels and the ceiling (issue 35): a learner reads only its k labels, one seed gives one result,
and `predict` refuses unusable label files in words, writing nothing."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from swap_engine.cli import main

DATA = Path(os.environ.get("SWAP_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
pytestmark = pytest.mark.skipif(not (DATA / "nb201").is_dir(), reason=f"needs NB201's tables under {DATA}")


@pytest.fixture(scope="module")
def nb201():
    from swap_engine.studies import families

    return families.frame("nb201").iloc[:1500].reset_index(drop=True)


def test_a_learner_never_reads_an_architecture_it_is_scored_on(nb201):
    """Every label outside the k is replaced: both learners fit the same (same importances, same recipe)."""
    from swap_engine.studies import protocols

    task = protocols.families.task("nb201-cifar10")
    known = np.flatnonzero(np.isfinite(nb201[task.report]))
    from swap_engine.studies.split import Split

    labelled = Split.labelled(known, 30, seed=0, draw=0).fit
    scrambled = nb201.copy()
    others = np.setdiff1d(np.arange(len(nb201)), labelled)
    scrambled.loc[others, task.report] = np.random.default_rng(1).permutation(scrambled.loc[others, task.report])
    honest = protocols.kshot("nb201-cifar10", 30, draws=1, table=nb201)
    blind = protocols.kshot("nb201-cifar10", 30, draws=1, table=scrambled)
    assert honest.importances.equals(blind.importances) and honest.recipes == blind.recipes
    assert 0.5 < honest.predictor.mean < 1 and abs(blind.predictor.mean) < 0.2  # scored on what it never saw


def test_one_seed_gives_one_result_and_another_seed_other_draws(nb201):
    from swap_engine.studies import protocols

    first = protocols.kshot("nb201-cifar10", 20, draws=2, recipes=False, table=nb201)
    again = protocols.kshot("nb201-cifar10", 20, draws=2, recipes=False, table=nb201)
    other = protocols.kshot("nb201-cifar10", 20, draws=2, recipes=False, seed=1, table=nb201)
    assert first.predictor.values == again.predictor.values != other.predictor.values
    assert first.importances.equals(again.importances) and first.importances.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="more than 60%"):
        protocols.kshot("nb201-cifar10", 1000, draws=1, table=nb201)
    with pytest.raises(ValueError, match="at least 10"):
        protocols.kshot("nb201-cifar10", 5, draws=1, table=nb201)


def test_the_encoding_gives_each_edge_its_operation(nb201):
    from swap_engine.studies import protocols

    codes = protocols.encoding(nb201.iloc[:3], "nb201")
    edges = [c for c in codes.columns if c.startswith("enc_edge")]
    assert len(edges) >= 6 and (codes[edges].sum(axis=1) == 6).all()


def test_the_ceiling_is_a_second_training_run_and_only_where_one_exists():
    from swap_engine.studies import protocols

    found = protocols.ceiling("nb201-cifar10", n_boot=50)
    assert 0.975 < found.spearman < 0.985 and found.n == 15625
    assert protocols.ceiling("nb101-500") is None


def test_kshot_prints_the_issue_s_json(capsys):
    assert main(["kshot", "--benchmark", "nb101-500", "--k", "20", "--draws", "2", "--no-recipe", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"benchmark", "target", "k", "draws", "predictor", "recipe", "zero_shot"} <= set(result)
    assert {"spearman_mean", "spearman_sd"} <= set(result["predictor"])
    assert {"best", "spearman"} <= set(result["zero_shot"])


def labels_file(tmp_path, rows: list[tuple[str, str]], header: str = "arch,accuracy") -> Path:
    path = tmp_path / "labels.csv"
    path.write_text("\n".join([header, *(f"{a},{b}" for a, b in rows)]) + "\n")
    return path


def trained(n: int) -> list[tuple[str, str]]:
    from swap_engine import atlas

    archs = atlas.load("nb101-500")["arch"].iloc[:n]
    return [(f'"{arch}"', str(90 + 0.01 * i)) for i, arch in enumerate(archs)]


def test_predict_ranks_every_other_architecture(tmp_path, capsys):
    out = tmp_path / "ranked.csv"
    assert main(["predict", "--benchmark", "nb101-500", "--labels", str(labels_file(tmp_path, trained(15))),
                 "--out", str(out)]) == 0
    import pandas as pd

    ranked = pd.read_csv(out)
    assert len(ranked) == 485 and list(ranked.columns) == ["arch", "predicted", "rank"]
    assert ranked["rank"].iloc[0] == 1 and ranked["rank"].is_monotonic_increasing


@pytest.mark.parametrize("case, words", [
    ("unknown", "not one of this benchmark's"),
    ("garbage", "NB101"),
    ("duplicate", "twice"),
    ("few", "needs at least 10"),
    ("not a number", "is not a number"),
    ("no column", "no column accuracy"),
])
def test_predict_refuses_unusable_labels_in_words_and_writes_nothing(tmp_path, capsys, case, words):
    rows = trained(12)
    header = "arch,accuracy"
    if case == "unknown":
        from swap_engine import atlas, spaces

        space, known = spaces.get("nb101"), set(atlas.load("nb101-500")["arch"])
        stranger = next(space.format(cell) for cell in space.sample(50, 99) if space.format(cell) not in known)
        rows[3] = (f'"{stranger}"', "90")  # a valid NB101 cell, not among the benchmark's 500
    elif case == "garbage":
        rows[3] = ("banana", "90")
    elif case == "duplicate":
        rows[5] = rows[2]
    elif case == "few":
        rows = rows[:4]
    elif case == "not a number":
        rows[7] = (rows[7][0], "ninety")
    else:
        header = "arch,score"
    out = tmp_path / "ranked.csv"
    assert main(["predict", "--benchmark", "nb101-500", "--labels", str(labels_file(tmp_path, rows, header)),
                 "--out", str(out)]) != 0
    assert words in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.csv.tmp*"))


def test_a_small_study_writes_its_block_once(tmp_path):
    from swap_engine.studies import protocols

    command = "python -m swap_engine protocols --tasks nb101-500"
    found = protocols.as_json(protocols.study(["nb101-500"], ks=(10, 20), draws=2, n_boot=20), command)
    results = tmp_path / "results.md"
    results.write_text("# Results\n")
    for _ in range(2):
        protocols.update_results_md(results, found, command)
    text = results.read_text()
    assert text.count(protocols.RESULTS_BEGIN) == 1 and "| 20 (2) |" in text
    assert "no second training run" in text and "AZ-NAS" in text and "Rerun alone" not in text


def test_a_rerun_of_one_task_keeps_the_others_and_names_its_command(tmp_path):
    out, results = tmp_path / "protocols.json", tmp_path / "results.md"
    results.write_text("# Results\n")
    common = ["--ks", "10", "--draws", "2", "--n-boot", "20", "--json-out", str(out), "--results-md", str(results)]
    assert main(["protocols", "--tasks", "nb101-500,flexibert-500", *common]) == 0
    before = json.loads(out.read_text())
    assert main(["protocols", "--tasks", "nb101-500", "--seed", "1", *common]) == 0
    after = json.loads(out.read_text())
    assert list(after) == ["nb101-500", "flexibert-500"]
    assert after["flexibert-500"] == before["flexibert-500"] and after["nb101-500"] != before["nb101-500"]
    assert "--seed 1" in after["nb101-500"]["command"]
    text = results.read_text()
    assert text.count("Rerun alone: `") == 1 and "nb101-500,flexibert-500" in text.split("####")[0]
    assert main(["protocols", "--tasks", "nb101-500", "--results-md", str(results)]) == 2  # refused before any work
    assert results.read_text() == text


def _run(k: int, mean: float) -> dict:
    return {"k": k, "draws": 10, "predictor": {"spearman_mean": mean, "spearman_sd": 0.004}, "recipe": None}


def test_a_published_ranking_with_labels_meets_ours_with_no_more_labels_and_in_its_own_metric():
    from swap_engine.studies import protocols

    part = {"n": 15625, "kshot": [_run(50, 0.93), _run(100, 0.949), _run(200, 0.96), _run(1000, 0.977)]}
    found = {row.name: (row, ours) for row, ours in protocols.beside_labelled("nb201-cifar100", part)}
    xgb, ours = found["XGBoost on 13 Suite-Zero proxies"]
    assert (xgb.labels, xgb.value, xgb.sd, ours["k"]) == (100, 0.908, 0.013, 100)
    assert found["GRAF"][0].labels == 1024 and found["GRAF"][1]["k"] == 1000  # the largest k at or below 1,024
    green, ours = next(pair for name, pair in found.items() if name.startswith("GreenFactory"))
    assert green.metric == "kendall" and green.labels is None and ours is None  # its source gives no label count
    assert protocols.beside_labelled("nb101-500", part) == []  # no published ranking with labels there
    fewer = dict((row.name, ours) for row, ours in
                 protocols.beside_labelled("nb201-cifar100", {"kshot": [_run(200, 0.96)]}))
    assert fewer["XGBoost on 13 Suite-Zero proxies"] is None and fewer["GRAF"]["k"] == 200  # every k above 100


def test_the_results_block_sets_the_published_rankings_with_labels_beside_the_k_rows_only():
    from swap_engine.studies import protocols

    part = {"n": 15625, "target": "cifar100_test_acc_pct", "command": "c",
            "zero_shot": [{"rule": "AZ-NAS", "kind": "rule", "n": 15625, "spearman": 0.898, "low": 0.895,
                           "high": 0.901}],
            "kshot": [_run(100, 0.949), _run(1000, 0.977)], "importances": {"meco_b64": 0.2}, "ceiling": None}
    text = protocols.markdown({"nb201-cifar100": part}, "c")
    zero, labelled = text.split("| k labels (draws) |")
    assert "XGBoost" not in zero and "GRAF" not in zero
    assert "| XGBoost on 13 Suite-Zero proxies: Spearman 0.908 ± 0.013 | 100 | 0.949 ± 0.004 (k = 100) |" in labelled
    assert "| not stated | – |" in labelled


def test_a_kendall_anchor_meets_our_kendall_where_the_study_measured_it():
    from swap_engine.studies import protocols, published

    anchor = published.WithLabels("a forest", "nb201", "cifar10", None, "kendall", 0.92, None, 500, "a paper")
    older = {"k": 500, "predictor": {"spearman_mean": 0.97, "spearman_sd": 0.01}}
    assert protocols.ours_beside(anchor, None) == "not measured in Kendall here"
    run = {"k": 500, "predictor": {**older["predictor"], "kendall_mean": 0.871, "kendall_sd": 0.002}}
    assert protocols.ours_beside(anchor, run) == "0.871 ± 0.002 (k = 500)"


def test_kshot_measures_the_predictor_s_kendall_on_the_same_draws(nb201):
    from swap_engine.studies import protocols

    found = protocols.kshot("nb201-cifar10", 20, draws=2, recipes=False, table=nb201)
    assert len(found.predictor_kendall.values) == 2 and "kendall_mean" in found.as_dict()["predictor"]
    spearman, kendall = found.predictor.mean, found.predictor_kendall.mean
    assert 0 < kendall < spearman  # tau-b is the smaller of the two on a positive association


def test_the_fixed_rules_are_read_on_the_cells_the_paper_reads_beside_its_number(nb201):
    """VKDNW's NB201 figures read the cells in which every operation is used: the rules are read there too."""
    from swap_engine.studies import protocols, published

    rows = protocols.paper_cells("nb201-cifar10", n_boot=20, frame=nb201)
    inside = int(published.in_paper_cells("every_op_used", nb201["arch"]).sum())
    found = {row["rule"]: row for row in rows}
    assert {"AZ-NAS", "VKDNW_agg"} <= set(found) and all(row["cells"] == "every_op_used" for row in rows)
    assert found["AZ-NAS"]["n"] == inside < len(nb201) and found["VKDNW_agg"]["n"] <= inside
    assert found["VKDNW_agg"]["published"] == 0.919 and found["AZ-NAS"]["published"] is None  # its C10 reads all
    assert protocols.paper_cells("nb101-500", n_boot=20) == []  # every published NB101 number reads all 500
    zero = [{"rule": "AZ-NAS", "kind": "rule", "n": 1500, "spearman": 0.9, "low": 0.89, "high": 0.91}]
    part = {"n": len(nb201), "zero_shot": zero, "kshot": [], "ceiling": None, "paper_cells": rows}
    text = protocols.markdown({"nb201-cifar10": part}, "c")
    assert f"| zero-shot, the {inside:,} cells a paper reads (`every_op_used`)" in text
    assert "VKDNW_agg's 0.919, reads those cells" in text


def test_tasks_studied_in_parallel_give_the_same_numbers():
    from swap_engine.studies import protocols

    settings = dict(ks=(10,), draws=2, n_boot=20)
    one_by_one = protocols.study(["nb101-500", "flexibert-500"], **settings)
    at_once = protocols.study(["nb101-500", "flexibert-500"], jobs=2, **settings)
    assert list(at_once) == ["nb101-500", "flexibert-500"]
    assert json.dumps(protocols.as_json(at_once)) == json.dumps(protocols.as_json(one_by_one))


def test_paths_count_each_input_to_output_route_through_the_chosen_operations():
    from swap_engine.studies import paths

    # NB201's nodes 0 -> 3: conv on 0->1 and 1->3, skip on 0->3, pooling on 0->2, none on 2->3 and 1->2
    edges = [("0", "1", "conv"), ("0", "2", "pool"), ("1", "2", "none"), ("0", "3", "skip"), ("1", "3", "conv"),
             ("2", "3", "none")]
    ops = paths.operations([edges])
    assert ops == ["conv", "pool", "skip"]
    found = paths.path_features(edges, ops)
    assert (found["path_min[conv]"], found["path_max[conv]"], found["path_count[conv]"]) == (2, 2, 1)
    assert (found["path_min[conv,skip]"], found["path_max[conv,skip]"], found["path_count[conv,skip]"]) == (1, 2, 2)
    assert found["path_count[pool]"] == 0 and found["path_min[pool]"] == 0  # pooling reaches a dead end
    assert len(found) == 3 * 7  # every subset of three operations


def test_paths_measure_each_part_of_a_two_cell_graph_apart():
    from swap_engine.studies import paths

    edges = [("normal/c0", "normal/2", "conv"), ("normal/2", "normal/out", "concat"),
             ("reduce/c0", "reduce/2", "pool"), ("reduce/2", "reduce/out", "concat")]
    found = paths.path_features(edges, ["conv", "pool"])
    assert found["normal:path_count[conv]"] == 1 and found["normal:path_count[pool]"] == 0
    assert found["reduce:path_count[pool]"] == 1 and found["reduce:path_min[pool]"] == 2


def test_a_path_column_reads_in_words():
    from swap_engine.studies import paths

    assert paths.describe("enc_path_min[nor_conv_3x3,skip_connect]") == \
        "shortest path through nor_conv_3x3, skip_connect only"
    assert paths.describe("enc_reduce:path_count[max_pool_3x3]") == \
        "reduce cell: number of paths through max_pool_3x3 only"
    assert paths.describe("enc_edge0_none") is None and paths.describe("swap_b16") is None
