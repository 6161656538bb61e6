"""Functional activations (`F.relu`, `torch.relu`, `x.relu()`, `F.gelu`, ...) seen through a torch function mode."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from swap_engine import spaces, swap_score
from swap_engine.swap.capture import FUNCTIONAL_ATTRIBUTE, activation_functions
from swap_engine.swap.naive import naive_counts
from tests.engine_helpers import TEST_DEVICE, FunctionalNet, SharedActivationNet, ZeroGeluMLP, zero_heavy_inputs
from tests.test_swap_engine import all_hooks, assert_matches_naive, random_cnn


def no_function_mode() -> bool:
    return torch._C._len_torch_function_stack() == 0


@pytest.mark.parametrize("batch", [1, 7, 64, 65, 130])
@pytest.mark.parametrize("pattern", ["sign", "binary"])
def test_functional_net_matches_naive(batch, pattern):
    torch.manual_seed(batch)
    model = FunctionalNet()
    x = torch.randn(batch, 3, 5, 5, generator=torch.Generator().manual_seed(batch))
    result = assert_matches_naive(model, x, pattern=pattern, functional=True)
    assert result.ternary == (pattern == "sign")  # F.gelu and F.silu output negatives
    names = [(layer.name, layer.call) for layer in result.layers]
    assert names == [("FunctionalNet:relu", 0), ("block:relu", 0), ("block:relu", 1), ("FunctionalNet:relu", 1),
                     ("block:relu", 2), ("block:relu", 3), ("module_relu", 0), ("FunctionalNet:relu", 2),
                     ("FunctionalNet:relu", 3), ("FunctionalNet:gelu", 0), ("FunctionalNet:silu", 0),
                     ("FunctionalNet:relu", 4)]
    assert no_function_mode() and all_hooks(model) == 0


def test_relu_only_functional_net_is_binary_and_exact():
    torch.manual_seed(0)
    model = FunctionalNet(gelu=False)
    x = torch.randn(9, 3, 4, 4)
    result = assert_matches_naive(model, x, functional=True)
    assert not result.ternary and result.bound == min(result.neurons, 2 ** 9)
    assert result.counts == swap_score(model, x, pattern="binary", functional=True, device=TEST_DEVICE).counts


def test_without_functional_only_the_module_counts():
    torch.manual_seed(0)
    model = FunctionalNet()
    x = torch.randn(8, 3, 4, 4)
    result = assert_matches_naive(model, x)
    assert [layer.name for layer in result.layers] == ["module_relu"]


@pytest.mark.parametrize("build", [lambda: random_cnn(3, 2, 4, True), lambda: SharedActivationNet(inplace=True),
                                   lambda: SharedActivationNet(inplace=False), lambda: ZeroGeluMLP(5, 3)],
                         ids=["cnn", "shared-inplace", "shared", "gelu-mlp"])
def test_module_only_nets_score_the_same_with_functional_capture(build):
    """nn.ReLU & co. call F.relu & co. inside: the module's hook counts the call, the function mode must not."""
    torch.manual_seed(1)
    model = build()
    x = (torch.randn(70, 3, 4, 4) if not isinstance(model, ZeroGeluMLP)
         else zero_heavy_inputs(70, 5, torch.Generator().manual_seed(0)))
    for pattern in ("sign", "binary"):
        off = swap_score(model, x, pattern=pattern, device=TEST_DEVICE, keep_patterns=8)
        on = swap_score(model, x, pattern=pattern, device=TEST_DEVICE, keep_patterns=8, functional=True)
        assert on.counts == off.counts and on.layers == off.layers
        assert (on.ternary, on.bound, on.neurons) == (off.ternary, off.bound, off.neurons)
        assert (on.patterns.values == off.patterns.values).all()
    assert all_hooks(model) == 0


def test_only_the_functions_of_the_requested_activations():
    torch.manual_seed(0)
    model = FunctionalNet()
    x = torch.randn(6, 3, 4, 4)
    result = assert_matches_naive(model, x, functional=True, activations=(nn.GELU,))
    assert [layer.name for layer in result.layers] == ["FunctionalNet:gelu"]
    assert set(activation_functions([nn.ReLU])) >= {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, F.relu_}


