"""NASWOT: log-determinant of the Hamming kernel of ReLU binary codes.

Mellor, Turner, Storkey, Crowley, "Neural Architecture Search without Training", ICML 2021
(second arXiv version, 2006.04647); settings as NAS-Bench-Suite-Zero's `nwot` (NASLib
`predictors/pruners/measures/nwot.py`): every module whose type name contains "ReLU" is hooked, each
sample's code is the flattened indicator `input > 0` of every such call, and
K[i, j] = #agreeing units = c_i.c_j + (1 - c_i).(1 - c_j), summed over all calls; score = log|K|.

Models without any ReLU (transformers with GELU): as a documented surrogate, the outputs of GELU /
SiLU / Tanh-like activations are coded by `output > 0` instead (padding tokens included).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import hooks, prepare, seeded

_SURROGATE = (nn.GELU, nn.SiLU, nn.Tanh, nn.ELU, nn.Mish)


@register("naswot")
def naswot(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
           mode: str = "train") -> float:
    """log|K_H| of the binary activation-code kernel (Mellor et al. 2021); label-free."""
    prepared = prepare(model, inputs, device=device, mode=mode)
    net = prepared.net
    relus = [m for m in net.modules() if "ReLU" in type(m).__name__]
    chosen = relus or [m for m in net.modules() if isinstance(m, _SURROGATE)]
    if not chosen:
        raise ValueError("proxy 'naswot' found no ReLU (or GELU/SiLU-like) module to hook")
    batch = prepared.x.shape[0]
    kernel = torch.zeros(batch, batch, dtype=torch.float64, device=prepared.x.device)

    def code(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        nonlocal kernel
        tensor = args[0] if relus else output
        bits = (tensor.detach().reshape(batch, -1) > 0).float()  # float32 counts are exact below 2^24
        agree = bits @ bits.T + (1 - bits) @ (1 - bits).T
        kernel = kernel + agree.double()

    with hooks() as handles, seeded(seed, prepared.x.device), torch.no_grad():
        handles += [m.register_forward_hook(code) for m in chosen]
        prepared.forward()
    _, logdet = torch.linalg.slogdet(kernel)
    return float(logdet)
