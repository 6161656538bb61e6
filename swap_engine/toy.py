"""A network small enough to see whole, for teaching SWAP: 2 inputs -> 4 ReLU neurons -> 3 ReLU neurons.

`explain` scores it three ways and returns every intermediate: the engine's `swap_score` (with all
patterns kept), the naive reference (`naive_counts`), and a plain step-by-step count over the neurons
in order. The three must agree; the app's Learn page shows the step-by-step one and checks the others.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from swap_engine.swap.naive import naive_counts
from swap_engine.swap.score import swap_score

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
    signs: np.ndarray  # N x B, 1 where the neuron fired, 0 where it did not (from the engine)
    patterns: list[str]  # each neuron's pattern as text, e.g. "1 0 0 1"
    group: list[str]  # a letter per distinct pattern: A for the first pattern met, B for the next, ...
    steps: pd.DataFrame  # the count, one neuron at a time
    distinct: int  # the step-by-step count
    engine_score: float  # swap_score(...).raw_score
    naive_score: int  # naive_counts(...)[0]
    per_layer: list[int]  # distinct patterns inside each layer (engine)
    bound: int  # min(N, 2^B)

    @property
    def neurons(self) -> int:
        return self.signs.shape[0]

    @property
    def batch_size(self) -> int:
        return self.signs.shape[1]

    @property
    def agree(self) -> bool:
        return self.distinct == self.engine_score == self.naive_score


def explain(weights: dict, batch: list[list[float]] | np.ndarray) -> ToyExplanation:
    """Run the toy on the batch, take the engine's sign matrix, and count its distinct rows step by step."""
    x = torch.tensor(np.asarray(batch, dtype=np.float32).reshape(-1, len(INPUTS)))
    if x.shape[0] < 1:
        raise ValueError("the batch needs at least one sample")
    model = toy_network(weights)
    outputs: list[torch.Tensor] = []
    handles = [m.register_forward_hook(lambda _m, _a, out: outputs.append(out.detach().clone()))
               for m in (model.relu1, model.relu2)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    activations = torch.cat(outputs, dim=1).T.numpy()

    result = swap_score(model, x, keep_patterns=len(NEURONS), device="cpu")
    signs = result.patterns.values.astype(int)  # all neurons kept, in network order
    naive, _ = naive_counts(model, x)

    seen: dict[str, str] = {}
    first_of: dict[str, str] = {}
    patterns, group, rows = [], [], []
    for neuron, row in zip(NEURONS, signs):
        text = " ".join(str(v) for v in row)
        is_new = text not in seen
        if is_new:
            seen[text] = chr(ord("A") + len(seen))
            first_of[text] = neuron
        patterns.append(text)
        group.append(seen[text])
        rows.append({"step": len(rows) + 1, "neuron": neuron, "layer": 1 if neuron in LAYER1 else 2,
                     "pattern": f"{text}  ({seen[text]})",
                     "what happens": "new: count it" if is_new else f"as {first_of[text]}: skip",
                     "distinct so far": len(seen)})
    return ToyExplanation(batch=x.numpy(), activations=activations, signs=signs, patterns=patterns, group=group,
                          steps=pd.DataFrame(rows), distinct=len(seen), engine_score=result.raw_score,
                          naive_score=naive, per_layer=[layer.distinct for layer in result.layers],
                          bound=result.bound)
