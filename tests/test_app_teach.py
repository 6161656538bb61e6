"""The teaching pages (Learn SWAP, Compare) and the figure-export helper.

Learn SWAP needs no data files (its toy network eats points of the plane); Compare scores two NB201 cells at
C=4, N=1 on 8x8 CIFAR-10 images, as tests/test_app.py does. See that file's note on AppTest and switch_page.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from swap_engine import toy
from tests import app_helpers
from tests.app_helpers import assert_clean, metric
from ui import charts, export

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 16,
        "n_archs": 5, "seed": 0}
needs_data = pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                reason=f"CIFAR-10 images not found under {DATA} (set SWAP_DATA)")


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def open_app(page: str | None = None, **state) -> AppTest:
    return app_helpers.open_app(page, defaults=TINY, **state)


# --- Learn SWAP ------------------------------------------------------------------------------------------

def test_learn_is_the_default_page_and_its_count_is_the_engines():
    at = open_app()
    assert_clean(at)
    assert at.title[0].value == "Learn SWAP"
    assert metric(at, "neurons N") == "7" and metric(at, "samples B") == "4"
    assert metric(at, "bound") == "7"
    assert metric(at, "SWAP-Score") == "5"  # h1 = h2 and g3 = h3 on the first batch
    assert any("The engine agrees" in s.value for s in at.success)
    steps = next(d.value for d in at.dataframe if "distinct so far" in d.value)
    assert steps["distinct so far"].iloc[-1] == 5
    assert steps.loc[steps["neuron"] == "g3", "what happens"].item() == "as h3: skip"
    # patterns are named P1, P2, ...: a letter B would read as the batch size (issue 32)
    assert steps["pattern"].str.fullmatch(r"[01 ]+  \(P\d\)").all()
    assert any("swaps net 2 and net 3" in m.value for m in at.markdown)
    at.slider(key="learn_step").set_value(2).run()
    assert len(next(d.value for d in at.dataframe if "distinct so far" in d.value)) == 2
    assert any("**Step 2:** neuron **h2**" in m.value and "stays at **1**" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 4  # network, sign matrix, input plane, running count
    assert any("2403.04161" in m.value for m in at.markdown)
    assert any("Kendall" in m.value for m in at.markdown)
    relatives = next(t.value for t in at.table if "L-SWAG" in t.value.columns)  # how L-SWAG differs (issue 36)
    assert list(relatives.columns) == ["SWAP", "L-SWAG"] and "class labels" in relatives.loc["what it needs", "L-SWAG"]


def test_learn_moving_a_weight_splits_a_shared_pattern():
    at = open_app()
    at.selectbox(key="learn_weight").set_value("h2: weight from x2").run()
    assert at.slider(key="learn_weight_value").value == pytest.approx(0.3)  # the slider shows the chosen weight
    at.selectbox(key="learn_weight").set_value("h2: bias").run()
    at.slider(key="learn_weight_value").set_value(-0.5).run()
    assert_clean(at)
    assert metric(at, "SWAP-Score") == "6"  # h2 no longer copies h1
    assert any("The engine agrees" in s.value for s in at.success)
    at.button(key="learn_reset_weights").click().run()
    assert metric(at, "SWAP-Score") == "5"
    assert at.slider(key="learn_weight_value").value == 0.0


def test_learn_small_batch_hits_the_bound_and_new_batches_keep_agreeing():
    at = open_app()
    at.slider(key="learn_b").set_value(2).run()
    assert_clean(at)
    assert metric(at, "bound") == "4"  # 2^2 < 7 neurons
    assert int(metric(at, "SWAP-Score")) <= 4
    for _ in range(2):
        at.button(key="learn_random").click().run()
        assert_clean(at)
        assert any("The engine agrees" in s.value for s in at.success)
    at.slider(key="learn_b").set_value(8).run()
    assert metric(at, "bound") == "7"


@pytest.mark.parametrize("seed", range(6))
def test_toy_step_count_equals_engine_and_naive_reference(seed):
    rng = np.random.default_rng(seed)
    weights = {key: np.round(rng.normal(size=np.shape(value)), 1).tolist()
               for key, value in toy.DEFAULT_WEIGHTS.items()}
    batch = toy.random_batch(seed, n=int(rng.integers(1, toy.MAX_SAMPLES + 1)))
    result = toy.explain(weights, batch)
    assert toy.check(weights, batch).agrees(result)  # the engine's signs and score = NumPy's step by step
    assert result.distinct == len({tuple(row) for row in result.signs})
    assert result.bound == min(len(toy.NEURONS), 2**result.batch_size)


def test_toy_example_has_the_promised_structure():
    result = toy.explain(toy.DEFAULT_WEIGHTS, toy.DEFAULT_BATCH[:4])
    group = dict(zip(toy.NEURONS, result.group))
    assert group["h1"] == group["h2"] and group["h3"] == group["g3"]
    assert list(dict.fromkeys(result.group)) == [f"P{i}" for i in range(1, result.distinct + 1)]
    assert result.patterns[toy.NEURONS.index("h4")] == "0 0 0 0"
    assert toy.check(toy.DEFAULT_WEIGHTS, toy.DEFAULT_BATCH[:4]).per_layer == [3, 3]


# --- Export -----------------------------------------------------------------------------------------------

def test_figure_data_reads_scatter_heatmap_and_gauge():
    fig = go.Figure([go.Scatter(x=[1, 2], y=[3, 4], name="a"), go.Heatmap(z=[[0, 1], [1, 0]], x=["s1", "s2"])])
    table = export.figure_data(fig)
    assert len(table) == 2 + 4 and set(table["trace"]) == {"a", "trace 2"}
    assert export.figure_data(charts.bound_gauge(120, 256))["value"].tolist() == [120]


def test_image_config_asks_the_modebar_for_print_resolution():
    fig = go.Figure(layout=dict(height=300))
    png = export.image_config("my chart/1", "png", fig)["toImageButtonOptions"]
    assert png == {"format": "png", "filename": "my_chart_1", "width": export.DEFAULT_WIDTH, "height": 300,
                   "scale": 3}
    assert export.image_config("x", "svg")["toImageButtonOptions"]["format"] == "svg"


def test_every_learn_chart_offers_csv_and_one_format_choice_for_all():
    at = open_app()
    csv = [b for b in at.get("download_button") if b.proto.label == "Data (CSV)"]
    assert len(csv) == 4
    radios = [r for r in at.radio if r.key.endswith("__format")]
    assert len(radios) == 4 and all(r.value == "PNG" for r in radios)
    radios[0].set_value("SVG").run()
    assert all(r.value == "SVG" for r in at.radio if r.key.endswith("__format"))
    assert_clean(at)


# --- Compare ----------------------------------------------------------------------------------------------

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|"
B = "|none~0|+|skip_connect~0|none~1|+|none~0|skip_connect~1|none~2|"


def direct_score(arch: str) -> float:
    """The engine called without the app: what the compare page must show."""
    import torch

    import swap_engine
    from swap_engine import data, spaces
    space = spaces.get("nb201")
    torch.manual_seed(TINY["seed"])
    model = space.build(space.parse(arch), C=4, N=1)
    batch = data.inputs("cifar10", TINY["batch_size"], resolution=TINY["resolution"], device="cpu")
    return swap_engine.swap_score(model, batch, seed=TINY["seed"]).raw_score


@needs_data
def test_compare_shows_both_scores_as_the_engine_computes_them():
    at = open_app("compare", **{"compare_A::nb201": A, "compare_B::nb201": B})
    assert_clean(at)
    assert at.title[0].value == "Compare two architectures"
    table = at.dataframe[0].value.set_index("architecture")  # A and B in keys, left and right in words
    assert table.loc["left", "raw score"] == direct_score(A)
    assert table.loc["right", "raw score"] == direct_score(B)
    assert table.loc["left", "params"] > table.loc["right", "params"]  # B has no convolution at all
    verdict = next(c.value for c in at.caption if "scores higher" in c.value)
    left, right = table.loc["left"], table.loc["right"]
    agrees = (left["score"] > right["score"]) == (left["accuracy"] > right["accuracy"])
    said = "Here the benchmark agrees" if agrees else "Here the benchmark disagrees"
    assert said in verdict and f"{max(left['accuracy'], right['accuracy']):.2f} % against" in verdict
    charts_drawn = at.get("plotly_chart")
    assert len(charts_drawn) == 5  # per-layer bars, two pattern heatmaps, two cells
    at.button(key="compare_swap").click().run()
    assert_clean(at)
    swapped = at.dataframe[0].value.set_index("architecture")
    assert swapped.loc["left", "raw score"] == table.loc["right", "raw score"]


@needs_data
def test_compare_opens_on_the_patterns_pages_architecture_and_survives_a_typo():
    at = open_app("compare", **{"arch::nb201": A})
    assert_clean(at)
    assert at.text_area(key="compare_box_A::nb201").value == A
    before = at.text_area(key="compare_box_B::nb201").value
    at.button(key="compare_sample_B").click().run()
    assert_clean(at)
    assert at.text_area(key="compare_box_B::nb201").value != before
    at.text_area(key="compare_box_B::nb201").input("|nor_conv_3x3~0|+|bogus~0|").run()
    assert not at.exception
    assert any("The right architecture is not a valid nb201 architecture" in e.value for e in at.error)


@pytest.mark.parametrize("seed", range(5))
def test_nb101_default_example_is_a_real_cell_not_a_lone_edge(seed):
    from swap_engine import spaces
    from swap_engine.spaces.nb101 import prune
    cell = prune(spaces.get("nb101").example(seed))
    assert cell.num_nodes >= 4 and len(cell.edges()) >= 3


# --- Chart readability ------------------------------------------------------------------------------------

def _titled(fig) -> bool:
    return bool(fig.layout.title.text)


def test_none_edges_are_drawn_dashed_grey_and_unlabelled():
    from swap_engine import spaces
    space = spaces.get("nb201")
    edges = space.graph(space.parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"))
    fig = charts.cell_graph(edges)
    none_lines = [t for t in fig.data if t.name and t.name.startswith("none") and t.x[0] is not None]
    assert len(none_lines) == 3 and all(t.line.dash == "dash" for t in none_lines)
    assert not any(a.text == "none" for a in fig.layout.annotations)
    legend = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert legend[-1] == "none (no connection)"  # operations first, absent edges last


def test_darts_cell_labels_do_not_overlap():
    from swap_engine import spaces
    space = spaces.get("darts")
    for fig in charts.cell_graphs(space.graph(space.example(0))):
        labels = [(a.x, a.y, len(a.text)) for a in fig.layout.annotations if a.text and not a.showarrow]
        width = fig.layout.xaxis.range[1] - fig.layout.xaxis.range[0]
        height = fig.layout.yaxis.range[1] - fig.layout.yaxis.range[0]
        for i, (x1, y1, n1) in enumerate(labels):
            for x2, y2, n2 in labels[i + 1:]:
                # about 6 px per character on a ~600 x 330 px plot: boxes must not intersect
                assert abs(x1 - x2) > (n1 + n2) * 3 / 600 * width or abs(y1 - y2) > 14 / 330 * height


def test_violin_stays_above_zero_and_split_legend_is_in_numeric_order():
    table = pd.DataFrame({"score": [5.0, 6, 7, 100, 120, 130, 900, 950, 990], "params": [1e4] * 9,
                          "arch": list("abcdefghi"), "n_conv": ["10", "10", "10", "2", "2", "2", "0", "0", "0"]})
    violin = charts.score_distribution(table, "score", "violin", "n_conv")
    assert all(t.spanmode == "hard" for t in violin.data)
    assert violin.layout.yaxis.rangemode == "tozero"
    assert [t.name for t in violin.data] == ["0", "2", "10"]
    histogram = charts.score_distribution(table, "score", "histogram", "n_conv")
    assert [t.name for t in histogram.data if t.type == "histogram"] == ["0", "2", "10"]
    assert _titled(violin) and _titled(histogram)


def test_every_chart_has_a_title_and_worded_axes():
    layers = pd.DataFrame({"name": ["cells.0.op.0", "cells.1.op.0"], "call": [0, 0], "neurons": [4096, 2048],
                           "distinct": [1500, 900]})
    table = pd.DataFrame({"score": [10.0, 20, 30], "params": [1e4, 5e4, 2e5], "arch": list("abc"),
                          "cifar10_test_acc_pct": [80.0, 85, 90]})
    figs = [charts.layer_bars(layers), charts.whole_space_histogram(table, "score"),
            charts.score_vs_params(table, "score", None),
            charts.score_vs_target(table, "score", "cifar10_test_acc_pct"),
            charts.compare_layers({"A": layers, "B": layers})]
    for fig in figs:
        assert _titled(fig)
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        assert "_" not in fig.layout.xaxis.title.text + fig.layout.yaxis.title.text
    assert figs[3].layout.yaxis.title.text == "CIFAR-10 test accuracy (%)"
    assert list(figs[0].layout.yaxis.ticktext) == ["1k", "1.5k", "2k", "3k"]  # round log ticks, no minor clutter


def test_gauge_ticks_say_thousands():
    gauge = charts.bound_gauge(150_000, 184_000)
    text = list(gauge.data[0].gauge.axis.ticktext)
    assert "150k" in text and text[-1] == "184k" and "150" not in text


def test_the_learn_page_draws_without_torch():
    """The default page's charts must not wait for PyTorch's import (the cold-start target)."""
    code = ("import sys; import ui.charts, ui.export, ui.messages, ui.state; from swap_engine import analysis, toy; "
            "toy.explain(toy.DEFAULT_WEIGHTS, toy.DEFAULT_BATCH); assert 'torch' not in sys.modules, 'torch loaded'")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_cold_learn_page_waits_for_no_engine(monkeypatch):
    """Before the engine has loaded, the Learn page draws everything but the engine check, without error."""
    from ui import state

    monkeypatch.setattr(state, "engine_ready", lambda: False)
    monkeypatch.setattr(state, "start_engine", lambda: None)  # the fragment's tick must not start it here
    at = AppTest.from_file(str(app_helpers.ROOT / "app.py"), default_timeout=60).run()
    assert_clean(at)
    assert metric(at, "SWAP-Score") == "5"
    assert any("it is loading" in i.value for i in at.info)
    assert any("detecting" in c.value for c in at.sidebar.caption)
