"""One thread policy: the same count at any thread count, and every core the caller gives torch.

A SWAP count is the number of distinct sign patterns, so a pre-activation near zero that flips its sign
changes it. Measured on NB201, NB101, DARTS, FlexiBERT and the zoo (tests/test_threads.py): of all the
layers these models use, only the batch statistics of a train-mode BatchNorm change with torch's intra-op
thread count. Their mean and variance are sums over the batch that torch splits among its threads, so
their last bits follow the thread count, and a few pre-activations after them change sign (NB201 at
B = 64: 40-90 of a million signs at 2 or 4 threads against 1; NB101 up to 1,260; a count 1 pattern off).
Every convolution, matrix product, pooling and LayerNorm gives the same bits at 1, 2 and 4 threads.

So a scoring pass runs with the caller's threads and `serial_norms` runs each batch-statistics layer on
one thread: the count is the same as the atlas's one-thread count, and only these cheap layers give up
their parallelism. Building a model and the other proxies (whose backward passes sum gradients over
the batch everywhere) run inside `one_thread()`, so their floats match the atlas's bit for bit.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import torch
from torch import nn

# Layers whose output depends on sums over the batch (or over all pixels of a sample) that torch splits
# among its threads. GroupNorm and InstanceNorm gave the same bits here; they are pinned anyway, being cheap.
SERIAL_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm)

_lock = threading.Lock()
_depth = 0  # one_thread blocks open in any thread; the caller's setting comes back when the last one closes
_saved = 0


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with torch's intra-op threads at 1, restoring the caller's count after.

    Re-entrant and safe across threads (the app scores in several): torch's OpenMP setting belongs to the
    calling thread, so each entering thread sets it, and the count saved by the first is restored by the last.
    """
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = torch.get_num_threads()
        _depth += 1
        torch.set_num_threads(1)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                torch.set_num_threads(_saved)


@contextlib.contextmanager
def serial_norms(model: nn.Module) -> Iterator[None]:
    """While the block runs, each `SERIAL_LAYERS` module of `model` computes on one thread, the rest with the
    caller's threads (set back when the block ends, even if a forward raised inside such a layer)."""
    caller = torch.get_num_threads()
    if caller == 1:
        yield
        return
    handles = []
    for module in model.modules():
        if isinstance(module, SERIAL_LAYERS):
            handles.append(module.register_forward_pre_hook(lambda module, args: torch.set_num_threads(1)))
            handles.append(module.register_forward_hook(lambda module, args, output: torch.set_num_threads(caller)))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
        torch.set_num_threads(caller)


__all__ = ["SERIAL_LAYERS", "one_thread", "serial_norms"]
