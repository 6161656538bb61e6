"""The proxy atlas: every proxy on every cell of a space, one wide table, read back in milliseconds.

    frame = atlas.load("nb201")   # one row per cell: nb201_index, arch, swap_b16, swap_layersum_b32, params ...

Columns are `<proxy>_b<B>` where a batch size applies (`swap_b16`, `naswot_b64`) and `<proxy>` where none
does (`params`, `flops`); `<column>_seconds` is that proxy's seconds per cell (the SWAP variants of one
batch size share one pass, so only `swap_b<B>_seconds` exists). Missing values are NaN, never zero.

`jobs()` lists the runner jobs that fill it, cell by cell in a seeded random order, so that a partial
atlas is a uniform random sample of the space; `build()` pivots the runner's store into the table.
The settings are the app's defaults: the first CIFAR-10 training images, train mode, every model built
from `torch.manual_seed(0)`, one repeat.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from swap_engine.runner import Job, Record, Store

SEED = 0
SWAP_BATCH_SIZES = (8, 16, 32, 64)
PROXY_BATCH_SIZE = 64


@dataclass(frozen=True)
class Group:
    """Proxies computed together; `subset`: how many cells (a seeded random subset) when not all;
    `input`: the batch they read (`data.inputs`)."""

    name: str
    proxies: tuple[str, ...]
    description: str
    subset: int | None = None
    input: str = "cifar10"


GROUPS = {
    "first": Group("first", ("swap", "params", "flops", "naswot", "synflow", "jacov", "zico"),
                   "SWAP at B = 8, 16, 32, 64 with all its variants; params, flops; naswot, synflow, jacov, "
                   "zico at B = 64"),
    "label": Group("label", ("snip", "grad_norm", "grasp", "fisher", "zen"),
                   "label-gradient proxies and zen at B = 64, on a seeded subset of 3,000 cells", 3000),
    # AZ-NAS scores NB201 on a Gaussian batch (its code's default); on CIFAR-10 images its progressivity
    # ranks far worse (Spearman 0.25 against 0.68 on 250 seeded cells).
    "az": Group("az", ("az",), "AZ-NAS's expressivity, progressivity and trainability at B = 64, one pass "
                "on a Gaussian batch", input="gaussian"),
}
_INPUTS = sorted({group.input for group in GROUPS.values()})
# Jobs that store several columns from one pass: SWAP's variants, AZ-NAS's three proxies.
FAMILIES = ("swap", "az")
FILES = {"nb201": "nb201_atlas.parquet"}
# Cells of an earlier whole-space table with the same settings (read for the columns it has).
EARLIER = {"nb201": ("nb201_swap_b16.csv", {"raw_score": "swap_b16", "params": "params",
                                            "neurons": "swap_neurons_b16"})}


def settings(batch_size: int, input: str = "cifar10") -> dict[str, Any]:
    """The runner settings of one batch size and input (every group reads CIFAR-10 but `az`)."""
    return {"input": input, "batch_size": batch_size, "split": "train", "input_seed": None,
            "resolution": None, "seed": SEED, "model_options": {}, "proxy_options": {},
            "seeding": "torch.manual_seed(0) for every model"}


def proxy_settings(proxy: str, batch_size: int) -> dict[str, Any]:
    """The runner settings of an atlas job: its batch size and the input of the proxy's group."""
    return settings(batch_size, _input_of(proxy))


def _input_of(proxy: str) -> str:
    return next((g.input for g in GROUPS.values() if proxy in g.proxies), "cifar10")


def cell_order(space: str, seed: int = SEED) -> np.ndarray:
    """All cell indices of an enumerable space in a seeded random order."""
    from swap_engine import spaces

    size = spaces.get(space).size
    if size is None:
        raise ValueError(f"search space {space!r} is not enumerable: no atlas")
    return np.random.default_rng([seed, 2]).permutation(size)


def jobs(space: str, groups: Sequence[str] = ("first",), cells: Sequence[int] | None = None,
         only: Sequence[str] | None = None) -> list[Job]:
    """Runner jobs for the cells (default: all, in `cell_order`), every proxy of each cell together.

    `only` keeps some of the groups' proxies (`snip`) or proxy settings (`swap_b8`), so that cheap
    columns can cover the whole space before the expensive ones do.
    """
    from swap_engine import spaces

    search_space = spaces.get(space)
    order = list(cell_order(space)) if cells is None else list(cells)
    chosen = []
    for name in groups:
        if name not in GROUPS:
            raise ValueError(f"unknown atlas group {name!r}; known: {', '.join(GROUPS)}")
        chosen.append(GROUPS[name])
    wanted = _wanted(chosen, only)
    result = []
    for index in order:
        arch = search_space.format(search_space.from_index(int(index)))
        for group in chosen:
            if group.subset is not None and _subset_rank(space, int(index)) >= group.subset:
                continue
            for proxy in group.proxies:
                for batch_size in _batch_sizes(proxy):
                    if wanted is None or (proxy, batch_size) in wanted:
                        result.append(Job(space, arch, proxy, proxy_settings(proxy, batch_size), SEED))
    return result


