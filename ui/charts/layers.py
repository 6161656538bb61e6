"""Layer names a reader can place: NB201's module path `cells.0.edges.2.0` reads "cell 1, edge 1→2", the nodes
numbered as the drawn cell and the editor number them.

The names are read from the module paths alone (no model is built): NB201's and NB101's cell numbers, and which
DARTS cells reduce, follow from which paths are there. A path of another space, or one not recognised, keeps
the generic label (`layer_label`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from ui.charts.patterns import layer_label

NB201_EDGES = ("0→1", "0→2", "1→2", "0→3", "1→3", "2→3")  # NB201's arch positions, as the editor labels them
DARTS_INPUTS = ("input c(k-2)", "input c(k-1)")


def readable(names: Sequence[str], space: str, calls: Sequence[int] | None = None,
             nodes: int = 0) -> list[str]:
    """One label per layer: the space's own words where the path is known, else `layer_label(name, call)`;
    `nodes`: an NB101 cell's node count (its last node is the output)."""
    calls = list(calls) if calls is not None else [0] * len(names)
    named: dict[str, str] = {}
    if space == "nb201":
        named = _nb201(list(names))
    elif space == "darts":
        named = _darts(list(names))
    elif space == "nb101":
        named = _nb101(list(names), nodes)
    labels = []
    for name, call in zip(names, calls):
        label = named.get(name)
        labels.append(layer_label(name, call) if label is None else label + (f" (call {call + 1})" if call else ""))
    return labels


def named(table: pd.DataFrame, space: str, edges: list | None = None) -> pd.DataFrame:
    """A per-layer table (`SwapResult.by_layer()`) with `name` in the space's words (the call folded in) and the
    module path kept as `module`, for the charts and the CSV; `edges`: the cell's drawing (`space.graph`)."""
    nodes = len({node for a, b, _ in edges or [] for node in (a, b)})
    labels = readable(table["name"].tolist(), space, table["call"].tolist(), nodes)
    return table.assign(module=table["name"], name=labels, call=0)[["name", "module", "call", "neurons", "distinct"]]


def sample_names(table: pd.DataFrame, modules: Sequence[str]) -> list[str]:
    """The pattern sample's layers (module paths) by the names `named` gave them in `table`."""
    words: dict[str, str] = {}
    for module, name in zip(table["module"], table["name"]):
        words.setdefault(module, name)  # a module called twice: its first call
    return [words.get(module, module) for module in modules]


def _nb201(names: list[str]) -> dict[str, str]:
    """`cells.i.edges.k.*` -> "cell n, edge a→b" (n counts the normal cells, 1 to 3N); the two residual
    reductions between stages, and the last ReLU before pooling, by their role."""
    reductions = sorted({int(m.group(1)) for name in names if (m := re.match(r"cells\.(\d+)\.conv_[ab]\.", name))})
    found = {}
    for name in names:
        if m := re.match(r"cells\.(\d+)\.edges\.(\d+)\.", name):
            index, edge = int(m.group(1)), int(m.group(2))
            cell = index + 1 - sum(r < index for r in reductions)
            found[name] = f"cell {cell}, edge {NB201_EDGES[edge]}" if edge < len(NB201_EDGES) else None
        elif m := re.match(r"cells\.(\d+)\.conv_([ab])\.", name):
            step = "first" if m.group(2) == "a" else "second"
            found[name] = f"reduction {reductions.index(int(m.group(1))) + 1}, {step} conv"
        elif name.startswith("lastact."):
            found[name] = "last ReLU, before pooling"
    return {k: v for k, v in found.items() if v is not None}


def _darts(names: list[str]) -> dict[str, str]:
    """`cell.ops.k.j` (the 1-cell proxy) -> "node 3, op 1", as the editor names operation k; the full network's
    `cells.i....` adds "cell i+1" and "(reduce)" for the cells at a third and two thirds of its depth."""
    indices = [int(m.group(1)) for name in names if (m := re.match(r"cells\.(\d+)\.", name))]
    layers = max(indices) + 1 if indices else 0
    found = {}
    for name in names:
        m = re.match(r"(?:cell|cells\.(\d+))\.(?:ops\.(\d+)\.(\d+)|preprocess([01])\.)", name)
        if m is None:
            continue
        where = ""
        if m.group(1) is not None:
            index = int(m.group(1))
            where = f"cell {index + 1}{' (reduce)' if index in (layers // 3, 2 * layers // 3) else ''}, "
        if m.group(4) is not None:
            found[name] = where + DARTS_INPUTS[int(m.group(4))]
        else:
            position, part = int(m.group(2)), int(m.group(3))
            found[name] = (where + f"node {2 + position // 2}, op {position % 2 + 1}"
                           + (", 2nd ReLU" if part else ""))
    return found


def _nb101(names: list[str], nodes: int) -> dict[str, str]:
    """`features.i.ops.v.*` -> "cell n, node v" (n counts the cells, the stem and the max-pools between stacks
    left out), `features.i.projections.v.*` -> "cell n, input to node v" (to the output when v is the last of
    `nodes`); `features.0` is the stem."""
    cells = sorted({int(m.group(1)) for name in names if (m := re.match(r"features\.(\d+)\.(?:ops|projections)\.",
                                                                         name))})
    found = {}
    for name in names:
        if re.match(r"features\.0\.\d+$", name):
            found[name] = "stem"
        elif m := re.match(r"features\.(\d+)\.(ops|projections)\.(\d+)\.", name):
            cell, node = cells.index(int(m.group(1))) + 1, int(m.group(3))
            target = "the output" if node == nodes - 1 else f"node {node}"
            found[name] = f"cell {cell}, " + (f"node {node}" if m.group(2) == "ops" else f"input to {target}")
    return found


__all__ = ["named", "readable", "sample_names"]
