"""The atlas as one wide table: built from the runner's store, written to parquet, read back, and turned back
into store records so that a fresh checkout resumes from the committed file."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from swap_engine.atlas.cells import cell_table
from swap_engine.atlas.specs import FAMILIES, SPECS, Spec, spec
from swap_engine.columns import Column, column, is_cost
from swap_engine.runner import Job, Record, Store

# Cells of an earlier whole-space table with the same settings (read for the columns it has).
EARLIER = {"nb201": ("nb201_swap_b16.csv", {"raw_score": "swap_b16", "params": "params",
                                            "neurons": "swap_neurons_b16"})}


def build(name: str, store: Store | str | Path, *, earlier: bool = True) -> pd.DataFrame:
    """The wide table from a runner store (failed jobs stay NaN), one row per cell of the atlas."""
    frame = cell_table(name).join(wide(name, store), on="arch")
    if earlier and name in EARLIER:
        frame = _fill_from_earlier(frame, name)
    return frame[[*frame.columns[:2], *sorted(frame.columns[2:], key=_column_order)]]


def _keys(chosen: Spec) -> dict[tuple[str, str], int]:
    """(proxy, settings key) -> batch size, for every job this atlas runs."""
    return {(proxy, Job(chosen.space, "", proxy, chosen.settings(proxy, size)).settings_key): size
            for proxy in chosen.proxies() for size in chosen.batch_sizes(proxy)}


def wide(name: str, store: Store | str | Path, *, space: str | None = None) -> pd.DataFrame:
    """The store's results under atlas `name`'s settings, one row per architecture text and one column per
    atlas column (and its `_seconds`); failed jobs are left out (NaN once joined). `space`: read the records of
    another space scored with these settings (a recipe's columns on another benchmark)."""
    chosen = spec(name)
    store = store if isinstance(store, Store) else Store(store)
    keys = _keys(chosen)
    space = space or chosen.space
    values: dict[str, dict[str, float]] = {}
    for record in store.records():
        if record.space == space:
            values.setdefault(record.arch, {}).update(_columns(record, keys))
    return pd.DataFrame.from_dict({arch: row for arch, row in values.items() if row}, orient="index")


def columns_of(name: str, records: list[Record]) -> dict[str, float]:
    """The atlas columns (and `_seconds`) that runner records under atlas `name`'s settings hold."""
    keys = _keys(spec(name))
    out: dict[str, float] = {}
    for record in records:
        out.update(_columns(record, keys))
    return out


def _columns(record: Record, keys: dict[tuple[str, str], int]) -> dict[str, float]:
    batch_size = keys.get((record.proxy, record.settings))
    if batch_size is None or record.failed:
        return {}  # another run's settings (e.g. AZ-NAS on images): not this atlas's column
    if record.proxy in FAMILIES:
        row = {f"{key}_b{batch_size}": value for key, value in record.values.items()}
    else:
        row = {column(record.proxy, batch_size): record.values.get(record.proxy, math.nan)}
    row[f"{column(record.proxy, batch_size)}_seconds"] = record.seconds
    return row


def _fill_from_earlier(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    from swap_engine.resources import sample_data_path

    file, columns = EARLIER[name]
    path = sample_data_path(file, must_exist=False)
    if not path.exists():
        return frame
    table = pd.read_csv(path).set_index("nb201_index")
    for source, target in columns.items():
        known = table[source].reindex(frame["nb201_index"]).to_numpy(dtype=float)
        current = frame[target].to_numpy(dtype=float) if target in frame else np.full(len(frame), np.nan)
        frame[target] = np.where(np.isnan(current), known, current)
    return frame


def _column_order(name: str) -> tuple:
    parsed = Column.parse(name)
    return (parsed.proxy != "swap", parsed.stem, parsed.batch or 0, is_cost(name))


def path(name: str) -> Path:
    """Where the atlas `name` is kept (in the package's sample data)."""
    from swap_engine.resources import sample_data_path

    if name not in SPECS:
        raise ValueError(f"no atlas for {name!r}; atlases: {', '.join(SPECS)}")
    return sample_data_path(SPECS[name].file, must_exist=False)


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


def available() -> list[str]:
    """The atlases this installation ships (their files exist), in `SPECS` order."""
    return [name for name in SPECS if path(name).exists()]


def load(name: str) -> pd.DataFrame:
    """The atlas `name`: one row per cell, float columns with NaN where not computed."""
    target = path(name)
    if not target.exists():
        raise FileNotFoundError(f"no atlas at {target}; compute it with `python -m swap_engine atlas --space {name}`")
    return load_file(target)


def load_file(target: str | Path) -> pd.DataFrame:
    """An atlas table from its file, float columns with NaN where not computed."""
    frame = pd.read_parquet(target)
    for name in frame.columns[2:]:
        frame[name] = frame[name].astype("float64")
    return frame


def records(frame: pd.DataFrame, name: str = "nb201") -> list[Record]:
    """The runner records an atlas table holds, so a new checkout's run resumes from the committed file.

    Only values the atlas computed itself come back (those with a `_seconds` column; the cells filled from an
    earlier table have none), and a SWAP record only with its variants, so nothing is marked done that the
    runner would not have stored.
    """
    chosen = spec(name)
    out = []
    for proxy in chosen.proxies():
        for batch_size in chosen.batch_sizes(proxy):
            main = column(proxy, batch_size)
            if f"{main}_seconds" not in frame.columns:
                continue
            if proxy in FAMILIES:
                names = [c for c in frame.columns if not is_cost(c) and Column.parse(c).proxy == proxy
                         and Column.parse(c).batch == batch_size]
            else:
                names = [main]
            seconds = frame[f"{main}_seconds"].to_numpy(dtype=float)
            values = frame[names].to_numpy(dtype=float)
            complete = ~np.isnan(seconds)
            if proxy == "swap" and f"swap_layersum_b{batch_size}" in frame.columns:
                complete &= ~np.isnan(frame[f"swap_layersum_b{batch_size}"].to_numpy(dtype=float))
            short = [n.removesuffix(f"_b{batch_size}") if proxy in FAMILIES else proxy for n in names]
            key = Job(chosen.space, "", proxy, chosen.settings(proxy, batch_size)).settings_key
            for i in np.flatnonzero(complete):
                out.append(Record(chosen.space, str(frame["arch"].iat[i]), proxy, key,
                                  dict(zip(short, map(float, values[i]), strict=True)), float(seconds[i])))
    return out


def coverage(frame: pd.DataFrame) -> pd.Series:
    """Share of cells with a value, per proxy column (the `_seconds` columns left out)."""
    columns = [c for c in frame.columns[2:] if not c.endswith("_seconds")]
    return frame[columns].notna().mean()


def measured_jobs(name: str, frame: pd.DataFrame) -> dict[str, int]:
    """Cells that hold each job of atlas `name` (`swap_b16`: SWAP's pass at B = 16 and all its variants; `az_b64`:
    AZ-NAS's three proxies), counted by the job's `_seconds` column; a job never run counts 0."""
    chosen = spec(name)
    out = {}
    for proxy in chosen.proxies():
        for size in chosen.batch_sizes(proxy):
            key = column(proxy, size)
            seconds = frame.get(f"{key}_seconds")
            out[key] = 0 if seconds is None else int(seconds.notna().sum())
    return out
