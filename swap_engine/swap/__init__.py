"""The SWAP-Score algorithm: capture (hooks), packing (bits), distinct counting, and `swap_score`."""
from swap_engine.swap.capture import DEFAULT_ACTIVATIONS
from swap_engine.swap.model_state import count_params, regularization_factor
from swap_engine.swap.score import BatchTooLargeError, LayerStat, PatternSample, SwapResult, swap_score

__all__ = ["DEFAULT_ACTIVATIONS", "BatchTooLargeError", "LayerStat", "PatternSample", "SwapResult",
           "count_params", "regularization_factor", "swap_score"]