def test_conv_only_and_batch_chunk_with_functional_capture():
    torch.manual_seed(0)
    model = FunctionalNet()
    x = torch.randn(130, 3, 4, 4)
    conv = assert_matches_naive(model, x, functional=True, conv_only=True)
    assert {layer.name for layer in conv.layers} == {"FunctionalNet:relu", "block:relu", "module_relu"}
    whole = swap_score(model, x, mode="eval", functional=True, device=TEST_DEVICE)
    split = swap_score(model, x, mode="eval", functional=True, batch_chunk=64, device=TEST_DEVICE)
    assert whole.counts == split.counts and whole.layers == split.layers


class FailsAfterRelu(nn.Module):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.error = error

    def forward(self, x):
        F.relu(self.fc(x))
        raise self.error


class ReluOfAWeight(nn.Module):
    """Applies F.relu to a tensor that is not batch-first: the engine must refuse it, and clean up."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.relu(self.fc(x)) @ F.relu(self.fc.weight[:3].t())


@pytest.mark.parametrize("model, match", [(FailsAfterRelu(RuntimeError("boom")), "boom"),
                                          (FailsAfterRelu(KeyError("gone")), "gone"),
                                          (ReluOfAWeight(), "batch size")])
def test_mode_and_hooks_removed_after_an_error(model, match):
    with pytest.raises(ValueError, match=match):
        swap_score(model, torch.randn(2, 4), functional=True, device="cpu")
    assert no_function_mode() and all_hooks(model) == 0
    F.relu(torch.randn(3))  # still a plain call: nothing left intercepts it


def test_functional_error_and_no_activation_message():
    with pytest.raises(ValueError, match="functional=True"):
        swap_score(nn.Linear(3, 3), torch.randn(2, 3), device="cpu")
    with pytest.raises(ValueError, match="none of the activation modules or functions"):
        swap_score(nn.Linear(3, 3), torch.randn(2, 3), functional=True, device="cpu")
    assert no_function_mode()


def test_model_attribute_asks_for_functional_capture():
    torch.manual_seed(0)
    model = FunctionalNet()
    x = torch.randn(5, 3, 4, 4)
    explicit = swap_score(model, x, functional=True, device="cpu")
    setattr(model, FUNCTIONAL_ATTRIBUTE, True)
    assert swap_score(model, x, device="cpu").counts == explicit.counts
    assert swap_score(model, x, functional=False, device="cpu").layers[0].name == "module_relu"
    assert explicit.settings["functional"] is True


def test_googlenet_from_the_zoo_scores_exactly():
    """GoogLeNet has no activation module (BasicConv2d calls F.relu): the zoo asks for functional capture."""
    pytest.importorskip("torchvision")  # a GPU machine may have torch without it
    space = spaces.get("zoo")
    torch.manual_seed(0)
    model = space.build("googlenet", num_classes=10)
    x = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))  # small: the test stays quick
    result = swap_score(model, x, device="cpu")
    assert result.settings["functional"] is True and result.score > 0
    assert len(result.layers) == 57 and result.layers[0].name == "conv1:relu"
    assert result.counts == [naive_counts(model, x, functional=True, layers=False)[0]]
    assert no_function_mode() and all_hooks(model) == 0


class PositionBiasNet(nn.Module):
    """A relative-position MLP as timm's SwinV2 and CoAtNet-rmlp build it: an MLP run on a buffer, whose output
    every sample shares."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.bias_mlp = nn.Sequential(nn.Linear(2, 6), nn.ReLU())
        self.register_buffer("coords", torch.tensor([[0.0, 1.0], [1.0, -1.0], [-2.0, 0.5]]))

    def forward(self, x):
        return F.relu(self.fc(x)) + self.bias_mlp(self.coords).sum(0)


def test_an_activation_of_a_buffer_counts_as_the_same_for_every_sample():
    torch.manual_seed(0)
    model = PositionBiasNet()
    x = torch.randn(5, 4)
    result = swap_score(model, x, functional=True, pattern="binary", device="cpu")
    with torch.no_grad():
        batch_units = (model.fc(x) > 0).T  # (6, B)
        shared = (model.bias_mlp(model.coords) > 0).flatten()  # 18 units, one value for all samples
    patterns = {tuple(row.tolist()) for row in batch_units}
    patterns |= {(bool(value),) * len(x) for value in shared.tolist()}
    assert result.score == len(patterns)
    assert no_function_mode() and all_hooks(model) == 0
