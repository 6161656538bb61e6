"""SWAP Explorer's engine: zero-shot evaluation of neural networks with the SWAP-Score.

The top-level names load on first use, so that `from swap_engine import analysis` (numpy and scipy
only) does not wait for PyTorch; the app's first page draws before torch has loaded.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swap_engine.swap import (BatchTooLargeError, LayerStat, PatternSample, SwapResult, count_params,
                                  regularization_factor, swap_score)

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)
__all__ = ["BatchTooLargeError", "LayerStat", "PatternSample", "SwapResult", "count_params",
           "regularization_factor", "swap_score", "__version__"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("swap_engine.swap"), name)
    raise AttributeError(f"module 'swap_engine' has no attribute {name!r}")
