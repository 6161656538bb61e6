"""Issue 22, traps and wrong numbers: pages that score many wait for a click that says how long, the current
architecture is scored first and always marked, counts agree across pages, regularisation says when it hurts,
the search's metric, chart and CSV count the same steps, bounds name their base, Compare says left and right,
a fresh install falls back to Gaussian inputs, and a history of other settings offers to switch to them."""
import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from tests.app_helpers import assert_clean, metric, open_app
from tests.test_app import DATA, TINY, needs_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture()
def scorings(monkeypatch):
    """Every real scoring of the session (cached ones are not scorings)."""
    from ui import engine

    real, calls = engine._score, []

    def counted(settings, arch_text, keep_patterns):
        calls.append((settings.batch_size, arch_text))
        return real(settings, arch_text, keep_patterns)

    monkeypatch.setattr(engine, "_score", counted)
    return calls


def open_page(page: str, **overrides):
    return open_app(page, defaults=TINY, **overrides)


def launch_button(at):
    return next(b for b in at.button if b.key and b.key.endswith("_launch"))


def chart_text(at) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


# --- 1. many scorings start on a click that says how long ------------------------------------------------

@needs_data
@pytest.mark.parametrize("page,key", [("distribution", "distribution"), ("correlation", "correlation"),
                                      ("batch_sweep", "sweep")])
def test_a_page_that_scores_many_waits_for_a_click_that_says_how_long(page, key, scorings):
    at = open_page(page, **{"sweep_n": 3, "sweep_max": 8})
    assert_clean(at)
    button = launch_button(at)
    assert button.label.startswith("Score ") and "(about " in button.label
    assert any("Nothing is scored until you press the button" in c.value and "one architecture here" in c.value
               for c in at.caption)
    assert len({arch for _, arch in scorings}) <= 1  # one architecture timed, at most two batch sizes
    assert not at.dataframe and not at.get("progress")
    button.click().run()
    assert_clean(at)
    assert at.dataframe  # the run went, and its table is drawn


@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_atlas.parquet").exists(), reason="no NB201 atlas")
def test_the_estimate_comes_from_the_atlas_where_its_setting_matches_and_nothing_is_scored(scorings):
    at = open_page("distribution", build_options="", resolution="native", n_archs=40, batch_size=32)
    assert_clean(at)
    assert "(about " in launch_button(at).label
    assert any("proxy atlas's timings of these cells at B = 32" in c.value for c in at.caption)
    assert scorings == []


@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_swap_b16.csv").exists(), reason="no precomputed table")
def test_a_precomputed_sample_shows_at_once(scorings):
    at = open_page("distribution", build_options="", resolution="native", n_archs=40)
    assert_clean(at)
    assert any("all 15,625 architectures" in e.label for e in at.expander)
    assert not any(b.key and b.key.endswith("_launch") for b in at.button)
    assert any("nothing is rescored" in c.value for c in at.caption)
    sample = at.dataframe[-1].value
    assert len(sample) == 40 and "current architecture" in chart_text(at)
    assert len(at.selectbox(key="dist_split").options) > 1  # the space's properties, to split by
    assert scorings == []


@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_swap_b16.csv").exists(), reason="no precomputed table")
def test_the_precomputed_correlation_lists_atlas_proxies_only_and_reruns_without_recomputing(scorings, monkeypatch):
    at = open_page("correlation", build_options="", resolution="native", n_archs=40)
    assert_clean(at)
    atlas_rows = next(d.value for d in at.dataframe if "proxy" in d.value and "architectures" in d.value
                      and d.value["proxy"].str.contains("swap at B = 16").any())
    assert not atlas_rows["proxy"].str.contains("seconds|neurons").any()  # costs are not proxies
    from swap_engine import analysis

    calls = []
    correlate = analysis.correlate
    monkeypatch.setattr(analysis, "correlate", lambda *a, **k: calls.append(1) or correlate(*a, **k))
    at.selectbox(key="corr_pick").select_index(1).run()  # a click elsewhere on the page
    assert_clean(at)
    assert calls == []  # every correlation on the page is cached: a click recomputes none of them
    assert scorings == []


# --- 2. the current architecture: scored first, always marked ---------------------------------------------

