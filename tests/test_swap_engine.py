"""The streaming engine against the definition (naive float sign + unique rows), and its guarantees."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import swap_engine
from swap_engine import BatchTooLargeError, regularization_factor, swap_score
from swap_engine.swap import distinct
from swap_engine.swap.naive import naive_counts
from tests.engine_helpers import TEST_DEVICE, SharedActivationNet, ZeroGeluMLP, zero_heavy_inputs

BATCHES = [1, 2, 63, 64, 65, 127, 128, 1000]


def random_cnn(seed: int, depth: int, channels: int, inplace: bool) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1)]
    for _ in range(depth):
        layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=inplace), nn.Conv2d(channels, channels, 3, padding=1)]
    layers += [nn.LeakyReLU(0.1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 4), nn.ReLU()]
    return nn.Sequential(*layers)


def assert_matches_naive(model, x, device=TEST_DEVICE, **options):
    """The engine's counts equal the definition's, both computed on `device` (SWAP_TEST_DEVICE, default cpu)."""
    model, x = model.to(device), x.to(device)
    result = swap_score(model, x, device=device, **options)
    naive_total, naive_layers = naive_counts(model, x, pattern=options.get("pattern", "sign"),
                                             conv_only=options.get("conv_only", False),
                                             mode=options.get("mode", "train"),
                                             activations=options.get("activations"),
                                             functional=bool(options.get("functional")))
    assert result.counts == [naive_total]
    assert [layer.distinct for layer in result.layers] == naive_layers
    assert result.neurons == sum(layer.neurons for layer in result.layers)
    return result


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 3), channels=st.integers(1, 6),
       inplace=st.booleans(), batch=st.sampled_from(BATCHES), pattern=st.sampled_from(["sign", "binary"]),
       side=st.integers(2, 6))
def test_random_cnns_match_naive(seed, depth, channels, inplace, batch, pattern, side):
    model = random_cnn(seed, depth, channels, inplace)
    x = torch.randn(batch, 3, side, side, generator=torch.Generator().manual_seed(seed))
    assert_matches_naive(model, x, pattern=pattern)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(1, 8), depth=st.integers(1, 3),
       batch=st.sampled_from(BATCHES), pattern=st.sampled_from(["sign", "binary"]))
def test_gelu_mlps_with_exact_zeros_match_naive(seed, width, depth, batch, pattern):
    torch.manual_seed(seed)
    model = ZeroGeluMLP(width, depth)
    x = zero_heavy_inputs(batch, width, torch.Generator().manual_seed(seed))
    result = assert_matches_naive(model, x, pattern=pattern, mode="eval")
    assert result.ternary == (pattern == "sign")


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("inplace", [True, False])
def test_shared_inplace_noncontiguous_nested(batch, inplace):
    torch.manual_seed(batch)
    model = SharedActivationNet(inplace=inplace)
    result = assert_matches_naive(model, torch.randn(batch, 3, 4, 4))
    shared_calls = [layer.call for layer in result.layers if layer.name == "shared"]
    assert shared_calls == [0, 1, 2, 3]


@pytest.mark.parametrize("batch", [255, 256, 1024, 4096])
def test_large_batches_of_several_words(batch):
    torch.manual_seed(0)
    model = ZeroGeluMLP(width=8, depth=2)
    x = zero_heavy_inputs(batch, 8, torch.Generator().manual_seed(1))
    assert_matches_naive(model, x, pattern="sign", mode="eval")
    x = torch.randn(batch, 8)
    assert_matches_naive(model, x, pattern="binary", mode="eval")


def test_every_batch_size_up_to_130_on_a_tiny_mlp():
    torch.manual_seed(3)
    model = ZeroGeluMLP(width=3, depth=1)
    for batch in range(1, 131):
        x = zero_heavy_inputs(batch, 3, torch.Generator().manual_seed(batch))
        assert_matches_naive(model, x, mode="eval")


def test_conv_only_keeps_outputs_of_4d_inputs():
    model = random_cnn(0, 2, 3, False)
    x = torch.randn(8, 3, 5, 5)
    full = assert_matches_naive(model, x)
    conv = assert_matches_naive(model, x, conv_only=True)
    assert len(conv.layers) == len(full.layers) - 1  # the head's ReLU sees a 2-D input


def test_hash_collisions_cannot_change_counts(monkeypatch):
    """With a hash that maps every multi-word key to one value, the exact recount must take over."""
    monkeypatch.setattr(distinct, "row_hash",
                        lambda keys: keys[:, 0] if keys.shape[1] == 1 else torch.zeros_like(keys[:, 0]))
    torch.manual_seed(5)
    model = ZeroGeluMLP(width=5, depth=2)
    x = zero_heavy_inputs(200, 5, torch.Generator().manual_seed(2))
    assert_matches_naive(model, x, mode="eval")


def test_patterns_sample_is_faithful_and_reproducible():
    torch.manual_seed(0)
    model = random_cnn(1, 1, 2, False)
    x = torch.randn(6, 3, 3, 3)
    result = swap_score(model, x, keep_patterns=20, seed=7, device="cpu")
    again = swap_score(model, x, keep_patterns=20, seed=7, device="cpu")
    np.testing.assert_array_equal(result.patterns.values, again.patterns.values)
    recorded = []
    hooks = [m.register_forward_hook(lambda m, a, o: recorded.append(o.reshape(o.shape[0], -1).clone()))
             for m in model.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    model.train()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    signs = torch.sign(torch.cat(recorded, dim=1)).t().to(torch.int8).numpy()
    sample = result.patterns
    np.testing.assert_array_equal(sample.values, signs[sample.neuron])
    rows = [tuple(r) for r in signs]
    expected_dup = [rows.count(tuple(v)) > 1 for v in sample.values]
    assert sample.duplicated.tolist() == expected_dup
    assert sample.values.shape == (20, 6)


def test_model_comes_back_unchanged_after_train_mode_and_reinit():
    model = SharedActivationNet()
    model.eval()
    model.blocks[0].train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    result = swap_score(model, torch.randn(8, 3, 4, 4), mode="train", reinit="gaussian", repeats=3, device="cpu")
    assert len(result.counts) == 3
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN running stats included
    assert [m.training for m in model.modules()] == modes


def test_reproducible_with_seed_and_rng_untouched():
    model = SharedActivationNet()
    x = torch.randn(16, 3, 4, 4)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = swap_score(model, x, reinit="gaussian", repeats=4, seed=11, device="cpu")
    assert torch.equal(torch.get_rng_state(), state)
    b = swap_score(model, x, reinit="gaussian", repeats=4, seed=11, device="cpu")
    c = swap_score(model, x, reinit="gaussian", repeats=4, seed=12, device="cpu")
    assert a.counts == b.counts
    assert a.counts != c.counts


def test_dropout_in_train_mode_is_reproducible():
    model = nn.Sequential(nn.Linear(8, 64), nn.Dropout(0.5), nn.GELU())
    x = torch.randn(32, 8)
    assert swap_score(model, x, seed=1, device="cpu").counts == swap_score(model, x, seed=1, device="cpu").counts


def test_regularisation_divides_by_sigma():
    assert regularization_factor(25_000, 25, 10) == 1.0
    assert math.isclose(regularization_factor(30_000, 25, 10), math.exp(-25 / 10))
    model = random_cnn(0, 1, 4, False)
    x = torch.randn(4, 3, 4, 4)
    plain = swap_score(model, x, device="cpu")
    params_k = swap_engine.count_params(model) / 1000
    reg = swap_score(model, x, regularize=(params_k + 1, 2.0), device="cpu")
    assert math.isclose(reg.factor, math.exp(-1 / 2.0))
    assert math.isclose(reg.score, plain.score * reg.factor)


def test_auxiliary_parameters_are_not_counted():
    model = nn.Module()
    model.body = nn.Linear(10, 10)
    model.auxiliary_head = nn.Linear(10, 10)
    assert swap_engine.count_params(model) == 110


def test_bound_binary_and_ternary():
    model = random_cnn(0, 1, 4, False)
    relu_only = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    assert swap_score(relu_only, torch.randn(3, 3, 5, 5), device="cpu").bound == 2 ** 3
    assert swap_score(model, torch.randn(3, 3, 5, 5), device="cpu").bound == 3 ** 3  # LeakyReLU: ternary
    assert swap_score(model, torch.randn(64, 3, 5, 5), device="cpu").bound == swap_score(
        model, torch.randn(64, 3, 5, 5), device="cpu").neurons


class Explodes(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        self.act(x)
        raise RuntimeError("boom")


def all_hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_hooks_removed_when_forward_raises():
    model = Explodes()
    with pytest.raises(ValueError, match="boom"):
        swap_score(model, torch.randn(2, 4), device="cpu")
    assert all_hooks(model) == 0


def test_wrong_input_shape_names_the_module():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3)), nn.ReLU())
    with pytest.raises(ValueError, match=r"module '0\.0'"):
        swap_score(model, torch.randn(2, 1, 8, 8), device="cpu")
    assert all_hooks(model) == 0


def test_clear_errors():
    with pytest.raises(ValueError, match="no activation modules"):
        swap_score(nn.Linear(3, 3), torch.randn(2, 3), device="cpu")
    with pytest.raises(ValueError, match="empty"):
        swap_score(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), torch.randn(0, 3), device="cpu")
    with pytest.raises(ValueError, match="pattern"):
        swap_score(nn.ReLU(), torch.randn(2, 3), pattern="ternary", device="cpu")
    with pytest.raises(ValueError, match="CUDA"):
        if torch.cuda.is_available():
            raise ValueError("CUDA")  # nothing to check where CUDA exists
        swap_score(nn.ReLU(), torch.randn(2, 3), device="cuda")


class RunsOutOfMemory(nn.Module):
    """Pretends that more than 64 samples at once do not fit."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 16)
        self.act = nn.GELU()

    def forward(self, x):
        if x.shape[0] > 64:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.act(self.fc(x))


