"""The SWAP-Score as a search fitness, computed live: one architecture in, a `Score` out, the same weights every time.

Recipes over the atlas as fitnesses (looked up where the atlas covers a cell) are
`swap_engine.studies.recipe_fitness.RecipeFitness`.
"""
from __future__ import annotations

import hashlib
from typing import Any

import torch

from swap_engine.search.evolution import Score
from swap_engine.search.history import jsonable
from swap_engine.spaces.base import SearchSpace


class SwapFitness:
    """SWAP-Score of `space.build(arch)` on a fixed batch; the same architecture always gets the same weights.

    Called with an architecture it returns a `Score` (regularised score, raw mean count, parameters).
    `settings` identifies the fitness in a search history (the batch by a hash of its values). The device is
    left out so that a search can resume on another one: replayed steps keep their recorded scores, and new
    scores differ across devices at most where float rounding flips the sign of a value at zero.
    """

    def __init__(self, space: SearchSpace, batch: Any, *, regularize: tuple[float, float] | None = None,
                 **swap_options: Any) -> None:
        from swap_engine import swap_score  # the engine is imported only when a SWAP fitness is built
        from swap_engine.models import build

        self._swap_score, self._build = swap_score, build
        self.space = space
        self.batch = batch
        self.regularize = tuple(regularize) if regularize is not None else None
        self.swap_options = swap_options
        described = {k: v for k, v in swap_options.items() if k != "device"}
        self.settings = jsonable({"metric": "swap", "regularize": self.regularize, "batch": _fingerprint(batch),
                                  **described})

    def __call__(self, arch: Any) -> Score:
        model = self._build(self.space, arch, seed=self.swap_options.get("seed", 0))  # as the CLI and runner do
        result = self._swap_score(model, self.batch, regularize=self.regularize, **self.swap_options)
        return Score(float(result.score), raw=result.raw_score, params=result.params)


def swap_fitness(space: SearchSpace, batch: Any, *, regularize: tuple[float, float] | None = None,
                 **swap_options: Any) -> SwapFitness:
    """The SWAP-Score (regularised with `(mu, sigma)` when given) as a search fitness; see `SwapFitness`."""
    return SwapFitness(space, batch, regularize=regularize, **swap_options)


def _fingerprint(batch: Any) -> str:
    """The batch's shape and a short hash of its values, so a history records which inputs scored it."""
    if isinstance(batch, torch.Tensor):
        tensors = {"x": batch}
    else:
        tensors = {"x": batch.x, "attention_mask": getattr(batch, "attention_mask", None)}
    digest = hashlib.sha256()
    for name, tensor in tensors.items():
        if tensor is not None:
            tensor = tensor.detach().cpu().contiguous()
            digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
            digest.update(tensor.numpy().tobytes())
    return "x".join(map(str, tensors["x"].shape)) + " " + digest.hexdigest()[:16]


__all__ = ["SwapFitness", "swap_fitness"]