@needs_data
@pytest.mark.parametrize("page", ["distribution", "correlation"])
def test_the_current_architecture_is_scored_first_and_marked_without_visiting_patterns(page):
    from swap_engine import spaces

    space = spaces.get("nb201")
    default = space.format(space.example(TINY["seed"]))
    at = open_page(page)
    launch_button(at).click().run()
    assert_clean(at)
    runs = at.session_state["_runs"]
    jobs = next(jobs for (key, jobs) in runs if key == page)
    assert jobs[0][1] == default  # queued first: a stopped run has it
    assert "current architecture" in chart_text(at)
    assert any("the Activation patterns page opens with" in c.value for c in at.caption)

    chosen = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    at = open_page(page, **{"arch::nb201": chosen})
    launch_button(at).click().run()
    assert_clean(at)
    assert "current architecture" in chart_text(at)
    assert any("the architecture open on the Activation patterns page" in c.value for c in at.caption)


# --- 4. counts agree, a new setting asks again, the search counts steps in words ------------------------

@needs_data
def test_distribution_and_correlation_count_the_same_architectures_the_same_way():
    n = TINY["n_archs"]  # the sidebar's number: both pages show that many, the current one counted in
    dist = open_page("distribution")  # NB201's sample holds the default architecture
    assert any(f"{n} architectures drawn from nb201 (seed 0), the current one among them" in c.value
               for c in dist.caption)
    corr = open_page("correlation")  # the benchmark's sample does not: it takes the last one's place
    assert any(f"{n} architectures: the current one and {n - 1} drawn from the nb201 table" in c.value
               for c in corr.caption)
    launch_button(corr).click().run()
    assert metric(corr, "architectures") == str(n)
    launch_button(dist).click().run()
    assert len(dist.dataframe[0].value) == n


@needs_data
def test_a_new_setting_asks_again_instead_of_running_under_an_old_stopped_box():
    at = open_page("distribution")
    launch_button(at).click().run()
    assert at.dataframe
    at.session_state["n_archs"] = 3
    at.run()
    assert_clean(at)
    assert launch_button(at).label.startswith("Score 3 architectures")
    assert not any("Stopped after" in i.value for i in at.info) and not at.dataframe


@needs_data
def test_search_metric_chart_and_csv_count_the_same_steps():
    at = open_page("search", seed=1)
    at.number_input(key="search_budget").set_value(12)
    at.number_input(key="search_population").set_value(2)
    at.number_input(key="search_sample").set_value(1)
    at.button(key="search_start").click().run()
    assert_clean(at)
    history = at.dataframe[0].value
    job = at.session_state["search_job"]
    evaluations, steps = job["search"].evaluations, len(job["search"].history.records)
    assert steps > evaluations  # this seed revisits: the case that read 20 / 20 beside 25 steps
    assert metric(at, "evaluations") == f"{evaluations} / 12"
    assert history["new architecture no."].max() == evaluations and len(history) == steps
    assert any(f"{steps} steps: {evaluations} new architectures evaluated" in c.value for c in at.caption)
    x = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Search progress" in c.proto.spec)
    x = x["data"][0]["x"]
    assert len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize == evaluations  # as the metric
    best = metric(at, "best score")
    assert not best.endswith(".0") and best.replace(",", "").isdigit()  # a count is a whole number


# --- 3. regularisation: fitted on one half by default, and a sentence when it hurts ----------------------

@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_swap_b16.csv").exists(), reason="no precomputed table")
def test_regularisation_fits_on_one_half_reports_on_the_other_and_says_when_it_hurts():
    at = open_page("correlation", build_options="", resolution="native", n_archs=60)
    assert_clean(at)
    raw = float(metric(at, "Spearman"))
    at.toggle(key="corr_reg").set_value(True).run()
    assert_clean(at)
    assert at.radio(key="corr_reg_mode").value == "fit"
    assert any("every number below is on the other 30" in c.value for c in at.caption)  # 60: 30 and 30
    assert metric(at, "architectures") == "30"
    assert "SWAP without regularisation" in at.dataframe[0].value["proxy"].tolist()  # on the same half
    fitted = next(c.value for c in at.caption if "every number below" in c.value)
    at.button(key="corr_use_fit").click().run()  # the fitted values become the sidebar's, for every page
    assert_clean(at)
    assert at.radio(key="corr_reg_mode").value == "set" and at.session_state["regularize"]
    assert f"mu = {at.session_state['mu']:,.0f} and sigma = {at.session_state['sigma']:,.0f}" in fitted

    at.radio(key="corr_reg_mode").set_value("set").run()
    at.slider(key="corr_mu").set_value(25.0).run()  # far below NB201's sizes: it hurts
    assert_clean(at)
    hurt = next(w.value for w in at.warning if "Regularisation hurts here" in w.value)
    assert f"Spearman {raw:.3f} without it" in hurt and "fit mu and sigma on one half" in hurt


