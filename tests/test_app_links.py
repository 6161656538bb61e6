"""Links say what they drop (issue 27): an opening link's ignored query parameters are named in the sidebar
with the rule they broke, and a value too long for a URL stays out of it, with a caption saying so."""
import json
from pathlib import Path

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
