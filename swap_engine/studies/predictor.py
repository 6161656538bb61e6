"""The k-label predictor: three learners of different kinds, each fitted on the k labels' ranks, their rankings
averaged.

    features = Features.of(table, "nb201", rules)          # label-free: built once per benchmark table
    predicted = Predictor(features).fit(rows, labels).predict()

Every input is label-free and known for every architecture of the benchmark before any label is read:
- the atlas's proxy columns as measured (for the trees, which read only the order of each);
- each proxy's rank among all the benchmark's architectures, as a fraction (for the linear models, which need a
  common scale: a proxy's raw values span many orders of magnitude);
- the ranks of the label-free rules (AZ-NAS's, VKDNW's sums of log ranks, the recipe chosen on the other
  benchmarks), which a linear model on single proxies cannot form;
- the architecture itself (`encoding`: counts of each operation, which operation sits on each edge).

The learners: scikit-learn's `HistGradientBoostingRegressor` (300 trees of depth 4 on all inputs: deterministic
for a seed, takes missing values as they are) and two ridge regressions with their penalty chosen by
leave-one-out on the k (`RidgeCV`): one on the ranks and rules, one with the encoding too. Their rankings are
averaged, unless the trees alone rank better in a 3-fold cross-validation on the k. Measured on 5 draws of
k = 100 (Spearman on the other architectures): NB201 CIFAR-10 0.942 (trees alone) / 0.942 (ridge) / 0.950 (all
three); NB301-500 0.742 / 0.753 / 0.807; FlexiBERT-500 0.909 / 0.896 / 0.918. At k = 1,000 the trees alone
lead (NB201 CIFAR-10 0.980 against 0.970 for the average; ImageNet16-120 0.976 against 0.962), and the
cross-validation picks them there; at k = 100 it picks the average on 4 draws of 5 (0.949 against 0.950 for
always averaging). No learner wins everywhere: the ridge with the encoding is best on NB301, worst on NB201.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from swap_engine.recipe import proxy_columns

MIN_LABELS = 10  # fewer labels than this cannot fit a predictor that ranks anything
RIDGE_ALPHAS = np.logspace(-2, 3, 12)
FOLDS = 3  # cross-validation folds on the k that choose between the trees alone and the average


def _average(rankings: list[np.ndarray]) -> np.ndarray:
    """The rankings' mean rank, as a fraction of the rows."""
    return np.mean([stats.rankdata(r) for r in rankings], axis=0) / len(rankings[0])


