"""The one place a model is built from options a user can set, and the one way a cell is scored.

    model = models.build(space, arch, {"C": 8, "N": 1}, seed=0, inputs=batch)
    result = models.score_cell(space, arch, batch, options={"C": 8}, seed=0)
    model = models.load("net.py:make_net", {"width": 8}, inputs=batch)   # your own network, checked the same way

`build` answers bad options in words (unknown names with the space's own, wrong types, options the chosen
variant ignores), then estimates the model's memory on torch's `meta` device, where nothing large is allocated:
its weights, and the peak of one scoring pass on `inputs`. A model above the budget is refused before one
byte of it exists: `{"C": 2000, "N": 5}` for NB201 needs tens of GB. Under a benchmark space's default
options only its largest architecture (`SearchSpace.largest`) is sized, once per process: every other cell
fits when it does, so a bulk run builds each model once. The budget follows the machine: a
quarter of its RAM (or of the GPU's memory when scoring on CUDA), or `SWAP_MEMORY_LIMIT` (e.g. `8GB`,
`50%`), which the CLI's `--memory-limit` sets. Then the model is built from `torch.manual_seed(seed)` on one
thread (`swap_engine.threads`), so the CLI, the runner, the app and search get the same weights and counts.
"""
from __future__ import annotations

import inspect
import math
import os
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

from swap_engine.device import resolve_device
from swap_engine.spaces import SearchSpace
from swap_engine.spaces.own_network import NetworkError, OwnNetwork, check_runs, resolve
from swap_engine.threads import one_thread
from swap_engine.words import quote

if TYPE_CHECKING:
    from swap_engine.swap import SwapResult

MEMORY_ENV = "SWAP_MEMORY_LIMIT"
MEMORY_FRACTION = 0.25  # of the machine's RAM (or the GPU's memory): what a model may take by default
MAX_MODULES = 10_000  # a model with more layers is refused while its meta copy is built (it would take minutes)
SMALL_TENSOR = 4096  # elements: a tensor this small is made for real while a model's size is estimated
_CONSTRUCTORS = _device_constructors()
_KEY_BYTES = 8  # SWAP keeps, per neuron and sign plane, one 64-bit word per 64 samples
_PASSES: OrderedDict[tuple, tuple[int, int]] = OrderedDict()  # one scoring pass's bytes, by space, options, batch
_BOUNDS: OrderedDict[tuple, Estimate] = OrderedDict()  # a space's largest default model, by space and budget
_PASSES_LOCK = threading.Lock()


class ResourceError(ValueError):
    """A model that would not fit in the memory budget; the message says how much, the limit, how to raise it."""


@dataclass(frozen=True)
class Estimate:
    """What a model would take: its parameters, and bytes of weights and of one scoring pass's peak."""

    params: int
    weight_bytes: int
    pass_bytes: int
    batch_size: int | None

    @property
    def total(self) -> int:
        return self.weight_bytes + self.pass_bytes


def build(space: SearchSpace, arch: Any, options: Mapping[str, Any] | None = None, *, seed: int = 0,
          inputs: Any = None, device: str | torch.device | None = None) -> nn.Module:
    """`space.build(arch, **options)` from `torch.manual_seed(seed)`, after checking options and memory.

    With options set and `inputs` given (a batch as `swap_score` takes it), the estimate includes one scoring
    pass on it (a space's own defaults are the models its atlas scores, so they skip that ~0.1 s); `device`
    is where the model will run, whose memory sets the budget. A `ValueError` in words for bad options, a
    `ResourceError` for a model over budget; the caller's RNG state is untouched.
    """
    chosen = check(space, arch, options, inputs=inputs, device=device)
    with torch.random.fork_rng(devices=[]), one_thread():
        torch.manual_seed(seed)
        return space.build(arch, **chosen)


def check(space: SearchSpace, arch: Any, options: Mapping[str, Any] | None = None, *, inputs: Any = None,
          device: str | torch.device | None = None) -> dict[str, Any]:
    """What `build` checks, without building: the options (returned as a dict), and the memory budget.

    A command that hands jobs to the runner calls it first, so a bad option or an oversized model is one
    message before the run instead of a failed record per job.
    """
    chosen = check_options(space, options)
    limit, source = memory_budget(device)
    largest = space.largest()
    if not chosen and largest is not None and _bound(space, largest, limit).total <= limit:
        return chosen  # the space's largest model fits, so this one does: no meta build of its own
    needed = estimate(space, arch, chosen, inputs if chosen else None, limit=limit)
    if needed.total > limit:
        raise ResourceError(_refusal(space, chosen, needed, limit, source, device))
    return chosen


