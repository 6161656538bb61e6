"""Exact counting of distinct keys, per layer and over all layers, without materialising patterns.

Each layer's keys are reduced to one 64-bit value per neuron: the key itself when it is one word (exact),
else a hash. Each layer's values are sorted (in place for one-word keys on the CPU, so no copy of the keys
is made), its distinct values give the layer's count, and the layers' distinct values together give the
total. Equal hashes are checked against the full keys, so a collision can never change a count: it only
triggers an exact recount. On the CPU NumPy's sort is used (several times faster than torch.sort there);
elsewhere torch's, so CUDA tensors never leave the GPU. Small one-word keys (B <= 16 binary, B <= 8
ternary: below `DENSE_KEYS`) are tallied in a table of one bin per possible key instead: one pass, no sort.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# 64-bit odd constants as signed values: the golden ratio (0x9E3779B97F4A7C15) and SplitMix64's multipliers
_MIX = -7046029254386353131
_MIX_1 = -4658895280553007687  # 0xBF58476D1CE4E5B9
_MIX_2 = -7723592293110705685  # 0x94D049BB133111EB
DENSE_KEYS = 1 << 17  # one-word keys below this are counted with a table of this many bins


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


def _shift_right(values: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 values (torch's >> is arithmetic, which would map x and ~x alike)."""
    return (values >> bits) & ((1 << (64 - bits)) - 1)


def _avalanche(values: torch.Tensor) -> torch.Tensor:
    """SplitMix64's finaliser, a bijection on 64-bit values, in place: spreads every bit."""
    values.bitwise_xor_(_shift_right(values, 30)).mul_(_MIX_1)
    values.bitwise_xor_(_shift_right(values, 27)).mul_(_MIX_2)
    return values.bitwise_xor_(_shift_right(values, 31))


def row_hash(keys: torch.Tensor) -> torch.Tensor:
    """(n, K) int64 -> (n,) int64; the key itself when K == 1 (then exact)."""
    if keys.shape[1] == 1:
        return keys[:, 0]
    hashed = _avalanche(keys[:, 0].clone())
    for column in range(1, keys.shape[1]):
        hashed.mul_(_MIX).add_(_avalanche(keys[:, column].clone()))
    return _avalanche(hashed)


@dataclass
class DistinctCounts:
    total: int
    per_layer: list[int]
    multiplicity: torch.Tensor | None  # per sampled neuron: how many neurons share its pattern (1 = unique)


def count_distinct(layers: list[torch.Tensor], sample: torch.Tensor | None = None,
                   copies: list[int] | None = None) -> DistinctCounts:
    """Distinct rows over all `layers` (each (n_l, K) int64) and within each, consuming the list.

    Layers are processed one at a time and released (their one-word keys are sorted in place), so the
    peak is the keys themselves plus the union of each layer's distinct values (and, for keys of several words,
    each row's hash, kept for the collision check: 8 bytes a neuron against the keys' 16 or more). `sample`
    holds rows whose multiplicity over all layers is wanted (for display); `copies[l]`: how many layers of the
    network hold layer l's very keys (it counts that many times in the multiplicities; default 1).
    """
    copies = list(copies) if copies is not None else [1] * len(layers)
    multi_word = bool(layers) and layers[0].shape[1] > 1
    if layers and not multi_word:
        low, high = min(_extremes(keys)[0] for keys in layers), max(_extremes(keys)[1] for keys in layers)
        if 0 <= low and high < DENSE_KEYS:
            return _count_dense(layers, sample, high + 1, copies)
    device = layers[0].device if layers else None
    sample_hashes = row_hash(sample) if sample is not None else None
    multiplicity = torch.zeros_like(sample_hashes) if sample is not None else None
    per_layer: list[int] = []
    distinct_parts: list[torch.Tensor] = []
    repeated: list[torch.Tensor] = []
    kept = list(layers) if multi_word else []  # multi-word keys stay for the collision check
    kept_hashes: list[torch.Tensor] = []  # and their hashes, in row order, so that it hashes nothing twice
    weights = list(copies)
    while layers:
        keys = layers.pop(0)
        weight = copies.pop(0)
        if multi_word:
            hashes = row_hash(keys)
            kept_hashes.append(hashes.clone())
            values = _sort_inplace(hashes)
        else:
            values = _sort_inplace(keys.view(-1))
        del keys
        if multiplicity is not None:
            boundary = values.contiguous()  # searchsorted would copy a strided one on each call, and warn
            multiplicity += weight * (torch.searchsorted(boundary, sample_hashes, right=True)
                                      - torch.searchsorted(boundary, sample_hashes))
            del boundary
        if multi_word:
            repeated.append(_repeated_sorted(values))
        distinct = values[_boundaries(values)] if values.numel() else values
        per_layer.append(distinct.numel())
        distinct_parts.append(distinct)
        del values
    union = torch.empty(sum(per_layer), dtype=torch.int64, device=device)
    start = 0
    while distinct_parts:  # moved part by part into one buffer, so two copies never coexist
        part = distinct_parts.pop(0)
        union[start:start + part.numel()] = part
        start += part.numel()
    union = _sort_inplace(union)
    total = int(torch.count_nonzero(_boundaries(union))) if union.numel() else 0
    if multi_word and _has_collision(kept, kept_hashes, repeated + [_repeated_sorted(union)]):
        per_layer = [torch.unique(keys, dim=0).shape[0] for keys in kept]
        total = torch.unique(torch.cat(kept), dim=0).shape[0]
        if sample is not None:
            multiplicity = torch.stack([sum(weight * (keys == row).all(dim=1).sum() for keys, weight in
                                            zip(kept, weights, strict=True)) for row in sample])
    return DistinctCounts(total, per_layer, multiplicity)


