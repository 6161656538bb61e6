"""Leave the caller's model as it was: weights, buffers (BatchNorm running stats) and train/eval modes."""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


def count_params(model: nn.Module) -> int:
    """Parameters of the model, leaving out auxiliary heads (names containing "auxiliary"), as SWAP does."""
    return sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)


def regularization_factor(params: int, mu: float, sigma: float) -> float:
    """exp(-(theta - mu)^2 / sigma), theta = parameters in thousands. Divided by sigma, not 2 sigma^2."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    return math.exp(-((params / 1000.0 - mu) ** 2) / sigma)


@contextmanager
def preserved(model: nn.Module, *, weights: bool) -> Iterator[None]:
    """Restore every module's mode and all buffers (and, with `weights`, all parameters) on exit."""
    modes = [(module, module.training) for module in model.modules()]
    tensors = model.state_dict() if weights else dict(model.named_buffers())
    saved = {name: tensor.detach().clone() for name, tensor in tensors.items()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, tensor in tensors.items():
                tensor.copy_(saved[name])
        for module, training in modes:
            module.training = training


@torch.no_grad()
def gaussian_reinit(model: nn.Module, generator: torch.Generator | None = None) -> None:
    """The SWAP (and Zen-NAS) re-init: conv/linear weights ~ N(0, 1), biases 0; norm layers weight 1, bias 0.

    Draws from `generator`, or from torch's global RNG when it is None.
    """
    for module in model.modules():
        if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
            module.weight.normal_(generator=generator)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, _NORMS):
            if getattr(module, "weight", None) is not None:
                module.weight.fill_(1.0)
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()