def _bound(space: SearchSpace, largest: Any, limit: int) -> Estimate:
    """The weights of the space's largest model under its default options, sized once per space and budget.

    Only the defaults: they build the models the space's atlas scores, whose passes are known to fit, while
    options a user set (a width, a depth) are sized on each cell with one scoring pass on the batch."""
    key = (space.name, limit)
    known = _BOUNDS.get(key)
    if known is None:
        known = estimate(space, largest, {}, limit=limit)
        with _PASSES_LOCK:
            _BOUNDS[key] = known
            while len(_BOUNDS) > 64:
                _BOUNDS.popitem(last=False)
    return known


def score_cell(space: SearchSpace, arch: Any, inputs: Any, *, options: Mapping[str, Any] | None = None,
               seed: int = 0, device: str | torch.device | None = None, **swap_options: Any) -> SwapResult:
    """SWAP-Score of one cell: `build` from `seed`, then `swap_score` with the same seed on `device`.

    Every path that scores a cell with SWAP alone (the CLI, the app, search fitness) calls this; the runner,
    which shares one model among several proxies, calls `build` and `swap_score` the same way.
    """
    from swap_engine.swap import swap_score

    model = build(space, arch, options, seed=seed, inputs=inputs, device=device)
    return swap_score(model, inputs, seed=seed, device=device, **swap_options)


def load(spec: str | OwnNetwork, options: Mapping[str, Any] | None = None, *, inputs: Any = None, seed: int = 0,
         device: str | torch.device | None = None, mode: str = "train") -> nn.Module:
    """Your own network (`FILE.py:factory`, `package.module:factory`, `timm:NAME`, `torchvision:NAME`; see
    `swap_engine.spaces.own_network`), sized and built as a cell is: its weights estimated on the meta device
    and refused over budget before they exist, then built from `torch.manual_seed(seed)`.

    With `inputs`, a trial forward checks that it takes their shape and calls an activation SWAP can hook, and
    one scoring pass on them is sized too. Every refusal is a `ValueError` in words (`NetworkError`, or
    `ResourceError` for memory); a file named here runs its code when it is imported.
    """
    if isinstance(spec, OwnNetwork) and options:
        raise ValueError(f"{spec.name} was resolved with its options already; pass the text to set options")
    network = spec if isinstance(spec, OwnNetwork) else resolve(spec, options)
    limit, source = memory_budget(device)
    try:
        _refuse_over(network, estimate(network, network.spec, {}, limit=limit), limit, source, device)
    except NetworkError:  # a factory that cannot build on the meta device: the real build says if it builds at all
        pass
    with torch.random.fork_rng(devices=[]), one_thread():
        torch.manual_seed(seed)
        model = network.build(network.spec)
    if inputs is not None:
        check_runs(model, inputs, name=network.name, mode=mode)
        try:
            needed = estimate(network, network.spec, {}, inputs, limit=limit)
        except ValueError:  # a forward that runs on real tensors but not on meta ones (one that reads a value):
            needed = None  # its weights fit, and the trial forward ran
        if needed is not None:
            _refuse_over(network, needed, limit, source, device)
    return model


def _refuse_over(network: OwnNetwork, needed: Estimate, limit: int, source: str,
                 device: str | torch.device | None) -> None:
    if needed.total > limit:
        raise ResourceError(_refusal(network, {}, needed, limit, source, device))


def known_options(space: SearchSpace) -> dict[str, Any]:
    """The keyword options of `space.build` with their defaults, read from its signature."""
    parameters = list(inspect.signature(space.build).parameters.values())[1:]  # after the architecture
    return {p.name: p.default for p in parameters
            if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}


