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
from swap_engine.proxies._utils import classification_loss, prepare, require_labels, seeded, weighted_layers


@register("snip", needs_targets=True)
def snip(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
         mode: str = "train") -> float:
    """Sum over Conv/Linear weights of |w * dL/dw|, L = cross-entropy (Lee et al. 2019)."""
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    require_labels("snip", prepared)
    with seeded(seed, prepared.x.device):
        classification_loss(prepared).backward()
    layers = weighted_layers(prepared.net)
    return float(sum((m.weight.detach() * m.weight.grad).abs().sum() for m in layers if m.weight.grad is not None))
