"""Sign planes packed into 64-bit words: each neuron's pattern over B samples becomes a few integers.

A neuron's key has shape (planes, words): plane 0 holds "output > 0" bits, plane 1 (ternary patterns only)
"output < 0" bits. Bit k of byte j of word w is sample 64*w + 8*j + k. Equal keys <=> equal patterns.
"""
from __future__ import annotations

import math

import numpy as np
import torch

WORD_BITS = 64


def words_for(batch_size: int) -> int:
    return math.ceil(batch_size / WORD_BITS)


# Up to one word a plane is packed by products with the powers of two, a chunk of samples per product: every
# partial sum is an integer below 2^chunk, exact in float32 for chunks of 24 samples (float64 and 32 where
# CUDA may round float32 products to TF32). Four ops instead of about twenty bit by bit, while the 0/1 floats
# stay in cache: above 24 samples and about 4 M values a layer, writing them costs more than the bits do
# (B = 64, 262,144 neurons: 55 ms against 10 ms), and the plane is packed bit by bit.
_CHUNK_BITS = {torch.float32: 24, torch.float64: 32}
_PRODUCT_SAMPLES = 24  # up to this batch size a product always
_PRODUCT_VALUES = 1 << 22  # up to 64 samples, a product below this many values
# On the CPU NumPy compares 4-5x faster than torch (103 M values: 29 ms against 130 ms), with the same answer
# for every float, NaN included.
_NUMPY_COMPARE = {torch.gt: np.greater, torch.lt: np.less}
_NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)


def _product_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32:
        return torch.float64
    return torch.float32


def _pack_plane(flat: torch.Tensor, compare, words: int) -> torch.Tensor:
    """The plane `compare(flat, 0)` of (B, n) activations -> (n, words) int64, without leaving their device."""
    batch, n = flat.shape
    if batch <= _PRODUCT_SAMPLES or (batch <= WORD_BITS and flat.numel() < _PRODUCT_VALUES):
        return _pack_chunks(flat, compare)
    rows = words * WORD_BITS
    bits = (torch.empty if rows == batch else torch.zeros)((rows, n), dtype=torch.bool, device=flat.device)
    if flat.device.type == "cpu" and flat.dtype in _NUMPY_FLOATS and compare in _NUMPY_COMPARE:
        _NUMPY_COMPARE[compare](flat.numpy(), 0, out=bits.numpy()[:batch])
    else:
        compare(flat, 0, out=bits[:batch])
    as_bytes = bits.view(torch.uint8).view(words * 8, 8, n)
    packed = as_bytes[:, 0].clone()
    shifted = torch.empty_like(packed)
    for k in range(1, 8):
        packed |= torch.bitwise_left_shift(as_bytes[:, k], k, out=shifted)
    neuron_major = packed.new_empty((n, words * 8))  # a fresh row-major buffer: .contiguous() may keep
    neuron_major.copy_(packed.t())                   # odd strides when n == 1, which .view rejects
    return neuron_major.view(torch.int64)


def _pack_chunks(flat: torch.Tensor, compare) -> torch.Tensor:
    """`_pack_plane` for B <= 64: the comparison written as 0/1 floats, one product with a matrix holding each
    chunk's powers of two in its own row, the chunks' sums joined as sum_c (s_c << chunk * c)."""
    batch, n = flat.shape
    dtype = _product_dtype(flat.device)
    chunk = _CHUNK_BITS[dtype]
    ones = compare(flat, 0, out=torch.empty(flat.shape, dtype=dtype, device=flat.device))
    sample = torch.arange(batch, device=flat.device)
    part = torch.div(sample, chunk, rounding_mode="floor")
    powers = torch.zeros((math.ceil(batch / chunk), batch), dtype=dtype, device=flat.device)
    powers[part, sample] = torch.pow(2.0, (sample - part * chunk).to(dtype))
    sums = (powers @ ones).to(torch.int64)
    packed = sums[0]
    for c in range(1, sums.shape[0]):
        packed |= sums[c] << (chunk * c)
    return packed.view(n, 1)


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
