"""SWAP variants: several scores read from one capture's per-layer counts, with no extra forward pass.

The paper's score counts distinct patterns over all neurons at once, so it can never exceed 2^B: on
NB201 at B = 16 most good cells sit at that bound and cannot be told apart. The variants below keep the
per-layer counts apart instead, so they do not saturate the same way:

- `swap`: the paper's total (distinct patterns over all hooked neurons together);
- `swap_layersum`: the sum over layer calls of each call's distinct count;
- `swap_satfree`: the mean over layer calls of distinct / min(neurons of the call, 2^B), in [0, 1];
- `swap_logmean`: the mean over layer calls of log2(distinct), a geometric mean that weighs every
  layer alike however wide it is;
- `swap_stage1`, `swap_stage2`, ...: `swap_layersum` restricted to one stage, a stage being the layer
  calls of one width (neurons per sample), widest first: NB201's three resolutions, 32, 16 and 8 pixels.

Each is registered as a proxy (`proxies.score("swap_layersum", ...)`); all of them come out of
`variants(result)` at once, which is what whole-space runs store.
"""
from __future__ import annotations

import math

from swap_engine.swap.score import SwapResult

STAGES = 3  # stage columns kept; further stages fold into the last (NB201 has three)

VARIANTS = {
    "swap": "distinct sample-wise activation patterns over all neurons (the paper's SWAP-Score)",
    "swap_layersum": "sum over layers of each layer's distinct patterns",
    "swap_satfree": "mean over layers of distinct / min(neurons, 2^B): saturation-free, in [0, 1]",
    "swap_logmean": "mean over layers of log2(distinct patterns)",
    **{f"swap_stage{k}": f"sum of per-layer distinct patterns over stage {k} (the layers of rank {k} by "
                         "width, widest first)" for k in range(1, STAGES + 1)},
}


def variants(result: SwapResult) -> dict[str, float]:
    """Every variant of one scoring (its first repeat's layers; `swap` is the mean over repeats).

    A stage the model does not have is NaN, never zero.
    """
    layers = result.layers
    bound = 2 ** result.batch_size
    values: dict[str, float] = {"swap": float(result.raw_score)}
    if not layers:
        return {**values, **{name: math.nan for name in VARIANTS if name != "swap"}}
    values["swap_layersum"] = float(sum(layer.distinct for layer in layers))
    values["swap_satfree"] = float(sum(layer.distinct / min(layer.neurons, bound) for layer in layers)
                                   / len(layers))
    values["swap_logmean"] = float(sum(math.log2(max(layer.distinct, 1)) for layer in layers) / len(layers))
    widths = sorted({layer.neurons for layer in layers}, reverse=True)
    stage_of = {width: min(rank, STAGES - 1) for rank, width in enumerate(widths)}
    totals = [0.0] * STAGES
    present = [False] * STAGES
    for layer in layers:
        stage = stage_of[layer.neurons]
        totals[stage] += layer.distinct
        present[stage] = True
    for k in range(STAGES):
        values[f"swap_stage{k + 1}"] = totals[k] if present[k] else math.nan
    return values


def variant(name: str, result: SwapResult) -> float:
    """One variant by name; ValueError for an unknown one."""
    if name not in VARIANTS:
        raise ValueError(f"unknown SWAP variant {name!r}; known: {', '.join(VARIANTS)}")
    return variants(result)[name]


__all__ = ["STAGES", "VARIANTS", "variant", "variants"]