# --- 5. the bound names its base ----------------------------------------------------------------------------

def test_flexibert_gauge_and_metric_name_the_same_ternary_bound(tmp_path, monkeypatch):
    at = open_app("patterns", space="flexibert", input="random-tokens", batch_size=4, build_options="", seed=0,
                  n_archs=5, resolution="native")
    assert_clean(at)
    label = next(m.label for m in at.metric if m.label.startswith("bound"))
    assert label == "bound min(N, 3^B)"  # GELU: signs -1 / 0 / +1
    gauge = next(c.proto.spec for c in at.get("plotly_chart") if "out of its bound" in c.proto.spec)
    assert "min(N, 3^B)" in gauge and "2^B" not in gauge


# --- 6. Compare: left and right, no ratio to a degenerate score ---------------------------------------------

@needs_data
def test_compare_says_left_and_right_and_never_divides_by_a_single_pattern():
    plenty = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    nothing = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    at = open_page("compare", **{"compare_A::nb201": plenty, "compare_B::nb201": nothing})
    assert_clean(at)
    table = at.dataframe[0].value.set_index("architecture")
    assert set(table.index) == {"left", "right"} and table.loc["right", "raw score"] <= 1
    verdict = next(c.value for c in at.caption if "SWAP predicts" in c.value)
    assert verdict.startswith("The left architecture scores higher")
    assert "times as high" not in verdict and "a ratio would say nothing" in verdict
    assert " B " not in verdict.replace("B = ", "")  # B is the batch size only
    said = next(i.value for i in at.info if "output ignores its input" in i.value)
    assert said.startswith("**The right cell's output ignores its input.**") and "a score of 1" in said


@needs_data
def test_compare_says_two_forms_of_one_cell_are_one_network_and_a_zero_change_is_no_change():
    from tests.test_app_editor import FORM_A, FORM_B, truth

    at = open_page("compare", **{"compare_A::nb201": FORM_A, "compare_B::nb201": FORM_B})
    assert_clean(at)
    note = next(i.value for i in at.info if "same network" in i.value)
    assert note.startswith("**The left and right cells are the same network**") and "unique string" in note
    assert f"({truth(FORM_A):.2f} % and {truth(FORM_B):.2f} %)" in note and "trained each form separately" in note
    accuracy = [m for m in at.metric if m.label.startswith("CIFAR-10 test accuracy")]
    assert [m.value for m in accuracy] == [f"{truth(FORM_A):.2f} %", f"{truth(FORM_B):.2f} %"]
    assert accuracy[1].delta == f"{truth(FORM_B) - truth(FORM_A):+.2f} points vs left"
    params = [m for m in at.metric if m.label == "parameters"][1].proto
    assert params.delta == "no change" and (params.direction, params.color) == (params.NONE, params.GRAY)


# --- 7. a fresh install: Gaussian inputs, said, and the fetch button -----------------------------------------

def test_a_fresh_install_shows_patterns_on_gaussian_inputs_and_offers_the_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))  # no data files at all
    st.cache_resource.clear()  # batches and scores cached by earlier tests would hide the missing files
    st.cache_data.clear()
    at = open_app("patterns", defaults=TINY, input="cifar10")
    assert_clean(at)
    said = next(i.value for i in at.info if "not on this machine" in i.value)
    assert "Gaussian noise" in said
    assert metric(at, "SWAP-Score")
    assert any(b.label == "Fetch cifar10" for b in at.button)


# --- 8. a search history of other settings: a switch to them, in words ---------------------------------------

@needs_data
def test_a_history_of_other_settings_offers_to_switch_to_them_and_then_resumes():
    at = open_page("search")
    for key, value in (("search_budget", 3), ("search_population", 2), ("search_sample", 1)):
        at.number_input(key=key).set_value(value)
    at.button(key="search_start").click().run()
    saved = at.session_state["search_job"]["search"].history.dumps().encode()
    recorded = [r.arch for r in at.session_state["search_job"]["search"].history.records]

    other = open_page("search", batch_size=8)
    other.number_input(key="search_budget").set_value(5)
    other.file_uploader(key="search_upload").set_value(("h.jsonl", saved, "application/x-ndjson")).run()
    other.button(key="search_load").click().run()
    assert not other.exception and not other.error  # no raw dicts in an error box
    said = next(w.value for w in other.warning if "saved with other settings" in w.value)
    assert "batch size B: 16 in the file, 8 here" in said and "population: 2 in the file, 20 here" in said
    assert "{" not in said
    other.button(key="search_use_file").click().run()
    assert_clean(other)
    assert other.session_state["batch_size"] == 16 and other.session_state["search_population"] == 2
    resumed = other.session_state["search_job"]["search"].history.records
    assert [r.arch for r in resumed[:len(recorded)]] == recorded