def _wanted(groups: Sequence[Group], only: Sequence[str] | None) -> set[tuple[str, int]] | None:
    if only is None:
        return None
    known = {(proxy, size) for group in groups for proxy in group.proxies for size in _batch_sizes(proxy)}
    wanted = set()
    for name in only:
        match = re.fullmatch(r"(.+)_b(\d+)", name)
        picked = ({(match[1], int(match[2]))} & known if match else set()) or {
            (proxy, size) for proxy, size in known if proxy == name}
        if not picked:
            choices = ", ".join(sorted({proxy for proxy, _ in known}))
            raise ValueError(f"{name!r} is not a proxy of the chosen groups ({choices}); "
                             "a batch size is written as swap_b8")
        wanted |= picked
    return wanted


def _subset_rank(space: str, index: int) -> int:
    ranks = _RANKS.get(space)
    if ranks is None:
        order = cell_order(space)
        ranks = np.empty_like(order)
        ranks[order] = np.arange(len(order))
        _RANKS[space] = ranks
    return int(ranks[index])


_RANKS: dict[str, np.ndarray] = {}


def _batch_sizes(proxy: str) -> tuple[int, ...]:
    if proxy == "swap":
        return SWAP_BATCH_SIZES
    if proxy == "flops":
        return (1,)  # a per-sample count: one image is enough
    return (PROXY_BATCH_SIZE,)  # params needs no input, but sharing the B = 64 chunks keeps one model build


def column(proxy: str, batch_size: int) -> str:
    """The atlas column of a proxy value: `<proxy>_b<B>`, or `<proxy>` for params and flops."""
    return proxy if proxy in ("params", "flops") else f"{proxy}_b{batch_size}"


def build(space: str, store: Store | str | Path, *, earlier: bool = True) -> pd.DataFrame:
    """The wide table from a runner store (failed jobs stay NaN), one row per cell of the space."""
    from swap_engine import spaces

    search_space = spaces.get(space)
    size = search_space.size or 0
    archs = [search_space.format(search_space.from_index(i)) for i in range(size)]
    frame = pd.DataFrame({"nb201_index": np.arange(size), "arch": archs}) if space == "nb201" else \
        pd.DataFrame({"index": np.arange(size), "arch": archs})
    frame = frame.join(wide(space, store), on="arch")
    if earlier and space in EARLIER:
        frame = _fill_from_earlier(frame, space)
    return frame[[*frame.columns[:2], *sorted(frame.columns[2:], key=_column_order)]]


def wide(space: str, store: Store | str | Path) -> pd.DataFrame:
    """The store's results with atlas settings, one row per architecture text and one column per atlas
    column (and its `_seconds`); failed jobs are left out (NaN once joined)."""
    store = store if isinstance(store, Store) else Store(store)
    setting_of = {Job(space, "", "x", settings(b, batch_input)).settings_key: (batch_input, b)
                  for b in (1, *SWAP_BATCH_SIZES) for batch_input in _INPUTS}
    values: dict[str, dict[str, float]] = {}
    for record in store.records():
        if record.space != space or record.settings not in setting_of or record.failed:
            continue
        batch_input, batch_size = setting_of[record.settings]
        if batch_input != _input_of(record.proxy):  # e.g. AZ-NAS on images: not the atlas's column
            continue
        row = values.setdefault(record.arch, {})
        if record.proxy in FAMILIES:
            for name, value in record.values.items():
                row[f"{name}_b{batch_size}"] = value
        else:
            row[column(record.proxy, batch_size)] = record.values.get(record.proxy, math.nan)
        row[f"{column(record.proxy, batch_size)}_seconds"] = record.seconds
    return pd.DataFrame.from_dict(values, orient="index")


def job_of(name: str) -> tuple[str, int]:
    """(proxy, batch size) of the job that computes an atlas column: `swap_stage2_b16` -> ("swap", 16)."""
    if name in ("params", "flops"):
        return name, _batch_sizes(name)[0]
    match = re.fullmatch(r"(.+)_b(\d+)", name)
    if match is None:
        raise ValueError(f"{name!r} is not an atlas column (<proxy>_b<B>, params or flops)")
    proxy = next((f for f in FAMILIES if match[1] == f or match[1].startswith(f + "_")), match[1])
    return proxy, int(match[2])


