"""The app's only door to the engine: cached library calls, long runs with progress and Stop, and error display.

Models, tables and input batches are `st.cache_resource` (shared, never copied); scores are `st.cache_data`
keyed by every setting they depend on, so moving a slider back to an earlier value is instant.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
import logging
import threading
import time
from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

import swap_engine
from ui.labels import words as column_label
from swap_engine import data, models, search, spaces
from ui import messages
from ui.state import Regularization, Settings
from ui.tables import PRECOMPUTED, benchmark, precomputed_table, space_size

CORE_COLUMNS = ("arch", "batch_size", "raw_score", "params", "neurons", "bound", "ternary", "seconds")


@st.cache_resource(show_spinner="Preparing the input batch ...", max_entries=16)  # a sweep: B = 2 to 4096
def inputs(name: str, batch_size: int, resolution: int | None, device: str):
    """The batch every model of a setting sees (the first B items, as in the reference setup)."""
    return data.inputs(name, batch_size, resolution=resolution, device=device)


def _scoring_key(settings: Settings) -> Settings:
    # The number of archs to sample does not change one arch's score; keep it out of the cache key.
    return dataclasses.replace(settings, n_archs=0)


def _score(settings: Settings, arch_text: str, keep_patterns: int) -> swap_engine.SwapResult:
    """Every scoring's one door (tests wrap it); results go to a cache sized for what they hold."""
    if keep_patterns:
        return _score_with_patterns(settings, arch_text, keep_patterns)
    return _score_plain(settings, arch_text)


@st.cache_data(show_spinner=False, max_entries=50_000)  # about 1 KB each: ~50 MB
def _score_plain(settings: Settings, arch_text: str) -> swap_engine.SwapResult:
    return _compute(settings, arch_text, 0)


# With a pattern sample a result holds keep_patterns x B bytes (about 200 KB at B = 1024): few of them.
@st.cache_data(show_spinner=False, max_entries=256)
def _score_with_patterns(settings: Settings, arch_text: str, keep_patterns: int) -> swap_engine.SwapResult:
    return _compute(settings, arch_text, keep_patterns)


def _compute(settings: Settings, arch_text: str, keep_patterns: int) -> swap_engine.SwapResult:
    space = spaces.get(settings.space)
    batch = inputs(settings.input, settings.batch_size, settings.resolution, settings.device)
    # the CLI's and the runner's path: the same weights (the sidebar's seed) and threads, so the same count
    return models.score_cell(space, space.parse(arch_text), batch, options=settings.build_kwargs(),
                             seed=settings.seed, device=settings.device, repeats=settings.repeats,
                             reinit="gaussian" if settings.reinit else None, keep_patterns=keep_patterns)


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


# Crushed: the factor is below this for every architecture, so scores are ~0 and ranks follow the size alone.
CRUSHED = 1e-3


def regularization_factors(params: pd.Series | float, reg: Regularization) -> np.ndarray:
    values = np.atleast_1d(np.asarray(params, dtype=float))
    return np.array([swap_engine.regularization_factor(p, reg.mu, reg.sigma) for p in values])


def warn_if_crushed(params: pd.Series | float, reg: Regularization) -> bool:
    """A visible warning when the regularisation factor crushes every score; True when it did."""
    if not reg.on:
        return False
    factors = regularization_factors(params, reg)
    if not len(factors) or factors.max() >= CRUSHED:
        return False
    thousands = np.atleast_1d(np.asarray(params, dtype=float)) / 1000
    st.warning(
        f"The regularisation crushes {'every score' if len(factors) > 1 else 'this score'}: the factor "
        f"exp(-(params/1000 - mu)^2 / sigma) is at most {factors.max():.2g} here, because mu = {reg.mu:g} "
        f"is far from these networks' sizes ({np.median(thousands):,.0f} thousand parameters"
        f"{' (median)' if len(thousands) > 1 else ''}) for sigma = {reg.sigma:g}. Scores shrink towards 0 and "
        "their order follows the parameter count, not SWAP. Untick and tick regularisation to reset mu and "
        "sigma to this space's own values.", icon=":material/warning:")
    return True


def clamp_archs(space_name: str, n: int, what: str = "architectures") -> int:
    """`n`, or every architecture of a smaller space, with a caption saying so."""
    size = space_size(space_name)
    if size is not None and n > size:
        st.caption(f"{space_name} holds only {size:,} {what}; using all {size:,} instead of {n:,}.")
        return size
    return n


@st.cache_data(show_spinner=False, max_entries=64)  # up to 5,000 texts each
def sample_archs(space_name: str, n: int, seed: int) -> list[str]:
    """`n` distinct seeded architectures (all of them when the space is smaller)."""
    space = spaces.get(space_name)
    size = space_size(space_name)
    return [space.format(arch) for arch in space.sample(n if size is None else min(n, size), seed)]


