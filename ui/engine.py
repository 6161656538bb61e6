"""The app's only door to the engine: cached library calls, long runs with progress and Stop, and error display.

Models, tables and input batches are `st.cache_resource` (shared, never copied); scores are `st.cache_data`
keyed by every setting they depend on, so moving a slider back to an earlier value is instant.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import pandas as pd
import streamlit as st
import torch

import swap_engine
from swap_engine import analysis, data, resources, search, spaces
from ui.state import Regularization, Settings

CORE_COLUMNS = ("arch", "batch_size", "raw_score", "params", "neurons", "bound", "ternary", "seconds")


@st.cache_resource(show_spinner="Loading the benchmark table ...")
def benchmark(name: str) -> pd.DataFrame:
    """The ground-truth table (shared between sessions: never modify it in place)."""
    return data.benchmark(name)


@st.cache_resource(show_spinner="Preparing the input batch ...", max_entries=64)
def inputs(name: str, batch_size: int, resolution: int | None, device: str):
    """The batch every model of a setting sees (the first B items, as in the reference setup)."""
    return data.inputs(name, batch_size, resolution=resolution, device=device)


def _scoring_key(settings: Settings) -> Settings:
    # The number of archs to sample does not change one arch's score; keep it out of the cache key.
    return dataclasses.replace(settings, n_archs=0)


@st.cache_data(show_spinner=False, max_entries=50_000)
def _score(settings: Settings, arch_text: str, keep_patterns: int) -> swap_engine.SwapResult:
    space = spaces.get(settings.space)
    arch = space.parse(arch_text)
    with torch.random.fork_rng(devices=[]):  # initial weights follow the sidebar's seed; global RNG untouched
        torch.manual_seed(settings.seed)
        model = space.build(arch, **settings.build_kwargs())
    batch = inputs(settings.input, settings.batch_size, settings.resolution, settings.device)
    return swap_engine.swap_score(
        model, batch, repeats=settings.repeats, reinit="gaussian" if settings.reinit else None,
        seed=settings.seed, keep_patterns=keep_patterns, device=settings.device)


def score(settings: Settings, arch_text: str, keep_patterns: int = 0) -> swap_engine.SwapResult:
    """Raw (unregularised) SWAP result of one architecture; regularise afterwards with `regularize`."""
    return _score(_scoring_key(settings), arch_text, keep_patterns)


def regularize(raw: pd.Series | float, params: pd.Series | float, reg: Regularization):
    """Apply the library's parameter-count factor to stored raw scores (no rescoring)."""
    if not reg.on:
        return raw
    if isinstance(params, pd.Series):
        factors = params.map(lambda p: swap_engine.regularization_factor(p, reg.mu, reg.sigma))
        return raw * factors
    return raw * swap_engine.regularization_factor(params, reg.mu, reg.sigma)


@st.cache_data(show_spinner=False)
def sample_archs(space_name: str, n: int, seed: int) -> list[str]:
    space = spaces.get(space_name)
    return [space.format(arch) for arch in space.sample(n, seed)]


def benchmark_sample(name: str, n: int, seed: int) -> pd.DataFrame:
    """`n` seeded rows of a ground-truth table (all of it when smaller), one per architecture."""
    table = benchmark(name).drop_duplicates("arch")  # e.g. flexibert-500 lists a few archs twice
    return table.sample(n=min(n, len(table)), random_state=seed).reset_index(drop=True)


# Whole-space tables this project computed itself (sample_data/README.md says how), valid for one setting.
PRECOMPUTED = {
    "nb201": ("nb201_swap_b16.csv", "nb201_index",
              dict(batch_size=16, input="cifar10", resolution=32, seed=0, repeats=1, reinit=False, build_options="")),
}


def precomputed(settings: Settings) -> pd.DataFrame | None:
    """Every architecture's raw SWAP-Score for these settings, joined with ground truth when present."""
    entry = PRECOMPUTED.get(settings.space)
    if entry is None or any(getattr(settings, k) != v for k, v in entry[2].items()):
        return None
    return _precomputed_table(settings.space)


@st.cache_resource(show_spinner="Loading the precomputed scores ...")
def _precomputed_table(space_name: str) -> pd.DataFrame:
    file, key, _ = PRECOMPUTED[space_name]
    scores = pd.read_csv(resources.sample_data_path(file))
    try:
        return scores.merge(benchmark(spaces.get(space_name).benchmark), on=key, how="left")
    except data.MissingDataError:
        return scores


@st.cache_data(show_spinner="Bootstrapping confidence intervals ...")
def correlate(scores: tuple[float, ...], targets: tuple[float, ...], seed: int, n_boot: int = 1000):
    return analysis.correlate(list(scores), list(targets), seed=seed, n_boot=n_boot)


