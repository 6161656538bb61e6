"""NASLib / NAS-Bench-Suite-Zero formats: arch keys both ways, export and load back, the convert command."""
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swap_engine import data, spaces
from swap_engine.cli import main
from swap_engine.data import suite_zero

SUITE_ZERO = {"nb101": "suite_zero/zc_nasbench101.json", "darts": "suite_zero/zc_nasbench301.json"}


def _shared(relative: str) -> Path:
    path = data.data_dir() / relative
    if not path.is_file():
        pytest.skip(f"no {relative} in {data.data_dir()}")
    return path


def _nb201_scores(n: int = 100, seed: int = 3) -> pd.DataFrame:
    space = spaces.get("nb201")
    rng = np.random.default_rng(seed)
    archs = [space.format(a) for a in space.sample(n, seed)]
    return pd.DataFrame({
        "arch": archs,
        "swap": rng.integers(1, 5000, n).astype(float),  # distinct-pattern counts are whole numbers
        "naswot": rng.normal(500, 50, n),
        "synflow": rng.lognormal(30, 5, n),  # large magnitudes must survive the text round trip exactly
        "seconds": rng.uniform(0.01, 2.0, n),
        "val_accuracy": rng.uniform(10, 94, n),
    })


def test_export_of_100_nb201_cells_loads_back_identical(tmp_path):
    scores = _nb201_scores()
    path = suite_zero.export(tmp_path / "zc_swap.json", scores, "nb201", ["swap", "naswot", "synflow"])
    document = json.loads(path.read_text())
    cells = document["nasbench201"]["cifar10"]
    assert len(cells) == 100
    first = next(iter(cells.values()))
    assert set(first) == {"swap", "nwot", "synflow", "val_accuracy"}  # NASLib's name for NASWOT
    assert set(first["swap"]) == {"score", "time"}

    loaded = suite_zero.load(path)
    assert len(loaded) == 100 and set(loaded["source"]) == {"published"} and set(loaded["space"]) == {"nb201"}
    back = loaded.set_index("arch").loc[scores["arch"]]
    for proxy in ("swap", "naswot", "synflow"):
        assert back[proxy].tolist() == scores[proxy].tolist()  # exact, not approximately
        assert back[f"{proxy}_time"].tolist() == scores["seconds"].tolist()
    assert back["val_accuracy"].tolist() == scores["val_accuracy"].tolist()
    space = spaces.get("nb201")
    assert back["naslib_key"].tolist() == [str(space.naslib_indices(space.parse(a))) for a in scores["arch"]]


def test_export_merges_skips_nan_and_rejects_duplicates(tmp_path):
    scores = _nb201_scores(4)
    path = tmp_path / "z.json"
    suite_zero.export(path, scores[["arch", "swap", "val_accuracy"]], "nb201", ["swap"], time=None)
    more = scores[["arch", "naswot"]].copy()
    more.loc[0, "naswot"] = float("nan")  # a failed scoring is left out, not written as NaN
    suite_zero.export(path, more, "nb201", ["naswot"], accuracy=None, time=None)
    loaded = suite_zero.load(path).set_index("arch").loc[scores["arch"]]
    assert loaded["swap"].tolist() == scores["swap"].tolist() and (loaded["swap_time"] == 0.0).all()
    assert math.isnan(loaded["naswot"].iloc[0]) and loaded["naswot"].iloc[1:].tolist() == more["naswot"][1:].tolist()
    with pytest.raises(ValueError, match="twice"):
        suite_zero.to_suite_zero(pd.concat([scores, scores]), "nb201", ["swap"])
    with pytest.raises(ValueError, match="lack"):
        suite_zero.to_suite_zero(scores, "nb201", ["zico"])
    with pytest.raises(ValueError, match="no 'zoo' space"):
        suite_zero.key("zoo", "resnet18")


