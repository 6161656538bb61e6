"""NASWOT: log-determinant of the Hamming kernel of ReLU binary codes.

Mellor, Turner, Storkey, Crowley, "Neural Architecture Search without Training", ICML 2021
(second arXiv version, 2006.04647); settings as NAS-Bench-Suite-Zero's `nwot` (NASLib
`predictors/pruners/measures/nwot.py`): every module whose type name contains "ReLU" is hooked, each
sample's code is the flattened indicator `input > 0` of every such call, and
K[i, j] = #agreeing units = c_i.c_j + (1 - c_i).(1 - c_j), summed over all calls; score = log|K|.

Models without any ReLU (transformers with GELU): as a documented surrogate, the outputs of GELU /
SiLU / Hardswish / Tanh-like activations (torch's classes, or another library's of the same name: timm's
GELU) are coded by `output > 0` instead (padding tokens included).
"""
from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import hooks, prepare, seeded

_SURROGATE = (nn.GELU, nn.SiLU, nn.Tanh, nn.ELU, nn.Mish, nn.Hardswish)
# the same activations as other libraries write them (timm's own GELU is no nn.GELU), by class name
_SURROGATE_NAMES = {"gelu", "gelutanh", "quickgelu", "silu", "swish", "hardswish", "mish", "tanh", "elu"}


def _surrogate(module: nn.Module) -> bool:
    return isinstance(module, _SURROGATE) or type(module).__name__.lower() in _SURROGATE_NAMES


@register("naswot")
def naswot(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
           mode: str = "train") -> float:
    """log|K_H| of the binary activation-code kernel (Mellor et al. 2021); label-free."""
    prepared = prepare(model, inputs, device=device, mode=mode)
    net = prepared.net
    relus = [m for m in net.modules() if "ReLU" in type(m).__name__]
    chosen = relus or [m for m in net.modules() if _surrogate(m)]
    if not chosen:
        raise ValueError("proxy 'naswot' found no ReLU (or GELU/SiLU-like) module to hook")
    batch = prepared.x.shape[0]
    kernel = torch.zeros(batch, batch, dtype=torch.float64, device=prepared.x.device)
    # Modules reading the same tensor (every edge leaving an NB201 node) add the same matrix: compute it once.
    seen: list[tuple[weakref.ref, int, torch.Tensor]] = []

    def code(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        nonlocal kernel
        tensor = args[0] if relus else output
        agree = next((known for ref, version, known in seen
                      if ref() is tensor and version == tensor._version), None)
        if agree is None:
            agree = _agreements(tensor.detach().reshape(batch, -1) > 0)
            seen.append((weakref.ref(tensor), tensor._version, agree))
        kernel = kernel + agree

    with hooks() as handles, seeded(seed, prepared.x.device), torch.no_grad():
        handles += [m.register_forward_hook(code) for m in chosen]
        prepared.forward()
    _, logdet = torch.linalg.slogdet(kernel)
    return float(logdet)


def _agreements(bits: torch.Tensor) -> torch.Tensor:
    """Units on which each pair of samples agrees, c_i.c_j + (1 - c_i).(1 - c_j), from one product.

    (1 - c_i).(1 - c_j) = D - |c_i| - |c_j| + c_i.c_j; float32 sums of 0/1 are exact below 2^24 units.
    """
    codes = bits.float()
    ones = codes.sum(1, dtype=torch.float64)
    both = (codes @ codes.T).double()
    return 2 * both + codes.shape[1] - ones[:, None] - ones[None, :]
