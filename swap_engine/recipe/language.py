"""The recipe language: which atlas columns, how each is transformed, and how they are combined into one ranking.

A `Recipe` is a list of terms and an aggregation (`analysis.aggregate`). A term is one atlas column
(`swap_b16`, `params`, `naswot_b64`, ...), optionally regularised by the parameter count (SWAP columns:
`swap_b16@reg=median`, mu and sigma from the space's own parameter distribution, or `@reg=MU/SIGMA`), with
a weight. Its text form is what the CLI, the lab page and a search history take:

    log_rank:swap_b16+params                     AZ-NAS's sum of log-normalised ranks
    mean_rank:2*swap_b16+params+naswot_b64       weighted mean of normalised ranks
    swap_b16@reg=median                          regularised SWAP alone
    swap_b16                                     one column alone (its own ranking)

A recipe reads only the frame it is given, so the same text means the same thing on every benchmark; where
the frame comes from (the atlas, the round-1 sample tables) is the studies' business
(`swap_engine.studies.recipe_study.atlas`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd
from scipy import stats

from swap_engine import analysis
from swap_engine.columns import is_score
from swap_engine.resources import sample_data_path

# Columns of the atlas that are not proxy scores.
NOT_PROXIES = {"nb201_index", "arch", "row", "index"}


def proxy_columns(frame: pd.DataFrame) -> list[str]:
    """The score columns of an atlas frame (not keys, not `<column>_seconds` costs, not neuron counts)."""
    return [c for c in frame.columns
            if c not in NOT_PROXIES and c not in frame.attrs.get("targets", ()) and not c.endswith("_acc_pct")
            and is_score(c) and pd.api.types.is_numeric_dtype(frame[c])]


# AZ-NAS's own combination (CVPR 2024): its three proxies and FLOPs by the sum of log-normalised ranks.
AZ_NAS = "log_rank:az_expressivity_b64+az_progressivity_b64+az_trainability_b64+flops"
# VKDNW's aggregate, VKDNW_agg (Tybl and Neumann, CVPR 2025): its single score (tensor count + Fisher-spectrum
# entropy), Jacov, AZ-NAS's expressivity and trainability, and FLOPs by the sum of log ranks (the authors'
# `vkdnw_comb_rank`, ondratybl/VKDNW NB201/tss_utils.py). They fill a NaN Jacov with the column's worst value; here
# a cell with a NaN term scores NaN.
VKDNW_AGG = "log_rank:vkdnw_b64+jacov_b64+az_expressivity_b64+az_trainability_b64+flops"
# The study's choices, written by `recipe --recipes-json`; the lab offers them as starting points.
CHOICES_FILE = "nb201_recipes.json"
CHOICE_LABELS = {"ranking": "The study's ranking recipe (chosen on half the cells)",
                 "whole_space": "The study's ranking recipe among the columns on every cell",
                 "search": "The study's search recipe (best of 100 random cells)"}


def named_recipes(frame: pd.DataFrame) -> dict[str, str]:
    """Recipes to start from, by what they are: AZ-NAS's (its proxies measured here), SWAP with the
    parameter count, and the study's choices in sample_data; only those whose columns `frame` has."""
    import json

    named = {"AZ-NAS (CVPR 2024), its four proxies measured here": AZ_NAS,
             "VKDNW_agg (CVPR 2025), its five proxies measured here": VKDNW_AGG,
             "SWAP at B = 16 and the parameter count, by log-ranks": "log_rank:swap_b16+params"}
    path = sample_data_path(CHOICES_FILE, must_exist=False)
    if path.exists():
        chosen = json.loads(path.read_text())
        named.update({label: chosen[key] for key, label in CHOICE_LABELS.items() if chosen.get(key)})
    return {label: text for label, text in named.items()
            if all(column in frame.columns for column in Recipe.parse(text).columns())}


@dataclass(frozen=True)
class Term:
    """One atlas column in a recipe; `regularize`: None, a rule of `analysis.auto_regularization` or (mu, sigma)."""

    column: str
    weight: float = 1.0
    regularize: str | tuple[float, float] | None = None

    def text(self) -> str:
        weight = "" if self.weight == 1 else f"{self.weight:g}*"
        if self.regularize is None:
            reg = ""
        elif isinstance(self.regularize, str):
            reg = f"@reg={self.regularize}"
        else:
            reg = f"@reg={self.regularize[0]:.6g}/{self.regularize[1]:.6g}"
        return f"{weight}{self.column}{reg}"

    def values(self, frame: pd.DataFrame, reference: pd.DataFrame | None = None) -> np.ndarray:
        """The term's per-row values (before ranking); a rule's mu/sigma come from `reference`'s params."""
        if self.column not in frame.columns:
            raise ValueError(f"column {self.column!r} is not in the atlas; known: {', '.join(proxy_columns(frame))}")
        values = frame[self.column].to_numpy(dtype=np.float64)
        if self.regularize is None:
            return values
        if "params" not in frame.columns:
            raise ValueError(f"{self.text()}: regularising needs a params column")
        mu, sigma = self.mu_sigma(reference if reference is not None else frame)
        return analysis.regularized(values, frame["params"].to_numpy(dtype=np.float64), mu, sigma)

    def mu_sigma(self, reference: pd.DataFrame) -> tuple[float, float]:
        if isinstance(self.regularize, str):
            return analysis.auto_regularization(reference["params"].to_numpy(dtype=np.float64), self.regularize)
        mu, sigma = self.regularize  # type: ignore[misc]
        return float(mu), float(sigma)


