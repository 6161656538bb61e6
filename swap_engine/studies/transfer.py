"""A recipe chosen on NB201, applied unchanged to another benchmark: its columns scored on that benchmark's cells.

The recipe reads atlas columns (`swap_stage2_b16`, `jacov_b64`, `params`, ...); here they are computed with
the atlas's own settings (`atlas.settings`: the first CIFAR-10 training images, train mode, every model built
from `torch.manual_seed(0)`) on the benchmark's architectures, through the job runner, so a run cut short
resumes from its store. Label-free terms (`@reg=max`) take the benchmark's own parameter counts, and ranks are
taken among its cells: nothing is re-fitted. Where scoring every cell is too slow (NB101's full-size
networks), a seeded random subset is scored and the row says so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from swap_engine import atlas
from swap_engine.recipe import Recipe
from swap_engine.runner import Job, Store

TARGET = "cifar10_valid_acc_pct"  # what both DARTS-1k and NB101-500 publish for every cell
SPACES = {"darts-1k": "darts", "nb101-500": "nb101"}


def parse(text: str) -> list[tuple[str, int | None]]:
    """`darts-1k,nb101-500:100` -> [("darts-1k", None), ("nb101-500", 100)] (a count: that many seeded cells)."""
    chosen = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, count = item.partition(":")
        if name not in SPACES:
            raise ValueError(f"unknown transfer benchmark {name!r}; known: {', '.join(SPACES)}")
        if count and (not count.isdigit() or int(count) < 3):
            raise ValueError(f"{item!r}: the number of cells must be an integer of at least 3")
        chosen.append((name, int(count) if count else None))
    return chosen


def cells(benchmark: str, count: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The benchmark's table (canonical `arch` texts), or a seeded random subset of `count` rows of it;
    `attrs["benchmark_cells"]`: how many the whole benchmark has."""
    from swap_engine import data, spaces

    space = spaces.get(SPACES[benchmark])
    table = data.benchmark(benchmark)
    total = len(table)
    if count is not None and count < total:
        rows = np.sort(np.random.default_rng([seed, 3]).choice(total, count, replace=False))
        table = table.iloc[rows]
    table = table.assign(arch=[space.format(space.parse(a)) for a in table["arch"]]).reset_index(drop=True)
    table.attrs["benchmark_cells"] = total
    return table


def jobs(benchmark: str, archs: list[str], columns: list[str]) -> list[Job]:
    """One job per (architecture, proxy and batch size) the columns need; SWAP variants share one pass."""
    needs = sorted({atlas.job_of(c) for c in columns})
    return [Job(SPACES[benchmark], arch, proxy, atlas.proxy_settings(proxy, batch_size), atlas.SEED)
            for arch in archs for proxy, batch_size in needs]


def scores(recipe: Recipe, benchmark: str, *, count: int | None = None, seed: int = 0,
           store: str | Path | None = None, **runner_options: Any) -> pd.DataFrame:
    """The benchmark's cells with the recipe's columns (NaN where a job failed) and its score, `recipe`
    (`attrs["benchmark_cells"]` as `cells` sets it; `attrs["errors"]`: each failing proxy's first error)."""
    from swap_engine import runner

    table = cells(benchmark, count, seed)
    store = Store(store or f"results/transfer/{benchmark}.csv")
    runner.run(jobs(benchmark, list(table["arch"]), recipe.columns()), store, **runner_options)
    frame = table.join(atlas.wide("nb201", store, space=SPACES[benchmark]), on="arch")
    for column in recipe.columns():  # a column no job produced (every one failed) reads as missing
        if column not in frame:
            frame[column] = np.nan
    frame = frame.assign(recipe=recipe.score(frame))
    frame.attrs["benchmark_cells"] = table.attrs["benchmark_cells"]
    archs = set(table["arch"])
    errors: dict[str, str] = {}  # the first failure of each proxy on these cells, for the report
    for record in store.records():
        if record.failed and record.space == SPACES[benchmark] and record.arch in archs:
            errors.setdefault(record.proxy, record.error)
    frame.attrs["errors"] = errors
    return frame


__all__ = ["SPACES", "TARGET", "cells", "jobs", "parse", "scores"]
