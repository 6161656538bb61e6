"""Every app page with the real engine on a tiny setting (NB201 at C=4, N=1 on 8x8 CIFAR-10 images).

AppTest note: after `switch_page`, AppTest drops the elements the main script draws before the page (the
shared sidebar; a real browser keeps them, see test_app_browser.py). So settings are put in session state
before the first run, and every page, the default one (Learn SWAP, tested in test_app_teach.py) aside, is
opened by `switch_page` before it.
"""
import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 16,
        "n_archs": 5, "seed": 0}

needs_data = pytest.mark.skipif(
    not (DATA / "cifar10" / "train_first10000.npz").exists() or not (DATA / "nb201" / "nats_bench.csv").exists(),
    reason=f"the app tests score real CIFAR-10 images against NB201 ground truth; not found under {DATA} "
           "(set SWAP_DATA or run `python -m swap_engine data fetch cifar10 nb201`)")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def open_page(page: str | None = "patterns", **overrides) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {**TINY, **overrides}.items():
        at.session_state[key] = value
    if page:
        at.switch_page(f"pages/{page}.py")
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


@needs_data
def test_patterns_batch_size_slider_changes_score_and_bound():
    at = open_page(batch_size=8)
    assert_clean(at)
    assert metric(at, "bound") == "256"
    small = metric(at, "SWAP-Score")
    at.session_state["batch_size"] = 16  # the sidebar's slider (AppTest hides the sidebar after switch_page)
    at.run()
    assert_clean(at)
    assert metric(at, "batch size") == "16"
    assert metric(at, "SWAP-Score") != small
    assert len(at.get("plotly_chart")) >= 4  # gauge, per-layer bars, heatmap, cell graph


@needs_data
def test_patterns_bad_architecture_is_an_error_message_not_a_traceback():
    at = open_page()
    at.text_area(key="arch_box::nb201").input("|nor_conv_3x3~0|+|bogus_op~0|").run()
    assert not at.exception
    assert any("Not a valid nb201 architecture" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Sample another").click().run()  # and the page recovers
    assert_clean(at)
    assert at.metric


@needs_data
def test_distribution_scores_all_and_splits_by_property():
    at = open_page("distribution")
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == TINY["n_archs"] and table["raw_score"].gt(0).all()
    split = at.selectbox(key="dist_split")
    assert len(split.options) > 1  # NB201 properties to split by
    split.set_value(split.options[1]).run()
    at.radio(key="dist_kind").set_value("violin").run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2


@needs_data
def test_correlation_regularisation_rescales_without_rescoring_and_opens_patterns():
    at = open_page("correlation")
    assert_clean(at)
    assert metric(at, "architectures") == str(TINY["n_archs"])
    raw = at.dataframe[-1].value["score"].tolist()
    at.toggle(key="corr_reg").set_value(True).run()
    at.slider(key="corr_mu").set_value(5.0).run()
    assert_clean(at)
    regularised = at.dataframe[-1].value
    assert regularised["score"].tolist() != raw
    assert regularised["raw_score"].tolist() == raw  # stored raw scores, re-weighted only
    pick = at.selectbox(key="corr_pick")
    arch = pick.value
    at.button(key="corr_open").click().run()
    assert_clean(at)
    assert at.title[0].value == "Activation patterns"
    assert at.session_state["arch::nb201"] == arch


@needs_data
def test_batch_sweep_covers_every_batch_size_up_to_the_chosen_largest():
    at = open_page("batch_sweep", batch_size=8, n_archs=3)
    at.number_input(key="sweep_n").set_value(3)
    at.select_slider(key="sweep_max").set_value(8).run()
    assert_clean(at)
    summary = at.dataframe[0].value
    assert summary["batch_size"].tolist() == [2, 4, 8]
    assert summary["mean_score"].is_monotonic_increasing
    assert (summary["mean_score"] <= summary["mean_bound"]).all()


@needs_data
def test_search_runs_to_its_budget_resumes_and_offers_the_history():
    at = open_page("search")
    at.number_input(key="search_budget").set_value(6)
    at.number_input(key="search_population").set_value(3)
    at.number_input(key="search_sample").set_value(2)
    at.button(key="search_start").click().run()
    assert_clean(at)
    assert metric(at, "evaluations") == "6 / 6"
    history = at.dataframe[0].value
    assert len(history) >= 6 and "cifar10_test_acc_pct" in history
    assert len(at.get("download_button")) == 2
    at.number_input(key="search_budget").set_value(9).run()
    at.button(key="search_resume").click().run()  # continues the same search to the larger budget
    assert_clean(at)
    assert metric(at, "evaluations") == "9 / 9"
    assert at.dataframe[0].value["arch"].head(len(history)).tolist() == history["arch"].tolist()

    saved = at.session_state["search_job"]["search"].history.dumps().encode()
    fresh = open_page("search")
    for key, value in (("search_budget", 12), ("search_population", 3), ("search_sample", 2)):
        fresh.number_input(key=key).set_value(value)
    fresh.file_uploader(key="search_upload").set_value(("h.jsonl", saved, "application/x-ndjson")).run()
    fresh.button(key="search_load").click().run()
    assert_clean(fresh)
    assert metric(fresh, "evaluations") == "12 / 12"
    before = at.dataframe[0].value["arch"].tolist()
    assert fresh.dataframe[0].value["arch"].head(len(before)).tolist() == before  # replayed, then continued


@needs_data
def test_about_lists_data_status_and_offers_fetch_when_missing(tmp_path, monkeypatch):
    at = open_page("about")
    assert_clean(at)
    assert len(at.dataframe) == 1 and len(at.table) == 2
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))
    at.run()
    assert_clean(at)
    assert any("Missing" in w.value for w in at.warning)
    assert any(b.label == "Fetch all missing" for b in at.button)


def test_missing_ground_truth_says_so_instead_of_failing(tmp_path, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))
    st.cache_resource.clear()  # tables cached by earlier tests would hide the missing files
    at = open_page("correlation", input="gaussian")
    assert not at.exception
    assert any("Data missing" in w.value for w in at.warning)


def test_zoo_works_offline_on_noise_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))  # no data files at all
    at = open_page(space="zoo", input="gaussian", resolution=32, batch_size=4, build_options="",
                   **{"arch::zoo": "squeezenet1_1"})
    assert_clean(at)
    assert metric(at, "bound") == "16"
    at.session_state["batch_size"] = 8  # the sidebar's slider (AppTest hides the sidebar after switch_page)
    at.run()
    assert_clean(at)
    assert metric(at, "bound") == "256"


@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_swap_b16.csv").exists(), reason="no precomputed table")
def test_distribution_shows_the_whole_precomputed_space_for_the_default_setting():
    at = open_page("distribution", build_options="", resolution=32, n_archs=2)
    assert_clean(at)
    assert any("all 15,625 architectures" in e.label for e in at.expander)
    correlations = at.dataframe[0].value
    assert set(correlations["target"]) >= {"cifar10_test_acc_pct", "cifar100_valid_acc_pct"}
    assert correlations["Spearman"].between(-1, 1).all()
