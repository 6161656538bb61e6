"""What scores every row of an atlas frame: the one interface the Proxy lab, the studies and search read.

    class Scorer(Protocol):
        key: str                                   # stable and unique: the caches are keyed on it
        label: str                                 # in words, for a title or a caption
        def score(self, frame) -> np.ndarray: ...  # one value per row of `frame`, higher is better, NaN unknown

A `Recipe` is one (label-free: its key and label are its text); a predictor fitted on k labels will be another.
`reads(scorer, frame)`: the atlas columns a scorer reads, where it says (a recipe's `columns()`), else every proxy
column of the frame.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from swap_engine.recipe.language import proxy_columns


@runtime_checkable
class Scorer(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    def score(self, frame: pd.DataFrame) -> np.ndarray: ...


def reads(scorer: Scorer, frame: pd.DataFrame) -> list[str]:
    """The columns of `frame` that `scorer` reads: its own list where it keeps one, else every proxy column."""
    columns = getattr(scorer, "columns", None)
    return list(columns()) if callable(columns) else proxy_columns(frame)


__all__ = ["Scorer", "reads"]
