"""Sign planes packed into 64-bit words: each neuron's pattern over B samples becomes a few integers.

A neuron's key has shape (planes, words): plane 0 holds "output > 0" bits, plane 1 (ternary patterns only)
"output < 0" bits. Bit k of byte j of word w is sample 64*w + 8*j + k. Equal keys <=> equal patterns.
"""
from __future__ import annotations

import math

import torch

WORD_BITS = 64


def words_for(batch_size: int) -> int:
    return math.ceil(batch_size / WORD_BITS)


# Up to this many samples a plane is packed by one product with the powers of two: every partial sum is
# an integer below 2^B, exact in float32 up to 24 samples and in float64 up to 53.
_EXACT_BITS = {torch.float32: 24, torch.float64: 53}
_HALF = 32  # samples per exact float64 product in `_pack_halves`
_SPLIT_MOST = 64  # up to one word; at two words the bit-by-bit packing was faster (B = 128: 0.14 s vs 0.19 s)


def _pack_plane(flat: torch.Tensor, compare, words: int) -> torch.Tensor:
    """The plane `compare(flat, 0)` of (B, n) activations -> (n, words) int64, without leaving their device."""
    batch, n = flat.shape
    exact = [dtype for dtype, most in _EXACT_BITS.items() if batch <= most and not
             (dtype == torch.float64 and flat.device.type == "mps")]  # MPS has no float64
    if exact:  # small batches are bound by the number of ops: a comparison written as 0/1, one product
        ones = compare(flat, 0, out=torch.empty(flat.shape, dtype=exact[0], device=flat.device))
        powers = torch.pow(2.0, torch.arange(batch, dtype=exact[0], device=flat.device))
        return (powers @ ones).to(torch.int64).view(n, 1)
    if batch <= _SPLIT_MOST and flat.device.type != "mps":
        return _pack_halves(flat, compare, words)
    bits = compare(flat, 0)
    padding = words * WORD_BITS - batch
    if padding:
        bits = torch.cat([bits, bits.new_zeros(padding, n)])
    as_bytes = bits.view(torch.uint8).view(words * 8, 8, n)
    packed = as_bytes[:, 0].clone()
    for k in range(1, 8):
        packed |= as_bytes[:, k] << k
    neuron_major = packed.new_empty((n, words * 8))  # a fresh row-major buffer: .contiguous() may keep
    neuron_major.copy_(packed.t())                   # odd strides when n == 1, which .view rejects
    return neuron_major.view(torch.int64)


def _pack_halves(flat: torch.Tensor, compare, words: int) -> torch.Tensor:
    """`_pack_plane` for 53 < B <= 64: each word is two 32-sample halves, each one exact float64 product
    (below 2^32), joined as low + (high << 32). Twice the ops of one product, still far fewer than bit by bit."""
    batch, n = flat.shape
    halves = 2 * words
    make = torch.empty if batch == halves * _HALF else torch.zeros  # padding samples read as 0
    ones = make((halves * _HALF, n), dtype=torch.float64, device=flat.device)
    compare(flat, 0, out=ones[:batch])
    powers = torch.pow(2.0, torch.arange(_HALF, dtype=torch.float64, device=flat.device))
    sums = torch.matmul(powers, ones.view(halves, _HALF, n)).to(torch.int64).view(words, 2, n)
    packed = sums[:, 0] | (sums[:, 1] << _HALF)
    return packed.t().contiguous()


def per_sample(output: torch.Tensor) -> torch.Tensor:
    """(B, ...) -> (B, n): each sample's values in the order they lie in memory, so that a channels-last map
    (the zoo's and NB201's convolutions on image batches) is flattened without a copy. The order of a layer's
    neurons changes nothing that SWAP counts."""
    if output.dim() > 2 and not output.is_contiguous():
        order = sorted(range(1, output.dim()), key=lambda dim: -output.stride(dim))
        permuted = output.permute(0, *order)
        if permuted.is_contiguous():
            return permuted.view(output.shape[0], -1)
    return output.reshape(output.shape[0], -1)


def pack_output(output: torch.Tensor, *, ternary: bool, nonnegative: bool = False) -> torch.Tensor:
    """One activation output (B, ...) -> keys (n, planes, words) int64, n = elements per sample.

    `nonnegative` skips the comparison for modules that cannot output negatives (ReLU): their
    "< 0" plane is all zeros, which keeps their keys comparable with ternary layers.
    """
    flat = per_sample(output.detach())
    words = words_for(flat.shape[0])
    positive = _pack_plane(flat, torch.gt, words)
    if not ternary:
        return positive.unsqueeze(1)
    negative = torch.zeros_like(positive) if nonnegative else _pack_plane(flat, torch.lt, words)
    return torch.stack([positive, negative], dim=1)


def unpack_patterns(keys: torch.Tensor, batch_size: int) -> torch.Tensor:
    """keys (n, planes, words) -> pattern values (n, B) int8: 1 / 0 (binary) or 1 / 0 / -1 (ternary)."""
    n, planes, words = keys.shape
    as_bytes = keys.new_empty(keys.shape).copy_(keys).view(torch.uint8).view(n, planes, words * 8, 1)
    shifts = torch.arange(8, dtype=torch.uint8, device=keys.device)
    bits = ((as_bytes >> shifts) & 1).view(n, planes, words * WORD_BITS)[:, :, :batch_size].to(torch.int8)
    return bits[:, 0] - bits[:, 1] if planes == 2 else bits[:, 0]
