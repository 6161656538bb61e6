"""Search before it starts (issue 32): the start button says how long the search should take, and a model option
too large for the memory limit is refused in words before the start, not in a hundred failed evaluations."""
import os
from pathlib import Path

import pytest

from tests.app_helpers import open_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 16, "n_archs": 5,
        "seed": 0}
pytestmark = pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                reason=f"CIFAR-10 images not found under {DATA} (set SWAP_DATA)")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_the_start_button_says_how_long_from_the_budget():
    at = open_app("search", defaults=TINY)
    assert not at.exception and not at.error
    start = at.button(key="search_start")
    assert start.label.startswith("Start new search (about ") and not start.disabled
    said = next(c.value for c in at.caption if "evaluations at about" in c.value)
    assert said.startswith("100 evaluations at about ")
    at.number_input(key="search_budget").set_value(1000).run()
    assert at.button(key="search_start").label != start.label  # ten times the budget, a longer estimate
    assert any(c.value.startswith("1,000 evaluations at about ") for c in at.caption)


def test_a_model_too_large_is_refused_before_the_start():
    at = open_app("search", defaults={**TINY, "build_options": '{"C": 4096, "N": 5}'})
    assert not at.exception
    refusal = " ".join(e.value for e in at.error).replace("\\", "")
    assert "This search cannot start" in refusal and "would need about" in refusal and "the limit is" in refusal
    assert "Checked on its largest cell" in refusal
    assert at.button(key="search_start").disabled and "search_job" not in at.session_state
