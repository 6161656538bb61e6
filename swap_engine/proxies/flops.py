"""FLOPs of one forward pass for ONE sample, counted by PyTorch's own `FlopCounterMode`.

NAS-Bench-Suite-Zero (Krishnakumar et al. 2022; NASLib `predictive.py`) counts FLOPs on a batch of
one to rank architectures by cost. PyTorch counts a multiply-add as 2 FLOPs and only the operators it
knows (convolutions, matmuls, attention); elementwise work such as ReLU or pooling is not counted.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from swap_engine.proxies import register
from swap_engine.proxies._utils import prepare


@register("flops")
def flops(model: nn.Module, inputs: Any, targets: Any = None, *, device: Any = None) -> float:
    """Forward FLOPs per sample (first sample of the batch), label-free."""
    prepared = prepare(model, inputs, device=device, mode="eval")
    one = {k: v[:1] for k, v in prepared.kwargs.items()}
    # The counter's module tracker hooks the gradients of every module input that requires one; a parameter
    # handed to a submodule as its input (PiT's class token) has no gradient function under no_grad and fails it.
    # The copy's weights need no gradient here, and FLOPs do not depend on it.
    prepared.net.requires_grad_(False)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        prepared.net(prepared.x[:1], **one)
    return float(counter.get_total_flops())
