"""SWAP-Score as a proxy: the number of distinct sample-wise activation patterns.

Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024. Wraps
`swap_engine.swap_score`; every option (pattern, conv_only, mode, repeats, reinit, seed,
regularize, device, ...) is passed through unchanged. Label-free.
"""
from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from swap_engine.proxies import register


@register("swap")
def swap(model: nn.Module, inputs: Any, targets: Any = None, **options: Any) -> float:
    """Distinct sample-wise activation patterns (regularised when `regularize=(mu, sigma)`); label-free."""
    import swap_engine  # imported at call time: the engine core may import the proxies package

    accepted = [p.name for p in inspect.signature(swap_engine.swap_score).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"proxy 'swap' got unknown option(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted)}")
    return float(swap_engine.swap_score(model, inputs, **options).score)
