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

from tests.app_helpers import assert_clean, metric, open_app

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
    return open_app(page, defaults=TINY, **overrides)


SIDEBAR_SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from ui import state
state.sidebar()
s = state.settings()
st.write(f"resolution={{s.resolution}} space={{s.space}}")
reg = state.regularization()
st.write(f"regularization={{reg.on}},{{reg.mu}},{{reg.sigma}}")
"""


def sidebar_script(**overrides) -> AppTest:
    """The shared sidebar alone (AppTest keeps it visible here, unlike after switch_page)."""
    at = AppTest.from_string(SIDEBAR_SCRIPT, default_timeout=60)
    for key, value in overrides.items():
        at.session_state[key] = value
    return at.run()


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
    assert [t.label for t in at.tabs] == ["Patterns", "Per layer", "Edit the cell", "Neighbours"]
    assert len(at.get("plotly_chart")) == 2  # the open tab only: the gauge and the heatmap
    at.session_state["patterns_tab"] = "Per layer"
    at.run()
    bars = next(c.proto.spec for c in at.get("plotly_chart") if "Per layer: neurons" in c.proto.spec)
    assert "cell 1, edge 0\\u21921" in bars or "cell 1, edge 0→1" in bars  # NB201's layers in words


@needs_data
def test_patterns_bad_architecture_is_an_error_message_not_a_traceback():
    at = open_page()
    at.text_area(key="arch_box::nb201").input("|nor_conv_3x3~0|+|bogus_op~0|").run()
    assert not at.exception
    message = next(e.value for e in at.error if "Not a valid nb201 architecture" in e.value)
    assert "\\~0\\|" in message  # shown literally: `~0|+|bogus_op~0` is no strikethrough
    next(b for b in at.button if b.label == "Sample another").click().run()  # and the page recovers
    assert_clean(at)
    assert at.metric


@needs_data
def test_distribution_scores_all_and_splits_by_property():
    at = open_page("distribution")
    assert_clean(at)
    at.button(key="distribution_launch").click().run()  # nothing scores before the click (test_app_traps.py)
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == TINY["n_archs"] and table["raw SWAP-Score"].gt(0).all()
    split = at.selectbox(key="dist_split")
    assert len(split.options) > 1  # NB201 properties to split by
    assert all("_" not in option for option in split.options)  # words, not column names
    split.set_value(split.options[1]).run()
    at.radio(key="dist_kind").set_value("violin").run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2


@needs_data
def test_correlation_regularisation_rescales_without_rescoring_and_opens_patterns():
    at = open_page("correlation")
    assert_clean(at)
    at.button(key="correlation_launch").click().run()
    assert metric(at, "architectures") == str(TINY["n_archs"])
    assert any("Reading this" in m.value for m in at.markdown)  # the interval in plain words
    raw = at.dataframe[-1].value["SWAP-Score"].tolist()
    at.toggle(key="corr_reg").set_value(True).run()
    at.slider(key="corr_mu").set_value(5.0).run()  # five architectures: too few to fit on a half, so as set
    assert_clean(at)
    regularised = at.dataframe[-1].value
    assert regularised["SWAP-Score"].tolist() != raw
    assert regularised["raw SWAP-Score"].tolist() == raw  # stored raw scores, re-weighted only
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
    at.button(key="sweep_launch").click().run()
    assert_clean(at)
    summary = at.dataframe[0].value
    assert summary["batch size B"].tolist() == [2, 4, 8]
    assert summary["mean SWAP-Score"].is_monotonic_increasing
    assert (summary["mean SWAP-Score"] <= summary["mean bound min(N, 2^B)"]).all()


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
    assert len(history) >= 6 and "CIFAR-10 test accuracy (%)" in history
    assert len(at.get("download_button")) == 2
    at.number_input(key="search_budget").set_value(9).run()
    at.button(key="search_resume").click().run()  # continues the same search to the larger budget
    assert_clean(at)
    assert metric(at, "evaluations") == "9 / 9"
    assert at.dataframe[0].value["architecture"].head(len(history)).tolist() == history["architecture"].tolist()

    saved = at.session_state["search_job"]["search"].history.dumps().encode()
    fresh = open_page("search")
    for key, value in (("search_budget", 12), ("search_population", 3), ("search_sample", 2)):
        fresh.number_input(key=key).set_value(value)
    fresh.file_uploader(key="search_upload").set_value(("h.jsonl", saved, "application/x-ndjson")).run()
    fresh.button(key="search_load").click().run()
    assert_clean(fresh)
    assert metric(fresh, "evaluations") == "12 / 12"
    before = at.dataframe[0].value["architecture"].tolist()
    assert fresh.dataframe[0].value["architecture"].head(len(before)).tolist() == before  # replayed, continued


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
    assert set(correlations["accuracy"]) >= {"CIFAR-10 test accuracy (%)", "CIFAR-100 validation accuracy (%)"}
    assert correlations["Spearman"].between(-1, 1).all()


# --- issue 12: switching spaces, literal messages, clamping, failing evaluations, regularisation, links ---

def test_resolution_labels_do_not_change_with_the_space_and_a_stale_label_reads_as_native():
    zoo = sidebar_script(space="zoo", input="gaussian")
    assert not zoo.exception
    labels = zoo.sidebar.selectbox(key="resolution").options
    # The browser hands back the label of the chosen option; an older label must not crash the pages.
    nb201 = sidebar_script(space="nb201", resolution="native: 64")
    assert not nb201.exception
    assert nb201.sidebar.selectbox(key="resolution").options == labels
    assert any("resolution=32 space=nb201" in m.value for m in nb201.markdown)


@needs_data
@pytest.mark.parametrize("page", ["search", "distribution", "correlation", "batch_sweep", "patterns"])
def test_switching_from_the_zoo_to_another_space_keeps_the_page_working(page):
    at = open_page(page, space="zoo", input="gaussian", resolution="native", build_options="", n_archs=1,
                   batch_size=4, **{"arch::zoo": "squeezenet1_1", "sweep_n": 3, "sweep_max": 4})
    assert not at.exception, [e.value for e in at.exception]
    for key, value in TINY.items():  # a stale resolution label is tested on its own, below
        at.session_state[key] = value
    at.session_state["n_archs"] = 2
    at.run()
    assert_clean(at)


def test_zoo_samples_are_clamped_to_what_exists():
    at = AppTest.from_string(f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from ui import engine
n = engine.clamp_archs("zoo", 100)
st.write(f"n={{n}} sampled={{len(engine.sample_archs('zoo', 100, 0))}}")
""", default_timeout=60).run()
    assert not at.exception
    size = int(at.markdown[-1].value.split()[0].removeprefix("n="))
    assert at.markdown[-1].value == f"n={size} sampled={size}" and 0 < size < 100
    assert any(f"holds only {size}" in c.value for c in at.caption)


