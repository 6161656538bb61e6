"""The Proxy lab page on a small atlas fixture (600 real NB201 cells, a few columns), so it runs in seconds.

See test_app.py for the AppTest notes (pages opened by switch_page, settings put in session state).
"""
import os
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app_helpers import assert_clean, metric, open_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))

pytestmark = pytest.mark.skipif(not (DATA / "nb201" / "nats_bench.csv").exists(),
                                reason=f"the lab joins the atlas with NB201 ground truth; not found under {DATA}")


@pytest.fixture(autouse=True)
def small_atlas(monkeypatch):
    from swap_engine.studies import recipe_study as recipe

    frame = recipe._sample_data_atlas().iloc[:600].reset_index(drop=True)
    frame["swap_b16_seconds"] = 0.05
    frame["params_seconds"] = 0.001
    frame.attrs["source"] = "test fixture (600 cells)"
    monkeypatch.setattr(recipe, "atlas", lambda space="nb201": frame.copy())
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def open_lab(**state) -> AppTest:
    return open_app("lab", defaults={"space": "nb201", "lab_boot": 0}, **state)


def test_lab_shows_the_default_recipe_on_every_cell_of_the_atlas():
    at = open_lab()
    assert_clean(at)
    from swap_engine import data
    from swap_engine.studies import recipe_study as recipe
    from swap_engine.analysis import correlate

    frame = recipe.with_targets(recipe._sample_data_atlas().iloc[:600].reset_index(drop=True))
    want = correlate(recipe.Recipe.parse("log_rank:swap_b16+params").score(frame),
                     frame["cifar10_test_acc_pct"], n_boot=0)
    assert metric(at, "Spearman") == f"{want.spearman:.3f}"
    assert metric(at, "cells") == "600"
    truth = frame["cifar10_test_acc_pct"].to_numpy(dtype=float)
    best = recipe.expected_best_of(recipe.Recipe.parse("log_rank:swap_b16+params").score(frame), truth)
    assert metric(at, "best of 100 random cells") == f"{best:.2f} %"
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # rank scatter, heatmap, cost, edge x op, bound
    specs = [c.proto.spec for c in charts]
    assert any("swap_b16 (600 cells)" in spec for spec in specs)  # the heatmap says what each row is measured on
    assert data.targets("nb201")
    newest = next(d.value for d in at.dataframe if "proxy or rule" in d.value.columns).set_index("proxy or rule")
    vkdnw = newest.loc["vkdnw"]  # the fixture lacks it: the paper's number alone
    assert vkdnw["paper"] == "0.815" and vkdnw["cells"] == "0 of 600" and vkdnw["ours"] == ""
    assert newest.loc["AZ-NAS", "cells"].startswith("needs az_expressivity_b64")


def test_changing_aggregation_target_and_typed_recipe_updates_the_numbers():
    at = open_lab()
    first = metric(at, "Spearman")
    at.selectbox(key="lab_method").set_value("mean_rank").run()
    assert_clean(at)
    at.radio(key="lab_split").set_value("valid").run()
    assert_clean(at)
    at.text_input(key="lab_text").set_value("swap_b16@reg=max").run()
    assert_clean(at)
    assert metric(at, "Spearman") != first


def test_partial_columns_say_so_and_a_bad_recipe_is_a_message():
    at = open_lab(lab_text="log_rank:swap_b16+naswot_b64")
    assert_clean(at)
    assert any("Of the benchmark's 600 architectures" in i.value and "not measured" in i.value for i in at.info)
    at.text_input(key="lab_text").set_value("log_rank:nonexistent+swap_b32").run()
    assert_clean(at)  # a recipe of another benchmark is explained in words, not refused with an error box
    said = at.warning[0].value.replace("\\", "")  # shown literally: Markdown's escapes taken off
    assert "no nonexistent column at all" in said and "swap_b32 (it has swap_b16, swap_b64)" in said
    assert any("The numbers below are for the choices above: `log_rank:swap_b16+params`" in c.value
               for c in at.caption)
    at.text_input(key="lab_text").set_value("log_rank:swap_b16+").run()  # a typo: said, and the page goes on
    assert_clean(at)
    assert "cannot read recipe term" in at.warning[0].value.replace("\\", "") and metric(at, "Spearman")


