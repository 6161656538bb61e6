"""A proxy's Spearman with accuracy within each kind of architecture of timm-in1k (CNN, vision transformer, MLP,
hybrid) and over all of them, with bootstrap intervals: the SWAP paper's claim that the score works across
families, read where the families can be told apart.

    by_kind(atlas.with_truth("timm-in1k"), ["swap_b16", "params"], "imagenet_top1_acc_pct")
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from swap_engine import analysis
from swap_engine.spaces.timm_groups import KINDS, kind

MIN_CELLS = 5  # fewer architectures of a kind than this give no correlation worth an interval


def kinds_of(archs: pd.Series) -> pd.Series:
    """Each timm architecture's kind, from the module that defines it ("" when timm does not know the name)."""
    from swap_engine.spaces import timm

    return archs.map(lambda name: kind(timm.family(name)))


def by_kind(frame: pd.DataFrame, columns: list[str], target: str, *, n_boot: int = 500,
            seed: int = 0) -> pd.DataFrame:
    """One row per (column, kind) and per column over all kinds: architectures measured, Spearman, its 95 %
    interval (NaN where fewer than `MIN_CELLS` are measured). `frame` has `arch`, the columns and `target`."""
    kinds = frame["kind"] if "kind" in frame else kinds_of(frame["arch"])
    truth = frame[target].to_numpy(dtype=np.float64)
    rows = []
    for column in columns:
        values = frame[column].to_numpy(dtype=np.float64)
        for name in (*KINDS, "all"):
            chosen = np.ones(len(frame), bool) if name == "all" else (kinds == name).to_numpy()
            measured = chosen & np.isfinite(values) & np.isfinite(truth)
            row = {"column": column, "kind": name, "n": int(measured.sum()), "spearman": np.nan,
                   "low": np.nan, "high": np.nan}
            if row["n"] >= MIN_CELLS and np.ptp(values[measured]) > 0:
                found = analysis.correlate(values[measured], truth[measured], n_boot=n_boot, seed=seed)
                row.update(spearman=found.spearman, low=found.spearman_ci[0], high=found.spearman_ci[1])
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, command: str) -> str:
    """The table as docs/results.md shows it: one line per column, one cell per kind."""
    names = (*KINDS, "all")
    lines = [f"Command: `{command}`.", "", "| column | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for column, part in table.groupby("column", sort=False):
        cells = []
        for name in names:
            row = part[part["kind"] == name].iloc[0]
            cells.append(f"n = {row.n}" if np.isnan(row.spearman) else
                         f"{row.spearman:.3f} [{row.low:.3f}, {row.high:.3f}] (n = {row.n})")
        lines.append(f"| `{column}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


__all__ = ["MIN_CELLS", "by_kind", "kinds_of", "markdown"]
