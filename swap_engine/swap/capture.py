"""Forward hooks that turn each activation output into packed sign bits as soon as it is produced.

Activation modules are seen through forward hooks. Optionally, activations applied as functions
(`F.relu(x)`, `torch.relu(x)`, `x.relu()`, `F.gelu(x)`, ...) are seen through a torch function mode; a call
made inside a hooked activation module (`nn.ReLU.forward` calls `F.relu`) is left to the module's hook, so
nothing is counted twice.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from swap_engine.swap.packing import pack_output

DEFAULT_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU,
    nn.GELU, nn.SiLU, nn.Hardswish, nn.Mish,
)
# Outputs are never negative: their "< 0" plane is known to be empty.
NONNEGATIVE_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)

# The functions that compute what each activation module computes (in-place forms and tensor methods
# included), for functional capture. `nn.ReLU6.forward` calls `F.hardtanh`, which is not an activation in
# general, so only `F.relu6` stands for ReLU6.
_FUNCTIONS: dict[type[nn.Module], tuple[Callable, ...]] = {
    nn.ReLU: (F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_),  # F.relu_ is torch.relu_
    nn.ReLU6: (F.relu6,),
    nn.LeakyReLU: (F.leaky_relu, F.leaky_relu_),
    nn.PReLU: (torch.prelu, torch.Tensor.prelu),  # F.prelu is torch.prelu
    nn.RReLU: (F.rrelu, torch.rrelu, torch.rrelu_),  # F.rrelu_ is torch.rrelu_
    nn.ELU: (F.elu, F.elu_),
    nn.CELU: (F.celu, torch.celu, torch.celu_),
    nn.SELU: (F.selu, torch.selu, torch.selu_),
    nn.GELU: (F.gelu,),
    nn.SiLU: (F.silu,),
    nn.Hardswish: (F.hardswish,),
    nn.Mish: (F.mish,),
}

# Set on a model (`model.swap_functional = True`) to ask `swap_score(functional=None)` for functional capture.
FUNCTIONAL_ATTRIBUTE = "swap_functional"


@dataclass(frozen=True)
class FunctionSpec:
    """How a captured function's call sites are named ("relu") and whether its output is never negative."""

    label: str
    nonnegative: bool


def activation_functions(activations: Sequence[type[nn.Module]]) -> dict[Callable, FunctionSpec]:
    """The functional forms of the given activation module types (types without one are skipped)."""
    found: dict[Callable, FunctionSpec] = {}
    for kind in activations:
        for module_type, functions in _FUNCTIONS.items():
            if issubclass(kind, module_type) or issubclass(module_type, kind):
                nonnegative = issubclass(module_type, NONNEGATIVE_ACTIVATIONS)
                for function in functions:
                    label = getattr(function, "__name__", str(function)).rstrip("_")
                    found[function] = FunctionSpec(label, nonnegative)
    return found


def module_names(model: nn.Module) -> dict[nn.Module, str]:
    """Every module of the model with its qualified name (the root by its class name)."""
    return {module: name or type(module).__name__ for name, module in model.named_modules()}


@dataclass
class LayerKeys:
    """Packed patterns of one call of one activation module."""

    name: str
    call: int
    keys: torch.Tensor  # (neurons, planes, words) int64
    nonnegative: bool = False  # the activation never outputs negatives (its "< 0" plane is empty)
    same_as: int | None = None  # an earlier layer with these very patterns (the same function of the same tensor)


def activation_modules(model: nn.Module, activations: Sequence[type[nn.Module]]) -> dict[nn.Module, str]:
    """Activation modules of the model with their qualified names (a shared module keeps its first name)."""
    found: dict[nn.Module, str] = {}
    for name, module in model.named_modules():
        if isinstance(module, tuple(activations)) and module not in found:
            found[module] = name or type(module).__name__
    return found


