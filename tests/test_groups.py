"""timm-in1k's four kinds of architecture (CNN, vision transformer, MLP, hybrid) and the per-kind correlation."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from swap_engine import atlas
from swap_engine.cli import main
from swap_engine.spaces.timm_groups import KINDS, MODULE_KIND, kind
from swap_engine.studies import groups


def test_every_module_has_one_kind():
    assert set(MODULE_KIND.values()) == set(KINDS)
    assert kind("resnet") == "CNN" and kind("vision_transformer") == "vision transformer"
    assert kind("mlp_mixer") == "MLP" and kind("maxxvit") == "hybrid" and kind("no_such_module") == ""


def test_per_kind_spearman_reads_each_kind_apart():
    rng = np.random.default_rng(0)
    accuracy = rng.normal(size=40)
    frame = pd.DataFrame({"arch": [f"a{i}" for i in range(40)], "acc": accuracy,
                          "kind": ["CNN"] * 20 + ["vision transformer"] * 17 + ["MLP"] * 3,
                          # agrees with accuracy on CNNs, against it on transformers
                          "proxy": np.r_[accuracy[:20], -accuracy[20:37], accuracy[37:]]})
    table = groups.by_kind(frame, ["proxy"], "acc", n_boot=50).set_index("kind")
    assert table.loc["CNN", "spearman"] == 1.0 and table.loc["vision transformer", "spearman"] == -1.0
    assert table.loc["MLP", "n"] == 3 and np.isnan(table.loc["MLP", "spearman"])  # too few for a correlation
    assert table.loc["hybrid", "n"] == 0 and table.loc["all", "n"] == 40
    text = groups.markdown(table.reset_index(), "cmd")
    assert "| `proxy` | 1.000 [1.000, 1.000] (n = 20) | -1.000" in text and "n = 3" in text


def test_the_command_reads_a_fixed_rule_beside_the_columns(capsys):
    if "timm-in1k" not in atlas.available():
        pytest.skip("the timm-in1k atlas is not in sample_data/")
    try:
        atlas.with_truth("timm-in1k")
    except Exception as err:  # noqa: BLE001 - timm's results table is not under SWAP_DATA
        pytest.skip(f"timm-in1k's ground truth is not here: {err}")
    assert main(["groups", "--columns", "AZ-NAS,params", "--n-boot", "20", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["column"] for row in rows} == {"AZ-NAS", "params"}
    assert next(r for r in rows if r["column"] == "AZ-NAS" and r["kind"] == "all")["n"] > 100