def _spearman(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(stats.spearmanr(predicted, labels).statistic) if len(labels) > 2 else float("nan")


def encoding(frame: pd.DataFrame, space_name: str) -> pd.DataFrame:
    """The architectures of `frame` as numbers (`enc_*` columns): the space's numeric facts about each (counts of
    each operation, depth, ...), and where an architecture is a tuple of operations (NB201's six edges) which
    operation sits on each position, one column per (position, operation)."""
    from swap_engine import spaces

    space = spaces.get(space_name)
    archs = [space.parse(text) for text in frame["arch"]]
    facts = pd.DataFrame([space.properties(arch) for arch in archs], index=frame.index).select_dtypes("number")
    parts = [facts.add_prefix("enc_")]
    if archs and isinstance(archs[0], tuple) and all(isinstance(op, str) for op in archs[0]):
        ops = pd.DataFrame([list(arch) for arch in archs], index=frame.index).add_prefix("enc_edge")
        parts.append(pd.get_dummies(ops, prefix_sep="_", dtype=float))
    return pd.concat(parts, axis=1)


def _fraction_ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the finite ones as a fraction in (0, 1]; unmeasured values sit in the middle."""
    ranks = pd.Series(values).rank(pct=True).to_numpy()
    return np.where(np.isnan(ranks), 0.5, ranks)


@dataclass(frozen=True)
class Features:
    """The label-free inputs of every architecture of one benchmark table, in its row order."""

    measured: pd.DataFrame  # proxies as measured (missing: NaN), the rules' ranks, the encoding: the trees' inputs
    ranked: pd.DataFrame  # each proxy's fraction rank, the rules' ranks: the first ridge's inputs
    encoded: pd.DataFrame  # the encoding alone: the second ridge reads ranked and encoded

    @classmethod
    def of(cls, table: pd.DataFrame, space_name: str, rules: dict[str, np.ndarray] | None = None) -> Features:
        table = table.reset_index(drop=True)
        proxies = table[proxy_columns(table)].astype(np.float64)
        proxies = proxies.where(np.isfinite(proxies))  # -inf (a defined "worst") and NaN alike: missing
        ruled = pd.DataFrame({f"rule: {name}": _fraction_ranks(np.asarray(values, dtype=np.float64))
                              for name, values in (rules or {}).items()}, index=table.index)
        ranked = pd.DataFrame({column: _fraction_ranks(proxies[column].to_numpy()) for column in proxies},
                              index=table.index)
        encoded = encoding(table, space_name)
        return cls(pd.concat([proxies, ruled, encoded], axis=1), pd.concat([ranked, ruled], axis=1), encoded)

    def __len__(self) -> int:
        return len(self.measured)


def _varied(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Columns with at least two distinct measured values on `rows`: a constant one splits and weighs nothing."""
    part = frame.iloc[rows]
    return [c for c in frame.columns if part[c].dropna().nunique() >= 2]


@dataclass
class Predictor:
    """Trees and two ridge regressions fitted on the ranks of k labels; `predict` ranks every architecture."""

    features: Features
    seed: int = 0
    chosen: str = ""  # "trees" or "all three", as the cross-validation on the k chose
    _predicted: np.ndarray | None = field(default=None, repr=False)
    _trees: Any = field(default=None, repr=False)
    _tree_columns: list[str] = field(default_factory=list, repr=False)

    def fit(self, rows: np.ndarray, labels: np.ndarray) -> Predictor:
        """Fit on `rows` of the table (`labels` aligned with them; no other label exists for the learners).

        The trees alone or the average of all three, whichever ranks the held-out labels better in a
        `FOLDS`-fold cross-validation on the k (the trees win once the k are many: NB201 at k = 1,000)."""
        rows, labels = np.asarray(rows), np.asarray(labels, dtype=np.float64)
        if len(rows) < MIN_LABELS:
            raise ValueError(f"a predictor needs at least {MIN_LABELS} labelled architectures, got {len(rows)}")
        order = np.random.default_rng(self.seed).permutation(len(rows))
        held = {"trees": [], "all three": []}
        for fold in np.array_split(order, FOLDS):
            kept = np.setdiff1d(order, fold)
            trees, others = self._rankings(rows[kept], labels[kept])
            held["trees"].append(_spearman(trees[rows[fold]], labels[fold]))
            held["all three"].append(_spearman(_average([trees, *others])[rows[fold]], labels[fold]))
        self.chosen = max(held, key=lambda name: np.nanmean(held[name]))
        trees, others = self._rankings(rows, labels, keep=True)
        self._predicted = _average([trees] if self.chosen == "trees" else [trees, *others])
        return self

    def _rankings(self, rows: np.ndarray, labels: np.ndarray, keep: bool = False
                  ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The trees' and the two ridge regressions' predictions for every row, fitted on `rows` alone."""
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.linear_model import RidgeCV

        target = stats.rankdata(labels) / len(labels)  # Spearman reads only the order
        measured = self.features.measured
        columns = _varied(measured, rows)
        leaf = int(min(20, max(2, len(rows) // 10)))
        trees = HistGradientBoostingRegressor(max_iter=300, max_depth=4, learning_rate=0.05, min_samples_leaf=leaf,
                                              early_stopping=False, random_state=self.seed)
        inputs = measured[columns].to_numpy(dtype=np.float64)
        with threadpool_limits(limits=1, user_api="openmp"):  # a few hundred rows: threads cost more than they give
            trees.fit(inputs[rows], target)
            by_trees = trees.predict(inputs)
        if keep:
            self._trees, self._tree_columns = trees, columns
        with_code = pd.concat([self.features.ranked, self.features.encoded], axis=1)
        by_ridge = []
        for frame in (self.features.ranked, with_code):
            chosen = _varied(frame, rows)
            values = frame[chosen].to_numpy(dtype=np.float64)
            by_ridge.append(RidgeCV(alphas=RIDGE_ALPHAS).fit(values[rows], target).predict(values))
        return by_trees, by_ridge

    def predict(self) -> np.ndarray:
        """Every architecture's predicted rank (a fraction; higher: predicted more accurate), in table order."""
        if self._predicted is None:
            raise ValueError("fit the predictor on labelled architectures first")
        return self._predicted

    def importances(self) -> pd.Series:
        """How much each input's splits reduce the trees' squared error, summed over the trees (sums to 1)."""
        gains = np.zeros(len(self._tree_columns))
        for stage in self._trees._predictors:
            for tree in stage:
                nodes = tree.nodes
                split = ~nodes["is_leaf"].astype(bool)
                np.add.at(gains, nodes["feature_idx"][split], nodes["gain"][split])
        total = gains.sum()
        return pd.Series(gains / total if total > 0 else gains, index=self._tree_columns).sort_values(ascending=False)


__all__ = ["MIN_LABELS", "Features", "Predictor", "encoding"]