def _extremes(keys: torch.Tensor) -> tuple[int, int]:
    return (int(keys.min()), int(keys.max())) if keys.numel() else (0, 0)


def _count_dense(layers: list[torch.Tensor], sample: torch.Tensor | None, size: int,
                 copies: list[int]) -> DistinctCounts:
    """`count_distinct` for one-word keys in 0 .. size - 1: each layer's keys are tallied in a table of
    `size` bins (NumPy's bincount on the CPU, several times faster than torch's there)."""
    cpu = layers[0].device.type == "cpu"
    if sample is None and cpu:  # no multiplicities wanted: mark the keys present, no tally (2.4x faster)
        return _mark_dense(layers, size)
    seen = torch.zeros(size, dtype=torch.bool, device=layers[0].device)
    tally = torch.zeros(size, dtype=torch.int64, device=seen.device) if sample is not None else None
    per_layer: list[int] = []
    while layers:
        keys = layers.pop(0).view(-1)
        counts = (torch.from_numpy(np.bincount(keys.numpy(), minlength=size)) if cpu
                  else torch.bincount(keys, minlength=size))
        present = counts > 0
        per_layer.append(int(present.sum()))
        seen |= present
        weight = copies.pop(0)
        if tally is not None:
            tally += counts * weight if weight != 1 else counts
    multiplicity = tally[sample[:, 0]] if tally is not None and sample is not None else None
    return DistinctCounts(int(seen.sum()), per_layer, multiplicity)


def _mark_dense(layers: list[torch.Tensor], size: int) -> DistinctCounts:
    """`_count_dense` without multiplicities, on the CPU: each layer's keys set their bins in one table of flags."""
    seen = np.zeros(size, dtype=bool)
    present = np.zeros(size, dtype=bool)
    per_layer: list[int] = []
    while layers:
        present[:] = False
        present[layers.pop(0).view(-1).numpy()] = True
        per_layer.append(int(np.count_nonzero(present)))
        seen |= present
    return DistinctCounts(int(np.count_nonzero(seen)), per_layer, None)


def _has_collision(layers: list[torch.Tensor], hashes_of: list[torch.Tensor], repeated: list[torch.Tensor]) -> bool:
    """True when some equal hashes belong to different keys (then counts need the exact method).

    Only rows whose hash occurs more than once are gathered; sorted by hash, a group of equal hashes holds
    a collision exactly when two neighbours in it differ.
    """
    values = _sort_inplace(torch.cat(repeated))
    values = values[_boundaries(values)] if values.numel() else values
    if values.numel() == 0:
        return False
    rows = torch.cat([keys[_member(hashes, values)] for keys, hashes in zip(layers, hashes_of, strict=True)])
    hashes = row_hash(rows)
    order = _argsort(hashes)
    rows, hashes = rows[order], hashes[order]
    same_hash = hashes[1:] == hashes[:-1]
    same_row = (rows[1:] == rows[:-1]).all(dim=1)
    return bool((same_hash & ~same_row).any())


def _member(values: torch.Tensor, sorted_set: torch.Tensor) -> torch.Tensor:
    """values in sorted_set: on the CPU by pandas' hash table (4-5x faster than a binary search of 11 M row
    hashes, the zoo's resnet50 at 224 px), elsewhere by binary search (works on every device)."""
    if values.device.type == "cpu":
        import pandas as pd

        return torch.from_numpy(pd.Series(values.numpy()).isin(sorted_set.numpy()).to_numpy(copy=True))
    position = torch.searchsorted(sorted_set, values).clamp_(max=sorted_set.numel() - 1)
    return sorted_set[position] == values


def _argsort(values: torch.Tensor) -> torch.Tensor:
    if values.device.type == "cpu":
        return torch.from_numpy(values.numpy().argsort())
    return torch.argsort(values)