def check_options(space: SearchSpace, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options as a plain dict, or a `ValueError` naming what is wrong in words.

    Names must be the space's own (the message lists them with their defaults); a value must have its
    default's type (a whole number where the default is one, true/false for a switch, text for a name);
    options the chosen variant does not use are refused rather than silently ignored.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValueError(f"{space.name} model options must be a mapping of names to values, such as "
                         f'{{"C": 8}}; got {type(options).__name__} {quote(options)}')
    known = known_options(space)
    described = ", ".join(f"{name} (default {default!r})" for name, default in known.items()) or "none"
    unknown = [name for name in options if name not in known]
    if unknown:
        names = ", ".join(quote(name, 40) for name in unknown[:5]) + (f" and {len(unknown) - 5} more"
                                                                       if len(unknown) > 5 else "")
        raise ValueError(f"{space.name} has no model option {names}; its options are: {described}")
    for name, value in options.items():
        _check_type(space.name, name, value, known[name])
    ignored = space.ignored_options(options)
    if ignored:
        raise ValueError(ignored)
    return dict(options)


def _check_type(space: str, name: str, value: Any, default: Any) -> None:
    if isinstance(default, bool) or default is None:
        wanted, ok = "true or false", isinstance(value, bool) or (default is None and value is None)
    elif isinstance(default, int):
        wanted, ok = "a whole number", isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        wanted = "a number"
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif isinstance(default, str):
        wanted, ok = "text", isinstance(value, str)
    else:
        return
    if not ok:
        raise ValueError(f"{space} model option {name} must be {wanted} (default {default!r}), "
                         f"got {type(value).__name__} {quote(value, 40)}")


def estimate(space: SearchSpace, arch: Any, options: Mapping[str, Any], inputs: Any = None, *,
             limit: int | None = None) -> Estimate:
    """Parameters and memory of the model, from a copy built on torch's `meta` device (no storage at all).

    With `inputs`, the peak of one forward pass without gradients (every tensor alive at once, tracked as
    it is made and freed), a copy of the largest weight (a convolution may copy its weights into another
    layout) and the packed patterns SWAP keeps (two 64-bit words per neuron and 64 samples). The pass is
    skipped when the weights alone exceed `limit` (the answer is already no), and measured once per space,
    options and batch shape: the cells of a space share their tensor shapes, so it differs little between
    them, while a meta forward of DARTS's full network takes longer than its real one on a GPU. A space with no
    `largest()` (the zoo, timm, FlexiBERT) has its pass measured per cell.
    """
    try:
        with _module_limit(space.name), torch.random.fork_rng(devices=[]), _LargeOnMeta():
            model = space.build(arch, **options).to("meta")
        tensors = [*model.parameters(), *model.buffers()]
        params = sum(p.numel() for p in model.parameters())
        weight_bytes = sum(t.numel() * t.element_size() for t in tensors)
        pass_bytes, batch_size = 0, None
        if inputs is not None and (limit is None or weight_bytes <= limit):
            # per cell where the space has no largest model (the zoo's and timm's differ in every shape)
            cell = repr(arch) if space.largest() is None else None
            key = (space.name, cell, repr(sorted(options.items())), _signature(inputs))
            known = _PASSES.get(key)
            if known is None:
                known = _pass_bytes(model, inputs)
                with _PASSES_LOCK:  # the app estimates in several threads
                    _PASSES[key] = known
                    while len(_PASSES) > 64:
                        _PASSES.popitem(last=False)
            pass_bytes, batch_size = known
            pass_bytes += max((t.numel() * t.element_size() for t in tensors), default=0)
    except ValueError:
        raise
    except Exception as err:  # e.g. a size torch cannot represent: the options cannot make a model
        raise ValueError(f"{space.name} cannot build a model with options {quote(dict(options))}: "
                         f"{quote(str(err), 200)}") from None
    return Estimate(params, weight_bytes, pass_bytes, batch_size)


def cost(space: SearchSpace, arch: Any, options: Mapping[str, Any], inputs: Any) -> tuple[float, int]:
    """(FLOPs of one forward pass on `inputs`, values SWAP reads: the neurons it hooks times the batch), counted
    on a `meta` copy of the model, so nothing is computed: what a page needs to say how long a scoring takes
    before it starts. PyTorch's counter counts convolutions and matrix products, not elementwise work."""
    from torch.utils.flop_counter import FlopCounterMode

    from swap_engine.swap.capture import DEFAULT_ACTIVATIONS

    with _module_limit(space.name), torch.random.fork_rng(devices=[]), _LargeOnMeta():
        model = space.build(arch, **options).to("meta")
    args, kwargs = _meta_arguments(inputs)
    values = [0]

    def activation(module: nn.Module, args: Any, output: Any) -> None:
        values[0] += sum(t.numel() for t in tree_leaves(output) if isinstance(t, torch.Tensor))

    handles = [m.register_forward_hook(activation) for m in model.modules() if isinstance(m, DEFAULT_ACTIVATIONS)]
    counter = FlopCounterMode(display=False)
    try:
        with torch.no_grad(), counter:
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    return float(counter.get_total_flops()), values[0]


class _LargeOnMeta(TorchFunctionMode):
    """Tensor factories make large tensors on torch's `meta` device (a shape, no storage) and small ones for
    real: a builder that computes its layer widths with tensors (torchvision's RegNet calls `.tolist()`) still
    works, and the small ones cost at most `SMALL_TENSOR` elements per tensor of at most `MAX_MODULES` layers."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        if func in _CONSTRUCTORS and kwargs.get("device") is None:
            try:
                shaped = func(*args, **{**kwargs, "device": "meta"})
            except Exception:  # e.g. a generator tied to the CPU: make it for real, it is checked below
                shaped = None
            if isinstance(shaped, torch.Tensor) and shaped.numel() > SMALL_TENSOR:
                return shaped
        if func is torch.Tensor.copy_ and len(args) > 1 and isinstance(args[1], torch.Tensor) and args[1].is_meta \
                and not args[0].is_meta:  # a small real buffer filled from a tensor made on a meta weight's device
            return args[0]  # (timm's Swin V2 does so): its values do not change a size
        return func(*args, **kwargs)


@contextmanager
def _module_limit(space: str) -> Iterator[None]:
    """Stop a build (in this thread) once it has made `MAX_MODULES` layers: the depth options were huge."""
    me, made = threading.get_ident(), [0]

    def count(module: nn.Module, name: str, submodule: nn.Module | None) -> None:
        if threading.get_ident() == me and submodule is not None:
            made[0] += 1
            if made[0] > MAX_MODULES:
                raise ValueError(f"{space}: these model options make more than {MAX_MODULES:,} layers; "
                                 "use smaller depth options")

    handle = nn.modules.module.register_module_module_registration_hook(count)
    try:
        yield
    finally:
        handle.remove()


def _pass_bytes(model: nn.Module, inputs: Any) -> tuple[int, int]:
    """Peak bytes of one no-grad forward on meta copies of the inputs, plus SWAP's packed patterns."""
    from swap_engine.swap.capture import DEFAULT_ACTIVATIONS

    args, kwargs = _meta_arguments(inputs)
    batch = next(t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor))
    batch_size = int(batch.shape[0]) if batch.dim() else 1
    neurons = [0]

    def activation(module: nn.Module, args: Any, output: Any) -> None:
        for t in tree_leaves(output):
            if isinstance(t, torch.Tensor):
                neurons[0] += t.numel() // max(1, batch_size)

    handles = [m.register_forward_hook(activation) for m in model.modules() if isinstance(m, DEFAULT_ACTIVATIONS)]
    try:
        with torch.no_grad(), _PeakMemory() as peak:
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    words = 2 * math.ceil(batch_size / 64)  # two sign planes
    input_bytes = sum(t.numel() * t.element_size() for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor))
    return input_bytes + peak.bytes + neurons[0] * words * _KEY_BYTES, batch_size


