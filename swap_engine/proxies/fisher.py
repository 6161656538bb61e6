"""Fisher: channel saliency from activations times their gradients, summed over all channels.

Theis, Korshunova, Tejani, Huszar, "Faster gaze prediction with dense networks and Fisher pruning"
(2018) and Turner et al., "BlockSwap" (ICLR 2020); as a NAS proxy: Abdelfattah et al., ICLR 2021, and
NAS-Bench-Suite-Zero (NASLib `predictors/pruners/measures/fisher.py`): the activation a is the OUTPUT
of every Conv/Linear layer (before BN); per sample n and channel k, g_nk = sum over positions of
a * dL/da; each channel scores 0.5 * mean_n g_nk^2; the proxy is the sum over all channels of all layers.
L = cross-entropy. Needs class labels.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import (classification_loss, hooks, prepare, require_labels, seeded,
                                        weighted_layers)


@register("fisher", needs_targets=True)
def fisher(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
           mode: str = "train") -> float:
    """Sum over Conv/Linear output channels of 0.5 * E_n[(sum_pos a * dL/da)^2] (Theis et al. 2018)."""
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    require_labels("fisher", prepared)
    total = torch.zeros((), dtype=torch.float64, device=prepared.x.device)

    def on_grad(activation: torch.Tensor):
        def accumulate(grad: torch.Tensor) -> None:
            nonlocal total
            product = (activation * grad).double()
            per_channel = product.sum(dim=tuple(range(2, product.dim()))) if product.dim() > 2 else product
            total = total + 0.5 * per_channel.pow(2).mean(0).sum()
        return accumulate

    def watch(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if output.requires_grad:
            output.register_hook(on_grad(output.detach()))

    with hooks() as handles, seeded(seed, prepared.x.device):
        handles += [m.register_forward_hook(watch) for m in weighted_layers(prepared.net)]
        classification_loss(prepared).backward()
    return float(total)
