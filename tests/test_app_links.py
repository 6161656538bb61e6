"""Links say what they drop (issue 27): an opening link's ignored query parameters are named in the sidebar
with the rule they broke, and a value too long for a URL stays out of it, with a caption saying so."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import loader, state

ROOT = Path(__file__).resolve().parents[1]
SIDEBAR = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from ui import state
state.sidebar()
state.settings()
"""


def test_ignored_query_parameters_are_said_with_their_rule():
    loader.wait_for_engine()  # the device is checked against this machine's once the engine is loaded
    at = AppTest.from_string(SIDEBAR, default_timeout=60)
    at.query_params.update({"batch_size": "-5", "space": "nonexistent", "device": "cuda:7", "bogus": "1",
                            "seed": "3", "build_options": "[" * 50_000})
    at.run()
    assert not at.exception
    said = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert "batch_size='-5' ignored: must be a power of two from 1 to 1024" in said
    assert "space='nonexistent' ignored: not a search space here (" in said and "nb201, " in said
    assert "device=cuda:7 ignored: not on this machine (available:" in said
    assert "bogus='1' ignored: not a setting" in said
    assert "build_options='[[[[" in said and "ignored: model options are not valid JSON" in said
    assert at.session_state["seed"] == 3 and at.session_state["batch_size"] == 16
    at.run()
    assert not at.sidebar.warning  # said once


def test_a_value_too_long_for_a_link_stays_out_of_it():
    at = AppTest.from_string(SIDEBAR, default_timeout=60)
    at.run()
    long = json.dumps({"C": 4, "N": 1, "note": "x" * 3_000})
    at.session_state["build_options"] = long
    at.run()
    assert not at.exception
    assert "build_options" not in at.query_params
    captions = " ".join(c.value for c in at.sidebar.caption)
    length = len(state.parse_build_options(long))  # the canonical text the link would carry
    assert f"The model options ({length:,} characters) is too long for a link (at most 2,000)" in captions
    at.session_state["build_options"] = '{"C": 4, "N": 1}'
    at.run()
    assert at.query_params["build_options"] in ('{"C": 4, "N": 1}', ['{"C": 4, "N": 1}'])


# A page's own controls (issue 22): each page's shared control, set to a value other than its default, is
# written into the link, and a fresh session opened with that link starts from it.
PAGE_CONTROLS = [
    ("correlation", "corr_target", "corr_target", "cifar100_test_acc_pct"),
    ("batch_sweep", "sweep_max", "sweep_max", 128),
    ("search", "search_budget", "search_budget", 7),
    ("lab", "lab_topk", "lab_topk", 0.25),
    ("lab", "lab_text", "lab_text", "log_rank:swap_b16+params"),
    ("families", "families_to", "families_to", "nb201-cifar100"),
    ("learn", "learn_b", "learn_b", 6),
    ("compare", "compare_B::nb201", "compare_right",
     "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|"),
]


def _page(page: str, query: dict | None = None, **state_values) -> AppTest:
    loader.wait_for_engine()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {"build_options": '{"C": 4, "N": 1}', "n_archs": 5, **state_values}.items():
        at.session_state[key] = value
    if query:
        at.query_params.update(query)
    at.switch_page(f"views/{page}.py")
    return at.run()


@pytest.mark.parametrize("page,key,name,value", PAGE_CONTROLS)
def test_a_page_control_round_trips_through_the_link(page, key, name, value):
    at = _page(page)
    assert not at.exception, [e.value for e in at.exception]
    at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert name in query, query
    again = _page(page, query)
    assert not again.exception, [e.value for e in again.exception]
    assert again.session_state[key] == value


def test_a_page_control_the_page_cannot_take_is_said_and_ignored():
    at = _page("lab", {"lab_boot": "7"})
    assert at.session_state["lab_boot"] == 100
    assert any("lab_boot='7' was ignored" in c.value for c in at.caption)
    assert not any("lab_boot" in c.value and "not a setting" in c.value for c in at.caption)


def test_a_control_of_another_page_in_the_link_is_said_and_dropped():
    at = _page("correlation", {"learn_b": "2", "sweep_n": "5", "corr_target": "cifar100_test_acc_pct",
                               "input": "cifar10"})
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert "learn_b='2' ignored: it belongs to the Learn SWAP page, not this one" in said
    assert "sweep_n='5' ignored: it belongs to the Batch-size sweep page, not this one" in said
    assert "corr_target" not in said and "input" not in said  # this page's own control, and a setting
    assert at.session_state["corr_target"] == "cifar100_test_acc_pct"
    at.switch_page("views/learn.py").run()
    assert at.session_state["learn_b"] == 4  # dropped, as said: not applied on a later page either
