"""The definition, computed the slow way: keep every float activation, take signs, count unique rows.

Only for tests and benchmarks, to check the streaming engine against; memory grows as B x N x 4 bytes.
Unique rows are counted with NumPy (`np.unique(axis=0)`): torch's CPU `unique(dim=0)`, which the
reference code uses, needs tens of times the matrix's size in memory and cannot reach B = 1024 here.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from swap_engine.swap.capture import DEFAULT_ACTIVATIONS, activation_functions, activation_modules


@torch.no_grad()
def naive_counts(model: nn.Module, x: torch.Tensor, *, pattern: str = "sign",
                 activations: Sequence[type[nn.Module]] | None = None, conv_only: bool = False,
                 mode: str = "train", layers: bool = True, functional: bool = False) -> tuple[int, list[int]]:
    """(distinct patterns overall, distinct patterns per activation call) the naive way.

    `layers=False` skips the per-layer counts (an empty list), as the reference computes only the total.
    `functional=True` also keeps the outputs of activation functions (`F.relu`, `x.relu()`, `F.gelu`, ...)
    called while no activation module is running.
    Runs on the model as it is (train/eval mode is set and restored, buffers are not).
    """
    recorded: list[torch.Tensor] = []
    running = [0]  # activation modules whose forward is under way

    def keep(given, output):
        if conv_only and not (isinstance(given, torch.Tensor) and given.dim() == 4):
            return
        recorded.append(output.detach().reshape(output.shape[0], -1).clone())

    def enter(module, args):
        running[0] += 1

    def leave(module, args, output):
        running[0] -= 1
        keep(args[0] if args else None, output)

    kinds = tuple(activations or DEFAULT_ACTIVATIONS)
    functions = activation_functions(kinds) if functional else {}

    class KeepFunctions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            output = func(*args, **kwargs)
            try:
                wanted = func in functions
            except TypeError:
                wanted = False
            if wanted and not running[0] and isinstance(output, torch.Tensor):
                keep(args[0] if args else kwargs.get("input"), output)
            return output

    was_training = model.training
    handles = []
    try:
        for module in activation_modules(model, kinds):
            handles.append(module.register_forward_pre_hook(enter))
            handles.append(module.register_forward_hook(leave))
        model.train(mode == "train")
        with KeepFunctions() if functions else nullcontext():
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
