"""AZ-NAS's three network proxies: expressivity, progressivity and trainability of block features.

Lee and Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search", CVPR 2024 (its
NB201 code, `compute_az_nas_score.py`). The network is read as a chain of blocks, the stem and then every
element of `model.cells` (NB201's cells and residual reductions, DARTS's cells); f_0 ... f_L are their
outputs on one batch, in train mode, after AZ-NAS's re-initialisation (Conv/Linear weights Kaiming-normal,
fan-in, biases 0; norm layers weight 1, bias 0):

- expressivity of a block: the entropy of the normalised eigenvalues of its features' channel covariance
  (every pixel of every sample is one observation); `az_expressivity` sums it over blocks;
- `az_progressivity`: the smallest increase of that entropy from one block to the next;
- trainability of a block: with a random sign vector g at its output, g_in = J^T g at its input, and s the
  largest singular value of the channel cross-covariance of g_in (pixel-unshuffled to the output's size)
  and g; the block scores 2 - s - 1/s, 0 when s = 1; `az_trainability` is the mean over blocks, and a
  block that passes the gradient on unchanged (an identity cell) makes it -inf, as in AZ-NAS.

Where AZ-NAS's code differs only by round-off, this one is steadier: the covariance is taken in float64 and
its eigenvalues below zero (a rank-deficient covariance's round-off) count as zero, where AZ-NAS's logarithm
turns them into NaN and the cell into -inf.

AZ-NAS scores NB201 on a batch of Gaussian noise, as the atlas's `az` group does; on CIFAR-10 images its
progressivity ranks far worse.

AZ-NAS adds FLOPs as a fourth proxy and combines the four by the sum of log-normalised ranks:
`log_rank:az_expressivity_b64+az_progressivity_b64+az_trainability_b64+flops` in `swap_engine.recipe`.
One pass gives all three (`components`); each is also a proxy by itself. Label-free. A value that is not a
number (features that are all zero) is -inf, as AZ-NAS stores it.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import hooks, prepare, require_images, seeded

COMPONENTS = {
    "az_expressivity": "sum over blocks of the eigenvalue entropy of the block's feature covariance",
    "az_progressivity": "smallest increase of that entropy from one block to the next",
    "az_trainability": "mean over blocks of 2 - s - 1/s, s the top singular value of the block's "
                       "input-output gradient cross-covariance",
}


def components(model: nn.Module, inputs: Any, *, seed: int = 0, device: Any = None) -> dict[str, float]:
    """All three AZ-NAS proxies from one forward pass and one backward pass per block."""
    prepared = prepare(model, inputs, device=device, mode="train")
    require_images("az", prepared, "its blocks are convolutional feature maps")
    net = prepared.net
    blocks = _blocks(net)
    with seeded(seed, prepared.x.device):
        _reinitialise(net)
        features: list[torch.Tensor] = []
        for p in net.parameters():
            p.requires_grad_(False)  # only gradients between blocks are read: the graph runs from the input
        with hooks() as handles:
            handles += [b.register_forward_hook(lambda _m, _a, out: features.append(out)) for b in blocks]
            prepared.forward(prepared.x.clone().requires_grad_(True))
        if len(features) != len(blocks) or any(f.dim() != 4 for f in features):
            raise ValueError("proxy 'az' needs each block (the stem and every cell) to return one 4-d feature map "
                             "once per forward")
        entropies = [_entropy(f.detach()) for f in features]
        trainability = [_trainability(features[i], features[i - 1]) for i in reversed(range(1, len(features)))]
    return {
        "az_expressivity": _number(sum(entropies)),
        "az_progressivity": _number(min(b - a for a, b in zip(entropies, entropies[1:]))),
        "az_trainability": _number(sum(trainability) / len(trainability)),
    }


def _blocks(net: nn.Module) -> list[nn.Module]:
    cells = getattr(net, "cells", None)
    if not isinstance(cells, (nn.ModuleList, nn.Sequential)) or len(cells) == 0:
        raise ValueError(f"proxy 'az' reads a network as a chain of blocks, `model.cells`; "
                         f"{type(net).__name__} has none")
    stem = getattr(net, "stem", None)
    blocks = ([stem] if isinstance(stem, nn.Module) else []) + list(cells)
    if len(blocks) < 2:
        raise ValueError(f"proxy 'az' compares consecutive blocks, but {type(net).__name__} has only one "
                         "(a stem and cells, `model.cells`)")
    return blocks


def _reinitialise(net: nn.Module) -> None:
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)) and module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


def _channels_last(tensor: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B*H*W, C): every pixel of every sample one observation of C channels."""
    return tensor.permute(0, 2, 3, 1).reshape(-1, tensor.shape[1])


def _entropy(feature: torch.Tensor) -> float:
    observations = _channels_last(feature).double()
    centred = observations - observations.mean(0, keepdim=True)
    # A covariance has no negative eigenvalue: those of a rank-deficient one are round-off, taken as 0.
    eigenvalues = torch.linalg.eigvalsh(centred.T @ centred / centred.shape[0]).clamp_min(0)
    share = eigenvalues / eigenvalues.sum()
    return float(-(share * torch.log(share + 1e-8)).sum())


def _trainability(f_out: torch.Tensor, f_in: torch.Tensor) -> float:
    signs = torch.randint(0, 2, f_out.shape, device=f_out.device).to(f_out.dtype) * 2 - 1
    (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=signs, retain_graph=True)
    if g_in.shape == signs.shape and torch.equal(g_in, signs):
        return -math.inf  # the block passes the gradient on unchanged
    if g_in.shape[-2:] != signs.shape[-2:]:
        g_in = F.pixel_unshuffle(g_in, g_in.shape[-1] // signs.shape[-1])
    cross = _channels_last(g_in).T @ _channels_last(signs) / (signs.numel() // signs.shape[1])
    top = float(torch.linalg.matrix_norm(cross, ord=2))
    return 2.0 - top - 1.0 / (top + 1e-6)


def _number(value: float) -> float:
    return -math.inf if math.isnan(value) else float(value)


def _component_proxy(name: str):
    def proxy(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None) -> float:
        return components(model, inputs, seed=seed, device=device)[name]

    proxy.__doc__ = f"AZ-NAS {name.removeprefix('az_')}: {COMPONENTS[name]}; label-free."
    return proxy


for _name in COMPONENTS:
    register(_name)(_component_proxy(_name))
