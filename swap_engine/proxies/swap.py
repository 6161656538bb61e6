"""SWAP-Score as a proxy: the number of distinct sample-wise activation patterns, and its variants.

Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024. Wraps
`swap_engine.swap_score`; every option (pattern, conv_only, mode, repeats, reinit, seed,
regularize, device, ...) is passed through unchanged. Label-free. The variants of
`swap_engine.swap.variants` (`swap_layersum`, `swap_satfree`, ...) are registered here too: each reads
the same single capture.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from torch import nn

from swap_engine.proxies import register
from swap_engine.swap.variants import VARIANTS, variant


def _swap_result(name: str, model: nn.Module, inputs: Any, options: dict[str, Any]) -> Any:
    import swap_engine  # imported at call time: the engine core may import the proxies package

    accepted = [p.name for p in inspect.signature(swap_engine.swap_score).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"proxy {name!r} got unknown option(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted)}")
    return swap_engine.swap_score(model, inputs, **options)


@register("swap")
def swap(model: nn.Module, inputs: Any, targets: Any = None, **options: Any) -> float:
    """Distinct sample-wise activation patterns (regularised when `regularize=(mu, sigma)`); label-free."""
    return float(_swap_result("swap", model, inputs, options).score)


def _variant_proxy(name: str) -> Callable[..., float]:
    def proxy(model: nn.Module, inputs: Any, targets: Any = None, **options: Any) -> float:
        return variant(name, _swap_result(name, model, inputs, options))

    proxy.__doc__ = f"SWAP variant: {VARIANTS[name]}; label-free."
    return proxy


for _name in VARIANTS:
    if _name != "swap":
        register(_name)(_variant_proxy(_name))
