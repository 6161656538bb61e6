"""The engine's shortcuts (issue 37) change no number: packing by a product (or two per word up to B = 64),
counting by a table, one packing for several activations of one tensor, channels-last maps flattened in memory
order."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from swap_engine import swap_score
from swap_engine.swap import distinct, packing
from swap_engine.swap.naive import naive_counts


def packed_by_hand(bits: torch.Tensor) -> torch.Tensor:
    """(B, n) bool -> (n, words) int64 with sample s at bit s % 64 of word s // 64, one bit at a time."""
    batch, n = bits.shape
    words = packing.words_for(batch)
    out = np.zeros((n, words), dtype=np.uint64)
    for s in range(batch):
        out[:, s // 64] |= bits[s].numpy().astype(np.uint64) << np.uint64(s % 64)
    return torch.from_numpy(out.view(np.int64))


@pytest.mark.parametrize("batch", [1, 7, 16, 24, 25, 53, 54, 63, 64, 65, 130])
def test_every_packing_path_sets_the_bits_of_the_definition(batch):
    values = torch.randn(batch, 37, generator=torch.Generator().manual_seed(batch))
    values[values.abs() < 0.4] = 0
    keys = packing.pack_output(values, ternary=True)
    assert torch.equal(keys[:, 0], packed_by_hand(values > 0))
    assert torch.equal(keys[:, 1], packed_by_hand(values < 0))


def test_a_channels_last_map_is_flattened_without_a_copy_and_counts_the_same():
    x = torch.randn(8, 5, 6, 7)
    last = x.to(memory_format=torch.channels_last)
    flat = packing.per_sample(last)
    assert flat.data_ptr() == last.data_ptr() and flat.shape == (8, 210)
    model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Conv2d(6, 4, 3), nn.GELU())
    images = torch.randn(32, 3, 9, 9)
    assert swap_score(model, images.to(memory_format=torch.channels_last)).counts == \
        [naive_counts(model, images)[0]]


@pytest.mark.parametrize("top", [3, 5000, distinct.DENSE_KEYS - 1, distinct.DENSE_KEYS, 2**62])
def test_counting_by_a_table_agrees_with_counting_by_sorting(monkeypatch, top):
    generator = torch.Generator().manual_seed(top % 1000)
    layers = [torch.randint(0, top, (n, 1), generator=generator) for n in (400, 1, 0, 3000)]
    sample = torch.cat(layers)[::97].clone()
    fast = distinct.count_distinct([k.clone() for k in layers], sample, [1, 2, 1, 3])
    monkeypatch.setattr(distinct, "DENSE_KEYS", 0)  # every key now goes through the sort
    slow = distinct.count_distinct([k.clone() for k in layers], sample, [1, 2, 1, 3])
    assert (fast.total, fast.per_layer) == (slow.total, slow.per_layer)
    assert torch.equal(fast.multiplicity, slow.multiplicity)
    monkeypatch.undo()
    marked = distinct.count_distinct([k.clone() for k in layers], None, [1, 2, 1, 3])  # flags, no tally
    assert (marked.total, marked.per_layer, marked.multiplicity) == (slow.total, slow.per_layer, None)


class Fan(nn.Module):
    """One tensor read by three ReLUs and a GELU, as an NB201 node feeds the edges that leave it."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)
        self.edges = nn.ModuleList(nn.Sequential(nn.ReLU(), nn.Conv2d(4, 4, 1)) for _ in range(3))
        self.gelu = nn.GELU()
        self.leaky = nn.LeakyReLU(-0.5)  # a negative slope: its signs are not the input's

    def forward(self, x):
        node = self.stem(x)
        return sum(edge(node) for edge in self.edges) + self.gelu(node) + self.leaky(node)


def test_activations_of_one_tensor_are_packed_once_and_counted_as_the_definition_says():
    model = Fan()
    x = torch.randn(40, 3, 8, 8)
    result = swap_score(model, x, keep_patterns=200)
    total, per_layer = naive_counts(model, x)
    assert result.counts == [total]
    assert [layer.distinct for layer in result.layers] == per_layer
    assert result.neurons == 5 * 4 * 6 * 6
    # each neuron of the three ReLUs shares its pattern with its copies in the two others at least
    relus = [i for i, name in enumerate(result.patterns.layer) if name.startswith("edges")]
    assert relus and result.patterns.duplicated[relus].all()
