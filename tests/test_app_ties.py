"""Ties at the bound are said (issue 32): how many scores sit at 2^B on Correlation and the Batch-size sweep, why a
Spearman is missing where it is, and one way to write the numbers (`ui.numbers`)."""
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from tests.app_helpers import assert_clean, metric, open_app
from ui import charts, numbers, ties

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 2, "n_archs": 4,
        "seed": 0}
needs_data = pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                reason=f"CIFAR-10 images not found under {DATA} (set SWAP_DATA)")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_numbers_are_written_one_way():
    assert [numbers.correlation(v) for v in (0.72034, -0.009321, -0.0001, float("nan"))] == \
        ["0.720", "-0.009", "0.000", "undefined"]
    assert numbers.interval(0.61234, 0.8) == "0.612 to 0.800" and numbers.interval(math.nan, 1) == "undefined"
    assert [numbers.count(v) for v in (65536.0, 15234.46, 2.0**64)] == ["65,536", "15,234.5", "1.8e+19"]
    assert numbers.power(2, 8) == "256" and numbers.power(2, 64) == "2^64" and numbers.power(3, 4) == "81"


def test_ties_count_the_scores_at_the_bound_and_say_why_spearman_is_missing():
    table = pd.DataFrame({"raw_score": [256.0, 256.0, 256.0, 200.0], "ternary": False})
    assert ties.at_bound(table, 8) == 3
    assert "3 of these 4 scores sit at 2^B = 256 (B = 8)" in ties.words(table, 8)
    assert ties.words(table.iloc[2:], 8) is None  # one score at the bound ties with nothing
    target = pd.Series([90.0, 80.0, 70.0, 60.0])
    assert ties.no_spearman(table["raw_score"], target, 8, table) == ""
    assert ties.no_spearman(table["raw_score"][:3], target[:3], 8, table) == \
        "all 3 scores tie at the bound 2^B = 256"
    assert ties.no_spearman(pd.Series([5.0] * 3), target[:3], 8, table) == "all 3 scores tie at 5"
    assert ties.no_spearman(table["raw_score"][:2], target[:2], 8, table).startswith("only 2 with ground truth")
    assert ties.bound_text(table.assign(ternary=True), 4) == "3^B = 81"


def test_the_sweep_chart_marks_a_missing_spearman_with_its_reason():
    summary = pd.DataFrame({"batch_size": [2, 4], "archs": 3, "mean_score": [4.0, 12.0], "mean_neurons": 900.0,
                            "mean_bound": [4.0, 16.0], "pattern_bound": [4.0, 16.0], "at_bound": [3, 1],
                            "spearman_note": ["all 3 scores tie at the bound 2^B = 4", ""],
                            "spearman": [math.nan, 0.5], "spearman_lo": [math.nan, 0.1],
                            "spearman_hi": [math.nan, 0.9]})
    figure = charts.batch_sweep(summary, "cifar10_test_acc_pct")
    blank = next(t for t in figure.data if t.name.startswith("no Spearman"))
    assert list(blank.x) == [2] and list(blank.text) == ["tied"] and "tie at the bound" in blank.customdata[0]


@needs_data
def test_correlation_says_how_many_tie_at_the_bound_and_why_there_is_no_spearman():
    at = open_app("correlation", defaults=TINY)
    at.button(key="correlation_launch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = int(metric(at, "architectures"))
    said = " ".join(w.value for w in at.warning)
    assert f"No rank correlation here: all {n} scores tie at the bound 2^B = 4" in said
    assert metric(at, "Spearman") == "undefined"


@needs_data
def test_the_sweep_says_why_spearman_is_blank_and_counts_the_ties():
    at = open_app("batch_sweep", defaults=TINY)
    at.number_input(key="sweep_n").set_value(3)
    at.select_slider(key="sweep_max").set_value(8).run()
    at.button(key="sweep_launch").click().run()
    assert_clean(at)
    summary = at.dataframe[0].value.set_index("batch size B")
    assert summary.loc[2, "at 2^B"] == "3 of 3" and summary.loc[2, "2^B"] == "4"
    assert summary.loc[2, "Spearman"] == "none: all tied"
    for b in summary.index:  # a number to 3 decimals, or a reason
        text = summary.loc[b, "Spearman"]
        assert text.startswith("none: ") or (len(text.split(".")[1]) == 3 and -1 <= float(text) <= 1), text
    assert "B = 2: 3 of 3 scores sit at 2^B = 4" in " ".join(w.value for w in at.warning)
