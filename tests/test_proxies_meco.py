"""MeCo (swap_engine.proxies.meco): against a loop-by-loop computation on tiny models, MeCo_opt's seeded draws,
hygiene of the caller's model, and bad input in words."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from swap_engine import proxies
from swap_engine.proxies import meco
from tests.test_proxies import assert_unchanged, snapshot


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def tiny_cnn() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(),
                         nn.Conv2d(12, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 10))


class TinyTokens(nn.Module):
    """Token ids in, hidden states out, GELU: the shape of the project's transformers."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Embedding(20, 7), nn.Linear(7, 7), nn.GELU())

    def forward(self, x):
        return self.body(x)


def pearson_by_hand(rows: np.ndarray) -> np.ndarray:
    """Pearson correlation of the rows, pair by pair; a pair with a constant row gets 0 (the reference's NaN -> 0)."""
    n = rows.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a, b = rows[i] - rows[i].mean(), rows[j] - rows[j].mean()
            denominator = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
            out[i, j] = float((a * b).sum()) / denominator if denominator > 0 else 0.0
    return np.clip(out, -1.0, 1.0)


def meco_by_hand(outputs: list[torch.Tensor], *, samples: str = "first", channels: int | None = None,
                 seed: int = 0) -> float:
    """The definition written out: every module output, sample by sample, rows = the axis after the batch."""
    total = 0.0
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for output in outputs:
            maps = output.detach().double().numpy()
            maps = maps[:1] if samples == "first" else maps
            rows = maps.reshape(maps.shape[0], maps.shape[1], -1)
            if rows.shape[2] < 2:
                continue
            scale, chosen = 1.0, np.arange(rows.shape[1])
            if channels is not None and rows.shape[1] > channels:
                chosen = torch.randperm(rows.shape[1])[:channels].numpy()
                scale = rows.shape[1] / channels
            values = [np.linalg.eigvalsh(pearson_by_hand(sample[chosen])).min() for sample in rows]
            total += float(np.mean(values)) * scale
    return total


def outputs_of(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """Each submodule's output in call order, then the root's: a fresh copy run in train mode, child by child."""
    net = copy.deepcopy(model).train()
    body = net.body if isinstance(net, TinyTokens) else net
    found, h = [], x
    with torch.no_grad():
        for child in body:
            h = child(h)
            found.append(h)
    if isinstance(net, TinyTokens):
        found.append(h)  # the container `body`
    found.append(h)  # the root
    return found


@pytest.fixture
def images():
    return torch.randn(3, 3, 6, 6, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("options", [{}, {"samples": "mean"}, {"channels": 8}, {"channels": 8, "samples": "mean"}])
def test_meco_matches_the_definition_by_hand(images, options):
    model = tiny_cnn()
    expected = meco_by_hand(outputs_of(model, images), **options)
    assert expected > 0
    assert proxies.score("meco", model, images, **options) == pytest.approx(expected, rel=1e-6)


def test_maps_with_more_channels_than_pixels_add_zero_without_the_eigensolver(images):
    # 20 channels over 2 x 2 pixels: P has rank 3 at most, so its smallest eigenvalue is 0 and the eigensolver is
    # skipped; the definition by hand still runs it, and the two agree (beside maps that are not singular).
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.Conv2d(12, 20, 3, stride=2), nn.ReLU(),
                          nn.Conv2d(20, 3, 1))
    outputs = outputs_of(model, images)
    assert [tuple(o.shape[1:]) for o in outputs][2] == (20, 2, 2)
    wide = outputs[2][0].double().reshape(20, -1).numpy()
    assert abs(np.linalg.eigvalsh(pearson_by_hand(wide)).min()) < 1e-12
    assert meco.singular(20, 4) and meco.singular(4, 4) and not meco.singular(3, 4)
    expected = meco_by_hand(outputs)
    assert proxies.score("meco", model, images) == pytest.approx(expected, rel=1e-6)


def test_meco_on_token_ids_correlates_tokens_over_hidden_units():
    model = TinyTokens()
    tokens = torch.randint(0, 20, (2, 5), generator=torch.Generator().manual_seed(2))
    expected = meco_by_hand(outputs_of(model, tokens))
    assert expected > 0
    assert proxies.score("meco", model, tokens) == pytest.approx(expected, rel=1e-6)


def test_dead_layers_add_nothing(images):
    # A constant feature map (the `none` op, a dead ReLU) has no correlation: its eigenvalue counts as 0.
    alive = nn.Sequential(nn.Conv2d(3, 4, 3))
    dead = nn.Sequential(nn.Conv2d(3, 4, 3), Zero())
    torch.manual_seed(0)
    for model in (alive, dead):
        nn.init.normal_(model[0].weight)
    dead[0].load_state_dict(alive[0].state_dict())
    # conv + root for `alive`; conv + Zero + root for `dead`: the zero map adds 0, the root repeats it.
    assert proxies.score("meco", dead, images) == pytest.approx(proxies.score("meco", alive, images) / 2)


def test_caller_model_unchanged_and_seeded(images):
    model = tiny_cnn()
    model.eval()
    before = snapshot(model)
    torch.manual_seed(7)
    expected_next = torch.rand(1)
    torch.manual_seed(7)
    first = proxies.score("meco", model, images, channels=8, seed=3)
    assert torch.equal(torch.rand(1), expected_next), "the caller's RNG state must be untouched"
    assert proxies.score("meco", model, images, channels=8, seed=3) == first
    assert proxies.score("meco", model, images, channels=8, seed=4) != first
    assert_unchanged(model, before)
    assert not proxies.get("meco").needs_targets


class Scalar(nn.Module):
    def forward(self, x):
        return x.sum()


def test_bad_input_is_a_value_error_in_words(images):
    model = tiny_cnn()
    with pytest.raises(ValueError, match="samples must be one of"):
        proxies.score("meco", model, images, samples="all")
    with pytest.raises(ValueError, match="channels must be"):
        proxies.score("meco", model, images, channels=1)
    with pytest.raises(ValueError, match="inputs must be"):
        proxies.score("meco", model, [1, 2, 3])
    with pytest.raises(ValueError, match="unknown option"):
        proxies.score("meco", model, images, rows=4)
    with pytest.raises(ValueError, match="no module output"):
        proxies.score("meco", Scalar(), images)
