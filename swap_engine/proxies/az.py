"""AZ-NAS's three network proxies: expressivity, progressivity and trainability of block features.

Lee and Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search", CVPR 2024 (its
NB201 code, `compute_az_nas_score.py`). The network is read as a chain of blocks, the stem and then every
element of `model.cells` (NB201's cells and residual reductions, DARTS's cells; on NB101 the elements of
`features`: its stem, cells and max-pools); f_0 ... f_L are their outputs on one batch, in train
mode, after AZ-NAS's re-initialisation (Conv/Linear weights Kaiming-normal, fan-in, biases 0; norm layers
weight 1, bias 0):

- expressivity of a block: the entropy of the normalised eigenvalues of its features' channel covariance
  (every pixel of every sample is one observation); `az_expressivity` sums it over blocks;
- `az_progressivity`: the smallest increase of that entropy from one block to the next;
- trainability of a block: with a random sign vector g at its output, g_in = J^T g at its input, and s the
  largest singular value of the channel cross-covariance of g_in (pixel-unshuffled to the output's size)
  and g; the block scores 2 - s - 1/s, 0 when s = 1; `az_trainability` is the mean over blocks, and a
  block that passes the gradient on unchanged (an identity cell) makes it -inf, as in AZ-NAS.

Networks without `model.cells` (AZ-NAS's code reads only those) are cut the way their family is built
(`blocks="auto"`): a CNN into stages by feature-map resolution (its first feature map, then the last map of
each resolution, among the modules it runs in a row: a ResNet's four layers; a network with one map size, a
ViT, into its blocks, as AZ-NAS cuts its AutoFormer transformers), a transformer into its
layers (the input of the first layer, then each layer's output; every token one observation, hidden units
the channels). The stage cut is checked against AZ-NAS's cell cut on NB201 and NB101 in `docs/results.md`:
on NB101 (no skip connections) a three-cell block's trainability ranks against accuracy.

Where AZ-NAS's code differs only by round-off, this one is steadier: the covariance is taken in float64 and
its eigenvalues below zero (a rank-deficient covariance's round-off) count as zero, where AZ-NAS's logarithm
turns them into NaN and the cell into -inf.

AZ-NAS scores NB201 on a batch of Gaussian noise, as the atlas's `az` group does; on CIFAR-10 images its
progressivity ranks far worse.

AZ-NAS adds FLOPs as a fourth proxy and combines the four by the sum of log-normalised ranks:
`log_rank:az_expressivity_b64+az_progressivity_b64+az_trainability_b64+flops` in `swap_engine.recipe`.
One pass gives all three (`components`); each is also a proxy by itself. Label-free. A value that is not a
number (features that are all zero) is -inf, as AZ-NAS stores it.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import Prepared, first_tensor, hooks, prepare, require_images, seeded
from swap_engine.threads import one_thread

COMPONENTS = {
    "az_expressivity": "sum over blocks of the eigenvalue entropy of the block's feature covariance",
    "az_progressivity": "smallest increase of that entropy from one block to the next",
    "az_trainability": "mean over blocks of 2 - s - 1/s, s the top singular value of the block's "
                       "input-output gradient cross-covariance",
}


def components(model: nn.Module, inputs: Any, *, seed: int = 0, device: Any = None,
               blocks: str = "auto") -> dict[str, float]:
    """All three AZ-NAS proxies from one forward pass and one backward pass per block.

    `blocks`: how the network is cut into a chain (`BLOCKS`); "auto" takes `cells` where the network has
    them (NB101's: the elements of `features`), a transformer's layers on token inputs, and a CNN's stages by
    feature-map resolution otherwise ("stages" still cuts NB101 into its three stacks, the atlas's old cut).
    """
    if blocks not in BLOCKS:
        raise ValueError(f"az blocks must be one of {', '.join(BLOCKS)}, got {blocks!r}")
    prepared = prepare(model, inputs, device=device, mode="train")
    net = prepared.net
    auto = blocks == "auto"
    if auto:
        blocks = "cells" if _cells(net) is not None else "layers" if prepared.tokens else "stages"
    if blocks != "layers":
        require_images("az", prepared, "its blocks are convolutional feature maps (blocks='layers' reads a "
                                       "transformer's layers)")
    with one_thread(), seeded(seed, prepared.x.device):  # the same floats as through `proxies.score`
        _reinitialise(net)
        for p in net.parameters():
            p.requires_grad_(False)  # only gradients between blocks are read: the graph runs from the chain's start
        try:
            features = _CHAINS[blocks](net, prepared)
        except OneMapSize:
            if not auto:
                raise
            features = _by_layers(net, prepared, isotropic=True)  # a ViT: its blocks, as AZ-NAS cuts AutoFormer
        entropies = [_entropy(f.detach()) for f in features]
        trainability = [_trainability(features[i], features[i - 1]) for i in reversed(range(1, len(features)))]
    links = [t for t in trainability if not math.isnan(t)]  # a block that does not read the one before: no link
    return {
        "az_expressivity": _number(sum(entropies)),
        "az_progressivity": _number(min(b - a for a, b in zip(entropies, entropies[1:]))),
        "az_trainability": _number(sum(links) / len(links)) if links else -math.inf,
    }


def _cells(net: nn.Module) -> list[nn.Module] | None:
    cells = getattr(net, "cells", None)
    if not isinstance(cells, (nn.ModuleList, nn.Sequential)) or len(cells) == 0:
        return _stacked_cells(net)
    stem = getattr(net, "stem", None)
    return ([stem] if isinstance(stem, nn.Module) else []) + list(cells)


def _stacked_cells(net: nn.Module) -> list[nn.Module] | None:
    """A network with no `cells` that names its own chain of blocks (NB101's `chain()`: stem, cells and the
    max-pools between its stacks): AZ-NAS's cut of it is every element, as on NB201 every element of
    `model.cells`, reductions included. Cut by stages instead, NB101's trainability ranks against accuracy
    (`docs/results.md`)."""
    chain = getattr(net, "chain", None)
    return list(chain()) if callable(chain) else None


def _by_cells(net: nn.Module, prepared: Prepared) -> list[torch.Tensor]:
    """AZ-NAS's own cut: the stem and every element of `model.cells` (NB201's cells and reductions)."""
    blocks = _cells(net)
    if blocks is None:
        raise ValueError(f"proxy 'az' with blocks='cells' reads `model.cells`; {type(net).__name__} has none")
    if len(blocks) < 2:
        raise ValueError(f"proxy 'az' compares consecutive blocks, but {type(net).__name__} has only one "
                         "(a stem and cells, `model.cells`)")
    features: list[torch.Tensor] = []
    with hooks() as handles:
        handles += [b.register_forward_hook(lambda _m, _a, out: features.append(out)) for b in blocks]
        prepared.forward(prepared.x.clone().requires_grad_(True))
    if len(features) != len(blocks) or any(f.dim() != 4 for f in features):
        raise ValueError("proxy 'az' needs each block (the stem and every cell) to return one 4-d feature map "
                         "once per forward")
    return features


def _chain(module: nn.Module) -> Iterator[nn.Module]:
    """The modules a network runs in a row: its children, looking inside Sequential and ModuleList."""
    for child in module.children():
        if isinstance(child, (nn.Sequential, nn.ModuleList)):
            yield from _chain(child)
        else:
            yield child


def _by_stages(net: nn.Module, prepared: Prepared) -> list[torch.Tensor]:
    """A CNN without `cells`: its first feature map, then the last feature map of each resolution (a stage),
    among the modules it runs in a row. Global pooling (1x1 maps) is no stage. Between a `Permute` to (B, H, W, C)
    and the one back (torchvision's Swin), and throughout a network that says its maps are (B, H, W, C) (timm's
    `output_fmt = "NHWC"`: Swin, MambaOut), maps are read channels-last."""
    fired: dict[nn.Module, list[torch.Tensor]] = {}
    order: list[nn.Module] = []
    channels_last = getattr(net, "output_fmt", None) == "NHWC"

    def record(module: nn.Module, _args: Any, out: Any) -> Any:
        nonlocal channels_last
        dims = getattr(module, "dims", None)
        if isinstance(dims, (list, tuple)) and sorted(dims) == [0, 1, 2, 3]:
            channels_last = list(dims) == [0, 2, 3, 1]
        if not isinstance(out, torch.Tensor) or out.dim() != 4:
            return None
        feature = out.permute(0, 3, 1, 2) if channels_last else out
        if feature.shape[-1] * feature.shape[-2] > 1:
            if module not in fired:
                order.append(module)
            fired.setdefault(module, []).append(feature)
        # the network goes on from the recorded view, so gradients between stages pass through it
        return feature.permute(0, 2, 3, 1) if channels_last else None

    with hooks() as handles:
        handles += [m.register_forward_hook(record) for m in _chain(net)]
        prepared.forward(prepared.x.clone().requires_grad_(True))
    outputs = [fired[m][0] for m in order if len(fired[m]) == 1]  # a module run twice is no link of a chain
    chain = outputs[:1] + [out for out, after in zip(outputs, [*outputs[1:], None])
                           if after is None or after.shape[-2:] != out.shape[-2:]]
    chain = [f for i, f in enumerate(chain) if all(f is not g for g in chain[:i])]
    grows = [i for i in range(1, len(chain)) if _area(chain[i]) > _area(chain[i - 1])]
    chain = chain[:grows[0]] if grows else chain  # adaptive pooling that enlarges tiny maps is the head, no stage
    if len(chain) < 2:
        raise OneMapSize(f"proxy 'az' compares consecutive stages, but {type(net).__name__} runs one feature "
                         "map size only (no `model.cells` either)")
    return chain


class OneMapSize(ValueError):
    """A network with no stages: every feature map has one size (a vision transformer, an MLP-Mixer)."""


def _area(feature: torch.Tensor) -> int:
    return feature.shape[-2] * feature.shape[-1]


def _by_layers(net: nn.Module, prepared: Prepared, isotropic: bool = False) -> list[torch.Tensor]:
    """A transformer: the input of its first layer, then every layer's output (the longest ModuleList). An
    image network with one map size (`isotropic`: a ViT) is cut at its longest list of blocks of one kind, a
    ModuleList or a Sequential (timm's ViT keeps its blocks in a Sequential)."""
    kinds = (nn.ModuleList, nn.Sequential) if isotropic else (nn.ModuleList,)
    lists = [m for m in net.modules() if isinstance(m, kinds) and len(m) > 0
             and (not isotropic or (len(m) > 1 and len({type(block) for block in m}) == 1))]
    if not lists and isotropic:
        raise ValueError(f"proxy 'az' compares consecutive stages, but {type(net).__name__} runs one feature map "
                         "size only and keeps no list of blocks of one kind (no `model.cells` either)")
    if not lists:
        raise ValueError(f"proxy 'az' with blocks='layers' needs a list of layers; {type(net).__name__} has none")
    layers = max(lists, key=len)
    features: list[torch.Tensor] = []

    def start(_module: nn.Module, args: tuple) -> tuple:
        first = args[0].detach().requires_grad_(True)  # the chain starts here: embeddings are no block
        features.append(first)
        return (first, *args[1:])

    with hooks() as handles:
        handles.append(layers[0].register_forward_pre_hook(start))
        handles += [m.register_forward_hook(lambda _m, _a, out: features.append(first_tensor(out)))
                    for m in layers]
        prepared.forward()
    if len(features) != len(layers) + 1:
        if isotropic:
            raise ValueError(f"proxy 'az' found no stages in {type(net).__name__} and its blocks do not run once "
                             "each per forward")
        raise ValueError("proxy 'az' needs each layer to run once per forward")
    return features


_CHAINS: dict[str, Callable[[nn.Module, Prepared], list[torch.Tensor]]] = {
    "cells": _by_cells, "stages": _by_stages, "layers": _by_layers}
BLOCKS = ("auto", *_CHAINS)


def _reinitialise(net: nn.Module) -> None:
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)) and getattr(
                module, "affine", getattr(module, "elementwise_affine", False)) and module.weight is not None:
            nn.init.ones_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def _channels_last(tensor: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B*H*W, C): every pixel of every sample one observation of C channels; (B, T, C) ->
    (B*T, C): every token one observation."""
    if tensor.dim() == 3:
        return tensor.reshape(-1, tensor.shape[-1])
    return tensor.permute(0, 2, 3, 1).reshape(-1, tensor.shape[1])


def _entropy(feature: torch.Tensor) -> float:
    observations = _channels_last(feature).double()
    centred = observations - observations.mean(0, keepdim=True)
    # A covariance has no negative eigenvalue: those of a rank-deficient one are round-off, taken as 0.
    eigenvalues = torch.linalg.eigvalsh(centred.T @ centred / centred.shape[0]).clamp_min(0)
    share = eigenvalues / eigenvalues.sum()
    return float(-(share * torch.log(share + 1e-8)).sum())


def _trainability(f_out: torch.Tensor, f_in: torch.Tensor) -> float:
    signs = torch.randint(0, 2, f_out.shape, device=f_out.device).to(f_out.dtype) * 2 - 1
    (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=signs, retain_graph=True, allow_unused=True)
    if g_in is None:
        return math.nan  # f_out does not depend on f_in: a DARTS cell fed only by the cell two before it
    if g_in.shape == signs.shape and torch.equal(g_in, signs):
        return -math.inf  # the block passes the gradient on unchanged
    if signs.dim() == 3 and g_in.shape[1] != signs.shape[1]:
        # a token prepended between blocks (ConViT's class token): the tokens both sides have are the last ones
        tokens = min(g_in.shape[1], signs.shape[1])
        g_in, signs = g_in[:, -tokens:], signs[:, -tokens:]
    if signs.dim() == 4 and g_in.shape[-2:] != signs.shape[-2:]:
        (height, width), (out_height, out_width) = g_in.shape[-2:], signs.shape[-2:]
        factor = min(height // out_height, width // out_width)
        if factor < 1:
            raise ValueError(f"proxy 'az': a block maps {(height, width)} to {(out_height, out_width)}, "
                             "a larger feature map (no downsampling)")
        # A pooling without padding (7 -> 3) reads the top-left factor x out pixels: the rest has no output.
        g_in = F.pixel_unshuffle(g_in[..., :factor * out_height, :factor * out_width], factor)
    observed = _channels_last(signs)
    cross = _channels_last(g_in).T @ observed / observed.shape[0]
    top = float(torch.linalg.matrix_norm(cross, ord=2))
    return 2.0 - top - 1.0 / (top + 1e-6)


def _number(value: float) -> float:
    return -math.inf if math.isnan(value) else float(value)


def _component_proxy(name: str):
    def proxy(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
              blocks: str = "auto") -> float:
        return components(model, inputs, seed=seed, device=device, blocks=blocks)[name]

    proxy.__doc__ = f"AZ-NAS {name.removeprefix('az_')}: {COMPONENTS[name]}; label-free."
    return proxy


for _name in COMPONENTS:
    register(_name)(_component_proxy(_name))
