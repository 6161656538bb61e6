"""Issue 22, "edit a cell by hand": the cell editor and the neighbours on Activation patterns, and one colour per
operation on every chart (AppTest with the real engine on tiny settings; see test_app.py for the notes).

The browser side (a click on the drawing's neighbours, the screenshots) is in test_app_editor_browser.py.
"""
import json
import os
from pathlib import Path

import pytest

from tests.app_helpers import assert_clean, metric, open_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 16,
        "n_archs": 5, "seed": 0}
NB101_TINY = {"space": "nb101", "build_options": '{"stem_channels": 8, "stacks": 1, "cells_per_stack": 1}',
              "resolution": 8, "batch_size": 16, "n_archs": 5, "seed": 0}
DARTS_TINY = {"space": "darts", "resolution": 8, "batch_size": 16, "n_archs": 5, "seed": 0}
# NB101's Inception-like cell (its README): 7 nodes, 9 edges
INCEPTION_LIKE = ("(0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, "
                  "0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4, 4, 2, 1)")
CELL = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|"
# one network in two forms (edges 0->3 and 1->3 swapped; node 1 is node 0): the benchmark trained each separately
FORM_A = "|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|skip_connect~2|"
FORM_B = "|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|skip_connect~2|"
NOTHING = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"

needs_data = pytest.mark.skipif(
    not (DATA / "cifar10" / "train_first10000.npz").exists() or not (DATA / "nb201" / "nats_bench.csv").exists(),
    reason=f"the editor scores CIFAR-10 images and reads NB201 ground truth; not found under {DATA}")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture()
def scored(monkeypatch):
    """The architectures the engine scores (every score goes through models.score_cell; cached scores cleared)."""
    import streamlit as st

    from swap_engine import models

    st.cache_data.clear()

    seen = []
    real = models.score_cell

    def spy(space, arch, *args, **kwargs):
        seen.append(space.format(arch))
        return real(space, arch, *args, **kwargs)

    monkeypatch.setattr(models, "score_cell", spy)
    return seen


def truth(arch: str, column: str = "cifar10_test_acc_pct") -> float:
    from swap_engine import data

    table = data.benchmark("nb201")
    return float(table.loc[table["arch"] == arch, column].iloc[0])


def deltas(at) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric if m.delta}


# ---- the editor ---------------------------------------------------------------------------------------------

@needs_data
def test_nb201_edit_changes_score_accuracy_and_parameters_and_keeps_the_previous_cell():
    at = open_app("patterns", defaults=TINY, patterns_tab="Edit the cell", **{"arch::nb201": CELL})
    assert_clean(at)
    assert [s.label for s in at.selectbox][:6] == ["edge 0→1", "edge 0→2", "edge 1→2", "edge 0→3", "edge 1→3",
                                                   "edge 2→3"]
    assert metric(at, "CIFAR-10 test accuracy") == f"{truth(CELL):.2f} %"
    score, params = metric(at, "SWAP-Score"), metric(at, "parameters")
    charts_before = len(at.get("plotly_chart"))

    at.selectbox(key="edit_nb201_5").select("none").run()  # edge 2->3: conv 3x3 -> none
    assert_clean(at)
    edited = CELL.replace("nor_conv_3x3~2", "none~2")
    assert at.session_state["arch::nb201"] == edited
    assert at.text_area(key="arch_box::nb201").value == edited  # the text box (and the link) follow
    assert metric(at, "CIFAR-10 test accuracy") == f"{truth(edited):.2f} %"
    assert metric(at, "SWAP-Score") != score and metric(at, "parameters") != params
    moved = deltas(at)
    assert moved["CIFAR-10 test accuracy"] == f"{truth(edited) - truth(CELL):+.2f} points vs previous"
    assert moved["SWAP-Score"].endswith("vs previous") and moved["parameters"].endswith("vs previous")
    assert any("Previous cell: score" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) > charts_before  # the per-layer comparison with the previous cell

    next(b for b in at.button if b.label == "Back to the previous cell").click().run()
    assert_clean(at)
    assert at.session_state["arch::nb201"] == CELL
    assert at.selectbox(key="edit_nb201_5").value == "nor_conv_3x3"


