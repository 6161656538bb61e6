"""SynFlow: synaptic saliency of the linearised network on an all-ones input.

Tanaka, Kunin, Yamins, Ganguli, "Pruning neural networks without any data by iteratively conserving
synaptic flow", NeurIPS 2020; as a NAS proxy: Abdelfattah et al., "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021, and NAS-Bench-Suite-Zero (NASLib `predictors/pruners/measures/synflow.py`), whose
settings we follow: BatchNorm disabled (identity, NASLib's `bn=False` copy), every parameter and
buffer replaced by its absolute value, float64 (the product of many weights overflows float32),
input = ones of shape (1, *sample shape), R = sum of the class scores, and
score = sum over Conv/Linear weights of |w * dR/dw|. No data and no labels are used.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import prepare, require_images, seeded, weighted_layers

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


@register("synflow")
def synflow(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
            mode: str = "train") -> float:
    """Sum of |w * dR/dw| of the |w|-linearised net on an all-ones input (Tanaka et al. 2020); data-free."""
    prepared = prepare(model, inputs, device=device, mode=mode)
    require_images("synflow", prepared, "its all-ones input is not a valid token sequence")
    net = prepared.net.double()
    for module in net.modules():
        if isinstance(module, _BATCH_NORMS):
            module.forward = _identity
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if torch.is_floating_point(tensor):
                tensor.abs_()
    ones = torch.ones((1, *prepared.x.shape[1:]), dtype=torch.float64, device=prepared.x.device)
    with seeded(seed, ones.device):
        prepared.forward(ones).sum().backward()
    layers = weighted_layers(net)
    return float(sum((m.weight.detach() * m.weight.grad).abs().sum() for m in layers if m.weight.grad is not None))
