"""L-SWAG: a gradient-spread term times a SWAP term, both over a chosen band of the network's depth.

Casarin, Escalera, Lanz, "L-SWAG: Layer-Sample Wise Activation with Gradients information for Zero-Shot NAS on
Vision Transformers", CVPR 2025 (arXiv 2505.07300). No code of the authors is public (searched: no
repository named for L-SWAG or LIBRA-NAS); the formulas below are read from the paper's abstract and public
summaries of it. What they fix, and this module computes:

- the score is a product, Lambda x Psi;
- Lambda is ZiCo (Li et al., ICLR 2023) with the gradient mean dropped: per Conv/Linear layer the spread
  (standard deviation) of each weight's cross-entropy gradient across batch parts, summed over the layer
  and logged, summed over the layers in the band;
- Psi is the SWAP-Score (Peng et al., ICLR 2024) of the activation calls in the same band: the number of
  distinct sign patterns over the batch among their neurons (`swap_engine.swap`'s packed counting);
- only a band of layers [lo, hi] of the depth takes part ("layer-wise": the paper finds that the gradient
  statistics of different layers predict accuracy unequally, and keeps a band of them).

Open choices, and the one taken:
- Lambda's direction. ZiCo scores mean|g| / std g per weight; dropping the mean leaves 1 / std g
  (`gradient="inverse_std"`, the default), so a layer counts more when its gradients agree across batch
  parts, as in ZiCo. The other reading, std g itself (`gradient="std"`), is offered. Both rank NB201 alike
  (a seeded sample of 100 cells, 32 CIFAR-10 images: Spearman with CIFAR-10 test accuracy 0.81 and 0.79 for
  Lambda, 0.82 and 0.79 for the product), because both sum one log per layer; but the log of a sum of
  std g falls below 0 on some cells, and a negative Lambda reverses Psi's order in the product, while sums
  of 1 / std g are far above 1. Hence the default. A third reading, written as a formula in one public
  summary of the paper, is offered as `gradient="variance"`: per layer log(1 + the mean over its weights of
  Var |g|), the variance taken across batch parts of each weight's gradient magnitude. Measured (NB201,
  the atlas's CIFAR-10 batch of 64, one thread, CIFAR-10 test accuracy): on 100 seeded cells the product
  reads 0.53 with it against 0.77 with the default (2 parts); on 50 others 0.60 (16 parts) and 0.70 (64 parts,
  one sample each) against 0.86 for the default at 16 parts. Those mean variances are mostly far below 1
  (Lambda's median over the 100 cells 0.002, its largest 3.8), so log(1 + v) is nearly v and Lambda is nearly a
  plain sum of variances, led by the layers with the largest gradients. The default stays.
  A sum of 1 / std g is led by the few weights whose gradients nearly agree across parts, so rounding
  (BatchNorm's batch sums follow the thread count; another device) moves it by up to ~1e-3 relative;
  `components` and `proxies.score` run on one thread.
- Spread = standard deviation, ZiCo's own statistic (the summaries say "variance"; per weight the two
  order alike, but their sums over a layer do not).
- Batch parts: `splits=2` equal parts of the batch, the setting of ZiCo's code and of this project's `zico`;
  std is the population std across parts; weights with zero spread are left out (as in ZiCo), and a layer
  whose sum is 0 adds nothing.
- The band: `depth=(lo, hi)`, fractions of depth. Layers are ordered by when the forward first runs them
  (Conv/Linear for Lambda; every activation call, in call order, for Psi); a layer is in the band when the
  middle of its slot, (i + 0.5) / count, lies in [lo, hi]. The bands the paper uses could not be read here
  (only its abstract and summaries of it were at hand), so the default is the whole network, (0, 1); on the
  NB201 sample above, eight bands from thirds to halves gave 0.81 to 0.83, so no narrower one is preferred.
- Psi is computed on the whole batch in one extra forward pass without gradients, in the same mode;
  activation modules only (ReLU, GELU, SiLU, ...: `swap_engine.swap.capture.DEFAULT_ACTIVATIONS`), sign
  patterns ternary unless every hooked module is a ReLU, as `swap_score` does; no weight re-draws, no
  parameter regularisation.
- LIBRA-NAS, the paper's rule for combining L-SWAG with other proxies ("Low Information gain and Bias
  Re-Alignment", chosen to suit one benchmark), was not available here in full: not implemented.

Measured here (100 seeded NB201 cells, default init, the first 32 CIFAR-10 training images, one CPU thread):
Spearman with CIFAR-10 test accuracy 0.82 (Psi alone 0.75, Lambda alone 0.81, ZiCo on the same batch 0.84);
about 0.7 s a cell (ZiCo 0.5 s, SWAP 0.2 s).

Needs class labels (cross-entropy), so token models, which return hidden states, are refused in words.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import classification_loss, hooks, prepare, require_labels, seeded, weighted_layers
from swap_engine.swap.capture import DEFAULT_ACTIVATIONS, NONNEGATIVE_ACTIVATIONS, PatternCapture, activation_modules
from swap_engine.swap.distinct import count_distinct
from swap_engine.threads import one_thread

GRADIENT_TERMS = ("inverse_std", "std", "variance")


@register("lswag", needs_targets=True)
def lswag(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
          mode: str = "train", splits: int = 2, depth: tuple[float, float] = (0.0, 1.0),
          gradient: str = "inverse_std") -> float:
    """Lambda x Psi: logged gradient spread per layer times the SWAP count, over a depth band (Casarin et al. 2025)."""
    return components(model, inputs, targets, seed=seed, device=device, mode=mode, splits=splits, depth=depth,
                      gradient=gradient)["lswag"]


def components(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
               mode: str = "train", splits: int = 2, depth: tuple[float, float] = (0.0, 1.0),
               gradient: str = "inverse_std") -> dict[str, float]:
    """The two factors and their product: {"lambda": ..., "psi": ..., "lswag": ...}."""
    low, high = _band(depth)
    if gradient not in GRADIENT_TERMS:
        raise ValueError(f"lswag gradient must be one of {', '.join(GRADIENT_TERMS)}, got {gradient!r}")
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    labels = require_labels("lswag", prepared)
    batch = prepared.x.shape[0]
    if isinstance(splits, bool) or not isinstance(splits, int) or splits < 2 or batch < splits:
        raise ValueError(f"lswag needs splits >= 2 and at least one sample per split; got splits={splits!r}, "
                         f"batch={batch}")
    net = prepared.net
    modules = activation_modules(net, DEFAULT_ACTIVATIONS)
    if not modules:
        raise ValueError("proxy 'lswag' found no activation module (ReLU, GELU, SiLU, ...) for its SWAP term; "
                         "activations applied as functions (F.relu) are not seen")
    layers = weighted_layers(net)
    order: list[nn.Module] = []  # Conv/Linear layers in the order the forward first runs them
    per_layer: dict[nn.Module, list[torch.Tensor]] = {m: [] for m in layers}

    def first_run(module: nn.Module, args: tuple) -> None:
        if module not in order:
            order.append(module)

    with one_thread(), seeded(seed, prepared.x.device):  # the same floats as through `proxies.score`
        with hooks() as handles:
            handles += [m.register_forward_pre_hook(first_run) for m in layers]
            for part in torch.arange(batch, device=prepared.x.device).chunk(splits):
                net.zero_grad(set_to_none=True)
                classification_loss(prepared, prepared.x[part], labels[part]).backward()
                for m in layers:
                    if m.weight.grad is not None:
                        per_layer[m].append(m.weight.grad.detach().flatten().double())
        ternary = not all(isinstance(m, NONNEGATIVE_ACTIVATIONS) for m in modules)
        with PatternCapture(modules, batch_size=batch, ternary=ternary) as recorder, torch.no_grad():
            prepared.forward()
    calls = recorder.layers
    if not calls:
        raise ValueError("proxy 'lswag': the forward pass called none of the model's activation modules")

    chosen = [m for i, m in enumerate(order) if low <= (i + 0.5) / len(order) <= high]
    if not chosen:
        raise ValueError(f"lswag depth band {depth!r} holds none of the model's {len(order)} Conv/Linear layers")
    spread = 0.0
    for m in chosen:
        grads = per_layer[m]
        if len(grads) < 2:
            continue
        stacked = torch.stack(grads)
        if gradient == "variance":  # log(mean over the layer's weights of Var(|g|) + 1), never below 0
            magnitude = stacked.abs()
            spread += math.log1p(float((magnitude - magnitude.mean(0)).square().mean(0).mean()))
            continue
        std = (stacked - stacked.mean(0)).square().mean(0).sqrt()
        std = std[std != 0]
        total = float((1.0 / std).sum() if gradient == "inverse_std" else std.sum())
        if total > 0:
            spread += math.log(total)

    kept = [call for i, call in enumerate(calls) if low <= (i + 0.5) / len(calls) <= high]
    if not kept:
        raise ValueError(f"lswag depth band {depth!r} holds none of the model's {len(calls)} activation calls")
    keys = [call.keys.reshape(call.keys.shape[0], -1) for call in kept]
    patterns = count_distinct(keys).total
    return {"lambda": spread, "psi": float(patterns), "lswag": spread * patterns}


def _band(depth: Any) -> tuple[float, float]:
    if isinstance(depth, (str, bytes)):
        raise ValueError(f"lswag depth must be a pair (lo, hi) of fractions of depth, got {depth!r}")
    try:
        low, high = (float(v) for v in depth)
    except (TypeError, ValueError):
        raise ValueError(f"lswag depth must be a pair (lo, hi) of fractions of depth, got {depth!r}") from None
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"lswag depth must satisfy 0 <= lo < hi <= 1, got {depth!r}")
    return low, high
