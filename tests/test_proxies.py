"""Proxies: registry, hook hygiene and caller-model integrity for every proxy, determinism, and golden
values computed independently (by hand or with torch.autograd.functional) on tiny models."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from swap_engine import proxies

BASELINES = ["params", "flops", "naswot", "synflow", "snip", "grasp", "fisher", "grad_norm", "jacov", "zen",
             "zico"]
LABELLED = ["snip", "grasp", "fisher", "grad_norm", "zico", "lswag"]


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.Conv2d(6, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 10))


class Boom(nn.Module):
    """Raises inside the forward, after a hooked ReLU has run."""

    def __init__(self) -> None:
        super().__init__()
        self.body = tiny_cnn()

    def forward(self, x):
        self.body[:3](x)
        raise RuntimeError("boom")


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 10, (8,), generator=g)


def all_hooks(model: nn.Module) -> int:
    return sum(len(getattr(m, name)) for m in model.modules()
               for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"))


def snapshot(model: nn.Module):
    return ({k: v.clone() for k, v in model.state_dict().items()}, [m.training for m in model.modules()],
            [p.grad for p in model.parameters()])


def assert_unchanged(model: nn.Module, before) -> None:
    state, modes, grads = before
    assert all_hooks(model) == 0
    assert [m.training for m in model.modules()] == modes
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert all(g is None for g in grads) and all(p.grad is None for p in model.parameters())


def test_registry_lists_every_proxy_and_swap():
    assert set(BASELINES) | {"swap"} <= set(proxies.names())
    assert {n for n in proxies.names() if proxies.get(n).needs_targets} == set(LABELLED)
    assert all(proxies.get(n).summary for n in proxies.names())


@pytest.mark.parametrize("name", ["swap", *BASELINES])
@pytest.mark.parametrize("case", ["normal", "bad option", "raising module", "missing targets"])
def test_no_hook_survives_and_model_unchanged(name, case, batch):
    x, y = batch
    model = Boom() if case == "raising module" else tiny_cnn()
    model.eval()  # not the proxies' train mode: must come back in eval mode
    next(m for m in model.modules() if isinstance(m, nn.BatchNorm2d)).train()  # a mixed-mode model
    before = snapshot(model)
    if case == "normal":
        value = proxies.score(name, model, x, y)
        assert isinstance(value, float)
    elif case == "bad option":
        with pytest.raises(ValueError, match="unknown option"):
            proxies.score(name, model, x, y, no_such_option=1)
    elif case == "raising module":
        if name == "params":
            proxies.score(name, model, x, y)  # never runs the model
        else:
            with pytest.raises((RuntimeError, ValueError), match="boom"):
                proxies.score(name, model, x, y)
    else:
        if name in LABELLED:
            with pytest.raises(ValueError, match="needs targets"):
                proxies.score(name, model, x)
        else:
            assert math.isfinite(proxies.score(name, model, x)) or name == "jacov"
    assert_unchanged(model, before)


@pytest.mark.parametrize("name", ["swap", *BASELINES])
def test_deterministic_and_rng_untouched(name, batch):
    x, y = batch
    model = tiny_cnn()
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = proxies.score(name, model, x, y, seed=3) if name not in ("params", "flops") else \
        proxies.score(name, model, x, y)
    assert torch.equal(torch.rand(1), expected_next), "the caller's RNG state must be untouched"
    second = proxies.score(name, model, x, y, seed=3) if name not in ("params", "flops") else \
        proxies.score(name, model, x, y)
    assert first == second or (math.isnan(first) and math.isnan(second))


def test_batch_object_supplies_labels(batch):
    x, y = batch

    class Batch:  # the data module's Batch, duck-typed
        def __init__(self):
            self.x, self.y, self.attention_mask = x, y, None

    model = tiny_cnn()
    assert proxies.score("snip", model, Batch()) == proxies.score("snip", model, x, y)


def test_bad_inputs_name_the_problem(batch):
    x, y = batch
    with pytest.raises(ValueError, match="unknown proxy"):
        proxies.score("nope", tiny_cnn(), x)
    with pytest.raises(ValueError, match="targets have 3 entries"):
        proxies.score("snip", tiny_cnn(), x, y[:3])
    with pytest.raises(ValueError, match="inputs must be"):
        proxies.score("naswot", tiny_cnn(), [1, 2, 3])
    with pytest.raises(ValueError, match="global pooling"):
        proxies.score("zen", nn.Sequential(nn.Flatten(), nn.Linear(192, 10)), x)


# ---- golden values on tiny models, computed independently ----

def test_params_and_flops_of_a_linear_layer():
    model = nn.Sequential(nn.Linear(10, 5))
    model.auxiliary = nn.Linear(4, 4)  # DARTS's auxiliary head is not counted
    assert proxies.score("params", model, torch.randn(3, 10)) == 55
    assert proxies.score("flops", nn.Linear(10, 5, bias=False), torch.randn(3, 10)) == 2 * 10 * 5


class TokenFirst(nn.Module):
    """Hands a view of a parameter to a submodule as its input, as timm's PiT does with its class token."""

    def __init__(self) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.randn(1, 1, 10))
        self.head = nn.Linear(10, 5, bias=False)

    def forward(self, x):
        return self.head(self.token.expand(x.shape[0], -1, -1))[:, 0] + self.head(x)


