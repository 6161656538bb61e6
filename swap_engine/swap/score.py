"""`swap_score`: the SWAP-Score of a model on one batch, exact, streaming and device-agnostic."""
from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from swap_engine.device import resolve_device
from swap_engine.swap.capture import (DEFAULT_ACTIVATIONS, FUNCTIONAL_ATTRIBUTE, NONNEGATIVE_ACTIVATIONS, LayerKeys,
                                      PatternCapture, activation_functions, activation_modules, module_names)
from swap_engine.swap.distinct import count_distinct
from swap_engine.swap.model_state import count_params, gaussian_reinit, preserved, regularization_factor
from swap_engine.swap.packing import WORD_BITS, unpack_patterns
from swap_engine.threads import serial_norms


@dataclass(frozen=True)
class LayerStat:
    """One call of one activation module: how many neurons it has and how many distinct patterns among them."""

    name: str
    call: int
    neurons: int
    distinct: int


@dataclass(frozen=True)
class PatternSample:
    """A reproducible sample of neurons' patterns, for display: `values` is K x B (1/0, or 1/0/-1)."""

    values: np.ndarray
    duplicated: np.ndarray  # True where the same pattern occurs in another neuron (anywhere in the net)
    layer: list[str]
    neuron: np.ndarray  # index of each sampled neuron among all N


@dataclass(frozen=True)
class SwapResult:
    """Everything one scoring run found; the app's views read it without recomputing.

    What it cannot see: by default only activation modules are hooked, so activations applied as functions
    (`F.relu(x)`, `torch.relu(x)`, `x.relu()`, `F.gelu(x)`, ...) are not counted; `swap_score(functional=True)`
    counts them too, one layer per call site, named after the module that made the call plus the function
    ("inception3a.branch1:relu", with a call index). Even then it does not see activations written as other
    operations (`x.clamp(min=0)`, `torch.where(x > 0, x, 0)`, `x * torch.sigmoid(x)`), functions of activation
    types that were not asked for, nor calls made by code that bypasses torch's function dispatch
    (TorchScript, compiled kernels).
    `layers` and `patterns` describe the first repeat.
    """

    score: float
    counts: list[int]
    neurons: int
    batch_size: int
    bound: int
    params: int
    factor: float
    layers: list[LayerStat]
    patterns: PatternSample | None
    device: str
    seconds: float
    ternary: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def raw_score(self) -> float:
        """Mean distinct-pattern count before regularisation."""
        return float(np.mean(self.counts))

    def by_layer(self) -> pd.DataFrame:
        return pd.DataFrame([vars(layer) for layer in self.layers], columns=["name", "call", "neurons", "distinct"])

    def summary(self) -> dict[str, Any]:
        """The scalar facts, JSON-ready (for the CLI and for caching)."""
        return {"score": self.score, "raw_score": self.raw_score, "counts": self.counts, "neurons": self.neurons,
                "batch_size": self.batch_size, "bound": self.bound, "params": self.params, "factor": self.factor,
                "layers": len(self.layers), "ternary": self.ternary, "device": self.device, "seconds": self.seconds}


class BatchTooLargeError(ValueError):
    """The batch does not fit on the device; the message names a batch size that does."""


