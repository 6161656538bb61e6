"""Exact counting of distinct keys, per layer and over all layers, without materialising patterns.

Each layer's keys are reduced to one 64-bit value per neuron: the key itself when it is one word (exact),
else a hash. Each layer's values are sorted (in place for one-word keys on the CPU, so no copy of the keys
is made), its distinct values give the layer's count, and the layers' distinct values together give the
total. Equal hashes are checked against the full keys, so a collision can never change a count: it only
triggers an exact recount. On the CPU NumPy's sort is used (several times faster than torch.sort there);
elsewhere torch's, so CUDA tensors never leave the GPU.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

_MIX = -7046029254386353131  # 0x9E3779B97F4A7C15 (golden-ratio constant) as a signed 64-bit value


def _sort_inplace(values: torch.Tensor) -> torch.Tensor:
    """Sorted values; on the CPU the tensor itself is sorted (its storage must be ours to reorder)."""
    if values.device.type == "cpu":
        values.numpy().sort()
        return values
    return torch.sort(values).values


def _boundaries(sorted_values: torch.Tensor) -> torch.Tensor:
    """Mask of the first element of each run of equal values."""
    keep = torch.ones_like(sorted_values, dtype=torch.bool)
    torch.ne(sorted_values[1:], sorted_values[:-1], out=keep[1:])
    return keep


def _repeated_sorted(sorted_values: torch.Tensor) -> torch.Tensor:
    """Values occurring more than once in a sorted tensor (each once)."""
    return torch.unique_consecutive(sorted_values[1:][sorted_values[1:] == sorted_values[:-1]])


def row_hash(keys: torch.Tensor) -> torch.Tensor:
    """(n, K) int64 -> (n,) int64; the key itself when K == 1 (then exact)."""
    if keys.shape[1] == 1:
        return keys[:, 0]
    hashed = keys[:, 0].clone()
    for column in range(1, keys.shape[1]):
        hashed.mul_(_MIX).bitwise_xor_(keys[:, column])
    hashed.bitwise_xor_(hashed >> 29).mul_(_MIX)
    return hashed


@dataclass
class DistinctCounts:
    total: int
    per_layer: list[int]
    sorted_layers: list[torch.Tensor]  # each layer's sorted values: multiplicities by binary search

    def multiplicity(self, hashes: torch.Tensor) -> torch.Tensor:
        """How many neurons (in all layers) share each given neuron's pattern; 1 = unique."""
        found = torch.zeros_like(hashes)
        for values in self.sorted_layers:
            found += torch.searchsorted(values, hashes, right=True) - torch.searchsorted(values, hashes)
        return found


def count_distinct(layers: list[torch.Tensor]) -> DistinctCounts:
    """Distinct rows over all `layers` (each (n_l, K) int64) and within each.

    One-word keys are sorted in place: callers must take what they need from them first.
    """
    sorted_layers = [_sort_inplace(row_hash(keys) if keys.shape[1] > 1 else keys.view(-1)) for keys in layers]
    per_layer = [int(torch.count_nonzero(_boundaries(values))) if values.numel() else 0 for values in sorted_layers]
    union = torch.empty(sum(per_layer), dtype=torch.int64, device=layers[0].device if layers else None)
    start = 0
    for values, distinct in zip(sorted_layers, per_layer):  # filled layer by layer: one small temporary
        if distinct:
            union[start:start + distinct] = values[_boundaries(values)]
        start += distinct
    union = _sort_inplace(union)
    total = int(torch.count_nonzero(_boundaries(union))) if union.numel() else 0
    if layers and layers[0].shape[1] > 1 and _has_collision(layers, sorted_layers, union):
        per_layer = [torch.unique(keys, dim=0).shape[0] for keys in layers]
        total = torch.unique(torch.cat(layers), dim=0).shape[0]
    return DistinctCounts(total, per_layer, sorted_layers)


def _has_collision(layers, sorted_layers, union) -> bool:
    """True when some equal hashes belong to different keys (then counts need the exact method)."""
    repeated = torch.cat([_repeated_sorted(values) for values in sorted_layers] + [_repeated_sorted(union)])
    if repeated.numel() == 0:
        return False
    repeated = torch.unique(repeated)
    rows = torch.cat([keys[torch.isin(row_hash(keys), repeated)] for keys in layers])
    return torch.unique(rows, dim=0).shape[0] != repeated.numel()
