"""Zen-score: expressivity of the pre-pooling feature map under a tiny input perturbation.

Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition", ICCV 2021; as in
NAS-Bench-Suite-Zero (NASLib `predictors/pruners/measures/zen.py`, whose listing is incomplete, so
the Zen-NAS paper's algorithm is followed): train mode; every Conv/Linear weight re-drawn ~ N(0, 1)
(biases 0, norm layers weight 1 / bias 0); x ~ N(0, 1) of the batch's shape (the data itself is
NOT used), x' = x + 0.01 * eps; Delta = mean over samples of sum |f(x) - f(x')| where f is the
pre-GAP feature map; score = log Delta + sum over BatchNorm2d layers of log sqrt(mean batch variance).

Pre-GAP feature map: the input of the last call of a global pooling module (nn.AdaptiveAvgPool2d or
nn.AdaptiveMaxPool2d) during the forward; models without one are refused. BN variances: as in the
reference code, `running_var` after the two train-mode forwards, starting from fresh running statistics
(mean 0, var 1) and the layers' own momentum. (Forcing the pure batch variance instead, momentum 1,
agreed with NASLib's published NB201 Zen-scores at Spearman 0.97 but gave -inf whenever a BN layer sees
a constant input, e.g. behind 'none' edges.)
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import hooks, prepare, require_images, seeded
from swap_engine.swap.model_state import gaussian_reinit

_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@register("zen")
def zen(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
        mixup_gamma: float = 1e-2, repeats: int = 1) -> float:
    """log E|f(x) - f(x + 0.01 eps)| + BN variance correction, Gaussian weights and inputs (Lin et al. 2021)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    prepared = prepare(model, inputs, device=device, mode="train")
    require_images("zen", prepared, "it perturbs continuous inputs and needs a pre-pooling feature map")
    net = prepared.net
    pools = [m for m in net.modules() if isinstance(m, _POOLS)]
    if not pools:
        raise ValueError("proxy 'zen' needs a global pooling module (nn.AdaptiveAvgPool2d) to find the "
                         "pre-GAP feature map; this model has none")
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    captured: list[torch.Tensor] = []

    def keep_input(module: nn.Module, args: tuple) -> None:
        captured.append(args[0])

    scores = []
    with hooks() as handles, seeded(seed, prepared.x.device), torch.no_grad():
        handles += [m.register_forward_pre_hook(keep_input) for m in pools]
        for _ in range(repeats):
            gaussian_reinit(net)
            for bn in bns:
                bn.reset_running_stats()
            x = torch.randn_like(prepared.x)
            mixed = x + mixup_gamma * torch.randn_like(prepared.x)
            captured.clear()
            prepared.forward(x)
            clean = captured[-1]
            captured.clear()
            prepared.forward(mixed)
            delta = (clean - captured[-1]).abs().flatten(1).sum(1).mean()
            variances = [float(bn.running_var.mean()) for bn in bns if bn.running_var is not None]
            logs = [math.log(v) / 2 if v > 0 else -math.inf for v in [*variances, float(delta) ** 2]]
            scores.append(sum(logs))
    return float(sum(scores) / len(scores))
