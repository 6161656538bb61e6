"""A run that scores many architectures starts on a click, on a button that says how long it will take.

Opening a page must not start minutes of scoring: in a live demo that is a trap. The time comes from the
proxy atlas's own timings of the same cells where its setting matches the sidebar's (on the CPU), else from
scoring one architecture here first; that score is kept, so the run does not pay for it twice.
"""
from __future__ import annotations

import time
from typing import Callable

import pandas as pd
import streamlit as st

from swap_engine.columns import Column
from ui import engine
from ui.state import Settings

_LAUNCHED = "_launched_runs"  # page key -> the job list its button started (one per page)
_MEASURED = "_measured_seconds"  # (settings, arch) -> seconds one scoring took here
MAX_MEASURED = 64


def run(jobs: list[tuple[Settings, str]], *, key: str, what: str, label: str,
        draw: Callable[[pd.DataFrame], None] | None = None) -> tuple[pd.DataFrame, bool] | None:
    """`engine.run_jobs` once its start button was pressed for this job list; None (and the button) before.

    `what` names the work on the button ("31 architectures"). A new job list (another setting) asks again,
    so the page never starts scoring on its own; the run it replaces keeps its scores for when it comes back.
    """
    launched = st.session_state.setdefault(_LAUNCHED, {})
    token = hash(tuple(jobs))
    if launched.get(key) != token:
        seconds, source = estimate(jobs)
        if not st.button(f"Score {what} (about {duration(seconds)})", key=f"{key}_launch", type="primary",
                         icon=":material/play_arrow:"):
            st.caption(f"Nothing is scored until you press the button. {source}")
            return None
        launched[key] = token
    return engine.run_jobs(jobs, key=key, label=label, draw=draw)


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate(jobs: list[tuple[Settings, str]]) -> tuple[float, str]:
    """(seconds, where that number comes from, in words) for scoring `jobs` one after another."""
    sizes = sorted({settings.batch_size for settings, _ in jobs})
    from_atlas = {b: _atlas_seconds(next(s for s, _ in jobs if s.batch_size == b)) for b in sizes}
    measured = [b for b in sizes if from_atlas[b] is None]
    per_size = {b: _measure(jobs, b) for b in (measured[0], measured[-1])} if measured else {}
    total = 0.0
    for settings, arch in jobs:
        times = from_atlas[settings.batch_size]
        if times is not None:
            total += float(times.get(arch, times.median()))
        else:
            total += _between(per_size, settings.batch_size)
    words = []
    if len(measured) < len(sizes):
        atlas_sizes = ", ".join(str(b) for b in sizes if b not in measured)
        words.append(f"Estimated from the proxy atlas's timings of these cells at B = {atlas_sizes} (scoring "
                     "alone, on the machine that built it; building each network adds a little).")
    if measured:
        timed = "; ".join(f"{per_size[b]:.2g} s at B = {b}" for b in sorted(per_size))
        start = "Estimated from" if not words else "For the other batch sizes, from"
        words.append(f"{start} scoring one architecture here first ({timed}"
                     f"{', the sizes between in proportion' if len(measured) > 2 else ''}).")
    return total, " ".join(words)


def scoring_label(settings: Settings, arch: str) -> str:
    """The spinner's words for scoring one architecture, with the time it should take: the atlas's for this
    cell at this setting, else what one architecture at this setting took here."""
    times = _atlas_seconds(settings)
    if times is not None and arch in times.index:
        return f"Scoring at B = {settings.batch_size} (about {duration(float(times[arch]))}, the atlas's time) ..."
    timed = [s for (done, _), s in st.session_state.get(_MEASURED, {}).items() if done == settings]
    if timed:
        return f"Scoring at B = {settings.batch_size} (about {duration(timed[-1])}, as one took here) ..."
    return f"Scoring at B = {settings.batch_size} ..."


def _between(per_size: dict[int, float], batch_size: int) -> float:
    """Seconds at `batch_size`, in proportion between the smallest and largest measured sizes."""
    (low, t_low), (high, t_high) = min(per_size.items()), max(per_size.items())
    if high == low:
        return t_high
    return t_low + (t_high - t_low) * (batch_size - low) / (high - low)


def _measure(jobs: list[tuple[Settings, str]], batch_size: int, tries: int = 3) -> float:
    """Seconds one scoring takes here: the first architecture at this batch size that scores, kept.

    One that cannot be scored is passed over (the run skips it too); missing data, or `tries` failures in a
    row, end the page with the error the run would meet."""
    from swap_engine import data

    known = st.session_state.setdefault(_MEASURED, {})
    candidates = [(s, a) for s, a in jobs if s.batch_size == batch_size][:tries]
    for settings, arch in candidates:
        if (settings, arch) in known:
            return known[(settings, arch)]
        started = time.perf_counter()
        try:
            with st.spinner(f"Timing one architecture at B = {batch_size} to estimate the run ..."):
                result = engine.score(settings, arch)
        except data.MissingDataError:
            raise
        except Exception:
            if (settings, arch) == candidates[-1]:
                raise  # every one tried failed: the run would fail the same way
            continue
        # a score already cached returns at once: its own stored time is then the measurement
        return remember(settings, arch, max(time.perf_counter() - started, result.seconds))


def remember(settings: Settings, arch: str, seconds: float) -> float:
    """Keep how long one scoring took here (the next estimate at this setting reads it)."""
    known = st.session_state.setdefault(_MEASURED, {})
    known[(settings, arch)] = seconds
    while len(known) > MAX_MEASURED:
        known.pop(next(iter(known)))
    return seconds


def _atlas_seconds(settings: Settings) -> pd.Series | None:
    """arch -> the atlas's seconds for one SWAP scoring at this setting, when an atlas covers it on the CPU."""
    if not settings.device.startswith("cpu"):
        return None
    from swap_engine import atlas, spaces

    native = spaces.get(settings.space).input_spec.resolution
    for name in atlas.available():
        chosen = atlas.spec(name)
        if chosen.space != settings.space or settings.batch_size not in chosen.swap_batch_sizes:
            continue
        wanted = chosen.settings("swap", settings.batch_size)
        resolution = wanted["resolution"] or (native if settings.input != "cifar10-16" else None)
        if ((wanted["input"], resolution, wanted["model_options"], wanted.get("repeats", 1))
                != (settings.input, settings.resolution, settings.build_kwargs(), settings.repeats)):
            continue
        column = Column("swap", None, settings.batch_size).cost
        times = _seconds(name, column)
        if times is not None:
            return times
    return None


@st.cache_data(show_spinner=False, max_entries=16)
def _seconds(name: str, column: str) -> pd.Series | None:
    from swap_engine import atlas

    table = atlas.load(name)
    if column not in table or table[column].isna().all():
        return None
    return table.set_index("arch")[column].dropna()
