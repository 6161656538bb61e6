"""Scores at the bound 2^B tie: the batch cannot tell those networks apart, so no ranking can order them.

Activation patterns says so of one cell; Correlation, Score distribution and the Batch-size sweep say it of many,
in these words, with how many sit there, and why a Spearman is missing where it is (issue 32).
"""
from __future__ import annotations

import pandas as pd

from ui import numbers


def base(table: pd.DataFrame) -> int:
    """3 where the networks have ternary patterns (GELU-like: -1, 0, +1), else 2."""
    return 3 if "ternary" in table and bool(table["ternary"].any()) else 2


def bound_text(table: pd.DataFrame, batch_size: int) -> str:
    """ "2^B = 256" (or "3^B = ..."), the patterns a batch of `batch_size` can make."""
    b = base(table)
    return f"{b}^B = {numbers.power(b, batch_size)}"


def at_bound(table: pd.DataFrame, batch_size: int) -> int:
    """How many raw scores reached base^B, the most distinct patterns `batch_size` samples allow."""
    return int((table["raw_score"] >= base(table) ** batch_size).sum())


def words(table: pd.DataFrame, batch_size: int) -> str | None:
    """The warning for a sample with two or more scores at base^B, None without."""
    n_at, n = at_bound(table, batch_size), len(table)
    if n_at < 2:
        return None
    which = f"All {n:,}" if n_at == n else f"{n_at:,} of these {n:,}"
    return (f"**Ties at the bound.** {which} scores sit at {bound_text(table, batch_size)} "
            f"(B = {batch_size}): the batch cannot tell those networks apart, so they tie and SWAP cannot order "
            "them; rank correlations give them one shared rank. A larger batch separates them (the Batch-size "
            "sweep shows where scores leave the bound).")


def no_spearman(scores: pd.Series, targets: pd.Series, batch_size: int, table: pd.DataFrame) -> str:
    """Why these scores and targets have no Spearman, in words (they have one: "")."""
    n = len(scores)
    if n < 3:
        return f"only {n} with ground truth (3 needed)"
    if scores.nunique() == 1:
        value = float(scores.iloc[0])
        if value >= base(table) ** batch_size:
            return f"all {n} scores tie at the bound {bound_text(table, batch_size)}"
        return f"all {n} scores tie at {numbers.count(value)}"
    if targets.nunique() == 1:
        return f"all {n} accuracies are equal"
    return ""


__all__ = ["at_bound", "base", "bound_text", "no_spearman", "words"]
