"""Any proxy or recipe as a search fitness: looked up in the atlas where it covers the cell, computed otherwise.

`RecipeFitness(space, "log_rank:swap_b16+params")` is a callable for `swap_engine.search` (it returns a
`search.Score`). For a cell the atlas covers (every column the recipe reads is measured) the fitness is the
recipe's score over the whole atlas, read from a table. For any other cell, each column is computed live
(the proxy at that batch size, on the first B CIFAR-10 training images, the model built from
`torch.manual_seed(LIVE_SEED)`, as the whole-space tables were) and each value is ranked against the atlas's
values of that column, so a live cell and a looked-up one are on the same scale. A one-term recipe without
ranks is the column's own value either way.

How such searches fare against random search is `swap_engine.studies.search_evidence.evidence`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from swap_engine.columns import Column
from swap_engine.recipe import Recipe
from swap_engine.studies.recipe_study import atlas

LIVE_SEED = 0  # every whole-space table built each model from torch.manual_seed(0)


def column_proxy(column: str) -> tuple[str, int | None]:
    """(proxy name, batch size) of an atlas column (`Column.parse`): `swap_layersum_b32` -> ("swap_layersum", 32)."""
    parsed = Column.parse(column)
    return parsed.stem, parsed.batch


class RecipeFitness:
    """A recipe as a search fitness over one space's atlas; see the module docstring.

    `live=False` makes a cell outside the atlas an error instead of scoring it. `lookups` and `computed`
    count how each call was answered.
    """

    def __init__(self, space: Any, recipe: Recipe | str, frame: pd.DataFrame | None = None, *,
                 live: bool = True, device: str | None = None) -> None:
        self.space = space
        self.recipe = Recipe.parse(recipe) if isinstance(recipe, str) else recipe
        self.frame = frame if frame is not None else atlas(space.name)
        for column in self.recipe.columns():
            if column not in self.frame.columns:
                raise ValueError(f"recipe {self.recipe.text()}: column {column!r} is not in the {space.name} atlas")
        self.live = live
        self.device = device
        scores = self.recipe.score(self.frame)
        params = self.frame["params"].to_numpy(dtype=float) if "params" in self.frame.columns else None
        known = np.isfinite(scores)
        self._lookup = {arch: (float(s), None if params is None or not np.isfinite(p) else int(p))
                        for arch, s, p, k in zip(self.frame["arch"], scores,
                                                 params if params is not None else np.full(len(scores), np.nan),
                                                 known) if k}
        self._reference = {t: np.sort(v[~np.isnan(v)]) for t in self.recipe.terms
                           for v in [t.values(self.frame)]}
        self._batches: dict[int, Any] = {}
        self.lookups = 0
        self.computed = 0
        self.settings = {"metric": "recipe", "recipe": self.recipe.text(),
                         "atlas": str(self.frame.attrs.get("source", "?")), "atlas_cells": len(self._lookup)}

    def covers(self, arch_text: str) -> bool:
        return arch_text in self._lookup

    def __call__(self, arch: Any) -> Any:
        from swap_engine import search

        text = self.space.format(arch)
        if text in self._lookup:
            self.lookups += 1
            value, params = self._lookup[text]
            return search.Score(value, params=params)
        if not self.live:
            raise ValueError(f"{text} is not in the atlas for recipe {self.recipe.text()} (live scoring is off)")
        values = self.measure(arch)
        self.computed += 1
        return search.Score(self.combine(values), params=int(values["params"]) if "params" in values else None)

    def measure(self, arch: Any) -> dict[str, float]:
        """Every column the recipe reads, computed live for one architecture."""
        from swap_engine import count_params, data, models, proxies

        model = models.build(self.space, arch, seed=LIVE_SEED)
        out: dict[str, float] = {}
        for column in self.recipe.columns():
            name, batch_size = column_proxy(column)
            if name == "params":
                out[column] = float(count_params(model))
                continue
            if batch_size is None:
                batch_size = 1 if name == "flops" else 64  # the atlas counts flops on one image
            if batch_size not in self._batches:
                self._batches[batch_size] = data.inputs(self.space.input_spec.default_input, batch_size,
                                                        device=self.device)
            options = {"device": self.device} if "device" in (proxies.get(name).options() or ["device"]) else {}
            out[column] = float(proxies.score(name, model, self._batches[batch_size], **options))
        if "params" not in out:
            out["params"] = float(count_params(model))
        return out

    def combine(self, values: dict[str, float]) -> float:
        """The recipe's score for one cell measured live, each term ranked among the atlas's values."""
        frame = pd.DataFrame({k: [v] for k, v in values.items()})
        terms = []
        for term in self.recipe.terms:
            value = float(term.values(frame, reference=self.frame)[0])
            if len(self.recipe.terms) == 1:
                return value
            if math.isnan(value):
                return math.nan
            reference = self._reference[term]
            below = np.searchsorted(reference, value, side="left")
            equal = np.searchsorted(reference, value, side="right") - below
            rank = (below + (equal + 2) / 2) / (len(reference) + 1)  # average rank among the atlas + this cell
            terms.append(math.log(rank) if self.recipe.method == "log_rank" else rank)
        return float(sum(t.weight * v for t, v in zip(self.recipe.terms, terms)))


def resolve(space: Any, text: str, frame: pd.DataFrame | None = None, **options: Any) -> RecipeFitness:
    """The fitness a `--fitness` text names (any atlas column or recipe)."""
    return RecipeFitness(space, text, frame, **options)


__all__ = ["LIVE_SEED", "RecipeFitness", "column_proxy", "resolve"]