def _signature(inputs: Any) -> tuple:
    """Shapes and types of the input tensors: what one scoring pass's memory depends on besides the model."""
    args, kwargs = _meta_arguments(inputs)
    return tuple((tuple(t.shape), str(t.dtype)) for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor))


def _meta_arguments(inputs: Any) -> tuple[tuple, dict]:
    to_meta = lambda t: torch.empty_like(t, device="meta") if isinstance(t, torch.Tensor) else t  # noqa: E731
    if isinstance(inputs, torch.Tensor):
        return (to_meta(inputs),), {}
    if isinstance(inputs, Mapping):
        return (), tree_map(to_meta, dict(inputs))
    mask = getattr(inputs, "attention_mask", None)
    return (to_meta(inputs.x),), ({"attention_mask": to_meta(mask)} if mask is not None else {})


class _PeakMemory(TorchDispatchMode):
    """Counts the bytes of every new tensor an op makes (views and in-place results share storage and are
    skipped) until its last reference goes, and keeps the peak."""

    def __init__(self) -> None:
        super().__init__()
        self.live = 0
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        returns = func._schema.returns
        for position, tensor in enumerate(tree_leaves(out)):
            ret = returns[min(position, len(returns) - 1)] if returns else None
            if not isinstance(tensor, torch.Tensor) or (ret is not None and ret.alias_info is not None):
                continue
            size = tensor.numel() * tensor.element_size()
            self.live += size
            self.bytes = max(self.bytes, self.live)
            weakref.finalize(tensor, self._free, size)
        return out

    def _free(self, size: int) -> None:
        self.live -= size


