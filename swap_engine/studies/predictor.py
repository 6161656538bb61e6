"""The k-label predictor: four learners of different kinds, each fitted on the k labels' ranks, their rankings
averaged.

    features = Features.of(table, "nb201", rules)          # label-free: built once per benchmark table
    predicted = Predictor(features).fit(rows, labels).predict()

Every input is label-free and known for every architecture of the benchmark before any label is read:
- the atlas's proxy columns as measured (for the boosted trees, which read only the order of each);
- each proxy's rank among all the benchmark's architectures, as a fraction (for the linear models, which need a
  common scale: a proxy's raw values span many orders of magnitude);
- the ranks of the label-free rules (AZ-NAS's, VKDNW's sums of log ranks, the recipe chosen on the other
  benchmarks), which a linear model on single proxies cannot form;
- the architecture itself (`encoding`: counts of each operation, which operation sits on each edge, and the
  input-to-output paths through each set of operations, `studies.paths`).

The learners, all scikit-learn's (deterministic for a seed, no new dependency): `HistGradientBoostingRegressor`
(300 trees of depth 4 on all inputs, missing values taken as they are), `ExtraTreesRegressor` (300 randomised
trees on the ranks, rules and encoding) and two ridge regressions with their penalty chosen by leave-one-out on
the k (`RidgeCV`): one on the ranks and rules, one with the encoding too. Their rankings are averaged, unless the
boosted trees alone lead in a 3-fold cross-validation on the k. 10 draws of k = 100 (Spearman on the other
architectures), before the paths and extra trees -> after: NB201 CIFAR-10 0.948 -> 0.956, CIFAR-100 0.941 ->
0.950, ImageNet16-120 0.934 -> 0.943; NB101-500 0.943 -> 0.948; NB301-500 0.800 -> 0.843; FlexiBERT-500 0.915 ->
0.917; DARTS-1k proxy network 0.954 -> 0.952. At k = 1,000 the boosted trees alone lead (NB201 CIFAR-10 0.982),
and the cross-validation picks them there on 8 draws of 10.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from swap_engine.recipe import proxy_columns
from swap_engine.studies import paths

MIN_LABELS = 10  # fewer labels than this cannot fit a predictor that ranks anything
RIDGE_ALPHAS = np.logspace(-2, 3, 12)
FOLDS = 3  # cross-validation folds on the k that choose between the trees alone and the average
# The average of four learners varies less from draw to draw; the boosted trees alone are taken only when they
# lead it by more than this in the cross-validation (NB201 k = 1,000: by 0.001-0.003 on 8 draws of 10).
TREES_MARGIN = 0.002


def _average(rankings: list[np.ndarray]) -> np.ndarray:
    """The rankings' mean rank, as a fraction of the rows."""
    return np.mean([stats.rankdata(r) for r in rankings], axis=0) / len(rankings[0])


def _spearman(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(stats.spearmanr(predicted, labels).statistic) if len(labels) > 2 else float("nan")


def encoding(frame: pd.DataFrame, space_name: str) -> pd.DataFrame:
    """The architectures of `frame` as numbers (`enc_*` columns): the space's numeric facts about each (counts of
    each operation, depth, ...); where an architecture is a tuple of operations (NB201's six edges) which
    operation sits on each position, one column per (position, operation); and where it is a cell of a few
    operations (NB201, NB101, DARTS) its input-to-output paths through each set of them (`studies.paths`,
    counts as log(1 + n))."""
    from swap_engine import spaces

    space = spaces.get(space_name)
    archs = [space.parse(text) for text in frame["arch"]]
    facts = pd.DataFrame([space.properties(arch) for arch in archs], index=frame.index).select_dtypes("number")
    parts = [facts.add_prefix("enc_")]
    if archs and isinstance(archs[0], tuple) and all(isinstance(op, str) for op in archs[0]):
        ops = pd.DataFrame([list(arch) for arch in archs], index=frame.index).add_prefix("enc_edge")
        parts.append(pd.get_dummies(ops, prefix_sep="_", dtype=float))
    graphs = [space.graph(arch) for arch in archs]
    operations = paths.operations(graphs) if graphs and graphs[0] is not None else []
    if 0 < len(operations) <= paths.MAX_OPERATIONS:
        routes = pd.DataFrame([paths.path_features(edges, operations) for edges in graphs], index=frame.index)
        counts = [c for c in routes.columns if "path_count[" in c]
        routes[counts] = np.log1p(routes[counts])
        parts.append(routes.astype(np.float64).add_prefix("enc_"))
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
    """Boosted trees, extra trees and two ridge regressions fitted on the ranks of k labels; `predict` ranks
    every architecture."""

    features: Features
    seed: int = 0
    chosen: str = ""  # "trees" or "all four", as the cross-validation on the k chose
    _predicted: np.ndarray | None = field(default=None, repr=False)
    _trees: Any = field(default=None, repr=False)
    _tree_columns: list[str] = field(default_factory=list, repr=False)

    def fit(self, rows: np.ndarray, labels: np.ndarray) -> Predictor:
        """Fit on `rows` of the table (`labels` aligned with them; no other label exists for the learners).

        The boosted trees alone or the average of all four learners, whichever ranks the held-out labels better in a
        `FOLDS`-fold cross-validation on the k (the trees win once the k are many: NB201 at k = 1,000)."""
        rows, labels = np.asarray(rows), np.asarray(labels, dtype=np.float64)
        if len(rows) < MIN_LABELS:
            raise ValueError(f"a predictor needs at least {MIN_LABELS} labelled architectures, got {len(rows)}")
        order = np.random.default_rng(self.seed).permutation(len(rows))
        held = {"trees": [], "all four": []}
        for fold in np.array_split(order, FOLDS):
            kept = np.setdiff1d(order, fold)
            trees, others = self._rankings(rows[kept], labels[kept])
            held["trees"].append(_spearman(trees[rows[fold]], labels[fold]))
            held["all four"].append(_spearman(_average([trees, *others])[rows[fold]], labels[fold]))
        lead = np.nanmean(held["trees"]) - np.nanmean(held["all four"])
        self.chosen = "trees" if lead > TREES_MARGIN else "all four"
        trees, others = self._rankings(rows, labels, keep=True)
        self._predicted = _average([trees] if self.chosen == "trees" else [trees, *others])
        return self

    def _rankings(self, rows: np.ndarray, labels: np.ndarray, keep: bool = False
                  ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The boosted trees' predictions for every row, and the extra trees' and the two ridge regressions', each
        fitted on `rows` alone."""
        from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor
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
        coded = with_code[_varied(with_code, rows)].to_numpy(dtype=np.float64)
        forest = ExtraTreesRegressor(n_estimators=300, max_features=0.3, min_samples_leaf=1, random_state=self.seed,
                                     n_jobs=1)
        by_others = [forest.fit(coded[rows], target).predict(coded)]
        for values in (self.features.ranked[_varied(self.features.ranked, rows)].to_numpy(dtype=np.float64), coded):
            by_others.append(RidgeCV(alphas=RIDGE_ALPHAS).fit(values[rows], target).predict(values))
        return by_trees, by_others

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
