"""VKDNW (swap_engine.proxies.vkdnw) against a naive implementation written out here: a loop of autograd
calls, one per sample and class, an explicit Fisher matrix and numpy's eigenvalues; plus hygiene, seeding
and the refusal of token models. Tiny float64 models keep it exact and fast."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from swap_engine import proxies, spaces
from tests.test_proxies import TinyEncoder, assert_unchanged, snapshot

CLASSES = 4


def tiny(seed: int = 0) -> nn.Module:
    """Nine parameter tensors, BatchNorm with non-trivial affine values and running statistics."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, CLASSES)).double()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    return model


def batch(n: int = 6) -> torch.Tensor:
    return torch.randn(n, 2, 5, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def naive(model: nn.Module, x: torch.Tensor, *, mode: str = "eval", tensors: int = 128, per_tensor: int = 1,
          reinit_seed: int | None = None) -> tuple[int, float]:
    """(tensor count, entropy), computed the slow and obvious way on a copy of `model`."""
    import copy

    net = copy.deepcopy(model)
    if reinit_seed is not None:  # the authors' Kaiming fan-in re-initialisation, module by module
        torch.manual_seed(reinit_seed)
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()
    net.train(mode == "train")
    named = list(net.named_parameters())
    picked = []  # (tensor, flat index)
    for _, p in named[:tensors]:
        k, last = per_tensor, p.numel() - 1
        indices = [0] if k == 1 else sorted({math.floor(i * last / (k - 1)) for i in range(k)})
        picked += [(p, i) for i in indices]
    z = net(x)
    rows = []  # per sample: its C x P Jacobian
    for n in range(x.shape[0]):
        jac = np.zeros((z.shape[1], len(picked)))
        for c in range(z.shape[1]):
            grads = torch.autograd.grad(z[n, c], [p for _, p in named], retain_graph=True, allow_unused=True)
            by_tensor = {id(p): g for (_, p), g in zip(named, grads)}
            for j, (p, i) in enumerate(picked):
                g = by_tensor[id(p)]
                jac[c, j] = 0.0 if g is None else float(g.reshape(-1)[i])
        rows.append(jac)
    scores = z.detach().numpy()
    fisher = np.zeros((len(picked), len(picked)))
    for n, jac in enumerate(rows):
        e = np.exp(scores[n] - scores[n].max())
        p = 0.95 * e / e.sum() + 0.05 / scores.shape[1]
        fisher += jac.T @ (np.diag(p) - np.outer(p, p)) @ jac
    fisher /= x.shape[0]
    eig = np.clip(np.linalg.eigvalsh(fisher), 0.0, None)
    q = np.quantile(eig, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    t = q / (q.sum() + 1e-10)
    return len(named), float(-(t * np.log(t + 1e-10)).sum())


@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("tensors, per_tensor", [(128, 1), (5, 3), (2, 1)])  # (2, 1): forward mode (2C > P)
def test_matches_the_naive_fisher_spectrum(mode, tensors, per_tensor):
    model, x = tiny(), batch()
    count, entropy = naive(model, x, mode=mode, tensors=tensors, per_tensor=per_tensor)
    options = dict(mode=mode, tensors=tensors, per_tensor=per_tensor, reinit=False)
    alone = proxies.score("vkdnw", model, x, single=False, **options)
    assert alone == pytest.approx(entropy, rel=1e-6, abs=1e-9)
    assert proxies.score("vkdnw", model, x, **options) == pytest.approx(count + entropy, rel=1e-9)
    assert count == 9 and 0 <= alone <= math.log(9) + 1e-9


def test_reinitialisation_is_the_authors_kaiming_fan_in():
    model, x = tiny(), batch()
    _, entropy = naive(model, x, reinit_seed=7)
    assert proxies.score("vkdnw", model, x, seed=7, single=False) == pytest.approx(entropy, rel=1e-6)
    assert proxies.score("vkdnw", model, x, seed=8, single=False) != pytest.approx(entropy, rel=1e-6)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_caller_model_unchanged_same_seed_same_value(mode):
    model, x = tiny(), batch()
    model.eval()
    next(m for m in model.modules() if isinstance(m, nn.BatchNorm2d)).train()  # a mixed-mode model
    before = snapshot(model)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = proxies.score("vkdnw", model, x, seed=3, mode=mode)
    assert torch.equal(torch.rand(1), expected_next), "the caller's RNG state must be untouched"
    assert proxies.score("vkdnw", model, x, seed=3, mode=mode) == first
    assert_unchanged(model, before)


def test_nb201_cell_counts_its_tensors():
    nb201 = spaces.get("nb201")
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    model = nb201.build(nb201.parse(arch), C=4, N=1)
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    value = proxies.score("vkdnw", model, x)
    entropy = proxies.score("vkdnw", model, x, single=False)
    assert value == pytest.approx(len(list(model.parameters())) + entropy)
    assert 0 < entropy <= math.log(9)


def test_token_models_and_bad_options_are_refused_in_words():
    class TextBatch:
        x = torch.randint(0, 50, (4, 6), generator=torch.Generator().manual_seed(0))
        attention_mask = torch.ones(4, 6, dtype=torch.int64)
        y = None

    model = TinyEncoder()
    before = snapshot(model)
    with pytest.raises(ValueError, match="proxy 'vkdnw' does not apply to token"):
        proxies.score("vkdnw", model, TextBatch())
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match="tensors must be a positive whole number"):
        proxies.score("vkdnw", tiny(), batch(), tensors=0)
    with pytest.raises(ValueError, match="mode must be"):
        proxies.score("vkdnw", tiny(), batch(), mode="test")
    with pytest.raises(ValueError, match="classes >= 2"):
        proxies.score("vkdnw", nn.Sequential(nn.Flatten(), nn.Linear(50, 1)).double(), batch())


def test_vkdnw_agg_recipe_is_the_sum_of_five_log_ranks():
    import pandas as pd
    from scipy import stats

    from swap_engine.recipe import VKDNW_AGG, Recipe, named_recipes

    recipe = Recipe.parse(VKDNW_AGG)
    columns = ["vkdnw_b64", "jacov_b64", "az_expressivity_b64", "az_trainability_b64", "flops"]
    assert recipe.method == "log_rank" and recipe.columns() == columns
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({c: rng.normal(size=7) for c in columns})
    by_hand = sum(np.log(stats.rankdata(frame[c]) / len(frame)) for c in columns)
    np.testing.assert_allclose(recipe.score(frame), by_hand, rtol=1e-12)
    assert VKDNW_AGG in named_recipes(frame).values()
    assert VKDNW_AGG not in named_recipes(frame.drop(columns="vkdnw_b64")).values()


class Awkward(nn.Module):
    """Every case the batched method must get right: groups, stride, dilation, 'same' padding, a BatchNorm, a
    layer called twice, a Linear on a sequence, an in-place ReLU on a hooked output, a parameter never used."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.grouped = nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, bias=False)
        self.again = nn.Conv2d(6, 6, 1)  # called twice
        self.mix = nn.Linear(6, 5)
        self.unused = nn.Linear(3, 3)
        self.head = nn.Linear(5, CLASSES)

    def forward(self, x):
        y = torch.relu_(self.norm(self.stem(x)))
        y = self.again(self.again(self.grouped(y)).relu())
        sequence = y.flatten(2).transpose(1, 2)  # (B, positions, 6)
        return self.head(self.mix(sequence).relu().mean(1))


@pytest.mark.parametrize("per_tensor", [1, 4])
def test_the_batched_entry_jacobian_equals_torch_func_per_sample(per_tensor):
    from swap_engine.proxies import vkdnw as module
    from swap_engine.proxies._entry_jacobian import entry_jacobian

    torch.manual_seed(0)
    net = Awkward().double().eval()
    with torch.no_grad():
        net.norm.running_mean.uniform_(-0.3, 0.3)
        net.norm.running_var.uniform_(0.5, 2.0)
    x = torch.randn(5, 2, 9, 9, dtype=torch.float64)
    chosen = module._sampled(net, 128, per_tensor)
    scores, fast = entry_jacobian(net, x, chosen)
    start, of = module._scores_of(net, chosen)
    one = lambda values, sample: of(values, sample.unsqueeze(0)).squeeze(0)  # noqa: E731
    general = torch.func.vmap(torch.func.jacrev(one), in_dims=(None, 0))(start, x)
    assert torch.allclose(scores, net(x))
    assert fast.shape == general.shape == (5, CLASSES, start.numel())
    assert torch.allclose(fast, general, rtol=1e-10, atol=1e-12)
    unused = [i for i, (name, index) in enumerate(chosen) if name.startswith("unused")]
    assert unused and not fast[:, :, sum(len(ix) for _, ix in chosen[:unused[0]])].any()


def test_shared_parameters_and_norms_reading_the_batch_take_the_general_path():
    from swap_engine.proxies import vkdnw as module
    from swap_engine.proxies._entry_jacobian import Unsupported, entry_jacobian

    tied = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, CLASSES)).double()
    tied[1].weight = tied[0].weight
    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(Unsupported, match="shared"):
        entry_jacobian(tied, x, module._sampled(tied, 128, 1))
    model = tiny().train()
    with pytest.raises(Unsupported, match="batch statistics"):
        entry_jacobian(model, batch(), module._sampled(model, 128, 1))
    count, entropy = naive(tied, x)  # and the proxy still answers, by the general path
    assert proxies.score("vkdnw", tied, x, reinit=False, single=False) == pytest.approx(entropy, rel=1e-6)


class Viewing(nn.Module):
    """Flattens its image batch with `.view`, which channels-last strides refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.head = nn.Linear(3 * 5 * 5, CLASSES)

    def forward(self, x):
        y = self.conv(x)
        return self.head(y.view(y.shape[0], -1))


def test_a_forward_the_batched_layout_breaks_takes_the_general_path():
    from swap_engine.proxies import vkdnw as module
    from swap_engine.proxies._entry_jacobian import Unsupported, entry_jacobian

    model = Viewing().double().eval()
    with pytest.raises(Unsupported, match="batched forward failed"):
        entry_jacobian(model, batch(), module._sampled(model, 128, 1))
    _, entropy = naive(model, batch())
    assert proxies.score("vkdnw", model, batch(), reinit=False, single=False) == pytest.approx(entropy, rel=1e-6)
