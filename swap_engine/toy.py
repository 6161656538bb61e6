"""A network small enough to see whole, for teaching SWAP: 2 inputs -> 4 ReLU neurons -> 3 ReLU neurons.

`explain` runs it in NumPy (seven neurons need no PyTorch, so the Learn page draws at once) and counts
the distinct patterns step by step over the neurons in order; `check` scores the same toy with the
engine's `swap_score` (all patterns kept) and the naive reference (`naive_counts`). The three must
agree; the app's Learn page shows the step-by-step count and then the check.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from torch import nn

INPUTS = ("x1", "x2")
LAYER1 = ("h1", "h2", "h3", "h4")
LAYER2 = ("g1", "g2", "g3")
NEURONS = LAYER1 + LAYER2
MAX_SAMPLES = 8

# Chosen so that, on the default batch, h1 and h2 share a pattern, g3 repeats h3 across layers,
# and h4 never fires (a "dead" neuron): 7 neurons, 5 distinct patterns.
DEFAULT_WEIGHTS = {
    "w1": [[1.0, 0.0], [1.0, 0.3], [0.0, 1.0], [-1.0, -1.0]],
    "b1": [0.0, 0.0, 0.0, -3.0],
    "w2": [[1.0, 0.0, 1.0, 0.0], [-1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]],
    "b2": [0.0, 0.5, -0.2],
}
DEFAULT_BATCH = [[1.0, 0.5], [-0.5, 1.0], [-1.0, -0.5], [0.5, -1.0],
                 [1.5, 1.5], [-1.5, 0.5], [0.0, -1.5], [2.0, -0.5]]


def random_batch(seed: int, n: int = MAX_SAMPLES) -> list[list[float]]:
    """`n` points of the plane from N(0, 1), rounded to one decimal so they are easy to read, and kept
    inside [-2.4, 2.4] so that they stay on the page's picture."""
    points = np.random.default_rng(seed).normal(size=(n, 2)).clip(-2.4, 2.4).round(1)
    return points.tolist()


def weight_names() -> list[tuple[str, int, int | None, str]]:
    """Every parameter as (tensor, row, column or None for a bias, readable name), layer by layer."""
    names = []
    for r, neuron in enumerate(LAYER1):
        names += [("w1", r, c, f"{neuron}: weight from {x}") for c, x in enumerate(INPUTS)]
        names.append(("b1", r, None, f"{neuron}: bias"))
    for r, neuron in enumerate(LAYER2):
        names += [("w2", r, c, f"{neuron}: weight from {h}") for c, h in enumerate(LAYER1)]
        names.append(("b2", r, None, f"{neuron}: bias"))
    return names


def toy_network(weights: dict) -> nn.Sequential:
    """The toy as a real PyTorch model with the given weights (lists as in `DEFAULT_WEIGHTS`)."""
    import torch
    from torch import nn

    model = nn.Sequential(OrderedDict([
        ("linear1", nn.Linear(len(INPUTS), len(LAYER1))), ("relu1", nn.ReLU()),
        ("linear2", nn.Linear(len(LAYER1), len(LAYER2))), ("relu2", nn.ReLU()),
    ]))
    with torch.no_grad():
        for layer, w, b in ((model.linear1, "w1", "b1"), (model.linear2, "w2", "b2")):
            layer.weight.copy_(torch.tensor(weights[w], dtype=torch.float32))
            layer.bias.copy_(torch.tensor(weights[b], dtype=torch.float32))
    return model


@dataclass(frozen=True)
class ToyExplanation:
    """Everything the Learn page shows. Rows of `activations` and `signs` are neurons (h1..h4, g1..g3)."""

    batch: np.ndarray  # B x 2 inputs
    activations: np.ndarray  # N x B outputs of the ReLUs
    signs: np.ndarray  # N x B, 1 where the neuron fired, 0 where it did not
    patterns: list[str]  # each neuron's pattern as text, e.g. "1 0 0 1"
    group: list[str]  # a name per distinct pattern: P1 for the first met, P2 for the next (not B: the batch size)
    steps: pd.DataFrame  # the count, one neuron at a time
    distinct: int  # the step-by-step count
    bound: int  # min(N, 2^B)

    @property
    def neurons(self) -> int:
        return self.signs.shape[0]

    @property
    def batch_size(self) -> int:
        return self.signs.shape[1]


@dataclass(frozen=True)
class EngineCheck:
    """The same toy through the real engine and the naive reference."""

    signs: np.ndarray  # the engine's kept patterns, N x B
    engine_score: float  # swap_score(...).raw_score
    naive_score: int  # naive_counts(...)[0]
    per_layer: list[int]  # distinct patterns inside each layer (engine)

    def agrees(self, explanation: ToyExplanation) -> bool:
        return (np.array_equal(self.signs, explanation.signs)
                and explanation.distinct == self.engine_score == self.naive_score)


def forward(weights: dict, batch: list[list[float]] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch as a B x 2 float32 array and the ReLU outputs (N x B), computed as torch's Linear does."""
    x = _inputs(batch)
    outputs, h = [], x
    for w, b in (("w1", "b1"), ("w2", "b2")):
        h = np.maximum(h @ np.asarray(weights[w], dtype=np.float32).T + np.asarray(weights[b], dtype=np.float32),
                       np.float32(0))
        outputs.append(h)
    return x, np.concatenate(outputs, axis=1).T


def _inputs(batch: list[list[float]] | np.ndarray) -> np.ndarray:
    x = np.asarray(batch, dtype=np.float32).reshape(-1, len(INPUTS))
    if x.shape[0] < 1:
        raise ValueError("the batch needs at least one sample")
    return x


def explain(weights: dict, batch: list[list[float]] | np.ndarray) -> ToyExplanation:
    """Run the toy on the batch, take its sign matrix, and count its distinct rows step by step."""
    x, activations = forward(weights, batch)
    signs = (activations > 0).astype(int)
    seen: dict[str, str] = {}
    first_of: dict[str, str] = {}
    patterns, group, rows = [], [], []
    for neuron, row in zip(NEURONS, signs):
        text = " ".join(str(v) for v in row)
        is_new = text not in seen
        if is_new:
            seen[text] = f"P{len(seen) + 1}"
            first_of[text] = neuron
        patterns.append(text)
        group.append(seen[text])
        rows.append({"step": len(rows) + 1, "neuron": neuron, "layer": 1 if neuron in LAYER1 else 2,
                     "pattern": f"{text}  ({seen[text]})",
                     "what happens": "new: count it" if is_new else f"as {first_of[text]}: skip",
                     "distinct so far": len(seen)})
    return ToyExplanation(batch=x, activations=activations, signs=signs, patterns=patterns, group=group,
                          steps=pd.DataFrame(rows), distinct=len(seen),
                          bound=min(len(NEURONS), 2 ** x.shape[0]))


def check(weights: dict, batch: list[list[float]] | np.ndarray) -> EngineCheck:
    """Score the toy with the engine (every pattern kept) and the naive reference."""
    import torch

    from swap_engine.swap.naive import naive_counts
    from swap_engine.swap.score import swap_score

    x = torch.from_numpy(_inputs(batch))
    model = toy_network(weights)
    result = swap_score(model, x, keep_patterns=len(NEURONS), device="cpu")
    naive, _ = naive_counts(model, x)
    return EngineCheck(signs=result.patterns.values.astype(int), engine_score=result.raw_score,
                       naive_score=naive, per_layer=[layer.distinct for layer in result.layers])
