"""Parameter count: the baseline every zero-cost proxy must beat.

NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 Datasets & Benchmarks; NASLib's
`predictors/pruners/predictive.py`) reports it in millions; only the ranking matters here, so we
return the plain count. Parameters whose name contains "auxiliary" (DARTS's auxiliary head, unused
at inference) are excluded, the same rule as the SWAP regulariser's parameter count.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from swap_engine.proxies import register


@register("params")
def params(model: nn.Module, inputs: Any = None, targets: Any = None) -> float:
    """Number of trainable-shape parameters (excluding names containing "auxiliary"); label-free."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return float(sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name))
