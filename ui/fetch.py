"""Fetching data files from the app, with a progress bar: the About page's buttons, and the offer a page makes
when the file its input needs is missing, both come here."""
from __future__ import annotations

import streamlit as st

from swap_engine import data
from ui import engine, tables


def fetch_groups(groups: list[str]) -> bool:
    """Download these data groups (sha256 checked) with a progress bar; True when every file arrived."""
    bar = st.progress(0.0, text="Starting download ...")

    def report(path: str, done: int, total: int | None) -> None:
        if total:
            bar.progress(min(done / total, 1.0), text=f"{path}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")
        else:
            bar.progress(0.0, text=f"{path}: {done / 1e6:.1f} MB")

    try:
        with st.spinner(f"Fetching {', '.join(groups)} ..."):
            data.fetch(groups, progress=report)
    except data.MissingDataError as err:
        st.error(f"Fetch failed: {err}")
        return False
    else:
        st.success(f"Fetched {', '.join(groups)}.")
        tables.benchmark.clear()
        engine.ground_truth.clear()
        return True
    finally:
        bar.empty()


def group_of(err: Exception) -> str | None:
    """The data group of the file a `MissingDataError` names (its message names the file)."""
    text = str(err)
    return next((row["group"] for row in data.status() if row["file"] in text), None)


def offer(err: Exception, key: str) -> None:
    """A button that fetches the group the missing file belongs to, then reruns the page with it."""
    group = group_of(err)
    if group is None:
        st.page_link("views/about.py", label="Fetch it on the About / data page", icon=":material/download:")
        return
    if st.button(f"Fetch {group}", key=key, icon=":material/download:") and fetch_groups([group]):
        st.rerun()
