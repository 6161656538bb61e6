"""A run that scores many architectures starts on a click, on a button that says how long it will take.

Opening a page must not start minutes of scoring: in a live demo that is a trap. The time comes from the
proxy atlas's own timings of the same cells where its setting matches the sidebar's (on the CPU), else from
scoring one architecture here first; that score is kept, so the run does not pay for it twice. A page that
scores one or two architectures (Activation patterns, Compare) asks `one` first: over `AT_ONCE_SECONDS` it
waits for a click too (ResNet-50 at 224 px and B = 128 scores for half a minute).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import pandas as pd
import streamlit as st

from swap_engine.columns import Column
from ui import engine
from ui.state import Settings

_LAUNCHED = "_launched_runs"  # page key -> the job list its button started (one per page)
_MEASURED = "_measured_seconds"  # (settings, arch) -> seconds one scoring took here
_EXPECTED = "_expected_seconds"  # (settings, arch) -> (seconds, where from): `expected`'s answers, kept
_ASKED = "_asked_scorings"  # page key -> the settings and architectures its button started
_SIZED = "_sized_seconds"  # (settings, arch) -> seconds its size alone suggested (`size_seconds`)
_PACE = "_size_pace"  # the last 8 scorings' seconds over what their size suggested
MAX_MEASURED = 64
AT_ONCE_SECONDS = 3.0  # a page's own scoring expected to take longer waits for a click
FLOPS_PER_SECOND = 15e9  # a scoring's forward pass on the CPU (`size_seconds`)
VALUES_PER_SECOND = 15e6  # activation values SWAP reads, packs and counts per second on the CPU
GPU_SPEEDUP = 30.0
PACE_SECONDS = 1.0  # a scoring at least this long tells the pace of this machine


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


def one(settings: Settings, archs: list[str], *, key: str, what: str) -> bool:
    """True when the page may score `archs` now: together they are expected to take at most `AT_ONCE_SECONDS`,
    or the button was pressed for them at these settings. Otherwise draws the button that says how long
    ("Score this architecture (about 32 s)") and returns False; other settings or architectures ask again."""
    asked = st.session_state.setdefault(_ASKED, {})
    token = (dataclasses.replace(settings, n_archs=0), tuple(archs))
    if asked.get(key) == token:
        return True
    estimates = [expected(settings, arch) for arch in archs]
    seconds = sum(s for s, _ in estimates)
    if seconds <= AT_ONCE_SECONDS:
        return True
    slot = st.empty()
    if slot.button(f"Score {what} (about {duration(seconds)})", key=f"{key}_go", type="primary",
                   icon=":material/play_arrow:"):
        asked[key] = token
        slot.empty()  # pressed: the results take its place
        return True
    sources = "; ".join(dict.fromkeys(source for _, source in estimates))
    st.caption(f"Nothing is scored until you press the button: at B = {settings.batch_size} this takes about "
               f"{duration(seconds)} ({sources}).")
    return False


def expected(settings: Settings, arch: str) -> tuple[float, str]:
    """(seconds one scoring of `arch` should take here, where that number comes from in words), before it
    starts: its own time here before, the atlas's for this cell at this setting, else its size (`size_seconds`).
    Kept per session, so a rerun asks nothing new."""
    known = st.session_state.setdefault(_EXPECTED, {})
    if (settings, arch) in known:
        return known[(settings, arch)]
    measured = st.session_state.get(_MEASURED, {})
    times = _atlas_seconds(settings)
    if (settings, arch) in measured:
        answer = measured[(settings, arch)], "as it took here before"
    elif times is not None and arch in times.index:
        answer = float(times[arch]), "the atlas's time for this cell"
    else:
        answer = size_seconds(settings, arch)
    known[(settings, arch)] = answer
    while len(known) > MAX_MEASURED:
        known.pop(next(iter(known)))
    return answer


def size_seconds(settings: Settings, arch: str) -> tuple[float, str]:
    """(seconds, in words) from the model's size at this batch (`models.cost`, counted on the meta device,
    nothing run): FLOPs at `FLOPS_PER_SECOND` plus the values SWAP reads at `VALUES_PER_SECOND`, rates of a busy
    two-core CPU (right within a factor of about 3 for ResNet-50 at 224 px and DARTS' full network), or
    `GPU_SPEEDUP` times faster on CUDA; once scorings of a second or more were timed here (`remember`), at
    their pace instead."""
    flops, values = _cost(settings, arch)
    seconds = (flops / FLOPS_PER_SECOND + values / VALUES_PER_SECOND) * settings.repeats
    if settings.device.startswith("cuda"):
        seconds /= GPU_SPEEDUP
    st.session_state.setdefault(_SIZED, {})[(settings, arch)] = seconds
    pace = sorted(st.session_state.get(_PACE, []))
    if not pace:
        return seconds, "estimated from the network's size: its FLOPs and the neurons SWAP reads"
    return (seconds * pace[len(pace) // 2],
            "estimated from the network's size, at the pace of the scorings timed here")


@st.cache_data(show_spinner="Sizing the network ...", max_entries=256)
def _cost(settings: Settings, arch: str) -> tuple[float, int]:
    from swap_engine import models, spaces

    space = spaces.get(settings.space)
    batch = engine.inputs(settings.input, settings.batch_size, settings.resolution, settings.device)
    parsed, options = space.parse(arch), settings.build_kwargs()
    models.check(space, parsed, options, inputs=batch, device=settings.device)  # bad options, too big: said now
    try:
        return models.cost(space, parsed, options, batch)
    except Exception:  # a forward that reads values cannot run on the meta device: unsized, it scores at once
        return 0.0, 0


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
    guess = st.session_state.get(_EXPECTED, {}).get((settings, arch))
    if guess is not None and guess[0] > 0:
        return f"Scoring at B = {settings.batch_size} (about {duration(guess[0])}) ..."
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
    """Keep how long one scoring took here (the next estimate at this setting reads it); one of a second or
    more that was sized first also sets the pace of the estimates from size (short ones are mostly noise)."""
    known = st.session_state.setdefault(_MEASURED, {})
    first = (settings, arch) not in known  # a page redrawn from the cache times nothing new
    known[(settings, arch)] = seconds
    st.session_state.get(_EXPECTED, {}).pop((settings, arch), None)  # measured now: no longer a guess
    while len(known) > MAX_MEASURED:
        known.pop(next(iter(known)))
    sized = st.session_state.get(_SIZED, {}).get((settings, arch))
    if first and sized and seconds >= PACE_SECONDS:
        pace = st.session_state.setdefault(_PACE, [])
        pace[:] = pace[-7:] + [seconds / sized]
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