def test_bootstrap_intervals_appear_when_asked():
    at = open_lab(lab_boot=100)
    assert_clean(at)
    assert any("bootstrap resamples" in c.value for c in at.caption)


def test_a_cell_in_the_atlas_is_looked_up():
    from swap_engine.studies import recipe_study as recipe

    arch = recipe._sample_data_atlas()["arch"].iloc[3]
    at = open_lab(lab_cell_nb201=arch)
    assert_clean(at)
    assert at.success and "swap_b16" in at.success[0].value
    assert np.isfinite(float(at.success[0].value.split("swap_b16 = ")[1].split(",")[0].replace(",", "")))


def test_search_page_takes_an_atlas_fitness():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["space"] = "nb201"
    at.switch_page("views/search.py")
    at.run()
    at.text_input(key="search_fitness").set_value("params")  # cells outside the 600-cell fixture: built live
    at.number_input(key="search_budget").set_value(8)
    at.number_input(key="search_population").set_value(4)
    at.number_input(key="search_sample").set_value(2)
    at.button(key="search_start").click().run()
    assert_clean(at)
    job = at.session_state["search_job"]
    assert job["search"].evaluations == 8
    assert job["search"].fitness.settings["recipe"] == "params"
    assert [m.label for m in at.metric][1] == "best fitness"  # not "SWAP-Score": the recipe is the fitness
    shown = at.dataframe[0].value
    assert "fitness (params)" in shown.columns and "raw SWAP count" not in shown.columns


def test_the_bound_shares_count_cells_at_and_near_min_n_2_to_the_b():
    import pandas as pd

    from ui import lab

    frame = pd.DataFrame({"nb201_index": range(4), "arch": list("abcd"),
                          "swap_b8": [256.0, 254.0, 200.0, np.nan], "swap_neurons_b8": [1000.0] * 4,
                          "swap_b64": [90.0, 100.0, 99.5, 50.0], "swap_neurons_b64": [100.0] * 4})
    table = lab.at_bound(frame).set_index("batch size")
    assert table.loc[8, "cells measured"] == 3 and table.loc[64, "cells measured"] == 4
    assert table.loc[8, "at the bound"] == pytest.approx(1 / 3)  # 2^8 = 256 < N
    assert table.loc[8, "within 1 %"] == pytest.approx(2 / 3)  # 254 >= 0.99 x 256
    assert table.loc[64, "at the bound"] == pytest.approx(1 / 4)  # N = 100 < 2^64
    assert table.loc[64, "within 1 %"] == pytest.approx(2 / 4) and table.loc[64, "within 5 %"] == pytest.approx(2 / 4)


def test_a_known_recipe_fills_the_recipe_field_and_missing_columns_hide_it():
    at = open_lab()
    named = at.selectbox(key="lab_named_nb201")
    assert "SWAP at B = 16 and the parameter count, by log-ranks" in named.options
    assert not any(option.startswith("AZ-NAS") for option in named.options)  # the fixture has no az_* columns
    named.set_value("SWAP at B = 16 and the parameter count, by log-ranks").run()
    assert_clean(at)
    assert at.text_input(key="lab_text").value == "log_rank:swap_b16+params"


