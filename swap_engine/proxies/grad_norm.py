"""Grad-norm: sum over Conv and Linear layers of the L2 norm of each layer's weight gradient.

Abdelfattah, Mehrotra, Dudziak, Lane, "Zero-Cost Proxies for Lightweight NAS", ICLR 2021; settings of
NAS-Bench-Suite-Zero (NASLib `predictors/pruners/measures/grad_norm.py`): cross-entropy on one
labelled batch, per-layer Frobenius norm of dL/dW, summed (not squared). Needs class labels.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import labelled_gradients


@register("grad_norm", needs_targets=True)
def grad_norm(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
              mode: str = "train") -> float:
    """Sum of per-layer ||dL/dW||_2 over Conv/Linear layers (Abdelfattah et al. 2021)."""
    layers = labelled_gradients("grad_norm", model, inputs, targets, seed=seed, device=device, mode=mode)
    return float(sum(m.weight.grad.norm() for m in layers if m.weight.grad is not None))
