"""Each proxy alone against a target: the one table the Proxy lab's heatmap, the families study's overview and the
Correlation page's atlas panel read.

    each_alone(frame, ["cifar10_test_acc_pct"])   # column, target, read, cells, spearman (one row per pair)

A value of -inf (or +inf) is read by one rule (`recipe.NonFinite`): ranked last (the worst score), or dropped.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from swap_engine.recipe import NonFinite, ordered, proxy_columns, spearman

COLUMNS = ["column", "target", "read", "cells", "spearman"]


def each_alone(frame: pd.DataFrame, targets: Sequence[str], *, columns: Sequence[str] | None = None,
               rule: NonFinite | str = NonFinite.LAST, kendall: bool = False) -> pd.DataFrame:
    """Spearman (and Kendall's tau-b, when asked) of each column of `frame` alone (default: its proxy columns)
    with each target, over the cells where both are known. `read`: cells whose value is read under the rule,
    whatever the target; `cells`: those with the target too. NaN where fewer than 3 cells or a constant column."""
    rule = NonFinite(rule)
    rows = []
    for column in (proxy_columns(frame) if columns is None else columns):
        x = ordered(frame[column].to_numpy(dtype=np.float64), rule)
        read = np.isfinite(x)
        for target in targets:
            y = frame[target].to_numpy(dtype=np.float64)
            both = read & np.isfinite(y)
            row = {"column": column, "target": target, "read": int(read.sum()), "cells": int(both.sum()),
                   "spearman": spearman(np.where(both, x, np.nan), y)}
            if kendall:
                row["kendall"] = _kendall(x[both], y[both])
            rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, *(["kendall"] if kendall else [])])


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3:
        return float("nan")
    with warnings.catch_warnings():  # a constant column: NaN is the honest answer
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return float(stats.kendalltau(x, y).statistic)


__all__ = ["COLUMNS", "each_alone"]