def test_flops_of_a_model_that_feeds_a_parameter_to_a_module():
    assert proxies.score("flops", TokenFirst(), torch.randn(3, 10)) == 2 * (2 * 10 * 5)


def test_naswot_matches_the_hamming_kernel_by_hand():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    x = torch.randn(4, 5)
    codes = (model[0](x) > 0).double()
    kernel = codes @ codes.T + (1 - codes) @ (1 - codes).T  # = 7 - Hamming distance
    assert proxies.score("naswot", model, x) == pytest.approx(float(torch.linalg.slogdet(kernel)[1]))


class SharedInput(nn.Module):
    """Two ReLUs read one tensor (as every edge leaving an NB201 node does), then that tensor changes in place
    and a third ReLU reads it again: the shared reads must count twice, the changed one anew."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(5, 7)
        self.left, self.right, self.after = nn.ReLU(), nn.ReLU(), nn.ReLU()

    def forward(self, x):
        h = self.lin(x)
        out = self.left(h) + self.right(h)
        h.add_(0.5)
        return out + self.after(h)


def test_naswot_counts_modules_that_share_an_input_each_once_per_read():
    torch.manual_seed(0)
    model, x = SharedInput(), torch.randn(6, 5)

    def kernel_of(pre):
        codes = (pre > 0).double()
        return codes @ codes.T + (1 - codes) @ (1 - codes).T

    with torch.no_grad():
        pre = model.lin(x)
    assert not torch.equal(kernel_of(pre + 0.5), kernel_of(pre))  # so a stale reuse would show
    kernel = 2 * kernel_of(pre) + kernel_of(pre + 0.5)
    assert proxies.score("naswot", model, x) == float(torch.linalg.slogdet(kernel)[1])


def test_synflow_of_a_linear_chain_is_the_path_norm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3, bias=False), nn.BatchNorm1d(3), nn.Linear(3, 2, bias=False))
    w1, w2 = model[0].weight.detach().abs().double(), model[2].weight.detach().abs().double()
    # R = 1' |W2| |W1| 1 (BN disabled); |w * dR/dw| summed per layer equals R for each of the two layers
    path = float(torch.ones(2, dtype=torch.float64) @ w2 @ w1 @ torch.ones(4, dtype=torch.float64))
    assert proxies.score("synflow", model, torch.randn(5, 4)) == pytest.approx(2 * path)


def _linear_case():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    x, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    return model, x, y


def test_snip_grad_norm_and_grasp_by_hand():
    model, x, y = _linear_case()
    w, b = model[0].weight.detach(), model[0].bias.detach()

    def loss_of(weight):
        return F.cross_entropy(x @ weight.T + b, y)

    grad = torch.func.grad(loss_of)(w)
    assert proxies.score("snip", model, x, y) == pytest.approx(float((w * grad).abs().sum()), rel=1e-5)
    assert proxies.score("grad_norm", model, x, y) == pytest.approx(float(grad.norm()), rel=1e-5)
    hessian = torch.autograd.functional.hessian(loss_of, w).reshape(w.numel(), w.numel())
    hg = (hessian @ grad.flatten()).reshape(w.shape)
    assert proxies.score("grasp", model, x, y) == pytest.approx(float((-w * hg).sum()), rel=1e-4, abs=1e-9)


def test_fisher_by_hand():
    model, x, y = _linear_case()
    z = model[0](x).detach().requires_grad_()
    (dz,) = torch.autograd.grad(F.cross_entropy(z, y), z)
    expected = float((0.5 * (z.detach() * dz).pow(2).mean(0)).sum())
    assert proxies.score("fisher", model, x, y) == pytest.approx(expected, rel=1e-5)


def test_zico_by_hand():
    model, x, y = _linear_case()
    grads = []
    for part in (slice(0, 3), slice(3, 6)):
        model.zero_grad()
        F.cross_entropy(model(x[part]), y[part]).backward()
        grads.append(model[0].weight.grad.flatten().double().clone())
    g = torch.stack(grads)
    std, mean_abs = g.std(0, unbiased=False), g.abs().mean(0)
    expected = math.log(float((mean_abs[std != 0] / std[std != 0]).sum()))
    model.zero_grad(set_to_none=True)
    assert proxies.score("zico", model, x, y) == pytest.approx(expected, rel=1e-6)


def test_jacov_by_hand():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.randn(4, 5, requires_grad=True)
    model(x).sum().backward()
    v = np.clip(np.linalg.eigvalsh(np.corrcoef(x.grad.double().numpy())), 0, None)
    expected = -np.sum(np.log(v + 1e-5) + 1 / (v + 1e-5))
    model.zero_grad(set_to_none=True)
    assert proxies.score("jacov", model, x.detach()) == pytest.approx(expected, rel=1e-6)


def test_zen_is_data_free_and_minus_inf_when_the_output_ignores_the_input(batch):
    x, _ = batch
    model = tiny_cnn()
    assert proxies.score("zen", model, x) == proxies.score("zen", model, torch.zeros_like(x))
    assert proxies.score("zen", model, x, repeats=2) != proxies.score("zen", model, x, seed=1)

    class Zero(nn.Module):  # NB201's 'none' edge
        def forward(self, t):
            return t * 0

    dead = nn.Sequential(Zero(), nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.AdaptiveAvgPool2d(1))
    assert proxies.score("zen", dead, x) == -math.inf  # Delta = 0; the BN term alone stays finite


# ---- transformer models: forward(input_ids, attention_mask=None) returning hidden states ----

class TinyEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(50, 8)
        self.ffn = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))

    def forward(self, input_ids, attention_mask=None):
        h = self.embed(input_ids)
        if attention_mask is not None:
            h = h * attention_mask.unsqueeze(-1)
        return h + self.ffn(h)


@pytest.mark.parametrize("name", BASELINES)
def test_transformers_get_a_value_or_a_clear_refusal(name):
    class TextBatch:
        x = torch.randint(0, 50, (4, 6), generator=torch.Generator().manual_seed(0))
        attention_mask = torch.ones(4, 6, dtype=torch.int64)
        y = None

    model = TinyEncoder()
    before = snapshot(model)
    if name in ("params", "flops", "naswot"):
        assert math.isfinite(proxies.score(name, model, TextBatch()))
    else:
        with pytest.raises(ValueError, match=rf"proxy '{name}' does not apply to token"):
            proxies.score(name, model, TextBatch(), torch.zeros(4, dtype=torch.int64))
    assert_unchanged(model, before)


def test_swap_proxy_passes_options_through(batch):
    import swap_engine

    x, _ = batch
    model = tiny_cnn()
    expected = swap_engine.swap_score(model, x, repeats=2, reinit="gaussian", seed=5).score
    assert proxies.score("swap", model, x, repeats=2, reinit="gaussian", seed=5) == expected
    with pytest.raises(ValueError, match="unknown option"):
        proxies.score("swap", model, x, flavour="x")


def test_naswot_codes_another_library_s_gelu_where_a_network_has_no_relu():
    class GELU(nn.Module):  # timm's own GELU: no subclass of nn.GELU
        def forward(self, x):
            return nn.functional.gelu(x)

    def net(act):
        return nn.Sequential(nn.Conv2d(3, 8, 3), act, nn.Flatten(), nn.Linear(8 * 6 * 6, 4))

    x = torch.randn(6, 3, 8, 8)
    torch.manual_seed(0)
    theirs = net(GELU())
    torch.manual_seed(0)
    ours = net(nn.GELU())
    assert proxies.score("naswot", theirs, x) == proxies.score("naswot", ours, x)
