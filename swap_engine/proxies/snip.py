"""SNIP: connection sensitivity |w * dL/dw| summed over Conv and Linear weights.

Lee, Ajanthan, Torr, "SNIP: Single-shot Network Pruning based on Connection Sensitivity", ICLR 2019;
as a NAS proxy: Abdelfattah et al., ICLR 2021, and NAS-Bench-Suite-Zero (NASLib
`predictors/pruners/measures/snip.py`), which multiplies each weight by a mask of ones and takes
|dL/dmask| = |w * dL/dw|; L = cross-entropy on one labelled batch. Needs class labels.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import labelled_gradients


@register("snip", needs_targets=True)
def snip(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
         mode: str = "train") -> float:
    """Sum over Conv/Linear weights of |w * dL/dw|, L = cross-entropy (Lee et al. 2019)."""
    layers = labelled_gradients("snip", model, inputs, targets, seed=seed, device=device, mode=mode)
    return float(sum((m.weight.detach() * m.weight.grad).abs().sum() for m in layers if m.weight.grad is not None))
