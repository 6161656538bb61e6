"""ZiCo: zero-shot proxy from the inverse coefficient of variation of gradients.

Li, Yang, Wang, Marculescu, "ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients",
ICLR 2023; as in NASLib's `zico` measure: the batch is split into `splits` equal parts; each part's
cross-entropy gradient of every Conv/Linear weight is recorded; per weight, mean |g| and std g over
the parts; per layer, S = sum over weights with std > 0 of mean|g| / std; score = sum over layers of
log S (layers with S = 0 skipped). Needs class labels and at least two samples per part.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import classification_loss, prepare, require_labels, seeded, weighted_layers


@register("zico", needs_targets=True)
def zico(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
         mode: str = "train", splits: int = 2) -> float:
    """Sum over Conv/Linear layers of log sum(mean|g| / std g) across batch parts (Li et al. 2023)."""
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    labels = require_labels("zico", prepared)
    batch = prepared.x.shape[0]
    if splits < 2 or batch // splits < 1:
        raise ValueError(f"zico needs splits >= 2 and at least one sample per split; got splits={splits}, "
                         f"batch={batch}")
    layers = weighted_layers(prepared.net)
    per_layer: list[list[torch.Tensor]] = [[] for _ in layers]
    with seeded(seed, prepared.x.device):
        for part in torch.arange(batch, device=prepared.x.device).chunk(splits):
            prepared.net.zero_grad(set_to_none=True)
            classification_loss(prepared, prepared.x[part], labels[part]).backward()
            for grads, m in zip(per_layer, layers):
                if m.weight.grad is not None:
                    grads.append(m.weight.grad.detach().flatten().double())
    total = 0.0
    for grads in per_layer:
        if len(grads) < 2:
            continue
        stacked = torch.stack(grads)
        # The population std across parts, written out: Tensor.std over a leading dimension of 2 is ten times
        # slower on CPU (it can differ from it in the last bit).
        std = (stacked - stacked.mean(0)).square().mean(0).sqrt()
        keep = std != 0
        ratio = float((stacked.abs().mean(0)[keep] / std[keep]).sum())
        if ratio > 0:
            total += math.log(ratio)
    return total
