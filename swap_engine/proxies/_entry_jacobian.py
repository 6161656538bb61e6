"""Per-sample derivatives of the class scores by a few single weight entries, from one batched forward.

In eval mode the samples of a batch do not interact, so for an entry of a layer's weight the derivative of
sample n's class score c is a sum over that sample's positions of (the score's gradient at the layer's output)
x (the layer's input at the entry's tap):

    Conv2d W[o, i, kh, kw]:  sum_(h, w) dz_nc/dy[n, o, h, w] * x_pad[n, g(o) + i, kh*d + h*s, kw*d + w*s]
    Conv2d / Linear bias[o]: sum over positions of dz_nc/dy[n, o, ...]
    Linear W[o, i]:          sum over positions of dz_nc/dy[n, ..., o] * x[n, ..., i]
    BatchNorm2d (eval) weight[c] / bias[c]: sum_(h, w) dz_nc/dy[n, c] * x_hat[n, c] / dz_nc/dy[n, c]

The gradient at every hooked layer's output comes from one backward pass per class through the activations
only (no weight gradient is formed), instead of a backward per class and per sample through the weights. That
is the same derivative VKDNW's `_per_sample` takes with torch.func (equal to float32 round-off), on image
batches laid out channels-last (NB201's average pooling differentiates 4x faster so on this CPU), at a third
to a half of its cost on NB201 cells. Any entry outside these layers, a layer whose parameter another layer
shares, or a layer that sees a batch of another size raises `Unsupported`, and the caller takes the general
path.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from swap_engine.proxies._utils import first_tensor

_LAYERS = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)


class Unsupported(Exception):
    """This model or these entries need the general path."""


@dataclass
class _Layer:
    module: nn.Module
    entries: list[tuple[int, str, int]] = field(default_factory=list)  # (column of J, "weight"/"bias", flat index)
    calls: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)  # (input, output) per call


def entry_jacobian(net: nn.Module, x: torch.Tensor, chosen: list[tuple[str, torch.Tensor]]
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """(class scores (B, C), J (B, C, P)) for the entries `chosen` ((parameter name, flat indices) in J's column
    order) of `net` in eval mode on the batch `x`; raises `Unsupported` where this method does not apply, and
    where 2C > P (then forward mode over the P entries costs less than C backward passes)."""
    layers = _layers(net, chosen)
    given = x.detach()
    if given.dim() == 4:  # channels-last maps: torch's pooling backward is several times faster on them
        given = given.contiguous(memory_format=torch.channels_last)
    handles = [layer.module.register_forward_hook(_recorder(layer)) for layer in layers]
    try:
        with torch.enable_grad():
            scores = first_tensor(net(given.requires_grad_(True)))
    except RuntimeError as err:  # e.g. a `.view` that channels-last strides do not allow: the general path
        raise Unsupported(f"the batched forward failed: {err}") from err
    finally:
        for handle in handles:
            handle.remove()
    batch = x.shape[0]
    if scores.dim() != 2 or scores.shape[0] != batch or scores.shape[1] < 2:
        raise Unsupported("the class scores are not (batch, classes)")
    width = sum(len(layer.entries) for layer in layers)
    if 2 * scores.shape[1] > width:
        raise Unsupported("more classes than half the entries: forward mode over the entries costs less")
    if any(given.shape[0] != batch for layer in layers for given, _ in layer.calls):
        raise Unsupported("a hooked layer saw a batch of another size")
    taps = [(layer, call, _taps(layer, given)) for layer in layers for call, (given, _) in enumerate(layer.calls)]
    outputs = [layer.calls[call][1] for layer, call, _ in taps]
    jacobian = scores.new_zeros((batch, scores.shape[1], width))
    for c in range(scores.shape[1]):
        grads = torch.autograd.grad(scores[:, c].sum(), outputs, retain_graph=c < scores.shape[1] - 1,
                                    allow_unused=True)
        for (layer, _, found), grad in zip(taps, grads, strict=True):
            if grad is None:  # this call does not reach the scores
                continue
            axis = -1 if isinstance(layer.module, nn.Linear) else 1
            for (column, _, _), (unit, tap) in zip(layer.entries, found, strict=True):
                part = grad.select(axis, unit)
                jacobian[:, c, column] += (part if tap is None else part * tap).reshape(batch, -1).sum(1)
    return scores.detach(), jacobian


def _layers(net: nn.Module, chosen: list[tuple[str, torch.Tensor]]) -> list[_Layer]:
    """The layers owning the chosen entries, each with its entries; `Unsupported` for any other owner."""
    modules = dict(net.named_modules())
    owners = Counter(id(param) for module in net.modules() for param in module.parameters(recurse=False))
    layers: dict[int, _Layer] = {}
    column = 0
    for name, indices in chosen:
        module_name, _, kind = name.rpartition(".")
        module = modules.get(module_name)
        if type(module) not in _LAYERS or kind not in ("weight", "bias"):
            raise Unsupported(f"{name} is not the weight or bias of a Conv2d, Linear or BatchNorm2d")
        if owners.get(id(getattr(module, kind)), 0) != 1:
            raise Unsupported(f"{name} is shared with another layer")
        if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
            raise Unsupported(f"{name}: padding mode {module.padding_mode!r}")
        if isinstance(module, nn.BatchNorm2d) and (module.training or module.running_mean is None):
            raise Unsupported(f"{name}: a BatchNorm reading batch statistics")
        layer = layers.setdefault(id(module), _Layer(module))
        for index in indices.tolist():
            layer.entries.append((column, kind, int(index)))
            column += 1
    return list(layers.values())


def _recorder(layer: _Layer):
    def record(module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor:
        if not args or not isinstance(args[0], torch.Tensor) or not isinstance(output, torch.Tensor):
            raise Unsupported("a hooked layer without a tensor input and output")
        layer.calls.append((args[0], output))
        return output.clone()  # later in-place ops change the copy: the recorded output keeps its gradient
    return record


def _taps(layer: _Layer, given: torch.Tensor) -> list[tuple[int, torch.Tensor | None]]:
    """Per entry: its output unit (channel, or feature of a Linear) and what multiplies the output gradient
    there (the input at the entry's tap; None for a bias)."""
    module = layer.module
    given = given.detach()
    found: list[tuple[int, torch.Tensor | None]] = []
    if isinstance(module, nn.Conv2d):
        padded = F.pad(given, _padding(module))
        for _, kind, index in layer.entries:
            found.append((index, None) if kind == "bias" else _conv_tap(module, padded, index))
    elif isinstance(module, nn.Linear):
        for _, kind, index in layer.entries:
            unit, column = divmod(index, module.in_features)
            found.append((index, None) if kind == "bias" else (unit, given[..., column]))
    else:  # BatchNorm2d in eval mode: y = x_hat * weight + bias
        for _, kind, index in layer.entries:
            normalised = (given[:, index] - module.running_mean[index]) * torch.rsqrt(
                module.running_var[index] + module.eps)
            found.append((index, None if kind == "bias" else normalised))
    return found


def _padding(module: nn.Conv2d) -> tuple[int, ...]:
    """(left, right, top, bottom), as the convolution pads its input."""
    if isinstance(module.padding, str):
        if module.padding == "valid":
            return (0, 0, 0, 0)
        sides = []
        for k, d in zip(reversed(module.kernel_size), reversed(module.dilation)):  # "same": width first
            total = d * (k - 1)
            sides += [total // 2, total - total // 2]
        return tuple(sides)
    ph, pw = module.padding
    return (pw, pw, ph, ph)


def _conv_tap(module: nn.Conv2d, padded: torch.Tensor, index: int) -> tuple[int, torch.Tensor]:
    out_channels, per_group, kh_size, kw_size = module.weight.shape
    o, rest = divmod(index, per_group * kh_size * kw_size)
    i, rest = divmod(rest, kh_size * kw_size)
    kh, kw = divmod(rest, kw_size)
    channel = (o // (out_channels // module.groups)) * per_group + i
    (sh, sw), (dh, dw) = module.stride, module.dilation
    height = (padded.shape[-2] - dh * (kh_size - 1) - 1) // sh + 1
    width = (padded.shape[-1] - dw * (kw_size - 1) - 1) // sw + 1
    tap = padded[:, channel, kh * dh: kh * dh + sh * (height - 1) + 1: sh, kw * dw: kw * dw + sw * (width - 1) + 1: sw]
    return o, tap.clone()  # a copy of one channel's window, so the padded input is not kept alive


__all__ = ["Unsupported", "entry_jacobian"]
