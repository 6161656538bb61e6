"""One thread policy for every computation a score is read from: one CPU thread.

A SWAP count is the number of distinct sign patterns, and a value that lands exactly on zero flips its sign
with the order in which a convolution sums its terms, which follows torch's intra-op thread count. Run with
torch's default threads (the CPU count) and the same cell gets 56,310 here and 56,311 in a one-thread run.
So every model is built and every scoring pass runs inside `scoring_threads()`: the CLI, the runner (local
and Ray), the app and search get the same number for the same cell and settings on one machine.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import torch

SCORING_THREADS = 1

_lock = threading.Lock()
_depth = 0  # blocks open in any thread; the caller's setting comes back when the last one closes
_saved = 0


@contextlib.contextmanager
def scoring_threads() -> Iterator[None]:
    """Run the block with torch's intra-op threads at `SCORING_THREADS`, restoring the caller's count after.

    Re-entrant and safe across threads (the app scores in several): torch's OpenMP setting belongs to the
    calling thread, so each entering thread sets it, and the count saved by the first is restored by the last.
    """
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = torch.get_num_threads()
        _depth += 1
        torch.set_num_threads(SCORING_THREADS)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                torch.set_num_threads(_saved)


__all__ = ["SCORING_THREADS", "scoring_threads"]
