"""A recipe read on one benchmark's atlas, the one way the Proxy lab, the families study's transfer matrix and
`swap-explorer lab` read it, so that the three show the same number for the same choice.

    frame = atlas_frame("nb201")                   # the atlas with its ground truth, as the app reads it
    values = scores(frame, Recipe.parse("log_rank:swap_b16+params"), "last")
    rows = cell_rows(len(frame), "report")         # the families study's reporting half
    correlation(values, frame["cifar10_test_acc_pct"], rows, n_boot=100)

Ranks are always taken over every measured cell of the atlas (a recipe is label-free), and only the statistic is
restricted to `rows`: every cell, or one of the families study's seeded halves of the measured cells (seed 0),
on which the transfer matrix reports. -inf is read by one rule (`recipe.NonFinite`).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

import numpy as np
import pandas as pd

from swap_engine import analysis
from swap_engine.columns import Column
from swap_engine.recipe import (SEARCH_BUDGET, NonFinite, Scorer, expected_best_of, ordered, proxy_columns, reads,
                                with_non_finite)
from swap_engine.studies import bootstrap
from swap_engine.studies.split import Split

CELLS = {"all": "every measured cell",
         "report": "the reporting half (the transfer matrix's)",
         "fit": "the fitting half (where the families study chose its recipes)"}
HALVES_SEED = 0  # the families study's halves (`families.fitted`, seed 0)


def atlas_frame(name: str) -> pd.DataFrame:
    """Atlas `name` joined with its ground truth, exactly as the app reads it (`ui.tables.joined`): NB201's
    whole-space atlas through `recipe_study.atlas` (the round-1 sample tables where its file is missing)."""
    from swap_engine import atlas
    from swap_engine.studies import recipe_study

    table = recipe_study.atlas(name) if atlas.spec(name).whole_space else None
    return atlas.with_truth(name, table)


def lacking_words(frame: pd.DataFrame, lacking: list[str]) -> str:
    """Why a recipe cannot be read here, in words: the columns it names that this atlas lacks, and for each the
    columns of the same proxy that it has (another benchmark measures other batch sizes)."""
    columns = proxy_columns(frame)
    said = []
    for name in lacking:
        stem = Column.parse(name).stem
        same = [c for c in columns if Column.parse(c).stem == stem and frame[c].notna().any()]
        said.append(f"{name} (it has {', '.join(same)})" if same else f"{name} (no {stem} column at all)")
    return "; ".join(said)


def cell_rows(n: int, cells: str = "all", seed: int = HALVES_SEED) -> np.ndarray:
    """Row positions of the measured cells a statistic is taken over: all `n`, or a seeded half (`Split.halves`,
    the families study's)."""
    if cells not in CELLS:
        raise ValueError(f"unknown cells {cells!r}; known: {', '.join(CELLS)}")
    if cells == "all":
        return np.arange(n)
    split = Split.halves(n, seed)
    return split.report if cells == "report" else split.fit


def scores(frame: pd.DataFrame, scorer: Scorer, rule: NonFinite | str = NonFinite.LAST) -> np.ndarray:
    """The scorer's value for every row of `frame` under the rule for -inf (ranked last, or dropped); NaN where a
    column it reads is missing."""
    rule = NonFinite(rule).value
    table = with_non_finite(frame, reads(scorer, frame), rule)
    return ordered(scorer.score(table), rule)


def correlation(values: np.ndarray, truth: np.ndarray | pd.Series, rows: np.ndarray | None = None, *,
                top_k: float = 0.1, n_boot: int = 0, seed: int = 0) -> analysis.Correlation:
    """Spearman, Kendall (bootstrap intervals) and top-k precision of `values` against `truth` on `rows`."""
    values = np.asarray(values, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if rows is not None:
        values, truth = values[rows], truth[rows]
    return analysis.correlate(values, truth, n_boot=n_boot, seed=seed, top_k=top_k)


def best_of_budget(values: np.ndarray, truth: np.ndarray | pd.Series, rows: np.ndarray | None = None
                   ) -> tuple[float, float, float]:
    """(scorer, random, oracle) on `rows`: the expected truth of the best-scored of `SEARCH_BUDGET` random cells,
    a random cell's, and the best of the same draw ranked by the truth itself; NaN below the budget."""
    values = np.asarray(values, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if rows is not None:
        values, truth = values[rows], truth[rows]
    known = ~(np.isnan(values) | np.isnan(truth))
    if known.sum() < SEARCH_BUDGET:
        return np.nan, np.nan, np.nan
    return (expected_best_of(values[known], truth[known]), float(truth[known].mean()),
            expected_best_of(truth[known], truth[known]))


@dataclass(frozen=True)
class Reading:
    """What the lab's summary shows for one recipe: its correlation, the best of `SEARCH_BUDGET` random cells
    (scorer, random, oracle), and against a second recipe the paired test (None without one)."""

    correlation: analysis.Correlation
    best_of: tuple[float, float, float]
    versus: bootstrap.Paired | None = None


def read(frame: pd.DataFrame, scorer: Scorer, target: str, *, cells: str = "all",
         rule: NonFinite | str = NonFinite.LAST, top_k: float = 0.1, n_boot: int = 0, seed: int = 0,
         versus: Scorer | None = None) -> Reading:
    """The lab's numbers for one choice, as the lab computes them (the command line prints these)."""
    if target not in frame.columns:
        raise ValueError(f"no ground truth {target!r} here; this atlas has {', '.join(frame.attrs.get('targets', []))}")
    lacking = [c for s in (scorer, versus) if s is not None for c in reads(s, frame) if c not in frame.columns]
    if lacking:
        raise ValueError(f"this atlas has no {lacking_words(frame, lacking)}")
    values = scores(frame, scorer, rule)
    truth = frame[target].to_numpy(dtype=np.float64)
    rows = cell_rows(len(frame), cells)
    paired = None
    if versus is not None:
        other = scores(frame, versus, rule)
        paired = bootstrap.paired(values[rows], other[rows], truth[rows], n_boot=n_boot, seed=seed)
    return Reading(correlation(values, truth, rows, top_k=top_k, n_boot=n_boot, seed=seed),
                   best_of_budget(values, truth, rows), paired)


PROGRAM = "swap-explorer"


def command_line(atlas: str, recipe: str, *, target: str, cells: str = "all", rule: str = "last",
                 top_k: float = 0.1, n_boot: int = 0, seed: int = 0, versus: str | None = None) -> str:
    """`swap-explorer lab ...`: the command that prints `read`'s numbers for these settings (the lab's
    "copy as command")."""
    parts = [PROGRAM, "lab", "--atlas", atlas, "--target", target, "--recipe", recipe]
    if cells != "all":
        parts += ["--cells", cells]
    if NonFinite(rule) != NonFinite.LAST:
        parts += ["--non-finite", NonFinite(rule).value]
    if top_k != 0.1:
        parts += ["--top-k", f"{top_k:g}"]
    parts += ["--n-boot", str(n_boot)]
    if seed:
        parts += ["--seed", str(seed)]
    if versus:
        parts += ["--versus", versus]
    return shlex.join(parts)


__all__ = ["CELLS", "HALVES_SEED", "PROGRAM", "Reading", "atlas_frame", "best_of_budget", "cell_rows", "command_line",
           "correlation", "lacking_words", "read", "scores"]
