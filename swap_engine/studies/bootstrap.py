"""Bootstrap numbers the Proxy lab and the Across-families page show: one metric with its 95 % interval
(`estimate`), and the paired test of two recipes on one benchmark (`paired`).

    estimate(scores, truth, "kendall", n_boot=100)     # Estimate(value, low, high, n)
    paired(a, b, truth, n_boot=200)                    # Paired: Spearman of A minus B, its interval, p

The resamples are drawn as `analysis.correlate` draws them (the same seed gives the same rows), so a Spearman
interval here equals the lab's for the same cells, resamples and seed.

Paired: both recipes are read on the same resamples of architectures, so what a resample does to both (an easy
or a hard draw of cells) cancels in their difference, and its interval is far narrower than two intervals side by
side suggest. The p-value is the two-sided percentile-bootstrap one: twice the smaller share of resampled
differences on either side of zero, each share counted as (k + 1) / (B + 1) so that a finite number of resamples
never claims p = 0. It says how surely A ranks this benchmark's cells better than B does, nothing about any
other benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from swap_engine import analysis

METRICS = {"spearman": "Spearman", "kendall": "Kendall tau", "top_k": "top-10 % precision"}


@dataclass(frozen=True)
class Estimate:
    """One metric over `n` cells and its percentile interval (NaN without resamples)."""

    value: float
    low: float
    high: float
    n: int


def _pairs(*columns: np.ndarray) -> tuple[np.ndarray, ...]:
    arrays = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    if len({a.size for a in arrays}) != 1:
        raise ValueError(f"the columns differ in length: {[a.size for a in arrays]}")
    keep = np.logical_and.reduce([np.isfinite(a) for a in arrays])
    if keep.sum() < 3:
        raise ValueError(f"need at least 3 cells where every value is known, got {int(keep.sum())}")
    return tuple(a[keep] for a in arrays)


def _resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    """Rows of each resample, drawn exactly as `analysis.correlate` draws them."""
    if n_boot < 0:
        raise ValueError(f"resamples must be >= 0, got {n_boot}")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _value(metric: str, x: np.ndarray, y: np.ndarray, top_k: float) -> float:
    if metric == "top_k":
        return analysis.top_k_precision(x, y, top_k)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")  # a constant column ranks nothing
    test = stats.spearmanr if metric == "spearman" else stats.kendalltau
    return float(test(x, y).statistic)


def estimate(scores: np.ndarray, truth: np.ndarray, metric: str = "spearman", *, n_boot: int = 100, seed: int = 0,
             top_k: float = 0.1, level: float = 0.95) -> Estimate:
    """`metric` (a key of `METRICS`) of `scores` against `truth` over the cells where both are finite, with a
    percentile-bootstrap interval at `level` from `n_boot` resamples of those cells (none: NaN)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    x, y = _pairs(scores, truth)
    value = _value(metric, x, y, top_k)
    if not n_boot:
        return Estimate(value, float("nan"), float("nan"), x.size)
    idx = _resamples(x.size, n_boot, seed)
    if metric == "spearman":
        replicates = analysis.bootstrap_spearman(x, y, idx)
    elif metric == "kendall":
        replicates = analysis.bootstrap_kendall(x, y, idx)
    else:
        replicates = np.array([analysis.top_k_precision(x[row], y[row], top_k) for row in idx])
    return Estimate(value, *_interval(replicates, level), x.size)


@dataclass(frozen=True)
class Paired:
    """Spearman of recipe A and of recipe B on the same `n` cells, A minus B, its interval and p-value."""

    a: float
    b: float
    difference: float
    low: float
    high: float
    p_value: float
    n: int
    resamples: int
    level: float = 0.95

    @property
    def smallest_p(self) -> float:
        """The smallest p-value `resamples` resamples can show."""
        return min(1.0, 2 / (self.resamples + 1))

    def p_words(self) -> str:
        if self.p_value <= self.smallest_p + 1e-12:
            return f"p ≤ {self.smallest_p:.2g}, the least {self.resamples} resamples can show"
        return f"p = {self.p_value:.2g}"

    def words(self, a: str = "A", b: str = "B") -> str:
        """The result in one plain sentence."""
        level = f"{self.level * 100:.0f} %"
        gap = (f"the difference in Spearman is {self.difference:+.3f} ({level} interval {self.low:+.3f} to "
               f"{self.high:+.3f}, {self.p_words()}; paired bootstrap, {self.resamples} resamples)")
        if self.low > 0 or self.high < 0:
            better, worse = (a, b) if self.difference > 0 else (b, a)
            return (f"On these {self.n:,} cells {better} ranks the architectures better than {worse}: {gap}. "
                    "The interval leaves out zero.")
        return (f"On these {self.n:,} cells the data cannot tell {a} from {b}: {gap}. The interval holds zero, "
                "so neither is shown to rank better here.")


def paired(a: np.ndarray, b: np.ndarray, truth: np.ndarray, *, n_boot: int = 200, seed: int = 0,
           level: float = 0.95) -> Paired:
    """Spearman of `a` minus Spearman of `b` (both against `truth`) over the cells where all three are finite,
    with both recipes read on the same `n_boot` resamples of those cells."""
    if n_boot < 1:
        raise ValueError("a paired test needs at least one bootstrap resample")
    x_a, x_b, y = _pairs(a, b, truth)
    rho_a, rho_b = _value("spearman", x_a, y, 0.1), _value("spearman", x_b, y, 0.1)
    idx = _resamples(y.size, n_boot, seed)
    gaps = analysis.bootstrap_spearman(x_a, y, idx) - analysis.bootstrap_spearman(x_b, y, idx)
    gaps = gaps[np.isfinite(gaps)]
    if gaps.size == 0:
        raise ValueError("no resample ranks both recipes (a constant score?)")
    below = (np.count_nonzero(gaps <= 0) + 1) / (gaps.size + 1)
    above = (np.count_nonzero(gaps >= 0) + 1) / (gaps.size + 1)
    return Paired(rho_a, rho_b, rho_a - rho_b, *_interval(gaps, level), min(1.0, 2 * min(below, above)), y.size,
                  gaps.size, level)


__all__ = ["METRICS", "Estimate", "Paired", "estimate", "paired"]
