"""Where one network's score falls among a benchmark's: its percentile over the atlas's scored networks, and
the trained accuracy of the networks nearest to it in score.

    reference = placement.reference("timm-in1k", "swap_b16")     # the atlas with its truth; refusals in words
    found = placement.place(12_345.0, "swap_b16", reference)
    found.percentile, found.nearest, found.words()

The percentile is the share of the atlas's scored networks below the score, ties counted half. The nearest
networks are the k with the smallest gap in score that have a trained accuracy; their accuracy says what
networks scoring alike reached, not what this one will. An atlas still being computed is read as it is, and
every answer says how many of its networks it rests on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from swap_engine.columns import Column, is_score

NEAREST = 5
ATLAS = "timm-in1k"


class PlacementError(ValueError):
    """The benchmark cannot place this score (no atlas yet, no such column, no scored network); said in words."""


@dataclass(frozen=True)
class Placement:
    """One score placed among an atlas's: percentile, the networks nearest in score, and what it rests on."""

    atlas: str
    column: str
    value: float
    percentile: float  # % of the scored networks below the value, ties counted half
    rows: int  # networks with a value in the column
    cells: int  # networks in the atlas in all
    target: str
    nearest: pd.DataFrame  # arch, the column, the target: nearest in score first
    measured: dict[str, Any]  # how the atlas computed the column (input, batch_size, resolution, seed)

    def words(self) -> list[str]:
        """The placement as a reader says it, a few lines."""
        so_far = f"{self.rows:,} of its {self.cells:,} so far" if self.rows < self.cells else f"all {self.rows:,}"
        lines = [f"{Column.parse(self.column).words()} = {self.value:,.1f}: above {self.percentile:.1f}% of "
                 f"{self.atlas or 'the table'}'s networks scored in it ({so_far})"]
        accuracy = _target_words(self.target)
        if not len(self.nearest):
            return [*lines, f"none of those networks has a {accuracy} to compare with"]
        unit = "%" if self.target.endswith("_pct") else ""
        lines.append(f"the {len(self.nearest)} nearest in score reached {accuracy} "
                     f"{self.nearest[self.target].mean():.1f}{unit} on average:")
        shown = self.nearest[["arch", self.column, self.target]].itertuples(index=False)
        return lines + [f"  {arch}: score {score:,.1f}, {accuracy} {value:.1f}{unit}" for arch, score, value in shown]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"atlas": self.atlas, "column": self.column, "value": self.value, "percentile": self.percentile,
                "rows": self.rows, "cells": self.cells, "target": self.target, "measured": self.measured,
                "nearest": [{"arch": r["arch"], "score": float(r[self.column]), self.target: float(r[self.target])}
                            for r in self.nearest.to_dict("records")]}


def reference(atlas: str, column: str) -> pd.DataFrame:
    """Atlas `atlas` joined with its trained accuracy, checked to place scores of `column`; a `PlacementError`
    in words when the atlas is not computed yet, lacks the column or has no network scored in it."""
    from swap_engine import atlas as atlases

    chosen = atlases.spec(atlas)
    try:
        frame = atlases.with_truth(atlas, measured_only=False)
    except FileNotFoundError:
        raise PlacementError(f"no {atlas} atlas on this machine yet, so there is nothing to compare with; compute "
                             f"it with `swap-explorer atlas --space {atlas}`") from None
    scores = sorted(c for c in frame.columns if is_score(c) and Column.parse(c).proxy == Column.parse(column).proxy)
    if column not in frame.columns:
        hint = f"; it has {', '.join(scores)}" if scores else ""
        raise PlacementError(f"the {atlas} atlas has no column {column} ({Column.parse(column).words()}){hint}: "
                             "score with the batch size of one of those to compare")
    rows = int(np.isfinite(frame[column].to_numpy(dtype=float)).sum())
    if rows == 0:
        raise PlacementError(f"the {atlas} atlas has {len(frame):,} networks but none scored in {column} yet")
    column_of = Column.parse(column)
    settings = chosen.settings(column_of.proxy, column_of.batch) if column_of.batch else {}
    frame.attrs = {**frame.attrs, "measured": {k: settings.get(k) for k in ("input", "batch_size", "resolution",
                                                                              "seed")}}
    return frame


def place(value: float, column: str, frame: pd.DataFrame, *, target: str | None = None,
          k: int = NEAREST) -> Placement:
    """`value` of `column` placed among `frame`'s rows (arch, the column, a target: `reference`'s, or any table
    like it); `target` defaults to the frame's first (`attrs["targets"]`), else its first accuracy column."""
    if not math.isfinite(value):
        raise PlacementError(f"a score of {value} cannot be placed: it is not a finite number")
    if column not in frame.columns:
        raise PlacementError(f"the table has no column {column}")
    chosen = target or next(iter(frame.attrs.get("targets", [])), None) or \
        next((c for c in frame.columns if "acc" in str(c)), None)
    if chosen is None or chosen not in frame.columns:
        raise PlacementError(f"the table has no accuracy column{' ' + chosen if chosen else ''} to compare with")
    scores = frame[column].to_numpy(dtype=float)
    finite = np.isfinite(scores)
    if not finite.any():
        raise PlacementError(f"no network of the table has a value in {column}")
    scored = scores[finite]
    percentile = 100.0 * (np.sum(scored < value) + 0.5 * np.sum(scored == value)) / len(scored)
    known = frame[finite & frame[chosen].notna().to_numpy()]
    gap = (known[column].astype(float) - value).abs()
    nearest = known.assign(_gap=gap).sort_values(["_gap", "arch"], kind="stable").head(k)
    return Placement(atlas=str(frame.attrs.get("atlas", "")), column=column, value=float(value),
                     percentile=float(percentile), rows=int(finite.sum()),
                     cells=int(frame.attrs.get("cells", len(frame))), target=chosen,
                     nearest=nearest[["arch", column, chosen]].reset_index(drop=True),
                     measured=dict(frame.attrs.get("measured", {})))


def _target_words(target: str) -> str:
    return {"imagenet_top1_acc_pct": "ImageNet-1k top-1", "imagenet_top5_acc_pct": "ImageNet-1k top-5"}.get(
        target, target.removesuffix("_pct").replace("_", " "))


__all__ = ["ATLAS", "NEAREST", "Placement", "PlacementError", "place", "reference"]