def test_minus_inf_is_read_by_one_rule_alone_combined_and_in_words(monkeypatch):
    from swap_engine.studies import recipe_study as recipe

    frame = recipe._sample_data_atlas().iloc[:600].reset_index(drop=True)
    frame["zz_b64"] = frame["swap_b16"]
    frame.loc[:9, "zz_b64"] = -np.inf  # e.g. NASWOT's singular kernels
    frame["zz_b64_seconds"] = 0.1
    frame.attrs["source"] = "test fixture (600 cells, 10 at -inf)"
    monkeypatch.setattr(recipe, "atlas", lambda space="nb201": frame.copy())
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_lab(lab_text="zz_b64")
    assert_clean(at)
    assert metric(at, "cells") == "600"  # alone: ranked last, as in a combination
    assert any("590 cells read, 10 -inf (ranked last), 0 not computable, 0 not measured" in c.value
               for c in at.caption)
    at.text_input(key="lab_text").set_value("log_rank:zz_b64+params").run()
    assert metric(at, "cells") == "600"
    at.radio(key="lab_non_finite").set_value("drop").run()
    assert_clean(at)
    assert metric(at, "cells") == "590"  # dropped, combined
    at.text_input(key="lab_text").set_value("zz_b64").run()
    assert metric(at, "cells") == "590"  # dropped, alone
    assert any("10 -inf (dropped)" in i.value for i in at.info)


def test_every_benchmark_atlas_here_opens_in_the_lab():
    from ui import lab

    names = lab.benchmarks()
    assert names[0] == "nb201"
    for name in names[1:]:
        at = open_lab(lab_atlas=name)
        assert_clean(at)
        from swap_engine import atlas

        assert any(atlas.spec(name).title in c.value for c in at.caption)
        assert at.selectbox(key="lab_atlas").value == name
        assert "All proxies, every ground truth" in [s.value for s in at.subheader]
        frame = lab.atlas(name)
        header = next(c.value for c in at.caption if atlas.spec(name).title in c.value)
        measured = lab.swap_batches(frame)  # the header says the batch sizes the atlas has, not those it plans
        assert f"SWAP measured at B = {', '.join(map(str, measured))}" in header
        planned = [b for b in atlas.spec(name).swap_batch_sizes if b not in measured]
        assert ("planned, not measured yet" in header) == bool(planned)
        assert "What the recipe favours" not in [s.value for s in at.subheader]  # NB201's edges only
        jobs = atlas.measured_jobs(name, frame)
        partial = [job for job, n in jobs.items() if 0 < n < frame.attrs["cells"]]
        said = [c.value for c in at.caption if c.value.startswith("Measured on part")]
        assert bool(said) == bool(partial) and all(f"**{job}**" in said[0] for job in partial)
        assert not any(f"**{job}** on 0" in c.value for c in at.caption for job in jobs)  # never "on 0"


def test_the_map_places_every_cell_by_its_proxy_ranks_and_colours_it_by_choice():
    from ui import lab

    at = open_lab()
    assert_clean(at)
    assert "A map of the benchmark" in [s.value for s in at.subheader]
    coordinates, used = lab.space_map("nb201")
    assert coordinates.shape == (600, 2) and np.isfinite(coordinates).all() and "swap_b16" in used
    colour = at.selectbox(key="lab_map_colour_nb201")
    colour.set_value("CIFAR-10 test").run()
    assert_clean(at)
    colour.set_value("params").run()
    assert_clean(at)