@st.cache_resource(show_spinner="Loading ground truth ...")
def ground_truth(space_name: str, target: str | None) -> tuple[str, dict[str, float]]:
    """(target column, arch text -> true value) for a space; shared, never modify it."""
    return search.ground_truth(spaces.get(space_name), target)


class AppFitness:
    """Search fitness through the app's cached scorer: sidebar model options apply and scores are shared."""

    def __init__(self, settings: Settings, reg: Regularization) -> None:
        self._settings, self._reg = settings, reg
        # What identifies this fitness in a saved search history.
        self.settings = {"metric": "swap", **dataclasses.asdict(_scoring_key(settings)),
                         "regularize": [reg.mu, reg.sigma] if reg.on else None}

    def __call__(self, arch) -> search.Score:
        result = score(self._settings, spaces.get(self._settings.space).format(arch))
        value = regularize(result.raw_score, result.params, self._reg)
        return search.Score(float(value), raw=result.raw_score, params=result.params)


def run_jobs(jobs: list[tuple[Settings, str]], *, key: str, label: str = "Scoring") -> tuple[pd.DataFrame, bool]:
    """Score many (settings, arch) pairs with a progress bar and a Stop button.

    Partial results live in session state under the job list, so Stop, a widget change or a page switch
    keeps them, and coming back continues where it stopped. Returns the rows so far and whether all ran.
    """
    runs = st.session_state.setdefault("_runs", {})
    run = runs.setdefault((key, tuple(jobs)), {"rows": [], "errors": [], "next": 0, "stopped": False})
    finished = run["next"] >= len(jobs)
    col_stop, col_resume, col_info = st.columns([1, 1, 4])
    if col_stop.button("Stop", key=f"{key}_stop", disabled=finished or run["stopped"]):
        run["stopped"] = True
        st.rerun()  # redraw the buttons in their new state
    if col_resume.button("Resume", key=f"{key}_resume", disabled=finished or not run["stopped"]):
        run["stopped"] = False
        st.rerun()
    if not finished and not run["stopped"]:
        bar = st.progress(run["next"] / len(jobs), text=f"{label}: {run['next']} / {len(jobs)}")
        while run["next"] < len(jobs):
            settings, arch = jobs[run["next"]]
            try:
                result = score(settings, arch)
            except data.MissingDataError:
                raise
            except Exception as err:  # one bad arch must not end the run; a systematic failure does
                if not run["rows"]:
                    raise
                run["errors"].append((arch, f"{type(err).__name__}: {err}"))
            else:
                run["rows"].append(_row(settings, arch, result))
            run["next"] += 1
            bar.progress(run["next"] / len(jobs), text=f"{label}: {run['next']} / {len(jobs)}")
        st.rerun()  # redraw with the run finished (Stop disabled); every score is stored, so this is quick
    done = run["next"] >= len(jobs)
    if not done:
        col_info.info(f"Stopped after {run['next']} of {len(jobs)}; showing partial results. Resume continues.")
    if run["errors"]:
        arch, message = run["errors"][0]
        st.warning(f"{len(run['errors'])} architecture(s) could not be scored; first: {arch}: {message}")
    # A copy first: after Stop, the interrupted run's thread can still append one row while this one reads.
    rows = list(run["rows"])
    return pd.DataFrame(rows, columns=None if rows else list(CORE_COLUMNS)), done


def _row(settings: Settings, arch: str, result: swap_engine.SwapResult) -> dict:
    space = spaces.get(settings.space)
    row = {"arch": arch, "batch_size": settings.batch_size, "raw_score": result.raw_score,
           "params": result.params, "neurons": result.neurons, "bound": result.bound, "ternary": result.ternary,
           "seconds": result.seconds}
    for name, value in space.properties(space.parse(arch)).items():
        row[name if name not in row else f"prop_{name}"] = value
    return row


def property_columns(table: pd.DataFrame) -> list[str]:
    """Columns that came from `space.properties` (what the distribution can be split by)."""
    return [c for c in table.columns if c not in CORE_COLUMNS]


def guard(body: Callable[[], None]) -> None:
    """Run a page body; library errors become a readable message, never a traceback."""
    try:
        body()
    except data.MissingDataError as err:
        show_missing(err)
    except Exception as err:
        st.error(f"{type(err).__name__}: {err}")


def show_missing(err: Exception) -> None:
    st.warning(f"Data missing: {err}")
    st.caption("Gaussian-noise and random-token inputs need no files, and the zoo's ground truth ships "
               "with torchvision.")
    st.page_link("pages/about.py", label="Fetch it on the About / data page", icon=":material/download:")
