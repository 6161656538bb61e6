"""Benchmark tables from the real files: row counts, value ranges, canonical arch strings, joins."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swap_engine import data, spaces

SHARED = Path(os.environ.get("SWAP_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
pytestmark = pytest.mark.skipif(not (SHARED / "nb201" / "nats_bench.csv").is_file(),
                                reason=f"benchmark files not found in {SHARED} (set SWAP_DATA)")


@pytest.fixture(autouse=True)
def shared(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(SHARED))


def _check_table(name: str, rows: int, space: str) -> pd.DataFrame:
    table = data.benchmark(name)
    assert len(table) == rows
    assert table.columns[0] == "arch"
    assert set(data.targets(name)) <= set(table.columns)
    assert not table[data.targets(name)].isna().any().any()
    sample = table["arch"].iloc[:: max(1, rows // 50)]
    searched = spaces.get(space)
    assert all(searched.format(searched.parse(a)) == a for a in sample)  # already canonical
    return table


def test_names_and_targets():
    assert data.benchmark_names() == ["nb201", "darts-1k", "nb101-500", "nb301-500", "flexibert-500", "zoo",
                                      "timm-in1k"]
    assert data.targets("nb201")[0] == "cifar10_test_acc_pct"
    with pytest.raises(ValueError, match="unknown benchmark 'nb202'"):
        data.benchmark("nb202")
    with pytest.raises(ValueError, match="unknown benchmark"):
        data.targets("nope")


def test_nb201():
    table = _check_table("nb201", 15_625, "nb201")
    assert list(table.columns) == ["arch", "nb201_index", "cifar10_test_acc_pct", "cifar100_test_acc_pct",
                                   "imagenet16_test_acc_pct", "cifar10_valid_acc_pct", "cifar100_valid_acc_pct",
                                   "imagenet16_valid_acc_pct", "zen_score", "unique_string"]
    assert table["arch"].is_unique and table["nb201_index"].tolist() == list(range(15_625))
    assert round(table["cifar10_test_acc_pct"].max(), 2) == 94.37
    assert round(table["cifar100_test_acc_pct"].max(), 2) == 73.51
    assert round(table["imagenet16_test_acc_pct"].max(), 2) == 47.31
    for column in data.targets("nb201"):
        assert 0 <= table[column].min() and table[column].max() <= 100
    # The validation join went through the arch conversion: validation and test accuracy agree closely.
    for dataset in ("cifar10", "cifar100", "imagenet16"):
        r = np.corrcoef(table[f"{dataset}_valid_acc_pct"], table[f"{dataset}_test_acc_pct"])[0, 1]
        assert r > 0.99, dataset
    # Row i is NB201 index i, as the space numbers it.
    nb201 = spaces.get("nb201")
    for index in (0, 1, 7777, 15_624):
        assert nb201.format(nb201.from_index(index)) == table["arch"][index]
    assert table["zen_score"].notna().all()
    assert table.loc[0, "arch"] == ("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|"
                                    "+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")


def test_nb201_validation_record_joined_by_arch_not_idx():
    # NASLib record {"arch": "(1, 1, 2, 0, 2, 3)", val_accuracy 67.80000004882812} in the cifar100 files:
    # edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) with NASLib's op order -> this NB201 string.
    table = data.benchmark("nb201").set_index("arch")
    arch = "|none~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    assert table.loc[arch, "cifar100_valid_acc_pct"] == pytest.approx(67.80000004882812)


def test_darts_1k():
    table = _check_table("darts-1k", 1_000, "darts")
    raw = pd.read_csv(SHARED / "darts" / "DARTS_archs_CIFAR10.csv", header=None)
    assert table["arch"].tolist() == raw[0].tolist()  # the file's strings are the canonical ones
    assert table["cifar10_valid_acc_pct"].between(10, 87).all()
    assert round(table["cifar10_valid_acc_pct"].max(), 2) == 86.61


@pytest.mark.parametrize("name, space, low, high", [("nb101-500", "nb101", 73.0, 94.8),
                                                     ("nb301-500", "darts", 90.7, 94.4)])
def test_suite_zero(name, space, low, high):
    table = _check_table(name, 500, space)
    assert table["arch"].is_unique
    assert table["cifar10_valid_acc_pct"].between(low, high).all()
    proxies = [c for c in table.columns if c.startswith("zc_")]
    assert {"zc_synflow", "zc_snip", "zc_params", "zc_flops", "zc_jacov"} <= set(proxies) and len(proxies) == 11
    if name == "nb301-500":
        assert table["arch"].str.startswith("Genotype(normal=[").all()


def test_flexibert_500():
    table = _check_table("flexibert-500", 500, "flexibert")
    assert data.targets("flexibert-500")[0] == "glue_avg_score"
    assert {"cola_score", "mnli_score", "sst2_score", "stsb_score"} <= set(table.columns)
    assert table["glue_avg_score"].between(53, 76).all()
    assert table["arch"].nunique() == 491  # the upstream file trains some architectures twice
    assert table["flexibert_id"].is_unique


def test_tables_are_cached_and_copied():
    first = data.benchmark("darts-1k")
    first.loc[0, "cifar10_valid_acc_pct"] = -1.0
    assert data.benchmark("darts-1k").loc[0, "cifar10_valid_acc_pct"] != -1.0


def test_missing_file_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))
    with pytest.raises(data.MissingDataError, match="data fetch suite-zero"):
        data.benchmark("nb101-500")


def test_zoo_is_offline_metadata():
    table = _check_table("zoo", spaces.get("zoo").size, "zoo")
    assert {"imagenet_top1_acc_pct", "imagenet_top5_acc_pct", "params"} <= set(table.columns)
    row = table.set_index("arch").loc["resnet18"]
    assert row["imagenet_top1_acc_pct"] == pytest.approx(69.758) and row["params"] == 11_689_512
    assert table["imagenet_top1_acc_pct"].between(50, 90).all()
    assert (table["imagenet_top5_acc_pct"] > table["imagenet_top1_acc_pct"]).all()
