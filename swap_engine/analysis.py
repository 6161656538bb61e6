"""How well a proxy ranks architectures: Spearman and Kendall with bootstrap CIs, and top-k precision.

Fast enough to run live (the app recomputes it while mu/sigma sliders move): all bootstrap replicates
are computed together. Spearman: row-wise average ranks of the resampled data, then row-wise Pearson.
Kendall's tau-b: a resample is a vector of multiplicities w over the original points, so
(concordant - discordant) = w'Sw / 2 with S[i, j] = sign(x_i - x_j) * sign(y_i - y_j) computed once,
and the tie counts come from the multiplicities too: one matrix product for all replicates, exactly
the value scipy's `kendalltau` gives on the resampled data.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

# Above this many points the n x n sign matrix gets large; Kendall replicates then use scipy per resample.
_DENSE_KENDALL_MAX = 2500


@dataclass(frozen=True)
class Correlation:
    """Rank agreement between proxy scores and ground truth over `n` architectures.

    `top_k_precision`: the fraction of the true top-k% (by target) that the proxy's top-k% contains.
    `dropped`: pairs left out because the score or the target was NaN or infinite.
    """

    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    top_k_precision: float
    n: int
    dropped: int = 0


def correlate(scores: Sequence[float] | np.ndarray, targets: Sequence[float] | np.ndarray, *,
              n_boot: int = 1000, seed: int = 0, top_k: float = 0.1, level: float = 0.95) -> Correlation:
    """Spearman's rho and Kendall's tau-b with percentile-bootstrap CIs (`level`), and top-k precision.

    Non-finite pairs are dropped and counted; fewer than 3 remaining pairs is a ValueError.
    """
    x = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(targets, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"scores ({x.size}) and targets ({y.size}) differ in length")
    if not 0 < top_k <= 1:
        raise ValueError(f"top_k must be a fraction in (0, 1], got {top_k}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    n = x.size
    if n < 3:
        raise ValueError(f"need at least 3 finite (score, target) pairs, got {n}")

    with warnings.catch_warnings():  # a constant column: NaN is the honest answer, no warning needed
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        spearman = float(stats.spearmanr(x, y).statistic)
        kendall = float(stats.kendalltau(x, y).statistic)
    nan_ci = (float("nan"), float("nan"))
    spearman_ci = kendall_ci = nan_ci
    if n_boot:
        idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
        tail = 100 * (1 - level) / 2
        spearman_ci = _percentiles(bootstrap_spearman(x, y, idx), tail)
        kendall_ci = _percentiles(bootstrap_kendall(x, y, idx), tail)
    return Correlation(spearman, spearman_ci, kendall, kendall_ci, top_k_precision(x, y, top_k),
                       n, int((~finite).sum()))


def top_k_precision(scores: np.ndarray, targets: np.ndarray, fraction: float) -> float:
    """|proxy's top-k ∩ true top-k| / k, k = max(1, round(fraction * n))."""
    k = max(1, int(round(fraction * len(scores))))
    best_true = np.argsort(-targets, kind="stable")[:k]
    best_proxy = np.argsort(-scores, kind="stable")[:k]
    return len(np.intersect1d(best_true, best_proxy)) / k


def bootstrap_spearman(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Spearman's rho of each resample `x[idx[r]], y[idx[r]]` (rows of `idx`), NaN where undefined."""
    return _rowwise_pearson(stats.rankdata(x[idx], axis=1), stats.rankdata(y[idx], axis=1))


def bootstrap_kendall(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each resample, as scipy's `kendalltau` would give it; NaN where undefined."""
    n_boot, m = idx.shape
    n = x.size
    if n > _DENSE_KENDALL_MAX:
        return np.array([stats.kendalltau(x[row], y[row]).statistic for row in idx], dtype=np.float64)
    # multiplicity of each original point in each resample
    w = np.bincount((idx + n * np.arange(n_boot)[:, None]).ravel(), minlength=n_boot * n)
    w = w.reshape(n_boot, n).astype(np.float64)
    sign = (np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])).astype(np.float32)
    concordance = np.einsum("ij,ij->i", (w.astype(np.float32) @ sign).astype(np.float64), w) / 2
    pairs = m * (m - 1) / 2
    tied_x = _tied_pairs(w, x, m)
    tied_y = _tied_pairs(w, y, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        return concordance / np.sqrt((pairs - tied_x) * (pairs - tied_y))


def _tied_pairs(w: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Unordered pairs of resampled points with equal value (copies of one point count as tied)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    group_weight = np.add.reduceat(w[:, order], starts, axis=1)
    return (np.einsum("ij,ij->i", group_weight, group_weight) - m) / 2


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.einsum("ij,ij->i", a, b) / np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))


def _percentiles(values: np.ndarray, tail: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return (float(lo), float(hi))