def test_batch_that_does_not_fit():
    model = RunsOutOfMemory()
    x = torch.randn(200, 4)
    with pytest.raises(BatchTooLargeError, match="batch of 64 fits"):
        swap_score(model, x, device="cpu")
    chunked = swap_score(model, x, mode="eval", device="cpu")  # eval mode splits exactly
    model.eval()
    with torch.no_grad():
        full = torch.sign(model.act(model.fc(x))).t()
    assert chunked.counts == [torch.unique(full, dim=0).shape[0]]


def test_batch_chunk_in_eval_mode_is_exact():
    model = SharedActivationNet()
    x = torch.randn(300, 3, 4, 4)
    whole = swap_score(model, x, mode="eval", device="cpu", keep_patterns=10)
    split = swap_score(model, x, mode="eval", device="cpu", keep_patterns=10, batch_chunk=64)
    assert whole.counts == split.counts
    np.testing.assert_array_equal(whole.patterns.values, split.patterns.values)
    with pytest.raises(ValueError, match="eval"):
        swap_score(model, x, mode="train", batch_chunk=64, device="cpu")


def test_batch_object_and_mapping_inputs():
    class Batch:
        def __init__(self, x):
            self.x = x
            self.attention_mask = None

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.GELU()

        def forward(self, x, attention_mask=None):
            return self.act(x if attention_mask is None else x * attention_mask[..., None])

    x = torch.randn(5, 7, 3)
    model = Masked()
    assert swap_score(model, Batch(x), device="cpu").counts == swap_score(model, x, device="cpu").counts
    mask = torch.ones(5, 7)
    mask[:, 4:] = 0
    masked = swap_score(model, {"x": x, "attention_mask": mask}, device="cpu")
    assert masked.counts == [naive_total_masked(model, x, mask)]