@needs_data
def test_nb201_editor_follows_the_text_box_and_other_accuracies():
    at = open_app("patterns", defaults=TINY, patterns_tab="Edit the cell", **{"arch::nb201": CELL})
    at.text_area(key="arch_box::nb201").input("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|").run()
    assert_clean(at)
    assert [at.selectbox(key=f"edit_nb201_{k}").value for k in range(6)] == ["none"] * 3 + ["skip_connect"] + \
        ["none"] * 2
    assert deltas(at)["SWAP-Score"].endswith("vs previous")  # typing a cell keeps the last one too
    at.selectbox(key="editor_target::nb201").select("cifar100_test_acc_pct").run()
    assert metric(at, "CIFAR-100 test accuracy") == \
        f"{truth('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|', 'cifar100_test_acc_pct'):.2f} %"


@needs_data
def test_two_forms_of_one_cell_and_a_cell_that_ignores_its_input_are_said_in_words():
    at = open_app("patterns", defaults=TINY, patterns_tab="Edit the cell", **{"arch::nb201": FORM_A})
    at.text_area(key="arch_box::nb201").input(FORM_B).run()
    assert_clean(at)
    note = next(i.value for i in at.info if "same network" in i.value)
    assert note.startswith("**This cell and the previous one are the same network**")
    assert f"({truth(FORM_B):.2f} % and {truth(FORM_A):.2f} %)" in note and "trained each form separately" in note
    at.text_area(key="arch_box::nb201").input(NOTHING).run()
    assert_clean(at)
    said = next(i.value for i in at.info if "output ignores its input" in i.value)
    assert "passes a `none` edge" in said and "a score of 1" in said and metric(at, "SWAP-Score") == "1"
    assert not any("same network" in i.value for i in at.info)


@needs_data
def test_nb101_invalid_edits_are_answered_in_words_and_change_nothing():
    chain = "(0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 4, 1)"  # input -> 1 -> 2 -> output
    at = open_app("patterns", defaults=NB101_TINY, patterns_tab="Edit the cell", **{"arch::nb101": chain})
    assert_clean(at)
    at.checkbox(key="edit_nb101_edge_1_2").uncheck().run()
    assert_clean(at)
    assert any("No path from the input to the output" in w.value for w in at.warning)
    assert at.session_state["arch::nb101"] == chain
    assert at.checkbox(key="edit_nb101_edge_1_2").value  # the tick shows the cell again

    at.session_state["arch::nb101"] = INCEPTION_LIKE  # 7 nodes, 9 edges: one more is too many
    at.run()
    at.checkbox(key="edit_nb101_edge_1_2").check().run()
    assert any("That makes 10 edges; NB101 allows at most 9" in w.value for w in at.warning)
    assert at.session_state["arch::nb101"] == INCEPTION_LIKE
    assert next(b for b in at.button if b.label.startswith("Add a node")).disabled  # 7 nodes already


@needs_data
def test_nb101_edge_and_operation_edits_apply():
    from swap_engine import spaces
    from swap_engine.spaces import nb101

    at = open_app("patterns", defaults=NB101_TINY, patterns_tab="Edit the cell", **{"arch::nb101": INCEPTION_LIKE})
    space = spaces.get("nb101")
    at.checkbox(key="edit_nb101_edge_0_1").uncheck().run()  # input -> 1: node 1 then feeds nothing: pruned
    assert_clean(at)
    cell = space.parse(at.session_state["arch::nb101"])
    assert len(cell.ops) == 6 and deltas(at)["SWAP-Score"].endswith("vs previous")
    op = at.selectbox(key="edit_nb101_op_1")
    new = next(o for o in nb101.INTERIOR_OPS if o != op.value)
    op.select(new).run()
    assert_clean(at)
    assert space.parse(at.session_state["arch::nb101"]).ops[1] == new
    assert nb101.graph_hash(space.parse(at.session_state["arch::nb101"])) != nb101.graph_hash(cell)
    next(b for b in at.button if b.label.startswith("Add a node")).click().run()
    assert_clean(at)
    assert len(space.parse(at.session_state["arch::nb101"]).ops) == 7


@needs_data
def test_darts_edit_changes_one_operation_or_one_input():
    from swap_engine import spaces

    at = open_app("patterns", defaults=DARTS_TINY, patterns_tab="Edit the cell")
    assert_clean(at)
    space = spaces.get("darts")
    before = space.parse(at.session_state["arch::darts"])
    op = at.selectbox(key="edit_darts_reduce_0_op")
    new = "skip_connect" if op.value != "skip_connect" else "sep_conv_3x3"
    op.select(new).run()
    assert_clean(at)
    after = space.parse(at.session_state["arch::darts"])
    assert after.reduce[0] == (new, before.reduce[0][1]) and after.normal == before.normal
    source = at.selectbox(key="edit_darts_normal_7_source")
    other = next(node for node in range(5) if node != source.value)
    source.select(other).run()
    assert_clean(at)
    assert space.parse(at.session_state["arch::darts"]).normal[7][1] == other
    # the 1-cell proxy network is built from the reduce cell alone: a normal-cell edit changes no count, said
    # neutrally (never a green "+0")
    assert deltas(at)["SWAP-Score"] == "no change"
    neutral = next(m for m in at.metric if m.label == "SWAP-Score").proto
    assert (neutral.direction, neutral.color) == (neutral.NONE, neutral.GRAY)  # no arrow, no green