_TERM = re.compile(r"^(?:(?P<w>[0-9.]+(?:e[-+]?[0-9]+)?)\*)?(?P<col>[A-Za-z_][A-Za-z0-9_]*)"
                   r"(?:@reg=(?P<reg>[A-Za-z]+|[0-9.eE+-]+/[0-9.eE+-]+))?$")


@dataclass(frozen=True)
class Recipe:
    """Terms combined by `method` ("log_rank" or "mean_rank", see `analysis.aggregate`)."""

    terms: tuple[Term, ...]
    method: str = "log_rank"
    missing: str = "propagate"
    notes: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError("a recipe needs at least one term")
        if self.method not in analysis.AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.method!r}; known: {', '.join(analysis.AGGREGATIONS)}")

    @classmethod
    def parse(cls, text: str) -> Recipe:
        """`[METHOD:]TERM+TERM...`, TERM = `[W*]COLUMN[@reg=RULE|@reg=MU/SIGMA]`; see the module docstring."""
        body = text.strip()
        method = "log_rank"
        if ":" in body:
            method, body = (part.strip() for part in body.split(":", 1))
        terms = []
        for part in re.split(r"(?<![eE])\+", body):
            match = _TERM.match(part.strip())
            if not match:
                raise ValueError(f"cannot read recipe term {part.strip()!r} in {text!r}; write e.g. "
                                 "'log_rank:swap_b16+params', '2*naswot_b64' or 'swap_b16@reg=median'")
            reg: str | tuple[float, float] | None = match["reg"]
            if reg is not None and "/" in reg:
                mu, sigma = reg.split("/")
                reg = (float(mu), float(sigma))
            elif reg is not None and reg not in analysis.REGULARIZATION_RULES:
                raise ValueError(f"unknown regularisation rule {reg!r}; known: "
                                 f"{', '.join(analysis.REGULARIZATION_RULES)} or MU/SIGMA")
            terms.append(Term(match["col"], float(match["w"]) if match["w"] else 1.0, reg))
        return cls(tuple(terms), method)

    def text(self) -> str:
        body = "+".join(t.text() for t in self.terms)
        return body if len(self.terms) == 1 and self.terms[0].weight == 1 else f"{self.method}:{body}"

    def __str__(self) -> str:
        return self.text()

    @property
    def key(self) -> str:
        """The recipe as a `Scorer` (`swap_engine.recipe.scorer`): its text keys every cache."""
        return self.text()

    @property
    def label(self) -> str:
        return self.text()

    def columns(self) -> list[str]:
        """Atlas columns the recipe reads (params too when a term is regularised)."""
        needed = [t.column for t in self.terms]
        if any(t.regularize is not None for t in self.terms) and "params" not in needed:
            needed.append("params")
        return needed

    def score(self, frame: pd.DataFrame, reference: pd.DataFrame | None = None) -> np.ndarray:
        """One combined score per row of `frame`, ranks taken over `frame`'s rows (label-free)."""
        values = [t.values(frame, reference) for t in self.terms]
        if len(values) == 1:
            return values[0]  # one term: its own values (the same ranking as its ranks, but readable)
        return analysis.aggregate(values, method=self.method, weights=[t.weight for t in self.terms],
                                  missing=self.missing)


def spearman(scores: np.ndarray, truth: np.ndarray) -> float:
    """Spearman over rows where both are known (NaN-free); NaN for fewer than 3 such rows."""
    keep = ~np.isnan(scores) & ~np.isnan(truth)
    if keep.sum() < 3 or np.ptp(scores[keep]) == 0:
        return math.nan
    return float(stats.spearmanr(scores[keep], truth[keep]).statistic)




# How a score of -inf (or +inf) is read, one rule for a proxy alone and for every combination: NASWOT's -inf is
# a singular kernel, AZ-NAS's an identity block; both are defined orders ("worst"), not missing values.
class NonFinite(str, Enum):
    """The rule for a score of -inf: ranked last (the worst score), or the cell dropped. A `str`, so that "last"
    and "drop" (a link, a saved setting) read as the rule itself."""

    LAST = "last"
    DROP = "drop"

    def words(self) -> str:
        return NON_FINITE[self.value]


NON_FINITE = {"last": "rank -inf last (the worst score)", "drop": "drop cells with -inf"}


def with_non_finite(frame: pd.DataFrame, columns: list[str], rule: str) -> pd.DataFrame:
    """`frame` with +-inf in `columns` turned to NaN under rule "drop" (a cell with any -inf term leaves every
    statistic); unchanged under "last"."""
    if rule not in NON_FINITE:
        raise ValueError(f"unknown rule for -inf {rule!r}; known: {', '.join(NON_FINITE)}")
    if rule == "last":
        return frame
    return frame.assign(**{c: frame[c].replace([np.inf, -np.inf], np.nan) for c in columns if c in frame})


def ordered(values: np.ndarray, rule: str) -> np.ndarray:
    """Scores whose +-inf sit just beyond the finite ones (rule "last": every statistic keeps them, as the worst or
    best), or are NaN (rule "drop"); NaN stays NaN."""
    values = np.asarray(values, dtype=np.float64)
    if rule == "drop":
        return np.where(np.isinf(values), np.nan, values)
    finite = values[np.isfinite(values)]
    if not np.isinf(values).any() or finite.size == 0:
        return values
    span = max(float(np.ptp(finite)), 1.0)
    low, high = float(finite.min()) - span, float(finite.max()) + span
    return np.where(values == -np.inf, low, np.where(values == np.inf, high, values))

__all__ = ["AZ_NAS", "CHOICES_FILE", "CHOICE_LABELS", "NOT_PROXIES", "NonFinite", "Recipe", "Term", "VKDNW_AGG",
           "named_recipes", "proxy_columns", "spearman"]