@needs_data
@pytest.mark.parametrize("page,label", [("patterns", "Score this architecture (about 20 s)"),
                                        ("compare", "Score both architectures (about 40 s)")])
def test_a_slow_scoring_waits_for_a_button_that_says_how_long(page, label, scorings, monkeypatch):
    from ui import launch

    monkeypatch.setattr(launch, "_cost", lambda settings, arch: (3e11, 0))  # 20 s at 15 GFLOP/s: ResNet-50's kind
    left = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    right = "|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|"
    at = open_page(page, **{"arch::nb201": left, "compare_A::nb201": left, "compare_B::nb201": right})
    assert_clean(at)
    button = at.button(key=f"{page}_go")
    assert button.label == label
    assert any("Nothing is scored until you press the button" in c.value and "network's size" in c.value
               for c in at.caption)
    assert scorings == [] and not at.metric and not at.get("plotly_chart")
    button.click().run()
    assert_clean(at)
    assert metric(at, "SWAP-Score") and {arch for _, arch in scorings} >= {left}
    at.run()  # asked once for these settings and architectures: a rerun does not ask again
    assert not any(b.key == f"{page}_go" for b in at.button)


def test_a_scoring_is_sized_on_the_meta_device_before_it_runs():
    """`models.cost` reads the values SWAP will read (neurons x B) without running the model."""
    import torch

    from swap_engine import models, spaces
    from swap_engine.swap import swap_score

    space = spaces.get("nb201")
    arch = space.parse("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|")
    batch = torch.randn(8, 3, 8, 8)
    flops, values = models.cost(space, arch, {"C": 4, "N": 1}, batch)
    result = swap_score(models.build(space, arch, {"C": 4, "N": 1}), batch)
    assert values == result.neurons * 8 and flops > 0


@needs_data
def test_the_estimate_passes_over_an_architecture_that_cannot_be_scored(monkeypatch):
    from ui import engine

    real, failed = engine._score, []

    def first_fails(settings, arch_text, keep_patterns):
        if not failed or arch_text == failed[0]:
            failed[:1] = [arch_text]
            raise RuntimeError("this model cannot be built")
        return real(settings, arch_text, keep_patterns)

    monkeypatch.setattr(engine, "_score", first_fails)
    at = open_page("distribution")
    assert_clean(at)
    assert "(about " in launch_button(at).label


def test_one_scoring_says_how_long_from_the_atlas_or_from_the_last_one_timed_here(monkeypatch):
    import pandas as pd

    from ui import launch, state

    monkeypatch.setattr(launch.st, "session_state", {})
    monkeypatch.setattr(launch, "_atlas_seconds", lambda settings: pd.Series({"timed cell": 2.0}))
    settings = state.Settings("nb201", 16, "cifar10", None, "cpu", 0, 1, False, "", 5)
    assert launch.scoring_label(settings, "timed cell") == "Scoring at B = 16 (about 2 s, the atlas's time) ..."
    assert launch.scoring_label(settings, "new cell") == "Scoring at B = 16 ..."
    launch.remember(settings, "new cell", 42.0)
    assert launch.scoring_label(settings, "another") == "Scoring at B = 16 (about 42 s, as one took here) ..."


def test_an_estimate_from_size_takes_the_pace_of_the_scorings_timed_here(monkeypatch):
    from ui import launch, state

    monkeypatch.setattr(launch.st, "session_state", {})
    monkeypatch.setattr(launch, "_atlas_seconds", lambda settings: None)
    monkeypatch.setattr(launch, "_cost", lambda settings, arch: (30e9, 0))  # 2 s at 15 GFLOP/s
    settings = state.Settings("zoo", 16, "gaussian", None, "cpu", 0, 1, False, "", 5)
    assert launch.expected(settings, "resnet18") == (2.0, "estimated from the network's size: its FLOPs and the "
                                                          "neurons SWAP reads")
    launch.remember(settings, "resnet18", 6.0)  # three times slower here
    launch.remember(settings, "resnet18", 6.0)  # the same result drawn again from the cache: no second pace
    assert launch.expected(settings, "resnet34") == (6.0, "estimated from the network's size, at the pace of the "
                                                          "scorings timed here")
    assert launch.expected(settings, "resnet18") == (6.0, "as it took here before")
