"""Path features of a cell's graph, for the k-label predictor: for each small set of operations, the shortest and
longest input-to-output path that uses only those operations, and how many such paths there are.

A cell's accuracy follows its paths more than its operation counts: an NB201 cell whose only input-to-output path
is a pooling trains badly whatever else it holds. GRAF (Kadlecová et al., 2024) showed such features rank NB201
well from a few hundred labels; these are our own, read from `space.graph(arch)`, so any cell space has them.

    path_features(space.graph(arch), ops)   # {"path_min[conv3]": 2, "path_count[conv3,skip]": 3, ...}
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

STRUCTURAL = frozenset({"concat", "add"})  # joins that carry every path: kept in every subgraph
ZERO = frozenset({"none"})  # an operation whose output is zero: no path goes through it
MAX_SUBSET = 2  # subsets of up to this many operations, and all of them together
MAX_OPERATIONS = 8  # more kinds than this (FlexiBERT's layer types) and the graph is no cell of a few operations


def operation_sets(ops: list[str]) -> list[tuple[str, ...]]:
    """The operation sets whose paths are measured: all subsets when there are five operations or fewer (NB201:
    15), else single operations, pairs and the whole set (DARTS: 29)."""
    largest = len(ops) if len(ops) <= 5 else MAX_SUBSET
    chosen = [subset for size in range(1, largest + 1) for subset in combinations(ops, size)]
    return chosen if tuple(ops) in chosen else [*chosen, tuple(ops)]


def _paths(edges: list[tuple[str, str, str]], starts: set[str], sinks: set[str],
           allowed: frozenset[str]) -> tuple[int, int, int]:
    """(shortest, longest, number) of start-to-sink paths using only `allowed` edges; (0, 0, 0) when none."""
    outgoing: dict[str, list[str]] = defaultdict(list)
    for source, target, op in edges:
        if op in allowed or op in STRUCTURAL:
            outgoing[source].append(target)
    memo: dict[str, tuple[float, float, int]] = {}

    def walk(node: str) -> tuple[float, float, int]:
        if node in sinks:
            return 0.0, 0.0, 1
        if node not in memo:
            found = [walk(after) for after in outgoing[node]]
            found = [f for f in found if f[2] > 0]
            memo[node] = ((min(f[0] for f in found) + 1, max(f[1] for f in found) + 1, sum(f[2] for f in found))
                          if found else (0.0, 0.0, 0))
        return memo[node]

    reached = [found for found in map(walk, starts) if found[2] > 0]
    if not reached:
        return 0, 0, 0
    return int(min(r[0] for r in reached)), int(max(r[1] for r in reached)), sum(r[2] for r in reached)


def path_features(edges: list[tuple[str, str, str]], ops: list[str]) -> dict[str, int]:
    """The shortest, longest and number of paths through each of `operation_sets(ops)`; a graph whose node names
    carry a part (`normal/2`, `reduce/2`: DARTS's two cells) is measured part by part."""
    parts: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for edge in edges:
        parts[edge[0].split("/")[0] if "/" in edge[0] else ""].append(edge)
    features: dict[str, int] = {}
    for part, part_edges in sorted(parts.items()):
        prefix = f"{part}:" if part else ""
        sources, targets = {edge[0] for edge in part_edges}, {edge[1] for edge in part_edges}
        starts, sinks = sources - targets, targets - sources  # the graph's ends, the same for every subset
        for subset in operation_sets(ops):
            shortest, longest, count = _paths(part_edges, starts, sinks, frozenset(subset))
            name = ",".join(subset)
            features[f"{prefix}path_min[{name}]"] = shortest
            features[f"{prefix}path_max[{name}]"] = longest
            features[f"{prefix}path_count[{name}]"] = count
    return features


_MEASURES = {"path_min": "shortest path", "path_max": "longest path", "path_count": "number of paths"}


def describe(column: str) -> str | None:
    """A path feature's column in words (`enc_path_min[nor_conv_3x3,skip_connect]` -> "shortest path through
    nor_conv_3x3, skip_connect only"); None for any other column."""
    name = column.removeprefix("enc_")
    part, _, name = name.rpartition(":")
    measure, _, rest = name.partition("[")
    if measure not in _MEASURES or not rest.endswith("]"):
        return None
    words = f"{_MEASURES[measure]} through {rest[:-1].replace(',', ', ')} only"
    return f"{part} cell: {words}" if part else words


def operations(graphs: list[list[tuple[str, str, str]]]) -> list[str]:
    """The operations that can carry a path in any of `graphs`, sorted (structural joins and zeros left out)."""
    return sorted({op for edges in graphs for _, _, op in edges} - STRUCTURAL - ZERO)


__all__ = ["MAX_OPERATIONS", "describe", "operation_sets", "operations", "path_features"]
