"""Jacob_cov: how uncorrelated the input-Jacobians of different samples are.

Mellor et al., "Neural Architecture Search without Training" (first version, arXiv 2006.04647v1);
settings of NAS-Bench-Suite-Zero (NASLib `predictors/pruners/measures/jacov.py`): J_n = d(sum of
class scores)/d(input_n), flattened per sample; C = correlation matrix of the J_n; with its
eigenvalues v and k = 1e-5, score = -sum(log(v + k) + 1 / (v + k)). Label-free; NaN when C is
undefined (e.g. a constant Jacobian), as NASLib returns.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import prepare, require_images, seeded

_K = 1e-5


@register("jacov")
def jacov(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
          mode: str = "train") -> float:
    """-sum(log(v + k) + 1/(v + k)) over eigenvalues v of the Jacobian correlation matrix; label-free."""
    prepared = prepare(model, inputs, device=device, mode=mode)
    require_images("jacov", prepared, "token ids are integers, so there is no input gradient")
    for p in prepared.net.parameters():
        p.requires_grad_(False)  # only the input gradient is needed: skip the weight gradients' work
    x = prepared.x.clone().requires_grad_(True)
    with seeded(seed, x.device):
        prepared.forward(x).sum().backward()
    jacobians = x.grad.detach().reshape(x.shape[0], -1).double().cpu().numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(jacobians)
    if not np.all(np.isfinite(corr)):
        return float("nan")
    v = np.clip(np.linalg.eigvalsh(corr), 0.0, None)  # C is PSD; clip round-off below zero
    return float(-np.sum(np.log(v + _K) + 1.0 / (v + _K)))
