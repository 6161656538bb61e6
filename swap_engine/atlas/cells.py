"""The architectures of an atlas and the runner jobs that score them, cell by cell in a seeded random order
(so that a partial atlas is a uniform random sample of its benchmark)."""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
import pandas as pd

from swap_engine.atlas.specs import GROUPS, PROXY_BATCH_SIZE, SEED, Group, spec
from swap_engine.columns import BATCHLESS, Column
from swap_engine.runner import Job


def cell_table(name: str) -> pd.DataFrame:
    """One row per architecture of the atlas: its index column and `arch` (the space's canonical text).

    NB201 enumerates its space; every other atlas takes its benchmark's distinct architectures in the
    benchmark's row order (the benchmark's files are needed, as for its ground truth)."""
    return _cell_table(name).copy()


@functools.lru_cache(maxsize=8)
def _cell_table(name: str) -> pd.DataFrame:
    from swap_engine import data, spaces

    chosen = spec(name)
    space = spaces.get(chosen.space)
    if chosen.whole_space:
        archs = [space.format(space.from_index(i)) for i in range(space.size or 0)]
    else:
        table = data.benchmark(chosen.benchmark)
        archs = list(dict.fromkeys(space.format(space.parse(a)) for a in table["arch"]))
    return pd.DataFrame({chosen.index_column: np.arange(len(archs)), "arch": archs})


def cell_order(name: str, seed: int = SEED) -> np.ndarray:
    """All cell indices of an atlas in a seeded random order."""
    return np.random.default_rng([seed, 2]).permutation(len(_cell_table(name)))


def jobs(name: str, groups: Sequence[str] = ("first",), cells: Sequence[int] | None = None,
         only: Sequence[str] | None = None) -> list[Job]:
    """Runner jobs for the cells (default: all, in `cell_order`), every proxy of each cell together.

    `only` keeps some of the groups' proxies (`snip`) or proxy settings (`swap_b8`), so that cheap
    columns can cover the whole benchmark before the expensive ones do.
    """
    chosen = spec(name)
    for group in groups:
        if group not in GROUPS:
            raise ValueError(f"unknown atlas group {group!r}; known: {', '.join(GROUPS)}")
    wanted = _wanted(name, groups, only)
    archs = _cell_table(name)["arch"].to_numpy()
    order = list(cell_order(name)) if cells is None else list(cells)
    result = []
    for index in order:
        arch = str(archs[int(index)])
        for group_name in groups:
            group = GROUPS[group_name]
            if _outside_subset(name, group, int(index)):
                continue
            for proxy in chosen.proxies([group_name]):
                for batch_size in chosen.batch_sizes(proxy):
                    if wanted is None or (proxy, batch_size) in wanted:
                        result.append(Job(chosen.space, arch, proxy, chosen.settings(proxy, batch_size), SEED))
    return result


def cell_jobs(name: str, arch: str, columns: Sequence[str]) -> list[Job]:
    """The jobs that compute `columns` for one architecture (canonical text) under atlas `name`'s settings:
    a cell outside the atlas, scored live exactly as the atlas would have."""
    chosen = spec(name)
    needs = sorted({job_of(c) for c in columns})
    return [Job(chosen.space, arch, proxy, chosen.settings(proxy, size), SEED) for proxy, size in needs]


def _wanted(name: str, groups: Sequence[str], only: Sequence[str] | None) -> set[tuple[str, int]] | None:
    if only is None:
        return None
    chosen = spec(name)
    known = {(proxy, size) for proxy in chosen.proxies(list(groups)) for size in chosen.batch_sizes(proxy)}
    wanted = set()
    for item in only:
        parsed = Column.parse(item)
        picked = ({(parsed.stem, parsed.batch)} & known if parsed.batch is not None else set()) or {
            (proxy, size) for proxy, size in known if proxy == item}
        if not picked:
            choices = ", ".join(sorted({proxy for proxy, _ in known}))
            sizes = ", ".join(f"swap_b{b}" for b in chosen.swap_batch_sizes)
            raise ValueError(f"{item!r} is not a proxy of the chosen groups on {name} ({choices}); "
                             f"a batch size is written as {sizes}")
        wanted |= picked
    return wanted


def _outside_subset(name: str, group: Group, index: int) -> bool:
    if group.subset is None or group.subset >= len(_cell_table(name)):
        return False
    return _rank(name, index) >= group.subset


@functools.lru_cache(maxsize=8)
def _ranks(name: str) -> np.ndarray:
    order = cell_order(name)
    ranks = np.empty_like(order)
    ranks[order] = np.arange(len(order))
    return ranks


def _rank(name: str, index: int) -> int:
    return int(_ranks(name)[index])


def job_of(name: str) -> tuple[str, int]:
    """(proxy, batch size) of the job that computes an atlas column: `swap_stage2_b16` -> ("swap", 16)."""
    if name in BATCHLESS:
        return name, 1 if name == "flops" else PROXY_BATCH_SIZE
    parsed = Column.parse(name)
    if parsed.batch is None:
        raise ValueError(f"{name!r} is not an atlas column (<proxy>_b<B>, params or flops)")
    return parsed.proxy, parsed.batch