def memory_budget(device: str | torch.device | None = None) -> tuple[int, str]:
    """(bytes a model may take, where that number comes from in words): `SWAP_MEMORY_LIMIT` when set, else a
    quarter of the memory of the device it runs on (the GPU's on CUDA, else the machine's RAM)."""
    target = resolve_device(device) if device is not None else torch.device("cpu")
    total, what = _device_memory(target)
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        return parse_size(text, total), f"{MEMORY_ENV}={text}"
    return int(total * MEMORY_FRACTION), f"a quarter of {what.format(_size(total))}"


def _device_memory(device: torch.device) -> tuple[int, str]:
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device.index or 0).total_memory, "the GPU's {} of memory"
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:  # a container's own limit, when lower than the machine's (cgroup v2)
        with open("/sys/fs/cgroup/memory.max") as handle:
            limit = handle.read().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total, "this machine's {} of RAM"


_UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "M": 2**20, "MB": 2**20, "G": 2**30, "GB": 2**30,
          "T": 2**40, "TB": 2**40}


def parse_size(text: str, total: int | None = None) -> int:
    """'8GB', '512M', '1.5G', '123456' (bytes) or '50%' (of `total`) -> bytes; a `ValueError` in words."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%|[KMGT]?B?)\s*", text.upper())
    if match is None or (match.group(2) == "%" and total is None):
        raise ValueError(f"a memory limit looks like 8GB, 512MB or 50% (of this machine's memory), got {quote(text)}")
    number = float(match.group(1))
    unit = match.group(2)
    value = int(number / 100 * total) if unit == "%" and total is not None else int(number * _UNITS[unit])
    if value <= 0:
        raise ValueError(f"a memory limit must be above zero, got {quote(text)}")
    return value


def _size(n: float) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{int(n)} bytes"


def _refusal(space: SearchSpace, options: Mapping[str, Any], needed: Estimate, limit: int, source: str,
             device: str | torch.device | None = None) -> str:
    parts = f"{_size(needed.weight_bytes)} for {needed.params:,} parameters"
    if needed.batch_size is not None:
        parts += f" and {_size(needed.pass_bytes)} for one scoring pass of {needed.batch_size} samples"
    what = f"{space.name} with options {quote(dict(options))}" if options else space.name
    said = (f"{what} would need about {_size(needed.total)} of memory ({parts}); the limit is {_size(limit)} "
            f"({source}).")
    total, where = _device_memory(resolve_device(device) if device is not None else torch.device("cpu"))
    wanted = needed.total * 1.25
    if wanted > 0.9 * total:  # never advise a limit this machine cannot give
        return (f"{said} That is more than this machine can give ({where.format(_size(total))}): use smaller "
                "options or a smaller batch, or a machine with more memory.")
    raise_to = _size(wanted).replace(" ", "").replace(",", "")
    return (f"{said} Use smaller options (or a smaller batch), or raise the limit: set the environment variable "
            f"{MEMORY_ENV}={raise_to} (before starting the app), or pass --memory-limit {raise_to} to swap-explorer.")


__all__ = ["MEMORY_ENV", "MEMORY_FRACTION", "Estimate", "ResourceError", "build", "check", "check_options", "cost",
           "estimate", "known_options", "load", "memory_budget", "parse_size", "score_cell"]