# ---- neighbours ---------------------------------------------------------------------------------------------

@needs_data
def test_nb201_neighbours_read_the_atlas_and_score_nothing(scored):
    at = open_app("patterns", defaults=TINY, patterns_tab="Neighbours", **{"arch::nb201": CELL})
    assert_clean(at)
    assert set(scored) == {CELL}  # the current cell only: the 24 neighbours come from the atlas
    sentence = next(m.value for m in at.markdown if "neighbours" in m.value and "move the same way" in m.value)
    assert sentence.startswith("Of 24 neighbours")
    chart = next(c for c in at.get("plotly_chart") if "One edit away" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    assert sum(len(t.get("customdata", [])) for t in spec["data"] if t.get("mode") == "markers") == 24
    assert {t["name"] for t in spec["data"] if t.get("mode") == "markers"} <= {
        "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "this cell"}


@needs_data
def test_neighbours_follow_the_sidebar_batch_size_and_say_when_they_tie_at_the_bound():
    at = open_app("patterns", defaults=TINY, patterns_tab="Neighbours", **{"arch::nb201": CELL})
    assert at.selectbox(key="neighbours_measure").value == "swap_b16"
    at.session_state["batch_size"] = 8  # the sidebar (hidden by AppTest after switch_page)
    at.run()
    assert_clean(at)
    assert at.selectbox(key="neighbours_measure").value == "swap_b8"
    assert any("One edit away: the change of SWAP (B = 8)" in c.proto.spec for c in at.get("plotly_chart"))
    said = next(m.value for m in at.markdown if "neighbours" in m.value).replace("\\", "")
    assert "None of the 24 neighbours changes both SWAP (B = 8) and CIFAR-10 test accuracy." in said
    assert "This cell and all 24 neighbours score 256 = 2^8, the most distinct patterns 8 samples can make" in said
    assert "A larger batch size separates them (the atlas also holds SWAP at B = 16, 32, 64" in said

    at.selectbox(key="neighbours_measure").select("naswot_b64").run()  # a measure picked on purpose stays,
    at.session_state["batch_size"] = 16
    at.session_state["patterns_tab"] = "Patterns"  # also while its tab is closed
    at.run()
    at.session_state["patterns_tab"] = "Neighbours"
    at.run()
    assert_clean(at)
    assert at.selectbox(key="neighbours_measure").value == "naswot_b64"


def test_neighbours_agreement_and_words():
    import pandas as pd

    from ui import neighbours

    table = pd.DataFrame({"edit": list("abcde"), "proxy change": [1.0, 2.0, -1.0, 0.0, 3.0],
                          "accuracy change": [0.5, 1.0, 0.2, -0.1, -2.0]})
    moving, same, rho = neighbours.agreement(table)
    assert (moving, same) == (4, 2)
    assert rho == pytest.approx(table["proxy change"].rank().corr(table["accuracy change"].rank()))
    text = neighbours.sentence(table, "SWAP (B = 16)", "CIFAR-10 test accuracy (%)")
    assert "move the same way on 2 (50%)" in text and "1 neighbour scores the same" in text
    assert "best move for accuracy is b (+1.00 points" in text


def test_every_neighbour_is_one_valid_edit_away():
    from swap_engine import spaces
    from swap_engine.spaces import nb101
    from swap_engine.spaces import edits  # moved from ui/edits.py

    nb201 = spaces.get("nb201")
    cell = nb201.parse(CELL)
    found = edits.neighbours("nb201", cell)
    assert len(found) == 24 and len({n.arch for n in found}) == 24
    assert all(sum(a != b for a, b in zip(n.arch, cell)) == 1 for n in found)
    darts = spaces.get("darts")
    genotype = darts.example(0)
    for n in edits.neighbours("darts", genotype):
        darts.format(n.arch)  # valid
        changed = sum(a != b for c in ("normal", "reduce") for a, b in zip(getattr(n.arch, c), getattr(genotype, c)))
        assert changed == 1
    space = spaces.get("nb101")
    found = edits.neighbours("nb101", space.example(0))
    assert found and len({nb101.graph_hash(n.arch) for n in found}) == len(found)
    assert all(nb101.is_valid(n.arch) for n in found)


@needs_data
def test_live_neighbours_wait_for_the_button_that_says_how_long(scored):
    at = open_app("patterns", defaults=DARTS_TINY, patterns_tab="Neighbours")
    assert_clean(at)
    assert len(scored) == 1  # the current cell: nothing more before the click
    button = next(b for b in at.button if b.label.startswith("Score the"))
    assert "neighbours (about" in button.label
    button.click().run()
    assert_clean(at)
    assert len(set(scored)) > 100  # 152 neighbours of the default DARTS cell
    assert any("holds 0 of these" in m.value for m in at.markdown)


# ---- one operation, one colour ----------------------------------------------------------------------------------

def _colors(figures) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for fig in figures:
        for trace in fig["data"] if isinstance(fig, dict) else fig.to_dict()["data"]:
            if trace.get("mode") == "lines" and trace.get("name") and trace.get("line", {}).get("color"):
                found.setdefault(trace["name"], set()).add(trace["line"]["color"])
    return found


def test_an_operation_has_one_colour_in_every_cell():
    from swap_engine import spaces
    from ui import charts
    from ui.charts import palette

    nb201 = spaces.get("nb201")
    figures = [charts.cell_graph(nb201.graph(nb201.parse(text))) for text in (
        CELL, "|skip_connect~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|")]
    darts = spaces.get("darts")
    figures += charts.cell_graphs(darts.graph(darts.example(0))) + charts.cell_graphs(darts.graph(darts.example(3)))
    colors = _colors(figures)
    assert all(len(c) == 1 for c in colors.values()), colors
    assert colors["skip_connect"] == {palette.op_color("skip_connect")}
    for ops in palette.BY_SPACE.values():  # within a space no two operations share a colour
        assert len(set(ops.values())) == len(ops)
    assert palette.op_color("some_new_op") == palette.op_color("some_new_op")


@needs_data
def test_compare_colours_an_operation_alike_on_both_sides():
    at = open_app("compare", defaults=TINY, **{
        "compare_A::nb201": CELL, "compare_B::nb201": "|skip_connect~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|"
                                                     "nor_conv_3x3~1|skip_connect~2|"})
    assert_clean(at)
    colors = _colors([json.loads(c.proto.spec) for c in at.get("plotly_chart")])
    assert {"skip_connect", "nor_conv_3x3", "avg_pool_3x3"} <= set(colors)
    assert all(len(c) == 1 for c in colors.values()), colors


def test_without_ground_truth_the_editor_and_neighbours_say_so(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("SWAP_DATA", str(tmp_path))  # a fresh install: no data files at all
    st.cache_resource.clear()
    at = open_app("patterns", defaults=TINY, patterns_tab="Edit the cell", **{"arch::nb201": CELL})
    assert_clean(at)
    assert metric(at, "CIFAR-10 test accuracy") == "–"
    at.session_state["patterns_tab"] = "Neighbours"
    at.run()
    assert any("table is not on this machine" in m.value for m in at.markdown)
    st.cache_resource.clear()  # the missing table's answers stay out of the next tests


@needs_data
def test_nb201_neighbours_take_any_atlas_column_or_recipe_and_refuse_a_bad_one_in_words(scored):
    at = open_app("patterns", defaults=TINY, patterns_tab="Neighbours", **{"arch::nb201": CELL})
    measure = at.selectbox(key="neighbours_measure")
    assert {"SWAP (B = 16)", "parameters", "naswot (B = 64)"} <= set(measure.options)  # in words
    measure.select("naswot_b64").run()
    assert_clean(at)
    assert any("naswot \\(B \\= 64\\)" in m.value and "Of 24 neighbours" in m.value for m in at.markdown)
    at.selectbox(key="neighbours_measure").select("a recipe of your own ...").run()
    at.text_input(key="neighbours_recipe").input("log_rank:swap_b32+params").run()
    assert_clean(at)
    assert any("log\\_rank" in m.value and "Of 24 neighbours" in m.value for m in at.markdown)
    at.text_input(key="neighbours_recipe").input("log_rank:no_such_column").run()
    assert not at.exception
    assert any("Not a recipe the atlas can score" in e.value for e in at.error)
    assert set(scored) == {CELL}  # every choice read the atlas