@pytest.mark.parametrize("space_name", ["nb101", "darts"])
def test_naslib_keys_of_the_shipped_subsets_round_trip(space_name):
    raw = json.loads(_shared(SUITE_ZERO[space_name]).read_text())
    cells = next(iter(next(iter(raw.values())).values()))
    assert all(suite_zero.key(space_name, k) == k for k in cells)


@pytest.mark.parametrize("space_name", ["nb101", "darts"])
def test_published_file_loads_as_the_benchmark_proxies(space_name):
    path = _shared(SUITE_ZERO[space_name])
    table = suite_zero.load(path)
    assert len(table) == 500 and table["synflow_time"].isna().all()  # bare numbers: no time recorded
    benchmark = data.benchmark({"nb101": "nb101-500", "darts": "nb301-500"}[space_name]).set_index("arch")
    joined = table.set_index("arch")
    assert joined["synflow"].tolist() == benchmark.loc[joined.index, "zc_synflow"].tolist()
    assert joined["val_accuracy"].tolist() == benchmark.loc[joined.index, "cifar10_valid_acc_pct"].tolist()


def test_nb201_parse_reads_string_tuple_and_index():
    space = spaces.get("nb201")
    for index in (0, 1, 2631, 15624):
        arch = space.from_index(index)
        text, naslib = space.format(arch), str(space.naslib_indices(arch))
        assert space.parse(text) == space.parse(naslib) == space.parse(str(index)) == arch
    with pytest.raises(ValueError, match="15625"):
        space.parse("15625")


def test_darts_genotype_and_compact_both_ways():
    space = spaces.get("darts")
    for arch in space.sample(20, seed=1):
        try:
            compact = space.compact(arch)
        except ValueError:  # a `none` op has no NB301 code
            continue
        assert space.parse(compact) == arch and space.parse(space.format(arch)) == arch


def test_convert_command(capsys):
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    assert main(["convert", "--space", "nb201", "--json", arch, "1"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first == second and first["nb201"] == arch and first["index"] == "1"
    assert main(["convert", "--space", "nb201", "--to", "nb201", first["naslib"]]) == 0
    assert capsys.readouterr().out.strip() == arch
    compact = "[[(0, 4), (1, 3), (0, 2), (2, 3), (2, 3), (0, 3), (2, 6), (3, 5)], " \
              "[(0, 3), (1, 3), (1, 1), (0, 5), (2, 3), (0, 2), (4, 4), (3, 1)]]"
    assert main(["convert", "--space", "darts", "--to", "genotype", compact]) == 0
    genotype = capsys.readouterr().out.strip()
    assert main(["convert", "--space", "darts", "--to", "naslib", genotype]) == 0
    assert capsys.readouterr().out.strip() == compact
    assert main(["convert", "--space", "nb201", "--to", "hash", "1"]) == 2
    assert "known: nb201, naslib, index" in capsys.readouterr().err


def test_study_exports_suite_zero_and_shows_published(tmp_path, capsys):
    _shared("nb201/nats_bench.csv")
    export = tmp_path / "zc.json"
    argv = ["study", "--space", "nb201", "--proxies", "swap,params", "--n", "4", "--batch-size", "8",
            "--input", "gaussian", "--model-option", "C=4", "--model-option", "N=1", "--no-plots",
            "--n-boot", "20", "--out", str(tmp_path / "out"), "--export", "suite-zero", str(export)]
    assert main(argv) == 0
    capsys.readouterr()
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    loaded = suite_zero.load(export).set_index("arch").loc[scores["arch"]]
    assert loaded["swap"].tolist() == scores["swap"].tolist()
    benchmark = data.benchmark("nb201")
    assert loaded["val_accuracy"].tolist() == benchmark.loc[scores["row"], "cifar10_valid_acc_pct"].tolist()
    assert main([*argv[:-3], "--published", str(export)]) == 0  # rerun: resumes, then adds published rows
    out = capsys.readouterr().out
    assert "swap (published)" in out and "params (published)" in out
    assert main([*argv[:-2], "naslib", str(export)]) == 2