@needs_data
def test_search_records_a_failing_evaluation_and_goes_on(monkeypatch):
    from ui import engine

    real = engine._score
    failing = []

    def flaky(settings, arch_text, keep_patterns):
        if not failing or arch_text == failing[0]:
            failing[:1] = [arch_text]  # the first architecture the search evaluates always fails
            raise RuntimeError("this model's activations are functional calls")
        return real(settings, arch_text, keep_patterns)

    monkeypatch.setattr(engine, "_score", flaky)
    at = open_page("search")
    at.number_input(key="search_budget").set_value(5)
    at.number_input(key="search_population").set_value(3)
    at.number_input(key="search_sample").set_value(2)
    at.button(key="search_start").click().run()
    assert not at.exception and not at.error
    assert metric(at, "evaluations") == "5 / 5"
    assert metric(at, "failed evaluations") == "1"
    assert any("failed and were skipped" in w.value for w in at.warning)
    history = at.dataframe[0].value
    assert history["failed: why"].str.contains("functional calls").sum() >= 1
    assert at.session_state["search_job"]["search"].best.arch != failing[0]


@needs_data
@pytest.mark.skipif(not (ROOT / "sample_data" / "nb201_swap_b16.csv").exists(), reason="no precomputed table")
def test_regularisation_defaults_come_from_the_space_and_a_crushing_factor_is_named():
    at = sidebar_script(space="nb201", regularize=True)
    assert not at.exception
    mu, sigma = at.session_state["mu"], at.session_state["sigma"]
    assert 200 < mu < 1500 and sigma > 1e4  # NB201: hundreds of thousands of parameters, not 25
    crushed = open_page("correlation", build_options="", resolution="native", n_archs=30, regularize=True,
                        mu=25.0, sigma=25.0, _regularization_for=["nb201", ""])
    assert_clean(crushed)
    assert any("crushes every score" in w.value for w in crushed.warning)
    assert any("whole space says" in m.value for m in crushed.markdown)  # the precomputed table answered
    assert metric(crushed, "architectures") == "30"


def test_settings_and_architecture_round_trip_through_the_url():
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|"
    at = AppTest.from_string(SIDEBAR_SCRIPT, default_timeout=60)
    at.query_params.update({"space": "nb201", "batch_size": "8", "seed": "3", "arch": arch, "bogus": "1",
                            "repeats": "not a number"})
    at.run()
    assert not at.exception
    assert at.session_state["batch_size"] == 8 and at.session_state["seed"] == 3
    assert at.session_state["repeats"] == 1  # a value that does not parse keeps the default
    assert at.session_state["arch::nb201"] == arch
    at.session_state["batch_size"] = 32
    at.run()
    assert at.query_params["batch_size"] == ["32"] or at.query_params["batch_size"] == "32"
    assert at.query_params["arch"] in (arch, [arch])


def test_the_sidebar_catalogue_matches_the_registry():
    """ui/catalogue.json lets the sidebar draw before torch loads; regenerate it with `python -m ui.state`."""
    import json

    from ui import state

    assert json.loads(state.CATALOGUE.read_text()) == state.catalogue_from_registry(), \
        "ui/catalogue.json is stale: run `python -m ui.state` and commit it"
