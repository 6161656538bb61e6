"""Choosing a recipe on one half of the cells, never reading the other half's truth.

Greedy forward selection of terms, then coordinate ascent on their weights, for an objective: Spearman (a
ranking) or the expected truth of the best-scored of `SEARCH_BUDGET` random cells (a search fitness, computed
exactly by `expected_best_of`). `halves` draws the seeded fitting and reporting halves every study uses.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import special

from swap_engine import analysis
from swap_engine.recipe.language import Recipe, Term, proxy_columns, spearman


@dataclass
class Choice:
    """The chosen recipe and how it was chosen (every candidate tried, with its fit-half objective)."""

    recipe: Recipe
    fit: float
    tried: list[tuple[str, float]]
    candidates: list[str]
    objective: str = "spearman"


WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0)
SEARCH_BUDGET = 100  # distinct cells a search evaluates (the Search page's and docs/search_results.md's budget)


def expected_best_of(scores: np.ndarray, truth: np.ndarray, budget: int = SEARCH_BUDGET) -> float:
    """The truth of the best-scored cell among `budget` distinct cells drawn at random, in expectation.

    What a search with this fitness and budget is after, computed exactly rather than by drawing: the
    i-th best-scored of n cells is the best of a random draw with probability C(n-1-i, budget-1) / C(n, budget).
    Ties in the score are broken by position, as a stable sort does.
    """
    scores, truth = np.asarray(scores, dtype=float), np.asarray(truth, dtype=float)
    known = ~(np.isnan(scores) | np.isnan(truth))
    scores, truth = scores[known], truth[known]
    n = len(scores)
    if n < budget:
        raise ValueError(f"expected_best_of needs at least budget = {budget} cells, got {n}")
    order = np.argsort(-scores, kind="stable")
    below = n - 1 - np.arange(n)  # cells scored lower than the i-th best
    possible = below >= budget - 1
    log_weight = np.full(n, -np.inf)
    log_weight[possible] = (_log_comb(below[possible], budget - 1) - _log_comb(np.array([n]), budget))
    return float(np.dot(np.exp(log_weight), truth[order]))


def _log_comb(n: np.ndarray, k: int) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


OBJECTIVES = {"spearman": spearman, "best-of-100": expected_best_of}


def candidate_terms(frame: pd.DataFrame, rows: np.ndarray, *, min_coverage: float = 0.95) -> list[Term]:
    """Every proxy column measured on at least `min_coverage` of `rows`, and each SWAP column regularised
    by each label-free rule."""
    terms = []
    for column in proxy_columns(frame):
        coverage = float(np.mean(~np.isnan(frame[column].to_numpy(dtype=float)[rows])))  # +-inf is measured
        if coverage < min_coverage:
            continue
        terms.append(Term(column))
        if column.startswith("swap") and "params" in frame.columns:
            terms += [Term(column, regularize=rule) for rule in analysis.REGULARIZATION_RULES]
    return terms


def choose(frame: pd.DataFrame, truth: np.ndarray, rows: np.ndarray, *, max_terms: int = 5,
           methods: Sequence[str] = analysis.AGGREGATIONS, min_coverage: float = 0.95,
           objective: str = "spearman") -> Choice:
    """Greedy forward selection of terms, then coordinate ascent on their weights, maximising `objective`
    (a name of `OBJECTIVES`: Spearman for a ranking, best-of-100 for a search fitness) with `truth` on `rows`
    only (the other rows' truth is never read).

    Ranks are taken over all rows of `frame` (label-free), so the candidates are precomputed once.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; known: {', '.join(OBJECTIVES)}")
    measure = OBJECTIVES[objective]
    terms = candidate_terms(frame, rows, min_coverage=min_coverage)
    if not terms:
        raise ValueError(f"no proxy column covers {min_coverage:.0%} of the fitting rows")
    term_values = {t: t.values(frame) for t in terms}
    y = truth[rows]
    tried: list[tuple[str, float]] = []
    cache: dict[Recipe, float] = {}

    def fit(recipe: Recipe) -> float:
        if recipe not in cache:
            if len(recipe.terms) == 1:
                values = term_values[replace(recipe.terms[0], weight=1.0)]
            else:
                values = analysis.aggregate([term_values[replace(t, weight=1.0)] for t in recipe.terms],
                                            method=recipe.method, weights=[t.weight for t in recipe.terms])
            cache[recipe] = measure(values[rows], y)
            tried.append((recipe.text(), cache[recipe]))
        value = cache[recipe]
        return value if np.isfinite(value) else -np.inf

    best = greedy(terms, fit, max_terms=max_terms, methods=methods)
    return Choice(best, fit(best), tried, [t.text() for t in terms], objective)


def greedy(terms: Sequence[Term], fit: Callable[[Recipe], float], *, max_terms: int = 5,
           methods: Sequence[str] = analysis.AGGREGATIONS) -> Recipe:
    """Greedy forward selection of terms for each aggregation, then two passes of coordinate ascent on their
    weights (`WEIGHTS`); `fit` is whatever the caller maximises (one benchmark's half, or several at once)."""
    best = max((Recipe((t,)) for t in terms), key=fit)
    for method in methods:
        current = Recipe(best.terms, method)
        while len(current.terms) < max_terms:
            used = {t.column for t in current.terms}
            options = [Recipe((*current.terms, t), method) for t in terms if t.column not in used]
            if not options:
                break
            step = max(options, key=fit)
            if fit(step) <= fit(current) + 1e-4:
                break
            current = step
        for _ in range(2):  # two passes of coordinate ascent on the weights
            for i in range(len(current.terms)):
                variants = [Recipe(tuple(replace(t, weight=w) if j == i else t
                                         for j, t in enumerate(current.terms)), method) for w in WEIGHTS]
                current = max([current, *variants], key=fit)
        if fit(current) > fit(best):
            best = current
    return best


# --- reporting ------------------------------------------------------------------------------------------

def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, report rows): two disjoint seeded halves of range(n), as `analysis.split_halves` draws them."""
    return analysis.split_halves(n, seed)


__all__ = ["OBJECTIVES", "SEARCH_BUDGET", "WEIGHTS", "Choice", "candidate_terms", "choose", "expected_best_of",
           "halves"]
