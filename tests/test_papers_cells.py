"""Ours beside a paper's number on the paper's own cells: VKDNW's Table 1 reads the 9,445 NB201 cells in which
every operation is used, and the papers table reads ours on the same cells."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from swap_engine import spaces
from swap_engine.spaces import nb201
from swap_engine.studies import published
from ui import papers


def test_ours_is_also_read_on_the_cells_the_paper_read():
    space = spaces.get("nb201")
    archs = [space.format(a) for a in space.sample(300, seed=1)]
    rng = np.random.default_rng(0)
    accuracy = rng.normal(size=len(archs))
    frame = pd.DataFrame({"arch": archs, "cifar10_test_acc_pct": accuracy,
                          "vkdnw_b64": accuracy + rng.normal(scale=1.0, size=len(archs))})
    frame.attrs["cells"] = 15625
    row = papers.table(frame, "nb201", "cifar10_test_acc_pct").set_index("proxy or rule").loc["vkdnw_b64"]
    inside = np.array([nb201.every_op_used(space.parse(a)) for a in archs])
    assert 0 < inside.sum() < len(archs)
    expected = stats.spearmanr(frame.loc[inside, "vkdnw_b64"], accuracy[inside]).statistic
    assert row["ours, paper's cells"] == pytest.approx(expected)
    assert row["ours"] == pytest.approx(stats.spearmanr(frame["vkdnw_b64"], accuracy).statistic)
    assert row["paper"] == pytest.approx(0.815)
    meco = papers.table(frame.rename(columns={"vkdnw_b64": "meco_b64"}), "nb201", "cifar10_test_acc_pct")
    assert np.isnan(meco.set_index("proxy or rule").loc["meco_b64", "ours, paper's cells"])  # MeCo read every cell


def test_an_unknown_cell_set_is_refused_in_words():
    with pytest.raises(ValueError, match="unknown paper cell set 'most'"):
        published.in_paper_cells("most", ["x"])
