"""How well a proxy ranks architectures: Spearman and Kendall with bootstrap CIs, and top-k precision.

Fast enough to run live (the app recomputes it while mu/sigma sliders move): all bootstrap replicates
are computed together. Spearman: row-wise average ranks of the resampled data, then row-wise Pearson.
Kendall's tau-b: a resample is a vector of multiplicities w over the original points, so
(concordant - discordant) = w'Sw / 2 with S[i, j] = sign(x_i - x_j) * sign(y_i - y_j) computed once,
and the tie counts come from the multiplicities too: one matrix product for all replicates, exactly
the value scipy's `kendalltau` gives on the resampled data.

Also: rank aggregation and label-free regularisation (what recipes combine), `split_halves` (fit on one
half, report on the other), `fit_regularization` and `correlations`, the per-proxy, per-target table a
study reports (also for published proxy values, `data.suite_zero`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    import pandas as pd

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
    """Spearman's rho of each resample `x[idx[r]], y[idx[r]]` (rows of `idx`), NaN where undefined.

    No per-resample sort: a resample is a vector of multiplicities w over the original points, a point's
    average rank in it follows from the multiplicities of the tie groups below and at its value, and the
    resample's Pearson correlation of ranks is the w-weighted one over the original points.
    """
    n_boot = idx.shape[0]
    n = x.size
    w = np.bincount((idx + n * np.arange(n_boot)[:, None]).ravel(), minlength=n_boot * n)
    w = w.reshape(n_boot, n).astype(np.float64)
    rx, ry = _resample_ranks(w, x), _resample_ranks(w, y)
    total = w.sum(axis=1, keepdims=True)
    mx = (w * rx).sum(axis=1, keepdims=True) / total
    my = (w * ry).sum(axis=1, keepdims=True) / total
    dx, dy = rx - mx, ry - my
    with np.errstate(divide="ignore", invalid="ignore"):
        return (w * dx * dy).sum(axis=1) / np.sqrt((w * dx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1))


def _resample_ranks(w: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Average rank, within each resample (row of multiplicities `w`), of every original point's value."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    group_weight = np.add.reduceat(w[:, order], starts, axis=1)
    group_rank = np.cumsum(group_weight, axis=1) - group_weight + (group_weight + 1) / 2
    sizes = np.diff(np.r_[starts, values.size])
    ranks = np.empty_like(w)
    ranks[:, order] = np.repeat(group_rank, sizes, axis=1)
    return ranks


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


# ---------------------------------------------------------------------------------------------------------
# Combining proxies by rank. Every function here is label-free: it sees scores (and parameter counts), never
# accuracies, so its output can be computed over a whole space and still be evaluated honestly on any part.
#
# Missing values: NaN means "not measured" and is never ranked; it stays NaN (a proxy that could not be
# computed for a cell says nothing about that cell). -inf and +inf are measured values (e.g. NASWOT's
# log-determinant of a singular kernel is -inf) and rank lowest / highest, tied among themselves.

AGGREGATIONS = ("log_rank", "mean_rank")
MISSING = ("propagate", "skip")
REGULARIZATION_RULES = ("median", "max")


def ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Ascending average ranks 1..m of the non-NaN values (m of them); NaN where the value is NaN.

    The highest score gets rank m; ties share their average rank (scipy's "average").
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    out = np.full(x.shape, np.nan)
    known = ~np.isnan(x)
    if known.any():
        out[known] = stats.rankdata(x[known], method="average")
    return out


def normalized_ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """`ranks(values) / m`, in (0, 1]; 1 for the best measured value. NaN stays NaN."""
    r = ranks(values)
    m = int(np.count_nonzero(~np.isnan(r)))
    return r / m if m else r


def log_ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """log(r / m) for each value (AZ-NAS's per-proxy term): 0 for the best, log(1/m) for the worst; NaN stays."""
    return np.log(normalized_ranks(values))


def aggregate(columns: Mapping[str, Sequence[float] | np.ndarray] | Sequence[Sequence[float] | np.ndarray], *,
              method: str = "log_rank", weights: Sequence[float] | None = None,
              missing: str = "propagate") -> np.ndarray:
    """One combined score per row from several proxies, higher = predicted better.

    `method`:
    - "log_rank": sum over proxies of w * log(r / m) (AZ-NAS, CVPR 2024: r the proxy's ascending rank among
      the m rows it measured). A row must be good by every proxy to score well: one bad rank costs a lot.
    - "mean_rank": sum over proxies of w * r / m (a weighted mean of normalised ranks, up to the constant
      total weight): a bad rank by one proxy can be made up by the others.
    Ranks are taken over the rows given, so the result depends on which rows are compared together (call it
    on the whole space, or on the rows you evaluate; neither uses ground truth).

    `missing`, for a row where some proxy is NaN:
    - "propagate": the row's score is NaN;
    - "skip": the row is scored by the proxies it has: their weighted mean term times the total weight, so
      rows with fewer proxies are on the same scale (not favoured for having fewer negative log terms).
    A row with no proxy at all is NaN either way.
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; known: {', '.join(AGGREGATIONS)}")
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}, got {missing!r}")
    arrays = list(columns.values()) if isinstance(columns, Mapping) else list(columns)
    if not arrays:
        raise ValueError("aggregate needs at least one proxy column")
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    if len({a.size for a in flat}) != 1:
        raise ValueError(f"proxy columns differ in length: {[a.size for a in flat]}")
    matrix = np.vstack(flat)  # proxies x rows
    w = np.ones(len(arrays)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (len(arrays),):
        raise ValueError(f"{len(arrays)} proxies but {w.size} weights")
    if np.any(w < 0) or not np.any(w > 0) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite, non-negative and not all zero, got {list(w)}")
    term = log_ranks if method == "log_rank" else normalized_ranks
    terms = np.vstack([term(row) for row in matrix]) * w[:, None]
    if missing == "propagate":
        return terms.sum(axis=0)  # NaN anywhere -> NaN
    known = ~np.isnan(terms)
    present_weight = (known * w[:, None]).sum(axis=0)
    total = np.where(known, terms, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present_weight > 0, total / present_weight * w.sum(), np.nan)


def auto_regularization(params: Sequence[float] | np.ndarray, rule: str = "median") -> tuple[float, float]:
    """(mu, sigma) for regularised SWAP from the parameter counts alone (no accuracies).

    theta = params / 1000 as the regulariser takes it, s = the standard deviation of theta over the finite
    counts; sigma = 2 s^2, so exp(-(theta - mu)^2 / sigma) is a Gaussian bump of width s around mu.
    `rule` sets mu: "median" (the space's typical size) or "max" (the largest cell: bigger is better until
    the largest size the space allows, with the penalty of the same width).
    """
    if rule not in REGULARIZATION_RULES:
        raise ValueError(f"unknown regularisation rule {rule!r}; known: {', '.join(REGULARIZATION_RULES)}")
    theta = np.asarray(params, dtype=np.float64).ravel() / 1000.0
    theta = theta[np.isfinite(theta)]
    if theta.size < 2:
        raise ValueError("need at least 2 finite parameter counts to choose mu and sigma")
    spread = float(theta.std())
    if spread == 0:
        raise ValueError("every parameter count is equal: no spread to set sigma from")
    mu = float(np.median(theta)) if rule == "median" else float(theta.max())
    return mu, 2.0 * spread ** 2


def regularized(swap: Sequence[float] | np.ndarray, params: Sequence[float] | np.ndarray,
                mu: float, sigma: float) -> np.ndarray:
    """swap * `swap_engine.regularization_factor(params, mu, sigma)` per row; NaN where either is NaN."""
    from swap_engine import regularization_factor

    s = np.asarray(swap, dtype=np.float64).ravel()
    p = np.asarray(params, dtype=np.float64).ravel()
    if s.shape != p.shape:
        raise ValueError(f"swap ({s.size}) and params ({p.size}) differ in length")
    factor = np.array([regularization_factor(v, mu, sigma) if np.isfinite(v) else np.nan for v in p])
    return s * factor


def split_halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of range(n): fit on the first, report on the second."""
    order = np.random.default_rng([seed, 1]).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2:])