def naive_total_masked(model, x, mask):
    with torch.no_grad():
        out = model(x, attention_mask=mask).reshape(x.shape[0], -1)
    return torch.unique(torch.sign(out).t(), dim=0).shape[0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (run on a GPU machine)")
@pytest.mark.gpu
def test_cuda_matches_cpu():
    model = SharedActivationNet()
    x = torch.randn(130, 3, 6, 6)
    cpu = swap_score(model, x, device="cpu", keep_patterns=16)
    gpu = swap_score(model, x, device="cuda", keep_patterns=16)
    assert cpu.counts == gpu.counts
    assert [layer.distinct for layer in cpu.layers] == [layer.distinct for layer in gpu.layers]
    assert gpu.device.startswith("cuda")


def test_row_hash_separates_complementary_planes():
    """GELU planes are often complements (pos = ~neg); a hash built on arithmetic shifts maps x and ~x alike."""
    a = torch.tensor([0, 1, 2 ** 40, -5, 123456789], dtype=torch.int64)
    swapped = torch.stack([torch.stack([a, ~a], 1), torch.stack([~a, a], 1)]).view(-1, 2)
    hashes = distinct.row_hash(swapped)
    assert torch.unique(hashes).numel() == swapped.shape[0]


def test_gelu_layers_need_no_exact_recount(monkeypatch):
    """Ternary multi-word keys of a GELU net count through the hash path, never the slow exact fallback."""
    counted = []
    original = distinct._has_collision
    monkeypatch.setattr(distinct, "_has_collision", lambda *a: counted.append(original(*a)) or counted[-1])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 512), nn.GELU(), nn.Linear(512, 512), nn.GELU())
    result = assert_matches_naive(model, torch.randn(100, 16), mode="eval")
    assert counted == [False] and result.ternary


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("product_values", [1 << 22, 0])  # 0: every plane above 24 samples packed bit by bit
def test_packing_sets_bit_k_of_word_w_for_sample_64w_plus_k(monkeypatch, dtype, product_values):
    from swap_engine.swap import packing

    monkeypatch.setattr(packing, "_product_dtype", lambda device: dtype)  # float64: CUDA with TF32 allowed
    monkeypatch.setattr(packing, "_PRODUCT_VALUES", product_values)
    generator = torch.Generator().manual_seed(0)
    for batch in (1, 23, 24, 25, 32, 33, 48, 53, 54, 63, 64, 65, 100, 128, 129):
        flat = torch.randn(batch, 50, generator=generator)
        flat[flat.abs() < 0.3] = 0.0
        words = packing.words_for(batch)
        expected = torch.stack([sum(((flat[k] > 0).long() << (k - 64 * w))
                                    for k in range(64 * w, min(batch, 64 * w + 64))) for w in range(words)], dim=1)
        assert torch.equal(packing._pack_plane(flat, torch.gt, words), expected), batch  # bit 63 wraps to the sign