def swap_score(model: nn.Module, inputs: Any, *, pattern: str = "sign",
               activations: Sequence[type[nn.Module]] | None = None, conv_only: bool = False,
               mode: str = "train", repeats: int = 1, reinit: str | None = None, seed: int = 0,
               regularize: tuple[float, float] | None = None, keep_patterns: int = 0,
               device: str | torch.device | None = None, batch_chunk: int | None = None,
               functional: bool | None = None, restore: bool = True) -> SwapResult:
    """SWAP-Score: the number of distinct sample-wise activation patterns over all hooked neurons.

    `inputs` is a tensor (B, ...), a batch object with `.x` (and optional `.attention_mask`, passed as a
    keyword), or a mapping of keyword tensors. The score is the mean over `repeats`; with
    `reinit="gaussian"` all weights are re-drawn before each repeat (the reference setup). `seed` seeds a
    forked copy of torch's global RNG (`torch.manual_seed` semantics, so dropout is reproducible) and the
    re-init generator: the same seed on the same device gives the same result, and the caller's RNG state
    is untouched. The caller's model comes back unchanged (weights, buffers, train/eval modes). The passes
    use the caller's CPU threads with BatchNorm on one (`swap_engine.threads.serial_norms`), so the count does
    not depend on the thread count.
    In eval mode, `batch_chunk` (a multiple of 64) runs the batch in pieces and joins their bit planes,
    which is exact because samples do not interact; it is chosen automatically when the batch does not fit.
    `functional=True` also counts activation functions called outside activation modules (`F.relu`,
    `torch.relu`, `x.relu()`, `F.gelu`, `F.silu`, ... the functional forms of `activations`), seen through a
    torch function mode; a call inside a hooked module (`nn.ReLU` calls `F.relu`) counts once, as the module.
    `None` (the default) means the model's own `swap_functional` attribute when it has one (a search space
    sets it on models that need it), else False: module-only capture, the reference's numbers.
    `restore=False` is for a caller that discards the model afterwards (the runner): its modes and buffers
    (BatchNorm's running statistics) are then left as the passes left them, which saves copying them.
    """
    started = time.perf_counter()
    if pattern not in ("sign", "binary"):
        raise ValueError(f"pattern must be 'sign' or 'binary', got {pattern!r}")
    if mode not in ("train", "eval"):
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    if reinit not in (None, "gaussian"):
        raise ValueError(f"reinit must be None or 'gaussian', got {reinit!r}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if batch_chunk is not None and (batch_chunk < WORD_BITS or batch_chunk % WORD_BITS):
        raise ValueError(f"batch_chunk must be a positive multiple of {WORD_BITS}, got {batch_chunk}")
    if batch_chunk is not None and mode == "train":
        raise ValueError("batch_chunk needs mode='eval': in train mode BatchNorm statistics depend on the "
                         "whole batch, so a split batch would give different patterns")

    target = resolve_device(device)
    model_device = _model_device(model) or target
    if _same_device(model_device, target):
        work, guard = model, preserved(model, weights=reinit is not None) if restore else nullcontext()
    else:  # score a copy on the target device; the caller's model is never touched
        work, guard = copy.deepcopy(model).to(target), nullcontext()
    args, kwargs, batch_size = _forward_arguments(inputs, target)

    if functional is None:
        functional = bool(getattr(model, FUNCTIONAL_ATTRIBUTE, False))
    kinds = tuple(activations or DEFAULT_ACTIVATIONS)
    modules = activation_modules(work, kinds)
    functions = activation_functions(kinds) if functional else {}
    if not modules and not functions:
        names = ", ".join(t.__name__ for t in kinds)
        raise ValueError(f"no activation modules ({names}) found in {type(model).__name__}; SWAP hooks "
                         "activation modules, so functional calls such as F.relu are invisible to it unless "
                         "functional=True; or pass activations=(...) with the module types the model uses")
    ternary = pattern == "sign" and not all(isinstance(m, NONNEGATIVE_ACTIVATIONS) for m in modules)
    # Which functions a forward calls is known only afterwards: capture both sign planes, then keep one
    # when every captured layer turned out to be never negative.
    capture = dict(ternary=pattern == "sign", functions=functions, names=module_names(work)) if functional \
        else dict(ternary=ternary)

    counts: list[int] = []
    first: tuple[list[LayerStat], PatternSample | None, int] | None = None
    cuda_devices = [target.index or 0] if target.type == "cuda" else []
    with guard, torch.random.fork_rng(devices=cuda_devices), torch.no_grad(), serial_norms(work):
        torch.manual_seed(seed)
        generator = torch.Generator(device=target).manual_seed(seed)
        work.train(mode == "train")
        for _ in range(repeats):
            if reinit == "gaussian":
                gaussian_reinit(work, generator)
            layers = _capture(work, modules, args, kwargs, batch_size, capture, conv_only, mode, batch_chunk)
            if functional and pattern == "sign":
                ternary = ternary or not all(layer.nonnegative for layer in layers)
                if not ternary:
                    for layer in layers:
                        layer.keys = layer.keys[:, :1]
            total, stats, sample, neurons = _count(layers, batch_size, keep_patterns if first is None else 0, seed)
            counts.append(total)
            if first is None:
                first = (stats, sample, neurons)
    stats, sample, neurons = first

    params = count_params(model)
    factor = regularization_factor(params, *regularize) if regularize else 1.0
    bound = min(neurons, (3 if ternary else 2) ** batch_size)
    settings = dict(pattern=pattern, conv_only=conv_only, mode=mode, repeats=repeats, reinit=reinit, seed=seed,
                    regularize=tuple(regularize) if regularize else None, functional=functional)
    return SwapResult(score=float(np.mean(counts)) * factor, counts=counts, neurons=neurons, batch_size=batch_size,
                      bound=bound, params=params, factor=factor, layers=stats, patterns=sample, device=str(target),
                      seconds=time.perf_counter() - started, ternary=ternary, settings=settings)


def _model_device(model: nn.Module) -> torch.device | None:
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return None


def _same_device(a: torch.device, b: torch.device) -> bool:
    return a.type == b.type and (a.index or 0) == (b.index or 0)


def forward_arguments(inputs: Any) -> tuple[tuple, dict]:
    """The positional and keyword arguments of the forward: a tensor, a mapping of keyword tensors, or a batch
    with `.x` (and `.attention_mask`, passed as a keyword)."""
    if isinstance(inputs, torch.Tensor):
        args, kwargs = (inputs,), {}
    elif isinstance(inputs, Mapping):
        args, kwargs = (), dict(inputs)
    elif hasattr(inputs, "x"):
        mask = getattr(inputs, "attention_mask", None)
        args, kwargs = (inputs.x,), ({"attention_mask": mask} if mask is not None else {})
    else:
        raise ValueError("inputs must be a tensor, a mapping of tensors or a batch with .x, "
                         f"got {type(inputs).__name__}")
    return args, kwargs


def _forward_arguments(inputs: Any, device: torch.device) -> tuple[tuple, dict, int]:
    """Positional and keyword tensors for the forward, on `device`, and the batch size B."""
    args, kwargs = forward_arguments(inputs)
    tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)]
    if not tensors or tensors[0].dim() == 0:
        raise ValueError("inputs hold no batched tensor (the first dimension must be the batch)")
    batch_size = tensors[0].shape[0]
    if batch_size < 1:
        raise ValueError(f"the batch is empty (B = {batch_size}); SWAP needs at least one sample")
    move = lambda t: t.to(device) if isinstance(t, torch.Tensor) else t  # noqa: E731
    return tuple(move(a) for a in args), {k: move(v) for k, v in kwargs.items()}, batch_size


