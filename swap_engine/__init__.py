"""SWAP Explorer's engine: zero-shot evaluation of neural networks with the SWAP-Score."""
from swap_engine.swap import (BatchTooLargeError, LayerStat, PatternSample, SwapResult, count_params,
                              regularization_factor, swap_score)

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)
__all__ = ["BatchTooLargeError", "LayerStat", "PatternSample", "SwapResult", "count_params",
           "regularization_factor", "swap_score", "__version__"]