class PatternCapture:
    """Context manager: hooks every activation module and records packed keys per call.

    With `functions` (see `activation_functions`) and `names` (see `module_names`) it also records every call
    of those functions made outside the hooked activation modules, named after the innermost module running
    at the time plus the function ("features.3:relu"), with a call index per name. For that it hooks every
    module in `names` (to know which one is running) and enters a torch function mode. A module run on one of
    the model's buffers (timm's relative-position MLPs) sees no sample: its activations are the same for every
    sample, and are counted so, broadcast over the batch.

    Hooks and the mode are removed on exit whatever happens inside. The float activation is never stored: the
    hook packs it into bits and returns, so the output is freed as soon as the forward is done with it.
    """

    def __init__(self, modules: dict[nn.Module, str], *, batch_size: int, ternary: bool,
                 conv_only: bool = False, functions: dict[Callable, FunctionSpec] | None = None,
                 names: dict[nn.Module, str] | None = None) -> None:
        self.modules = modules
        self.batch_size = batch_size
        self.ternary = ternary
        self.conv_only = conv_only
        self.functions = functions or {}
        self.names = names or {}
        self.layers: list[LayerKeys] = []
        self._calls: dict[Any, int] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._running: list[nn.Module] = []  # modules whose forward is under way, innermost last
        self._in_activation = 0  # how many hooked activation modules are running
        # Modules run on a buffer of the model (a relative-position table) compute the same values for every
        # sample: their activations are broadcast over the batch, as the network itself uses them.
        self._buffers = {buffer.data_ptr() for module in self.names for buffer in module.buffers(recurse=False)
                         if buffer.numel()}
        self._constant: list[nn.Module] = []  # running modules whose input is such a buffer, innermost last
        self._mode: _FunctionCapture | None = None
        # (input, its version, what was applied, layer index) of each packed call: NB201 applies one ReLU to
        # a node's output on every edge that leaves it, and those patterns are packed once
        self._packed: list[tuple[weakref.ref, int, Any, int]] = []

    def __enter__(self) -> "PatternCapture":
        try:
            for module in self.modules:
                self._handles.append(module.register_forward_hook(self._record))
            if self.functions:
                for module in self.names.keys() | self.modules.keys():
                    self._handles.append(module.register_forward_pre_hook(self._enter_module))
                    self._handles.append(module.register_forward_hook(self._leave_module, always_call=True))
                self._mode = _FunctionCapture(self)
                self._mode.__enter__()
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._remove()

    def _remove(self) -> None:
        try:
            if self._mode is not None:
                mode, self._mode = self._mode, None
                mode.__exit__(None, None, None)
        finally:
            for handle in self._handles:
                handle.remove()
            self._handles.clear()
            self._running.clear()
            self._in_activation = 0
            self._constant.clear()
            self._packed.clear()

    def _enter_module(self, module: nn.Module, args: tuple) -> None:
        self._running.append(module)
        self._in_activation += module in self.modules
        if args and isinstance(args[0], torch.Tensor) and args[0].data_ptr() in self._buffers:
            self._constant.append(module)

    def _leave_module(self, module: nn.Module, args: tuple, output: Any) -> None:
        if self._running and self._running[-1] is module:
            self._running.pop()
            self._in_activation -= module in self.modules
        if self._constant and self._constant[-1] is module:
            self._constant.pop()

    def _record(self, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        # A module without weights and randomness computes the same output from the same input tensor.
        fixed = not any(True for _ in module.parameters()) and not isinstance(module, nn.RReLU)
        self._append(module, self.modules[module], args[0] if args else None, output,
                     isinstance(module, NONNEGATIVE_ACTIVATIONS),
                     (type(module), module.extra_repr()) if fixed else None)

    def _record_function(self, function: Callable, args: tuple, kwargs: dict, output: Any) -> None:
        if self._in_activation:  # e.g. F.relu inside nn.ReLU.forward: the module's hook counts it
            return
        spec = self.functions[function]
        where = self.names.get(self._running[-1], type(self._running[-1]).__name__) if self._running else "<root>"
        given = args[0] if args else kwargs.get("input")
        self._append((where, spec.label), f"{where}:{spec.label}", given, output, spec.nonnegative)

    def _append(self, site: Any, name: str, given: Any, output: Any, nonnegative: bool, applied: Any = None) -> None:
        """Pack one call's output; `applied` names a deterministic function of `given` alone (None: unknown),
        so that a second call of it on the same unchanged tensor shares the first one's keys."""
        if not isinstance(output, torch.Tensor):
            return
        if self.conv_only and not (isinstance(given, torch.Tensor) and given.dim() == 4):
            return
        if self._constant:
            output = output.unsqueeze(0).expand(self.batch_size, *output.shape)
        elif output.dim() == 0 or output.shape[0] != self.batch_size:
            raise ValueError(f"activation {name!r} produced shape {tuple(output.shape)}, whose first dimension "
                             f"is not the batch size {self.batch_size}; SWAP needs batch-first activations")
        call = self._calls.get(site, 0)
        self._calls[site] = call + 1
        same = None
        if applied is not None and isinstance(given, torch.Tensor):
            same = next((index for ref, version, done, index in self._packed
                         if ref() is given and version == given._version and done == applied), None)
        if same is not None:
            self.layers.append(LayerKeys(name, call, self.layers[same].keys, nonnegative, same_as=same))
            return
        keys = pack_output(output, ternary=self.ternary, nonnegative=nonnegative)
        if keys.shape[0]:
            if applied is not None and isinstance(given, torch.Tensor):
                self._packed.append((weakref.ref(given), given._version, applied, len(self.layers)))
            self.layers.append(LayerKeys(name, call, keys, nonnegative))


class _FunctionCapture(TorchFunctionMode):
    """Runs every torch function unchanged and hands the calls of captured activation functions to the capture.

    Torch leaves the mode while its handler runs, so the function's own inner calls (`F.relu` calls
    `torch.relu`) and the packing done here are not seen again.
    """

    def __init__(self, capture: PatternCapture) -> None:
        super().__init__()
        self.capture = capture

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        output = func(*args, **kwargs)
        try:
            captured = func in self.capture.functions
        except TypeError:  # an unhashable callable: not one of ours
            captured = False
        if captured:
            self.capture._record_function(func, args, kwargs, output)
        return output