def _capture(model, modules, args, kwargs, batch_size, capture, conv_only, mode, batch_chunk) -> list[LayerKeys]:
    """One forward pass (or several chunks in eval mode) -> packed keys per activation call.

    `capture` holds PatternCapture's `ternary` and, for functional capture, its `functions` and `names`."""
    chunk = batch_chunk or batch_size
    while True:
        try:
            return _capture_chunks(model, modules, args, kwargs, batch_size, capture, conv_only, chunk)
        except Exception as err:
            if not _is_out_of_memory(err):
                if isinstance(err, ValueError):
                    raise
                raise _forward_error(model, args, kwargs, err) from err
            _free_cached_memory()
            if mode == "eval" and chunk > WORD_BITS:
                chunk = max(WORD_BITS, (chunk // 2) // WORD_BITS * WORD_BITS)
                continue
            raise _too_large(model, args, kwargs, batch_size, mode) from err


def _capture_chunks(model, modules, args, kwargs, batch_size, capture, conv_only, chunk) -> list[LayerKeys]:
    pieces: list[list[LayerKeys]] = []
    for start in range(0, batch_size, chunk):
        part = slice(start, min(start + chunk, batch_size))
        with PatternCapture(modules, batch_size=part.stop - part.start, conv_only=conv_only,
                            **capture) as recorder:
            model(*_slice(args, part), **_slice(kwargs, part))
        if not recorder.layers:
            raise ValueError("the forward pass called none of the activation "
                             + ("modules or functions" if capture.get("functions") else "modules")
                             + (" on 4-D inputs (conv_only=True)" if conv_only else ""))
        pieces.append(recorder.layers)
    if len(pieces) == 1:
        return pieces[0]
    if any(len(p) != len(pieces[0]) for p in pieces):
        raise ValueError("the model called its activations a different number of times per chunk; "
                         "score it without batch_chunk")
    return [LayerKeys(layer.name, layer.call, torch.cat([p[i].keys for p in pieces], dim=2), layer.nonnegative,
                      layer.same_as) for i, layer in enumerate(pieces[0])]


def _slice(values, part: slice):
    if isinstance(values, dict):
        return {k: v[part] if isinstance(v, torch.Tensor) else v for k, v in values.items()}
    return tuple(v[part] if isinstance(v, torch.Tensor) else v for v in values)


def _count(layers: list[LayerKeys], batch_size: int, keep: int, seed: int):
    """Distinct patterns overall and per layer, plus the display sample; consumes the layers' keys."""
    sizes = [layer.keys.shape[0] for layer in layers]
    planes, words = layers[0].keys.shape[1:]
    neurons = sum(sizes)
    keys = [layer.keys.reshape(size, planes * words) for layer, size in zip(layers, sizes, strict=True)]
    for layer in layers:
        layer.keys = None
    chosen, rows = None, None
    if keep > 0:  # taken before counting, which may reorder the keys in place
        chosen = np.sort(np.random.default_rng(seed).choice(neurons, size=min(keep, neurons), replace=False))
        owner = np.searchsorted(np.cumsum(sizes), chosen, side="right")
        offset = chosen - np.concatenate([[0], np.cumsum(sizes)])[owner]
        rows = torch.stack([keys[layer][int(i)] for layer, i in zip(owner, offset, strict=True)])  # a copy
    # A layer that repeats an earlier one's patterns (see `LayerKeys.same_as`) adds no distinct pattern: it is
    # counted once, and weighs as many times in the sample's multiplicities.
    first = [i for i, layer in enumerate(layers) if layer.same_as is None]
    copies = [1 + sum(layer.same_as == i for layer in layers) for i in first]
    keys = [keys[i] for i in first]
    if planes == 2 and words == 1 and 2 * batch_size <= WORD_BITS:  # both planes fit in one word: exact keys
        keys = [key[:, :1] | (key[:, 1:] << batch_size) for key in keys]
        counts = count_distinct(keys, rows[:, :1] | (rows[:, 1:] << batch_size) if rows is not None else None,
                                copies)
    else:
        counts = count_distinct(keys, rows, copies)
    distinct_of = dict(zip(first, counts.per_layer, strict=True))
    stats = [LayerStat(layer.name, layer.call, size, distinct_of[i if layer.same_as is None else layer.same_as])
             for i, (layer, size) in enumerate(zip(layers, sizes, strict=True))]
    sample = None
    if rows is not None:
        values = unpack_patterns(rows.view(-1, planes, words), batch_size).cpu().numpy()
        duplicated = (counts.multiplicity > 1).cpu().numpy()
        sample = PatternSample(values, duplicated, [layers[i].name for i in owner], chosen)
    return counts.total, stats, sample, neurons


def _is_out_of_memory(err: BaseException) -> bool:
    text = str(err).lower()
    return isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in text or "can't allocate memory" in text


def _free_cached_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _too_large(model, args, kwargs, batch_size, mode) -> BatchTooLargeError:
    """Find by bisection the largest batch whose plain forward fits, and say so."""
    fits, fails = 0, batch_size
    while fails - fits > 1:
        trial = (fits + fails) // 2
        try:
            model(*_slice(args, slice(0, trial)), **_slice(kwargs, slice(0, trial)))
            fits = trial
        except Exception as err:
            if not _is_out_of_memory(err):
                raise
            _free_cached_memory()
            fails = trial
    hint = f"a batch of {fits} fits" if fits else "not even one sample fits"
    advice = ("In train mode BatchNorm statistics depend on the whole batch, so it is not split: use a smaller "
              "batch, or mode='eval' (which splits it exactly)" if mode == "train"
              else f"Even chunks of {WORD_BITS} samples do not fit: use a smaller model or another device")
    return BatchTooLargeError(f"a batch of {batch_size} does not fit in memory on this device; {hint}. {advice}")


def _forward_error(model: nn.Module, args, kwargs, err: BaseException) -> ValueError:
    """Re-run the failing forward with tracing hooks to say which module it reached (torchinfo's idea)."""
    reached: list[str] = []
    handles = [module.register_forward_pre_hook(_tracer(reached, name))
               for name, module in model.named_modules() if name]
    try:
        model(*args, **kwargs)
    except Exception:
        pass
    finally:
        for handle in handles:
            handle.remove()
    shapes = ", ".join(str(tuple(t.shape)) for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor))
    where = f" at module {reached[-1]!r}" if reached else ""
    return ValueError(f"the model's forward failed{where} on inputs of shape {shapes}: {err}")


def _tracer(reached: list[str], name: str) -> Callable:
    return lambda module, args: reached.append(name)