def fit_regularization(swap: np.ndarray, params: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(mu, sigma) maximising Spearman of swap * exp(-(params/1000 - mu)^2 / sigma) on these rows.

    Grid: mu over 21 quantiles of the parameter counts (in thousands, as the regulariser takes them),
    sigma over a geometric grid spanning the squared range of those counts.
    """
    from swap_engine import regularization_factor

    theta = params / 1000
    span = max(float(theta.max() - theta.min()), 1e-3)
    best = (-np.inf, 0.0, 1.0)
    for mu in np.quantile(theta, np.linspace(0, 1, 21)):
        for sigma in span ** 2 * np.geomspace(1e-3, 1e2, 26):
            factor = np.array([regularization_factor(p, float(mu), float(sigma)) for p in params])
            values = swap * factor
            if np.ptp(values[np.isfinite(values)]) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rho = stats.spearmanr(values, truth, nan_policy="omit").statistic
            if np.isfinite(rho) and rho > best[0]:
                best = (float(rho), float(mu), float(sigma))
    return best[1], best[2]


def correlations(scores: pd.DataFrame, proxy_names: tuple[str, ...] | list[str], *,
                 targets: dict[str, np.ndarray] | None = None,
                 regularize: tuple[float, float] | str | None = None, n_boot: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """One row per (target, proxy), plus `swap_reg` when regularising a stored `swap` column.

    `targets` maps target names to values aligned with the rows of `scores` (default: the `target` column).
    `regularize`: (mu, sigma), or "auto": per target, mu/sigma are fitted on one random half of the rows
    (`fit_regularization`) and `swap_reg` is reported on the other half only (its `n` says so), next to
    `swap` on that same half (`swap_half`), so the comparison is fair.
    """
    import pandas as pd  # here, not at the top: `from swap_engine import analysis` stays numpy and scipy only

    from swap_engine import regularization_factor

    if regularize is not None and "swap" not in proxy_names:
        raise ValueError("--regularize needs the swap proxy among the study's proxies")
    params = scores["model_params"].to_numpy(dtype=float)
    table = []

    def add(target: str, name: str, values: np.ndarray, truth: np.ndarray, mu=np.nan, sigma=np.nan) -> None:
        c = correlate(values, truth, n_boot=n_boot, seed=seed)
        table.append({"target": target, "proxy": name, "n": c.n, "dropped": c.dropped,
                      "spearman": c.spearman, "spearman_lo": c.spearman_ci[0], "spearman_hi": c.spearman_ci[1],
                      "kendall": c.kendall, "kendall_lo": c.kendall_ci[0], "kendall_hi": c.kendall_ci[1],
                      "top10_precision": c.top_k_precision, "mu": mu, "sigma": sigma})

    for target, truth in (targets or {"target": scores["target"].to_numpy(dtype=float)}).items():
        for name in proxy_names:
            add(target, name, scores[name].to_numpy(dtype=float), truth)
        if regularize is None:
            continue
        swap = scores["swap"].to_numpy(dtype=float)
        if regularize == "auto":
            fit, report = split_halves(len(scores), seed)
            mu, sigma = fit_regularization(swap[fit], params[fit], truth[fit])
            add(target, "swap_half", swap[report], truth[report])
        else:
            report = np.arange(len(scores))
            mu, sigma = regularize
        factor = np.array([regularization_factor(p, mu, sigma) for p in params[report]])
        add(target, "swap_reg", swap[report] * factor, truth[report], mu, sigma)
    return pd.DataFrame(table)
