"""Our proxy values against NAS-Bench-Suite-Zero's: the agreement table and its Markdown."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swap_engine.studies import published_agreement as pa


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    accuracy = rng.normal(size=n)
    ours = accuracy + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({
        "arch": [f"a{i}" for i in range(n)], "cifar10_valid_acc_pct": accuracy,
        "params": ours, "zc_params": 3 * ours + 1,                        # the same ranking, other units
        "jacov_b64": ours, "zc_jacov": rng.normal(size=n),                  # unrelated
        "snip_b64": np.where(np.arange(n) < 20, ours, np.nan), "zc_snip": ours,  # measured on 20 cells only
        "swap_layersum_b64": ours, "zc_swap": ours,                         # a variant is not the proxy's column
        "zc_grasp": ours,                                                   # published, never measured here
    })
    return frame


def test_agreement_reads_each_published_proxy_on_the_cells_both_have():
    table = pa.agreement(_frame(), "cifar10_valid_acc_pct", atlas="nb101-500", n_boot=200).set_index("proxy")
    assert sorted(table.index) == ["jacov", "params", "snip"]
    assert table.loc["params", "agreement"] == pytest.approx(1.0)
    assert table.loc["params", "low"] == pytest.approx(1.0) and table.loc["params", "reason"] == ""
    assert table.loc["params", "ours"] == pytest.approx(table.loc["params", "published"])
    assert table.loc["snip", "cells"] == 20 and table.loc["params", "cells"] == 60
    assert abs(table.loc["jacov", "agreement"]) < 0.5
    assert "random batch" in table.loc["jacov", "reason"]  # below the goal, with the measured reason


def test_agreement_markdown_has_a_row_per_proxy_and_leaves_unknowns_blank():
    frame = _frame()
    frame.loc[:, "snip_b64"] = np.nan
    text = pa.markdown({"nb101-500": pa.agreement(frame, "cifar10_valid_acc_pct", n_boot=0)}, "CIFAR-10 valid")
    lines = text.splitlines()
    assert len(lines) == 2 + 3
    snip = next(line for line in lines if "| snip |" in line)
    assert "| 0 |  |" in snip  # no cells: no value rather than a made-up one


def test_the_results_block_is_written_once_from_the_shipped_atlases(tmp_path):
    results = tmp_path / "results.md"
    results.write_text("# Results\n\nkept\n")
    pa.update_results_md(results)
    pa.update_results_md(results)  # replaced, not appended
    text = results.read_text()
    assert text.count(pa.RESULTS_BEGIN) == 1 and "kept" in text
    assert "| nb101-500 | params | 500 | 1.000" in text  # the benchmark's own parameter counts, ours equal
