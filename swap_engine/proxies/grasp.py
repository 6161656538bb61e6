"""GraSP: gradient signal preservation, -w * (H g) summed over Conv and Linear weights.

Wang, Zhang, Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow", ICLR 2020;
as a NAS proxy: Abdelfattah et al., ICLR 2021, and NAS-Bench-Suite-Zero (NASLib
`predictors/pruners/measures/grasp.py`), whose recipe we follow: g = dL/dW (detached), then the
Hessian-gradient product H g = d(g_f . g)/dW with g_f = dL/dW taken with `create_graph`, and
score = sum of -W * Hg over every Conv/Linear weight (signed, not absolute); L = cross-entropy,
temperature 1. Needs class labels and second derivatives of every operation.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import classification_loss, prepare, require_labels, seeded, weighted_layers


@register("grasp", needs_targets=True)
def grasp(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
          mode: str = "train") -> float:
    """Sum over Conv/Linear weights of -w * (H g) (Wang et al. 2020)."""
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    require_labels("grasp", prepared)
    weights = [m.weight for m in weighted_layers(prepared.net)]
    with seeded(seed, prepared.x.device):
        # NASLib takes g and g_f in two passes because it splits the batch; on one batch they are the same
        # gradient, so one pass with create_graph gives both (same values, one forward and backward fewer).
        grads_f = torch.autograd.grad(classification_loss(prepared), weights, create_graph=True,
                                      allow_unused=True)
        z = sum((gf.detach() * gf).sum() for gf in grads_f if gf is not None)
        if not isinstance(z, torch.Tensor) or not z.requires_grad:
            return 0.0
        hg = torch.autograd.grad(z, weights, allow_unused=True)
    return float(sum((-w.detach() * h).sum() for w, h in zip(weights, hg) if h is not None))
