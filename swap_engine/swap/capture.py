"""Forward hooks that turn each activation output into packed sign bits as soon as it is produced."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from swap_engine.swap.packing import pack_output

DEFAULT_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU,
    nn.GELU, nn.SiLU, nn.Hardswish, nn.Mish,
)
# Outputs are never negative: their "< 0" plane is known to be empty.
NONNEGATIVE_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)


@dataclass
class LayerKeys:
    """Packed patterns of one call of one activation module."""

    name: str
    call: int
    keys: torch.Tensor  # (neurons, planes, words) int64


def activation_modules(model: nn.Module, activations: Sequence[type[nn.Module]]) -> dict[nn.Module, str]:
    """Activation modules of the model with their qualified names (a shared module keeps its first name)."""
    found: dict[nn.Module, str] = {}
    for name, module in model.named_modules():
        if isinstance(module, tuple(activations)) and module not in found:
            found[module] = name or type(module).__name__
    return found


class PatternCapture:
    """Context manager: hooks every activation module and records packed keys per call.

    Hooks are removed on exit whatever happens inside. The float activation is never stored: the
    hook packs it into bits and returns, so the output is freed as soon as the forward is done with it.
    """

    def __init__(self, modules: dict[nn.Module, str], *, batch_size: int, ternary: bool,
                 conv_only: bool = False) -> None:
        self.modules = modules
        self.batch_size = batch_size
        self.ternary = ternary
        self.conv_only = conv_only
        self.layers: list[LayerKeys] = []
        self._calls: dict[nn.Module, int] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def __enter__(self) -> "PatternCapture":
        try:
            for module in self.modules:
                self._handles.append(module.register_forward_hook(self._record))
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._remove()

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _record(self, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if not isinstance(output, torch.Tensor):
            return
        if self.conv_only and not (args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4):
            return
        name = self.modules[module]
        if output.dim() == 0 or output.shape[0] != self.batch_size:
            raise ValueError(f"activation {name!r} produced shape {tuple(output.shape)}, whose first dimension "
                             f"is not the batch size {self.batch_size}; SWAP needs batch-first activations")
        call = self._calls.get(module, 0)
        self._calls[module] = call + 1
        keys = pack_output(output, ternary=self.ternary,
                           nonnegative=isinstance(module, NONNEGATIVE_ACTIVATIONS))
        if keys.shape[0]:
            self.layers.append(LayerKeys(name, call, keys))
