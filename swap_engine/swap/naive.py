"""The definition, computed the slow way: keep every float activation, take signs, count unique rows.

Only for tests and benchmarks, to check the streaming engine against; memory grows as B x N x 4 bytes.
Unique rows are counted with NumPy (`np.unique(axis=0)`): torch's CPU `unique(dim=0)`, which the
reference code uses, needs tens of times the matrix's size in memory and cannot reach B = 1024 here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from swap_engine.swap.capture import DEFAULT_ACTIVATIONS, activation_modules


@torch.no_grad()
def naive_counts(model: nn.Module, x: torch.Tensor, *, pattern: str = "sign",
                 activations: Sequence[type[nn.Module]] | None = None, conv_only: bool = False,
                 mode: str = "train", layers: bool = True) -> tuple[int, list[int]]:
    """(distinct patterns overall, distinct patterns per activation call) the naive way.

    `layers=False` skips the per-layer counts (an empty list), as the reference computes only the total.
    Runs on the model as it is (train/eval mode is set and restored, buffers are not).
    """
    recorded: list[torch.Tensor] = []

    def keep(module, args, output):
        if conv_only and args[0].dim() != 4:
            return
        recorded.append(output.detach().reshape(output.shape[0], -1).clone())

    was_training = model.training
    handles = [m.register_forward_hook(keep) for m in activation_modules(model, activations or DEFAULT_ACTIVATIONS)]
    try:
        model.train(mode == "train")
        model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    signs = [(torch.sign(a) if pattern == "sign" else (a > 0)).to(torch.int8) for a in recorded]
    per_layer = [_distinct_rows(s.t()) for s in signs if s.shape[1]] if layers else []
    return _distinct_rows(torch.cat(signs, dim=1).t()), per_layer


def _distinct_rows(matrix: torch.Tensor) -> int:
    return int(np.unique(matrix.cpu().contiguous().numpy(), axis=0).shape[0])
