"""Nothing in a drawn cell or a per-layer chart sits on anything else (issue 22, "Overlaps"): checked on the
figures themselves, with the pixel sizes the charts assume (a plot of about 480 x 330 px)."""
import pandas as pd
import pytest

from swap_engine import spaces
from ui import charts
from ui.charts import cells, patterns


def _boxes(fig):
    """Each op label's box and each node's box, in data units."""
    ux = (fig.layout.xaxis.range[1] - fig.layout.xaxis.range[0]) / 480
    uy = (fig.layout.yaxis.range[1] - fig.layout.yaxis.range[0]) / 330
    labels = [(a.x, a.y + (a.yshift or 0) * uy, cells.label_half_width(a.text) * ux, cells.LABEL_HALF_HEIGHT * uy)
              for a in fig.layout.annotations if a.text and not a.showarrow]
    nodes = [trace for trace in fig.data if trace.mode == "markers+text"][0]
    half = nodes.marker.size / 2
    return labels, [(x, y, half * ux, half * uy) for x, y in zip(nodes.x, nodes.y)]


def _apart(a, b) -> bool:
    return abs(a[0] - b[0]) >= a[2] + b[2] or abs(a[1] - b[1]) >= a[3] + b[3]


@pytest.mark.parametrize("seed", range(8))
def test_darts_labels_clear_of_each_other_and_of_the_nodes(seed):
    space = spaces.get("darts")
    arch = space.example(seed) if seed < 4 else space.sample(1, seed=seed)[0]
    edges = space.graph(arch)
    for fig in charts.cell_graphs(edges, "darts"):
        labels, nodes = _boxes(fig)
        cell = fig.layout.title.text.split()[0]
        assert len(labels) == sum(b.startswith(cell) and op not in {"none", "concat"} for _, b, op in edges)
        for i, label in enumerate(labels):
            assert all(_apart(label, other) for other in labels[i + 1:] + nodes), (fig.layout.title.text, label)


def test_darts_nodes_stay_in_a_row_in_reading_order():
    space = spaces.get("darts")
    for fig in charts.cell_graphs(space.graph(space.example(0)), "darts"):
        nodes = [trace for trace in fig.data if trace.mode == "markers+text"][0]
        order = [text for _, text in sorted(zip(nodes.x, nodes.text))]
        assert order == ["c<sub>k-2</sub>", "c<sub>k-1</sub>", "2", "3", "4", "5", "out"]
        assert set(nodes.y) == {0.0} and nodes.textposition == "middle center"  # names inside their circles


def test_nb101_writes_each_op_once_on_its_node():
    space = spaces.get("nb101")
    edges = space.graph(space.example(0))
    entering = pd.Series([b for _, b, op in edges if op == "maxpool3x3"])
    assert entering.value_counts().max() >= 2  # a node fed by two edges: once two stacked labels
    fig = charts.cell_graph(edges, space="nb101")
    labels, nodes = _boxes(fig)
    ops = {b: op for _, b, op in edges if op not in charts.JOIN_OPS}
    assert sorted(a.text for a in fig.layout.annotations if a.text) == sorted(ops.values())
    for i, label in enumerate(labels):
        assert all(_apart(label, other) for other in labels[i + 1:])


def _layers(n: int, name: str) -> pd.DataFrame:
    return pd.DataFrame({"name": [name.format(i) for i in range(n)], "call": [0] * n,
                         "neurons": [4096] * n, "distinct": [900] * n})


def test_per_layer_ticks_are_short_and_spaced_with_full_names_in_hover():
    long_name = "trunk_output.block3.block3-{}.f.se.activation"
    fig = charts.layer_bars(_layers(201, long_name))
    ticks = list(fig.layout.xaxis.ticktext)
    assert len(ticks) <= patterns.MAX_TICKS and max(map(len, ticks)) <= patterns.TICK_CHARS
    assert fig.layout.xaxis.tickangle == -90 and "one in 6 named" in fig.layout.xaxis.title.text
    assert fig.data[0].customdata[10] == "trunk_output / block3 / block3-10 / f / se / activation"
    assert len(set(fig.data[0].x)) == 201  # equal short names never merge two bars
    few = charts.layer_bars(_layers(12, "conv{}"))
    assert list(few.layout.xaxis.ticktext) == [f"conv{i}" for i in range(12)]
    assert fig.layout.height > few.layout.height  # room for the longer labels under the plot
    step, short = patterns.layer_ticks(["features / denseblock4 / denselayer32 / relu1", "features / relu0",
                                        "DenseNet:relu"])
    assert step == 1 and short[1:] == ["relu0", "DenseNet:relu"]  # the head most names share is dropped
    assert short[0] == "…/ denselayer32 / relu1"  # a long name keeps its tail, cut between groups
    assert all(len(text) <= patterns.TICK_CHARS for text in short)
