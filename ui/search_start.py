"""What Search says before a search starts: how long it should take, and whether its models fit in memory.

A search is the page's long run, so its start button says how long (issue 32: anything over about 3 s starts
from a button that says so), from one evaluation timed here as the search runs it. A model
option too large for the memory limit is refused before the start, in words, instead of a hundred evaluations
that all fail: one model stands for every cell (the space's largest where it has one, else a sampled one).
"""
from __future__ import annotations

import time

import streamlit as st

from swap_engine import models, spaces
from ui import engine, launch, messages
from ui.state import Settings

DRAW_SHARE = 0.3  # the live chart's redraws, every half second of a search, as a share of its scoring time
MAX_TIMED = 16
_TIMED = "_search_seconds"  # settings -> seconds one evaluation took here


@st.cache_data(show_spinner="Checking that the search's models fit in memory ...", max_entries=64)
def refusal(settings: Settings) -> str | None:
    """Why a live-SWAP search with these settings cannot run, in words; None when its models fit."""
    space = spaces.get(settings.space)
    largest = space.largest()
    arch = largest if largest is not None else space.parse(engine.sample_archs(space.name, 1, settings.seed)[0])
    which = ("its largest cell, which every other cell fits within" if largest is not None
             else "one sampled architecture")
    try:
        batch = engine.inputs(settings.input, settings.batch_size, settings.resolution, settings.device)
        models.check(space, arch, settings.build_kwargs(), inputs=batch, device=settings.device)
    except ValueError as err:  # a ResourceError (over the memory limit) is one, a bad model option another
        return f"{err} (Checked on {which}.)"
    return None


def estimate(settings: Settings, budget: int, population: int) -> tuple[float | None, str]:
    """(seconds, where they come from in words) for `budget` new evaluations of live SWAP at these settings; None
    seconds where the one evaluation timed failed (the search records such a failure and goes on).

    One evaluation is timed here as the search runs it (the model built, then scored), once per setting: the
    search's own first cell, so the search finds it scored (the atlas's timings are of the scoring alone, on
    another machine, and a search builds every cell it meets)."""
    from swap_engine import data

    timed = st.session_state.setdefault(_TIMED, {})
    if settings not in timed:
        arch = engine.sample_archs(settings.space, population, settings.seed)[0]  # as `search.Search` draws it
        try:
            with st.spinner("Timing one evaluation to estimate the search ..."):
                started = time.perf_counter()
                result = engine.score(settings, arch)
        except data.MissingDataError:
            raise
        except Exception as err:  # noqa: BLE001 - any failure of one cell: said, and the search may still run
            return None, f"One evaluation could not be timed here ({messages.words(err)[:200]})."
        timed[settings] = max(time.perf_counter() - started, result.seconds)  # a cached score: its own time
        while len(timed) > MAX_TIMED:
            timed.pop(next(iter(timed)))
    each = timed[settings]
    per = launch.duration(each) if each >= 1 else f"{each:.2g} s"
    return each * budget * (1 + DRAW_SHARE), (
        f"{budget:,} evaluations at about {per} each, as one took here just now (built and scored), and about "
        f"{DRAW_SHARE:.0%} more for the live chart; revisits and cells scored before cost nothing.")


def label(seconds: float | None) -> str:
    """The start button's words."""
    return f"Start new search ({'time unknown' if seconds is None else f'about {launch.duration(seconds)}'})"


__all__ = ["DRAW_SHARE", "estimate", "label", "refusal"]