def test_cost_labels_never_overlap_even_in_a_dense_cluster():
    import pandas as pd

    from ui.charts import lab  # the lab's figures

    table = pd.DataFrame({"proxy": ["flops", "synflow_b64", "swap_b16", "naswot_b64", "zico_b64", "jacov_b64",
                                    "az_expressivity_b64", "az_progressivity_b64", "params"],
                          "seconds per cell": [0.1, 0.1, 0.12, 0.6, 0.9, 0.6, 1.0, 1.0, 0.001],
                          "spearman": [0.753, 0.779, 0.818, 0.786, 0.79, 0.687, 0.765, 0.705, 0.753]})
    offsets = lab.label_offsets(table)
    x = np.log10(table["seconds per cell"].to_numpy())
    y = table["spearman"].to_numpy()
    px = (x - x.min()) / np.ptp(x) * lab._PLOT_BOX[0]
    py = (y.max() - y) / np.ptp(y) * lab._PLOT_BOX[1]
    boxes = [(px[i] + dx - (7 * len(n) + 6) / 2, py[i] + dy - 8, px[i] + dx + (7 * len(n) + 6) / 2, py[i] + dy + 8)
             for i, (n, (dx, dy)) in enumerate(zip(table["proxy"], offsets))]
    assert not any(lab._overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


ENTRY = {"n": 15625, "target": "cifar10_test_acc_pct",
         "zero_shot": [{"rule": "AZ-NAS", "kind": "rule", "n": 15625, "spearman": 0.913, "low": 0.91, "high": 0.916},
                       {"rule": "swap_b16", "kind": "proxy", "n": 15625, "spearman": 0.82, "low": 0.81, "high": 0.83}],
         "kshot": [{"k": k, "draws": 10, "predictor": {"spearman_mean": m, "spearman_sd": 0.01},
                    "recipe": {"spearman_mean": m - 0.02, "spearman_sd": 0.01}}
                   for k, m in ((10, 0.82), (100, 0.934), (1000, 0.973))],
         "importances": {"swap_b16": 0.31, "az_expressivity_b64": 0.13},
         "ceiling": {"spearman": 0.98, "interval_95": [0.979, 0.981]},
         "paper_cells": [{"rule": "VKDNW_agg", "cells": "every_op_used", "n": 9445, "spearman": 0.923, "low": 0.92,
                          "high": 0.926, "published": 0.919}]}


def test_the_lab_draws_what_k_labels_buy_from_the_protocols_study(monkeypatch):
    from swap_engine.studies import protocols

    monkeypatch.setattr(protocols, "saved_results", lambda: {"nb201-cifar10": ENTRY})
    at = open_lab()
    assert_clean(at)
    assert "What k labels buy" in [s.value for s in at.subheader]
    said = " ".join(c.value for c in at.caption)
    assert "Zero-shot" in said and "SWAP (B = 16) (0.31)" in said


def test_labels_read_from_this_benchmark_none_shows_the_zero_shot_rows_and_k_the_learners_at_k(monkeypatch):
    from swap_engine.studies import protocols

    monkeypatch.setattr(protocols, "saved_results", lambda: {"nb201-cifar10": ENTRY})
    at = open_lab()
    assert_clean(at)
    assert metric(at, "best zero-shot here: AZ-NAS") == "0.913" and metric(at, "labels read") == "none"
    assert metric(at, "best published, label-free: VKDNW_agg") == "0.919"  # the label-free kind only
    on_cells = next(d.value for d in at.dataframe if "spearman, the paper's cells" in d.value.columns)
    assert on_cells.iloc[0].to_dict() == {"rule": "VKDNW_agg", "spearman, the paper's cells": "0.923",
                                          "95 % interval": "0.920 to 0.926", "architectures": "9,445",
                                          "published there": "0.919"}  # like for like with the paper
    at = open_lab(lab_labels=100)
    assert_clean(at)
    assert metric(at, "predictor, 100 labels") == "0.934 ± 0.010"
    assert metric(at, "recipe chosen on the 100") == "0.914 ± 0.010"
    assert metric(at, "ceiling: a second training run") == "0.980"
    published = next(d.value for d in at.dataframe if "published, with labels" in d.value.columns)
    assert "XGBoost on 13 Suite-Zero proxies" in set(published["published, with labels"])  # NB201 C10, 400 labels
    assert "0.934 ± 0.010 (k = 100)" in set(published["ours, predictor with no more labels"])


def test_the_lab_says_how_to_draw_the_curve_before_the_study_ran(monkeypatch):
    from swap_engine.studies import protocols

    monkeypatch.setattr(protocols, "saved_results", lambda: {})
    at = open_lab()
    assert_clean(at)
    assert any("python -m swap_engine protocols" in c.value for c in at.caption)


def test_the_learning_curve_has_each_learner_the_flat_lines_and_the_ceiling():
    from ui.charts import lab as lab_charts

    fig = lab_charts.learning_curve(ENTRY, "NB201 CIFAR-10")
    names = [trace.name for trace in fig.data if trace.name]
    assert any("trees" in n for n in names) and any("recipe" in n for n in names)
    assert any("AZ-NAS (0.913)" in n for n in names) and any("ceiling" in n for n in names)
    assert fig.layout.xaxis.type == "log" and fig.layout.title.text


def test_the_learning_curve_marks_the_chosen_k_and_the_published_rankings_with_labels():
    from swap_engine.studies import published
    from ui.charts import lab as lab_charts

    anchors = published.with_labels("nb201", "cifar10_test_acc_pct")
    fig = lab_charts.learning_curve(ENTRY, "NB201 CIFAR-10", chosen=100, anchors=anchors)
    drawn = {trace.x[0]: trace.name for trace in fig.data if trace.name and trace.name.startswith("published")}
    assert sorted(drawn) == [400, 1024] and "with 400 labels" in drawn[400]  # GreenFactory: Kendall, no count
    assert [shape.x0 for shape in fig.layout.shapes] == [100]


def test_the_lab_reads_a_half_of_the_cells_as_the_transfer_matrix_does():
    from swap_engine.studies import reading, recipe_study as recipe
    from swap_engine.studies.split import Split

    at = open_lab(lab_cells="report")
    assert_clean(at)
    assert metric(at, "cells") == "300"
    frame = recipe.with_targets(recipe._sample_data_atlas().iloc[:600].reset_index(drop=True))
    rows = Split.halves(600, 0).report  # the families study's reporting half, seed 0
    values = reading.scores(frame, recipe.Recipe.parse("log_rank:swap_b16+params"))
    want = reading.correlation(values, frame["cifar10_test_acc_pct"], rows)
    assert metric(at, "Spearman") == f"{want.spearman:.3f}"
    assert any("reporting half" in c.value and "300 of the 600" in c.value for c in at.caption)
    at.radio(key="lab_cells").set_value("all").run()
    assert metric(at, "cells") == "600"


def test_copy_as_command_prints_the_numbers_the_lab_shows(capsys):
    import json
    import shlex

    from swap_engine import cli

    at = open_lab(lab_boot=100, lab_cells="fit", lab_text="log_rank:2*swap_b16+params")
    assert_clean(at)
    line = next(c.value for c in at.code if c.value.startswith("swap-explorer lab"))
    assert "--cells fit" in line and "--n-boot 100" in line
    capsys.readouterr()
    assert cli.main([*shlex.split(line)[1:], "--json"]) == 0  # the command, run in this process on the same atlas
    out = json.loads(capsys.readouterr().out)
    assert f"{out['spearman']:.3f}" == metric(at, "Spearman") and f"{out['kendall']:.3f}" == metric(at, "Kendall")
    assert f"{out['cells']:,}" == metric(at, "cells") and f"{out['top_k_precision']:.2f}" == metric(at, "top-10%")
    said = next(c.value for c in at.caption if "bootstrap resamples of the cells" in c.value)
    assert f"[{out['spearman_ci'][0]:.3f}, {out['spearman_ci'][1]:.3f}]" in said


def test_a_paired_test_says_whether_recipe_a_beats_recipe_b(capsys):
    import json
    import shlex

    from swap_engine import cli

    at = open_lab(lab_boot=100)
    assert_clean(at)
    assert "Is recipe A better than recipe B here?" in [s.value for s in at.subheader]
    at.selectbox(key="lab_pair_b_nb201").set_value("params").run()
    assert_clean(at)
    said = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "ranks the architectures better than" in said and "paired bootstrap, 100 resamples" in said
    assert metric(at, "A − B").startswith("+")
    line = next(c.value for c in at.code if "--versus params" in c.value)
    capsys.readouterr()
    assert cli.main([*shlex.split(line)[1:], "--json"]) == 0  # the same test from a terminal
    assert f"{json.loads(capsys.readouterr().out)['versus']['difference']:+.3f}" == metric(at, "A − B")
    at.text_input(key="lab_pair_text_nb201").set_value("log_rank:swap_b16+params").run()  # B = A
    said = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "cannot tell A from B" in said and metric(at, "A − B") == "+0.000"
    at.text_input(key="lab_pair_text_nb201").set_value("swap_b32").run()
    assert_clean(at)
    assert any("Recipe B cannot be read here" in w.value for w in at.warning)
    at.text_input(key="lab_pair_text_nb201").set_value("")
    at.selectbox(key="lab_boot").set_value(0).run()
    assert any("choose 100 or more" in i.value for i in at.info)


def test_long_recipes_wrap_in_the_scatter_title():
    from ui.charts import lab as lab_charts

    label = "log_rank:" + "+".join(f"0.5*swap_stage{i}_b16@reg=max" for i in range(1, 9))
    lines = lab_charts.wrap(label)
    assert len(lines) > 1 and all(len(line) <= 90 for line in lines) and "".join(lines) == label


def test_the_newest_proxies_and_rules_show_beside_the_papers_numbers(monkeypatch):
    from swap_engine import recipe as recipes
    from swap_engine.studies import recipe_study as recipe

    frame = recipe._sample_data_atlas().iloc[:600].reset_index(drop=True)
    rng = np.random.default_rng(0)
    params = frame["params"].to_numpy(dtype=float)
    rows = np.arange(len(frame))
    frame["meco_b64"] = np.where(rows < 240, params * rng.uniform(0.8, 1.2, len(frame)), np.nan)  # partly measured
    frame["vkdnw_b64"] = np.where(rows < 115, params * rng.uniform(0.5, 1.5, len(frame)), np.nan)
    for column in ("az_expressivity_b64", "az_progressivity_b64", "az_trainability_b64", "flops", "jacov_b64"):
        frame[column] = params * rng.uniform(0.5, 1.5, len(frame))  # no lswag_b64: an absent column breaks nothing
    monkeypatch.setattr(recipe, "atlas", lambda space="nb201": frame.copy())
    at = open_lab(lab_text=recipes.VKDNW_AGG)
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "proxy or rule" in d.value.columns).set_index("proxy or rule")
    assert table.loc["meco_b64", "cells"] == "240 of 600" and table.loc["meco_b64", "paper"] == "0.894"
    assert table.loc["vkdnw_b64", "cells"] == "115 of 600" and table.loc["vkdnw_b64", "paper"] == "0.815"
    assert table.loc["AZ-NAS", "paper"] == "0.913" and table.loc["VKDNW_agg", "paper"] == "0.919"
    assert -1 <= float(table.loc["VKDNW_agg", "ours"]) <= 1 and table.loc["VKDNW_agg", "cells"] == "115 of 600"
    assert not any("lswag" in name for name in table.index)  # not measured and no paper: not listed
    assert any("Sources:" in c.value and "MeCo (NeurIPS 2023)" in c.value for c in at.caption)
    assert any(c.value.startswith("Published: Spearman 0.919") for c in at.caption)  # beside the recipe's metric
    heatmap = next(c.proto.spec for c in at.get("plotly_chart") if "Each proxy alone" in c.proto.spec)
    assert "meco_b64 (240 of 600 cells)" in heatmap and "paper: 0.894" in heatmap
    named = at.selectbox(key="lab_named_nb201").options
    assert any(o.startswith("AZ-NAS") and o.endswith("(paper: 0.913)") for o in named)
