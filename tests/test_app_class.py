"""The Guided class (issue 32): three steps, each a preset link that opens its page as set, and the bridge between
them computed from the whole-space table: two cells of one size, far apart in SWAP-Score, with their accuracies."""
import os
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import assert_clean
from ui import lesson, loader, tables

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
pytestmark = pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                reason=f"CIFAR-10 images not found under {DATA} (set SWAP_DATA)")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def open_link(page: str, link: str = "") -> AppTest:
    """A fresh session on views/`page`.py opened with `link`'s query, as a new browser tab opens it."""
    loader.wait_for_engine()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(dict(parse_qsl(link.partition("?")[2])))
    at.switch_page(f"views/{page}.py")
    return at.run()


def links() -> list[str]:
    return [step.link for step in lesson.steps()] + [lesson.bridge().compare_link]


def test_the_default_pages_link_is_the_root_not_its_file_name():
    assert links()[0] == "./?learn_b=2"  # a browser asked for /learn answers "Page not found"
    assert [link.partition("?")[0] for link in links()[1:]] == ["patterns", "correlation", "compare"]


@pytest.mark.parametrize("number", range(4))
def test_every_preset_link_opens_its_page_as_set(number):
    link = links()[number]
    at = open_link([step.page for step in lesson.steps()][number] if number < 3 else "compare", link)
    assert_clean(at)
    assert not at.sidebar.warning, [w.value for w in at.sidebar.warning]  # every parameter was taken
    query = dict(parse_qsl(link.partition("?")[2]))
    if "learn_b" in query:
        assert at.session_state["learn_b"] == 2 and any(m.value == "4" for m in at.metric if m.label == "SWAP-Score")
    else:
        assert at.session_state["space"] == query["space"] and at.session_state["batch_size"] == 16
    if "arch" in query:
        assert at.title[0].value == "Activation patterns" and at.session_state["arch::nb201"] == lesson.GOOD_CELL
    if "n_archs" in query:
        assert at.session_state["n_archs"] == 100 and any(m.label == "Spearman" for m in at.metric)
    if "compare_left" in query:
        scores = [m.value for m in at.metric if m.label == "SWAP-Score"]
        assert len(scores) == 2


def test_the_class_page_shows_three_steps_and_a_bridge_from_the_data():
    at = open_link("class_guide")
    assert_clean(at)
    assert [h.value for h in at.subheader][:2] == ["Step 1. The toy network and the bound",
                                                   "Step 2. One cell, its edits and its neighbours"]
    assert at.subheader[-1].value == "Step 3. The whole space and the correlation"
    first, second, third, compare = links()
    assert [b.proto.url for b in at.get("link_button")] == [first, second, compare, third]  # the bridge: 2 and 3
    assert sum("Teacher's notes" in c.value for c in at.caption) == 4
    found = lesson.bridge()
    table = tables.precomputed_table(lesson.SPACE).set_index("arch")
    low, high = table.loc[found.low["arch"]], table.loc[found.high["arch"]]
    assert low["params"] == high["params"] == found.params  # the same size ...
    assert high["raw_score"] > 2 * low["raw_score"]  # ... far apart in SWAP-Score
    shown = [m.value for m in at.metric]
    assert shown == [f"{low['raw_score']:,.0f}", f"{low[found.target]:.2f}", f"{high['raw_score']:,.0f}",
                     f"{high[found.target]:.2f}"]
    assert -1 < found.spearman < 1 and any(f"{found.spearman:.3f}" in m.value for m in at.markdown)
