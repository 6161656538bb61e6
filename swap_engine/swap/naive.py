"""The definition, computed the slow way: keep every float activation, take signs, count unique rows.

Only for tests and benchmarks, to check the streaming engine against; memory grows as B x N x 4 bytes.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from swap_engine.swap.capture import DEFAULT_ACTIVATIONS, activation_modules


@torch.no_grad()
def naive_counts(model: nn.Module, x: torch.Tensor, *, pattern: str = "sign",
                 activations: Sequence[type[nn.Module]] | None = None, conv_only: bool = False,
                 mode: str = "train") -> tuple[int, list[int]]:
    """(distinct patterns overall, distinct patterns per activation call) the naive way.

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
    signs = [torch.sign(a) if pattern == "sign" else (a > 0).float() for a in recorded]
    per_layer = [torch.unique(s.t(), dim=0).shape[0] for s in signs if s.shape[1]]
    total = torch.unique(torch.cat(signs, dim=1).t(), dim=0).shape[0]
    return total, per_layer
