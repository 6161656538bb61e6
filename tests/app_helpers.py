"""Shared AppTest steps for the app's tests: open app.py on a page with settings in session state, and
check that a run showed no exception or error box."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import loader

ROOT = Path(__file__).resolve().parents[1]


def open_app(page: str | None = None, *, defaults: dict | None = None, **state) -> AppTest:
    """Run app.py once with `defaults` and `state` in session state, on `views/<page>.py` if given, with the
    engine loaded (a cold server's first run without it: `test_a_cold_learn_page_waits_for_no_engine`)."""
    loader.wait_for_engine()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {**(defaults or {}), **state}.items():
        at.session_state[key] = value
    if page:
        at.switch_page(f"views/{page}.py")
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))
