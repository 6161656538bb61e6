"""L-SWAG (swap_engine.proxies.lswag): against a loop-by-loop computation on tiny models (ReLU and GELU, whole
network and a depth band), hygiene of the caller's model, determinism, and bad input in words."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from swap_engine import proxies
from swap_engine.proxies import lswag
from swap_engine.threads import one_thread
from tests.test_proxies import assert_unchanged, snapshot


def relu_cnn() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))


def gelu_mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 6), nn.GELU(), nn.Linear(6, 6), nn.GELU(), nn.Linear(6, 3))


def by_hand(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, *, splits: int = 2, depth=(0.0, 1.0),
            gradient: str = "inverse_std") -> float:
    """The definition written out with loops: weights in forward order, activations in call order.

    Run on one thread, as every score is: a sum of 1 / std is led by the few weights whose gradients nearly agree
    across parts, so the last bits of BatchNorm's batch statistics (which follow the thread count) move it ~1e-3.
    """
    with one_thread():
        return _by_hand(model, x, y, splits=splits, depth=depth, gradient=gradient)


def _by_hand(model, x, y, *, splits, depth, gradient) -> float:
    weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Conv2d, nn.Linear))]
    acts = [i for i, m in enumerate(model) if isinstance(m, (nn.ReLU, nn.GELU))]
    in_band = lambda k, n: depth[0] <= (k + 0.5) / n <= depth[1]  # noqa: E731

    grads: list[list[np.ndarray]] = [[] for _ in weighted]
    for part in np.array_split(np.arange(len(x)), splits):
        net = copy.deepcopy(model).train()
        loss = F.cross_entropy(net(x[part]), y[part])
        found = torch.autograd.grad(loss, [net[i].weight for i in weighted])
        for store, g in zip(grads, found):
            store.append(g.double().numpy().ravel())
    spread = 0.0
    for k, per_part in enumerate(grads):
        if not in_band(k, len(weighted)):
            continue
        total = 0.0
        for w in range(per_part[0].size):
            values = [abs(g[w]) if gradient == "variance" else g[w] for g in per_part]
            mean = sum(values) / len(values)
            variance = sum((v - mean) ** 2 for v in values) / len(values)
            if gradient == "variance":
                total += variance / per_part[0].size
            elif variance > 0:
                total += 1.0 / math.sqrt(variance) if gradient == "inverse_std" else math.sqrt(variance)
        if gradient == "variance":
            spread += math.log(total + 1.0)
        elif total > 0:
            spread += math.log(total)

    net = copy.deepcopy(model).train()
    patterns = set()
    h = x
    with torch.no_grad():
        for i, module in enumerate(net):
            h = module(h)
            if i in acts and in_band(acts.index(i), len(acts)):
                signs = np.sign(h.reshape(len(x), -1).numpy()).astype(int)
                for neuron in range(signs.shape[1]):
                    patterns.add(tuple(signs[:, neuron]))
    return spread * len(patterns)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(1)
    return torch.randn(8, 3, 5, 5, generator=g), torch.randint(0, 3, (8,), generator=g)


@pytest.mark.parametrize("options", [{}, {"depth": (0.5, 1.0)}, {"gradient": "std"}, {"splits": 4},
                                     {"gradient": "variance", "splits": 8}])
def test_relu_cnn_matches_the_definition_by_hand(images, options):
    x, y = images
    model = relu_cnn()
    expected = by_hand(model, x, y, **options)
    assert expected > 0 or options.get("gradient") in ("std", "variance")
    assert proxies.score("lswag", model, x, y, **options) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("depth", [(0.0, 1.0), (0.0, 0.5)])
def test_gelu_mlp_counts_ternary_patterns(depth):
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(6, 5, generator=g), torch.randint(0, 3, (6,), generator=g)
    model = gelu_mlp()
    expected = by_hand(model, x, y, depth=depth)
    assert proxies.score("lswag", model, x, y, depth=depth) == pytest.approx(expected, rel=1e-6)


def test_components_multiply(images):
    x, y = images
    parts = lswag.components(relu_cnn(), x, y)
    assert parts["lswag"] == parts["lambda"] * parts["psi"]
    assert parts["lambda"] > 0 and parts["psi"] >= 1


def test_caller_model_unchanged_and_seeded(images):
    x, y = images
    model = relu_cnn()
    model.eval()
    before = snapshot(model)
    torch.manual_seed(7)
    expected_next = torch.rand(1)
    torch.manual_seed(7)
    first = proxies.score("lswag", model, x, y, seed=3)
    assert torch.equal(torch.rand(1), expected_next), "the caller's RNG state must be untouched"
    assert proxies.score("lswag", model, x, y, seed=3) == first
    assert_unchanged(model, before)
    assert proxies.get("lswag").needs_targets


def test_bad_input_is_a_value_error_in_words(images):
    x, y = images
    model = relu_cnn()
    with pytest.raises(ValueError, match="needs targets"):
        proxies.score("lswag", model, x)
    with pytest.raises(ValueError, match="does not apply to token"):
        proxies.score("lswag", nn.Sequential(nn.Embedding(10, 4), nn.ReLU()), torch.zeros(2, 3, dtype=torch.long),
                      torch.zeros(2, dtype=torch.long))
    for depth in [(0.9, 0.8), (0.0, 1.5), "0-1", (0.5,)]:
        with pytest.raises(ValueError, match="depth must"):
            proxies.score("lswag", model, x, y, depth=depth)
    with pytest.raises(ValueError, match="holds none of the model's 3 Conv/Linear layers"):
        proxies.score("lswag", model, x, y, depth=(0.0, 0.1))
    with pytest.raises(ValueError, match="gradient must be one of"):
        proxies.score("lswag", model, x, y, gradient="var")
    with pytest.raises(ValueError, match="splits >= 2"):
        proxies.score("lswag", model, x, y, splits=1)
    with pytest.raises(ValueError, match="no activation module"):
        proxies.score("lswag", nn.Sequential(nn.Flatten(), nn.Linear(75, 3)), x, y)
