"""Training-free proxies by name: `names()`, `score("synflow", model, inputs, targets)`.

One proxy per module; each registers itself on import (timm's `register_model` idea), so the CLI and
the app list what exists. Every proxy works on a private copy of the model: the caller's weights,
buffers, gradients, train/eval mode and hooks come back unchanged.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from swap_engine.registry import Registry
from swap_engine.threads import one_thread


@dataclass(frozen=True)
class Proxy:
    """A registered proxy; `needs_targets` proxies use class labels (cross-entropy on the logits)."""

    name: str
    fn: Callable[..., float]
    needs_targets: bool
    summary: str

    def options(self) -> list[str] | None:
        """Keyword options the proxy accepts (e.g. seed, device, mode); None: passed on to a wrapped
        function that checks them itself (the `swap` proxy)."""
        params = inspect.signature(self.fn).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


# One module per proxy, imported on first lookup.
_registry: Registry[Proxy] = Registry("proxy", [
    f"{__name__}.{module}" for module in ("swap", "params", "flops", "naswot", "synflow", "snip", "grasp",
                                          "fisher", "grad_norm", "jacov", "zen", "zico", "az", "meco", "lswag",
                                          "vkdnw")])


def register(name: str, *, needs_targets: bool = False) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator: `@register("snip", needs_targets=True)` on `fn(model, inputs, targets=None, *, ...)`."""
    def decorate(fn: Callable[..., float]) -> Callable[..., float]:
        summary = (inspect.getdoc(fn) or name).splitlines()[0]
        _registry.register(name, Proxy(name, fn, needs_targets, summary))
        return fn
    return decorate


def names(pattern: str = "*") -> list[str]:
    return _registry.names(pattern)


def get(name: str) -> Proxy:
    return _registry.get(name)


def score(name: str, model: nn.Module, inputs: Any, targets: Any = None, **options: Any) -> float:
    """The proxy's value for `model` on one batch; higher is meant to predict higher accuracy.

    `inputs`: a Tensor or a Batch (`.x`, `.y`, `.attention_mask`); `targets` default to `inputs.y`.
    Options are the proxy's keyword arguments (`get(name).options()`); an unknown one is a ValueError.
    """
    proxy = get(name)
    accepted = proxy.options()
    unknown = sorted(set(options) - set(accepted)) if accepted is not None else []
    if unknown:
        raise ValueError(f"proxy {name!r} got unknown option(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted) or 'none'}")
    with one_thread():  # the thread policy of every score (swap_engine.threads)
        return float(proxy.fn(model, inputs, targets, **options))


__all__ = ["Proxy", "get", "names", "register", "score"]