def benchmark_sample(name: str, n: int, seed: int) -> pd.DataFrame:
    """`n` seeded rows of a ground-truth table (all of it when smaller), one per architecture."""
    table = benchmark(name).drop_duplicates("arch")  # e.g. flexibert-500 lists a few archs twice
    return table.sample(n=min(n, len(table)), random_state=seed).reset_index(drop=True)


def precomputed(settings: Settings) -> pd.DataFrame | None:
    """Every architecture's raw SWAP-Score for these settings, joined with ground truth when present."""
    entry = PRECOMPUTED.get(settings.space)
    if entry is None or any(getattr(settings, k) != v for k, v in entry[2].items()):
        return None
    return precomputed_table(settings.space)


@st.cache_data(show_spinner="Bootstrapping confidence intervals ...", max_entries=256)  # a few numbers each
def correlate(scores: tuple[float, ...], targets: tuple[float, ...], seed: int, n_boot: int = 1000):
    from swap_engine import analysis  # scipy: loaded by the first page that correlates, not at start

    return analysis.correlate(list(scores), list(targets), seed=seed, n_boot=n_boot)


@st.cache_resource(show_spinner="Loading ground truth ...", max_entries=4)  # NB201: 15,625 archs each
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


LIVE_SECONDS = 1.0  # how often a running job list redraws its partial results
POLL_SECONDS = 0.2  # how often the page checks the worker (and so how soon Stop and page changes act)
UNWATCHED_SECONDS = 5.0  # a worker whose page stopped watching pauses; coming back continues it
MAX_RUNS = 16  # job lists whose partial results a session keeps (a run of 5,000 rows: about 5 MB)


