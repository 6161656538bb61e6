"""Ticks and numbers the charts share: round log-axis ticks, compact labels (150k, 1.5M), heatmap cells."""
from __future__ import annotations

import math

import numpy as np


def compact(value: float) -> str:
    """1234 -> "1.23k", 48323 -> "48.3k", 1.5e6 -> "1.5M": tick and gauge labels, in d3's "~s" style so
    that they read like the other axes (a bare "150" never stands for 150k)."""
    size = abs(value)
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{unit}"
    return f"{value:.3g}"


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Round ticks for a log axis from low to high: 1-2-5 steps, fewer when the range spans many decades."""
    low, high = max(low, 1e-12), max(high, low * 1.0001)
    decades = math.log10(high) - math.log10(low)
    steps = ((1, 1.5, 2, 3, 5, 7) if decades <= 1 else (1, 2, 5) if decades <= 2.5 else (1, 3) if decades <= 4
             else (1,))
    values = [m * 10**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1) for m in steps]
    values = [v for v in values if low / 1.05 <= v <= high * 1.05]
    if len(values) < 2:  # a narrow range: a few evenly spaced round values instead
        values = sorted({float(f"{v:.2g}") for v in np.geomspace(low, high, 4)})
    return values, [compact(v) for v in values]


__all__ = ["compact", "log_ticks"]


def two_decimals(z: np.ndarray, missing: str = "") -> np.ndarray:
    """A heatmap's cell labels: two decimals, `missing` where there is no number (Plotly would print NaN)."""
    return np.where(np.isfinite(z), np.char.mod("%.2f", np.nan_to_num(z)), missing)
