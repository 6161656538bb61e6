"""Exact counting of distinct keys without materialising patterns.

Keys of one word are compared as they are. Keys of several words are first reduced to one 64-bit hash;
every group of equal hashes is then checked against the full keys, so a hash collision can never change
a count (it only costs an exact recount of the colliding rows). On the CPU NumPy's sort is used (several
times faster than torch.sort there); elsewhere torch's, so CUDA tensors never leave the GPU.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

_MIX = -7046029254386353131  # 0x9E3779B97F4A7C15 (golden-ratio constant) as a signed 64-bit value


def _sorted_copy(values: torch.Tensor) -> torch.Tensor:
    if values.device.type == "cpu":
        copy = values.clone()
        copy.numpy().sort()
        return copy
    return torch.sort(values).values


def _distinct_in_sorted(sorted_values: torch.Tensor) -> int:
    if sorted_values.numel() == 0:
        return 0
    return 1 + int(torch.count_nonzero(sorted_values[1:] != sorted_values[:-1]))


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
    sorted_hashes: torch.Tensor  # every neuron's hash, sorted: multiplicities by binary search
    exact_hashes: bool  # False when a collision was found (then multiplicities are approximate)

    def multiplicity(self, hashes: torch.Tensor) -> torch.Tensor:
        """How many neurons share each given neuron's pattern (1 = unique)."""
        right = torch.searchsorted(self.sorted_hashes, hashes, right=True)
        return right - torch.searchsorted(self.sorted_hashes, hashes)


def _colliding_rows(keys: torch.Tensor, hashes: torch.Tensor, sorted_hashes: torch.Tensor):
    """Rows whose hash occurs more than once, and how many distinct hashes they have."""
    repeated = sorted_hashes[1:][sorted_hashes[1:] == sorted_hashes[:-1]]
    if repeated.numel() == 0:
        return keys[:0], 0
    repeated_values = torch.unique_consecutive(repeated)  # already sorted
    return keys[torch.isin(hashes, repeated_values)], repeated_values.numel()


def count_distinct(keys: torch.Tensor, layer_sizes: list[int]) -> DistinctCounts:
    """Distinct rows of `keys` (N, K) overall and within each consecutive block of `layer_sizes` rows."""
    hashes = row_hash(keys)
    sorted_hashes = _sorted_copy(hashes)
    total = _distinct_in_sorted(sorted_hashes)
    exact = True
    if keys.shape[1] > 1:
        rows, distinct_hashes = _colliding_rows(keys, hashes, sorted_hashes)
        if distinct_hashes:
            exact_rows = torch.unique(rows, dim=0).shape[0]
            exact = exact_rows == distinct_hashes
            total += exact_rows - distinct_hashes
    per_layer, start = [], 0
    for size in layer_sizes:
        block = slice(start, start + size)
        if exact:
            per_layer.append(_distinct_in_sorted(_sorted_copy(hashes[block])))
        else:
            per_layer.append(torch.unique(keys[block], dim=0).shape[0])
        start += size
    return DistinctCounts(total, per_layer, sorted_hashes, exact)