class _QuietWorkers(logging.Filter):
    """Cached functions called from our worker threads log 'missing ScriptRunContext'; that is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.threadName.startswith("swap-run")


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietWorkers())


@dataclass(eq=False)
class Run:
    """One job list's progress in a session (`run_jobs`): the rows scored so far, the architectures that failed
    (text, why), the next job, whether Stop was pressed, each job's seconds, the worker thread, an error that ends
    the run, and when the page last watched it. The worker appends; the page reads."""

    rows: list[dict] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    next: int = 0
    stopped: bool = False
    seconds: list[float] = field(default_factory=list)
    worker: threading.Thread | None = None
    fatal: Exception | None = None
    watched: float = 0.0


def _work(run: Run, jobs: list[tuple[Settings, str]]) -> None:
    """Score the remaining jobs in order (a worker thread: no Streamlit calls) until done, stopped or unwatched."""
    while run.next < len(jobs) and not run.stopped:
        if time.monotonic() - run.watched > UNWATCHED_SECONDS:
            break  # the page was left; its next run starts a worker again
        settings, arch = jobs[run.next]
        started = time.perf_counter()
        try:
            result = score(settings, arch)
        except data.MissingDataError as err:
            run.fatal = err
            break
        except Exception as err:  # one bad arch must not end the run; a systematic failure does
            if not run.rows and len(run.errors) >= 2:
                run.errors.append((arch, f"{type(err).__name__}: {err}"))
                run.fatal = err
                break
            run.errors.append((arch, f"{type(err).__name__}: {err}"))
        else:
            run.rows.append(_row(settings, arch, result))
        run.seconds.append(time.perf_counter() - started)
        run.next += 1


def _eta(run: Run, total: int) -> str:
    left = total - run.next
    if not run.seconds or left <= 0:
        return ""
    recent = run.seconds[-20:]
    seconds = left * sum(recent) / len(recent)
    if seconds < 90:
        return f", about {seconds:.0f} s left"
    return f", about {seconds / 60:.0f} min left" if seconds < 5400 else f", about {seconds / 3600:.1f} h left"


def run_jobs(jobs: list[tuple[Settings, str]], *, key: str, label: str = "Scoring",
             draw: Callable[[pd.DataFrame], None] | None = None) -> tuple[pd.DataFrame, bool]:
    """Score many (settings, arch) pairs with a progress bar (and ETA), live partial results and a Stop button.

    A worker thread scores; the page polls it every `POLL_SECONDS`, so Stop (and any widget change or page
    switch) acts within a fraction of a second, while the architecture being scored finishes in the
    background and is kept. `draw(partial_table)` is called about every `LIVE_SECONDS` while the run goes,
    into a box that each call replaces (chart keys must differ per call: `live_key` gives them).
    Partial results live in session state under the job list, so Stop, a widget change or a page switch keeps
    them, and coming back continues where it stopped. Returns the rows so far and whether all ran.
    """
    runs = st.session_state.setdefault("_runs", {})
    run = runs.setdefault((key, tuple(jobs)), Run())
    for other_key, other in runs.items():  # one live run per page: a changed setting pauses the older one
        if other is not run and other_key[0] == key:
            other.watched = 0.0
    _forget_old_runs(runs, run)
    finished = run.next >= len(jobs)
    col_stop, col_resume, col_info = st.columns([1, 1, 4])
    if col_stop.button("Stop", key=f"{key}_stop", disabled=finished or run.stopped):
        run.stopped = True
        st.rerun()  # redraw the buttons in their new state
    if col_resume.button("Resume", key=f"{key}_resume", disabled=finished or not run.stopped):
        run.stopped = False
        st.rerun()
    if run.fatal is not None:
        err, run.fatal = run.fatal, None
        run.stopped = True
        raise err
    if not finished and not run.stopped:
        col_info.empty()  # a resumed run: the previous "Stopped after ..." box goes
        run.watched = time.monotonic()
        worker = run.worker
        if worker is None or not worker.is_alive():
            worker = run.worker = threading.Thread(target=_work, args=(run, jobs), daemon=True,
                                                      name=f"swap-run-{key}")
            worker.start()
        bar = st.progress(run.next / len(jobs), text=f"{label}: {run.next} / {len(jobs)}")
        live = st.empty()
        drawn, last_draw = -1, 0.0
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            run.watched = time.monotonic()
            done = run.next
            # Every Streamlit call is a point where a Stop click or a page switch ends this script run.
            bar.progress(done / len(jobs), text=f"{label}: {done} / {len(jobs)}{_eta(run, len(jobs))}")
            if (draw is not None and run.rows and len(run.rows) != drawn
                    and time.monotonic() - last_draw >= LIVE_SECONDS):
                drawn, last_draw = len(run.rows), time.monotonic()
                with live.container():
                    _live_counter()
                    draw(_table(run))
        if run.fatal is not None and not run.rows:
            err, run.fatal = run.fatal, None
            run.stopped = True
            raise err
        st.rerun()  # redraw with the run finished (Stop disabled); every score is stored, so this is quick
    done = run.next >= len(jobs)
    if not done:
        col_info.info(f"Stopped after {run.next} of {len(jobs)}; showing partial results. Resume continues.")
    if run.errors:
        arch, message = run.errors[0]
        messages.warning(f"{arch}: {message}", prefix=f"{len(run.errors)} architecture(s) could not be "
                         "scored and were skipped; the first: ")
    return _table(run), done


def _forget_old_runs(runs: dict, keep: Run) -> None:
    """A session keeps the partial results of its latest `MAX_RUNS` job lists (oldest first out; a run
    whose worker still scores stays), so an hour of changed settings does not hold every run ever made."""
    for old_key in [k for k, r in runs.items() if r is not keep][:max(0, len(runs) - MAX_RUNS)]:
        worker = runs[old_key].worker
        if worker is None or not worker.is_alive():
            del runs[old_key]


def _table(run: Run) -> pd.DataFrame:
    # A copy first: the worker thread can append a row while this one reads.
    rows = list(run.rows)
    return pd.DataFrame(rows, columns=None if rows else list(CORE_COLUMNS))


def _live_counter() -> int:
    n = st.session_state["_live_draws"] = st.session_state.get("_live_draws", 0) + 1
    return n


def live_key(name: str) -> str:
    """A chart key unique to the current live redraw (a key may appear once per script run)."""
    return f"{name}_live_{st.session_state.get('_live_draws', 0)}"


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


# --- words for column names, and the current architecture on a chart -------------------------------------

def mark_value(fig, x: float, label: str = "current architecture", *, row=None, col=None):
    """A vertical line at `x` (a histogram's current architecture)."""
    fig.add_vline(x=x, line=dict(color="#111111", dash="dash", width=2), annotation_text=label,
                  annotation_position="top", row=row, col=col)
    return fig


def mark_point(fig, x: float, y: float, label: str = "current architecture"):
    """A large star at (x, y) on a scatter, in the legend as `label`."""
    import plotly.graph_objects as go

    fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", name=label, hoverinfo="name",
                             marker=dict(symbol="star", size=18, color="#111111", line=dict(color="#ffffff", width=1))))
    return fig


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A table for reading: column names in words, seconds to the millisecond, other floats to 4 significant
    digits where they are not whole numbers, missing values as empty cells (not "None")."""
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            if values.isna().any() or (finite.abs() >= 1e12).any():
                # st.dataframe shows NaN as "None" and 1e30 as 31 digits: text reads better here
                shown[column] = values.map(_number_text)
            elif column == "seconds":
                shown[column] = values.round(3)
            elif finite.apply(float.is_integer).all():
                shown[column] = values.astype("Int64")
            else:
                shown[column] = values.map(lambda v: float(f"{v:.4g}"))
        elif values.dtype == object:
            shown[column] = values.where(values.notna(), "")
    return shown.rename(columns=column_label)


def _number_text(value: float) -> str:
    if pd.isna(value):
        return ""
    if abs(value) >= 1e12:
        return f"{value:.3g}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"