def _fill_from_earlier(frame: pd.DataFrame, space: str) -> pd.DataFrame:
    from swap_engine.resources import sample_data_path

    name, columns = EARLIER[space]
    path = sample_data_path(name, must_exist=False)
    if not path.exists():
        return frame
    table = pd.read_csv(path).set_index("nb201_index")
    for source, target in columns.items():
        known = table[source].reindex(frame["nb201_index"]).to_numpy(dtype=float)
        current = frame[target].to_numpy(dtype=float) if target in frame else np.full(len(frame), np.nan)
        frame[target] = np.where(np.isnan(current), known, current)
    return frame


def _column_order(name: str) -> tuple:
    base = name.removesuffix("_seconds")
    proxy, _, batch = base.rpartition("_b")
    if not batch.isdigit():
        proxy, batch = base, "0"
    return (proxy != "swap" and not proxy.startswith("swap_"), proxy, int(batch), name.endswith("_seconds"))


def path(space: str) -> Path:
    """Where the atlas of `space` is kept (in the package's sample data)."""
    from swap_engine.resources import sample_data_path

    if space not in FILES:
        raise ValueError(f"no atlas for search space {space!r}; atlases: {', '.join(FILES)}")
    return sample_data_path(FILES[space], must_exist=False)


def save(frame: pd.DataFrame, target: str | Path) -> None:
    """Parquet with integer columns where the values are whole numbers; written atomically."""
    compact = frame.copy()
    for name in compact.columns[2:]:
        values = compact[name]
        if name.endswith("_seconds"):
            compact[name] = values.astype("float32")
        elif values.notna().any() and np.all(np.mod(values.dropna(), 1) == 0) and values.abs().max() < 2 ** 31:
            compact[name] = values.astype("Int32")
    target = Path(target)
    temporary = target.with_suffix(".tmp")
    compact.to_parquet(temporary, index=False, compression="zstd")
    temporary.replace(target)


def load(space: str) -> pd.DataFrame:
    """The atlas of `space`: one row per cell, float columns with NaN where not computed."""
    target = path(space)
    if not target.exists():
        raise FileNotFoundError(f"no atlas at {target}; compute it with `python -m swap_engine atlas --space {space}`")
    return load_file(target)


def load_file(target: str | Path) -> pd.DataFrame:
    """An atlas table from its file, float columns with NaN where not computed."""
    frame = pd.read_parquet(target)
    for name in frame.columns[2:]:
        frame[name] = frame[name].astype("float64")
    return frame


def records(frame: pd.DataFrame, space: str = "nb201") -> list[Record]:
    """The runner records an atlas table holds, so a new checkout's run resumes from the committed file.

    Only values the atlas computed itself come back (those with a `_seconds` column; the cells filled from an
    earlier table have none), and a SWAP record only with its variants, so nothing is marked done that the
    runner would not have stored.
    """
    out = []
    proxies = {proxy: _batch_sizes(proxy) for group in GROUPS.values() for proxy in group.proxies}
    for proxy, sizes in proxies.items():
        for batch_size in sizes:
            name = column(proxy, batch_size)
            if f"{name}_seconds" not in frame.columns:
                continue
            if proxy in FAMILIES:
                names = [c for c in frame.columns if c.startswith(proxy) and c.endswith(f"_b{batch_size}")]
            else:
                names = [name]
            seconds = frame[f"{name}_seconds"].to_numpy(dtype=float)
            values = frame[names].to_numpy(dtype=float)
            complete = ~np.isnan(seconds)
            if proxy == "swap" and f"swap_layersum_b{batch_size}" in frame.columns:
                complete &= ~np.isnan(frame[f"swap_layersum_b{batch_size}"].to_numpy(dtype=float))
            short = [n.removesuffix(f"_b{batch_size}") if proxy in FAMILIES else proxy for n in names]
            key = Job(space, "", "x", proxy_settings(proxy, batch_size)).settings_key
            for i in np.flatnonzero(complete):
                out.append(Record(space, str(frame["arch"].iat[i]), proxy, key,
                                  dict(zip(short, map(float, values[i]), strict=True)), float(seconds[i])))
    return out


def coverage(frame: pd.DataFrame) -> pd.Series:
    """Share of cells with a value, per proxy column (the `_seconds` columns left out)."""
    columns = [c for c in frame.columns[2:] if not c.endswith("_seconds")]
    return frame[columns].notna().mean()


__all__ = ["GROUPS", "PROXY_BATCH_SIZE", "SWAP_BATCH_SIZES", "build", "cell_order", "column", "coverage",
           "job_of", "jobs", "load", "load_file", "path", "proxy_settings", "records", "save", "settings", "wide"]
