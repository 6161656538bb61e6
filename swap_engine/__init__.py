"""SWAP Explorer's engine: zero-shot evaluation of neural networks with the SWAP-Score."""
from swap_engine.swap import (BatchTooLargeError, LayerStat, PatternSample, SwapResult, count_params,
                              regularization_factor, swap_score)

__version__ = "0.1.0"
__all__ = ["BatchTooLargeError", "LayerStat", "PatternSample", "SwapResult", "count_params",
           "regularization_factor", "swap_score", "__version__"]
