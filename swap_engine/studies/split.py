"""Fit on these rows, report on those: the one step behind every honest number of the studies and the app.

    split = Split.halves(len(frame), seed)          # two seeded halves: fit on one, report on the other
    fit, read = split.inner()                       # the fitting half split again (choose a setting on it)
    split = Split.labelled(rows, k, seed, draw)     # k labelled rows of one seeded draw, reported on the rest

Whatever is fitted (a recipe's terms and weights, mu and sigma of regularised SWAP, a predictor, how many terms)
sees `split.fit` only; every reported number comes from `split.report`, which the fit never read. The families
study, the recipe study, the Correlation page's regularisation fit and the k-label protocols draw their rows
here, so one seed gives one split everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swap_engine import analysis


@dataclass(frozen=True)
class Split:
    """Row positions to fit on and to report on (disjoint, sorted), and the seed that drew them."""

    fit: np.ndarray
    report: np.ndarray
    seed: int = 0

    @classmethod
    def halves(cls, n: int, seed: int = 0) -> Split:
        """Two disjoint seeded halves of range(n) (`analysis.split_halves`)."""
        fit, report = analysis.split_halves(n, seed)
        return cls(fit, report, seed)

    @classmethod
    def labelled(cls, rows: np.ndarray, k: int, seed: int = 0, draw: int = 0) -> Split:
        """k of `rows` drawn at random (the same for the same seed and draw) to fit on; every other row of `rows`
        to report on."""
        rows = np.asarray(rows)
        fit = np.sort(np.random.default_rng([seed, 1000 + draw]).choice(rows, size=k, replace=False))
        return cls(fit, np.setdiff1d(rows, fit), seed)

    def inner(self) -> tuple[Split, Split]:
        """The fitting rows split again in two seeded halves, as (fit on the first, read on the second), each a
        `Split` whose `fit` is that half (its `report` the other): a setting is chosen there, never on `report`."""
        first, second = analysis.split_halves(len(self.fit), self.seed + 1)
        rows = np.asarray(self.fit)
        return Split(rows[first], rows[second], self.seed + 1), Split(rows[second], rows[first], self.seed + 1)

    def __len__(self) -> int:
        return len(self.fit) + len(self.report)


def fit_regularization(split: Split, raw: np.ndarray, params: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(mu, sigma) of regularised SWAP chosen on the split's fitting rows only (`analysis.fit_regularization`);
    the caller reports on `split.report`."""
    rows = split.fit
    return analysis.fit_regularization(np.asarray(raw, dtype=float)[rows], np.asarray(params, dtype=float)[rows],
                                       np.asarray(truth, dtype=float)[rows])


__all__ = ["Split", "fit_regularization"]
