"""NAS-Bench-101: cells of up to 7 nodes and 9 edges, stacked into the NB101 CIFAR network.

Text form is the NAS-Bench-Suite-Zero key of `zc_nasbench101.json`: the flattened n x n upper-triangular
adjacency matrix followed by one op index per node, written as a Python tuple, e.g. `(0, 1, ..., 0, 4, 3, 1)`.
Op indices follow NASLib: 0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu.

An arch keeps the matrix as written (so `format` round-trips); `prune` drops the nodes that lie on no
input -> output path, as NB101's ModelSpec does, and `build`, `graph`, `properties` and `graph_hash` use the
pruned cell. `graph_hash` follows NB101's iterated neighbour hashing, so isomorphic cells hash equal and the
fingerprint is the dataset's module hash (checked on the Inception-like cell). Beware: isomorphic cells can
differ by a few thousand parameters, because NB101's channel split gives remainders in node order.
"""
from __future__ import annotations

import hashlib
import random
import re
from typing import NamedTuple

import torch
from torch import nn

from swap_engine.spaces import register
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.words import check_text, quote

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL3X3 = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
# NASLib's op indices (naslib/search_spaces/nasbench101/conversions.py); checked against the 500 Suite-Zero keys.
OP_INDEX = {INPUT: 0, OUTPUT: 1, MAXPOOL3X3: 2, CONV1X1: 3, CONV3X3: 4}
OP_NAMES = {index: name for name, index in OP_INDEX.items()}
INTERIOR_OPS = (CONV3X3, CONV1X1, MAXPOOL3X3)
MAX_NODES, MAX_EDGES = 7, 9


class Cell(NamedTuple):
    """An NB101 cell: `matrix[i][j] == 1` is an edge i -> j (i < j); node 0 is input, the last is output."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @property
    def num_nodes(self) -> int:
        return len(self.ops)

    def edges(self) -> list[tuple[int, int]]:
        n = self.num_nodes
        return [(i, j) for i in range(n) for j in range(i + 1, n) if self.matrix[i][j]]


def _check_shape(matrix: tuple[tuple[int, ...], ...], ops: tuple[str, ...]) -> None:
    n = len(ops)
    if not 2 <= n <= MAX_NODES:
        raise ValueError(f"NB101 cell has {n} nodes; expected 2..{MAX_NODES}")
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"NB101 matrix must be {n} x {n} for {n} ops")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value not in (0, 1):
                raise ValueError(f"NB101 matrix entry ({i}, {j}) is {value}; expected 0 or 1")
            if value and j <= i:
                raise ValueError(f"NB101 matrix entry ({i}, {j}) is set; only i < j edges are allowed")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise ValueError(f"NB101 ops must start with {INPUT!r} and end with {OUTPUT!r}, got {ops[0]!r}..{ops[-1]!r}")
    for k, op in enumerate(ops[1:-1], start=1):
        if op not in INTERIOR_OPS:
            raise ValueError(f"NB101 op {op!r} at node {k} is not one of {INTERIOR_OPS}")


def make_cell(matrix, ops) -> Cell:
    """A checked `Cell` from any nested sequence of 0/1 and a sequence of op names."""
    cell = Cell(tuple(tuple(int(v) for v in row) for row in matrix), tuple(ops))
    _check_shape(cell.matrix, cell.ops)
    return cell


def prune(cell: Cell) -> Cell | None:
    """The cell without nodes that are not on an input -> output path; None when output is unreachable."""
    n = cell.num_nodes
    reach_from_input = {0}
    for j in range(1, n):
        if any(cell.matrix[i][j] for i in reach_from_input if i < j):
            reach_from_input.add(j)
    reach_output = {n - 1}
    for i in range(n - 2, -1, -1):
        if any(cell.matrix[i][j] for j in reach_output if j > i):
            reach_output.add(i)
    keep = sorted(reach_from_input & reach_output)
    if 0 not in keep or n - 1 not in keep:
        return None
    return Cell(tuple(tuple(cell.matrix[i][j] for j in keep) for i in keep), tuple(cell.ops[k] for k in keep))


def is_valid(cell: Cell) -> bool:
    """NB101's rule: after pruning, output is reachable and there are at most 9 edges."""
    pruned = prune(cell)
    return pruned is not None and len(pruned.edges()) <= MAX_EDGES


def graph_hash(cell: Cell) -> str:
    """Isomorphism-invariant fingerprint of the pruned cell: NB101's module hash (md5 of node labels and
    degrees, refined n times with the sorted hashes of in- and out-neighbours)."""
    pruned = prune(cell)
    if pruned is None:
        raise ValueError("NB101 cell has no path from input to output")
    n = pruned.num_nodes
    matrix = pruned.matrix
    label = {INPUT: -1, OUTPUT: -2, CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}
    in_degree = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    out_degree = [sum(row) for row in matrix]

    def digest(text: str) -> str:
        return hashlib.md5(text.encode("utf-8")).hexdigest()

    hashes = [digest(str((out_degree[v], in_degree[v], label[pruned.ops[v]]))) for v in range(n)]
    for _ in range(n):  # after n rounds each node's hash has seen the whole graph
        hashes = [
            digest(
                "".join(sorted(hashes[u] for u in range(n) if matrix[u][v]))
                + "|"
                + "".join(sorted(hashes[w] for w in range(n) if matrix[v][w]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return digest(str(sorted(hashes)))


def compute_vertex_channels(in_channels: int, out_channels: int, matrix) -> list[int]:
    """Channels of every node, NB101's rule.

    Nodes feeding the output split `out_channels` evenly (the first ones get the remainder), so that their
    concatenation has `out_channels`; other interior nodes take the widest of their successors.
    """
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[-1] = in_channels, out_channels
    if n == 2:
        return channels
    into_output = sum(matrix[v][n - 1] for v in range(1, n - 1))
    share, remainder = divmod(out_channels, into_output)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            channels[v] = share + (1 if remainder > 0 else 0)
            remainder -= 1
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            for w in range(v + 1, n - 1):
                if matrix[v][w]:
                    channels[v] = max(channels[v], channels[w])
    return channels


class ConvBNReLU(nn.Sequential):
    """Conv (no bias) + BatchNorm + ReLU with NB101's batch-norm settings (TF momentum 0.997, eps 1e-5)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.003),
            nn.ReLU(inplace=False),
        )


def _make_op(op: str, channels: int) -> nn.Module:
    if op == CONV3X3:
        return ConvBNReLU(channels, channels, 3)
    if op == CONV1X1:
        return ConvBNReLU(channels, channels, 1)
    return nn.MaxPool2d(3, stride=1, padding=1)


class NB101Cell(nn.Module):
    """One NB101 module: interior nodes sum their (truncated) predecessors and 1x1 projections of the input;
    output concatenates the nodes feeding it and adds a projection of the input when input -> output."""

    def __init__(self, cell: Cell, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.matrix = cell.matrix
        n = cell.num_nodes
        self.channels = compute_vertex_channels(in_channels, out_channels, cell.matrix)
        self.ops = nn.ModuleList([nn.Identity()])
        self.projections = nn.ModuleDict()
        for v in range(1, n):
            if v < n - 1:
                self.ops.append(_make_op(cell.ops[v], self.channels[v]))
            if cell.matrix[0][v]:
                self.projections[str(v)] = ConvBNReLU(in_channels, self.channels[v], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(self.matrix)
        values = [x]
        for v in range(1, n - 1):
            parts = [values[u][:, : self.channels[v]] for u in range(1, v) if self.matrix[u][v]]
            if self.matrix[0][v]:
                parts.append(self.projections[str(v)](x))
            values.append(self.ops[v](sum(parts)))
        into_output = [values[u] for u in range(1, n - 1) if self.matrix[u][n - 1]]
        if not into_output:
            return self.projections[str(n - 1)](x)
        out = torch.cat(into_output, dim=1) if len(into_output) > 1 else into_output[0]
        if self.matrix[0][n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """Stem conv3x3-bn-relu, `stacks` stacks of `cells_per_stack` cells with 2x2 max-pool and channel
    doubling between stacks, global average pool, linear classifier."""

    def __init__(self, cell: Cell, stem_channels: int, stacks: int, cells_per_stack: int, num_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU(3, stem_channels, 3)]
        in_channels = out_channels = stem_channels
        for stack in range(stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                out_channels *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(cell, in_channels, out_channels))
                in_channels = out_channels
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))

    def chain(self) -> list[nn.Module]:
        """The network as the chain of blocks it runs in a row (stem, cells, max-pools), for a proxy that reads
        one block at a time (AZ-NAS reads NB201's `cells` so)."""
        return list(self.features)


def _longest_path(cell: Cell) -> int:
    n = cell.num_nodes
    depth = [0] * n
    for j in range(1, n):
        depth[j] = max((depth[i] + 1 for i in range(j) if cell.matrix[i][j]), default=0)
    return depth[-1]


class NB101Space(SearchSpace):
    name = "nb101"
    description = (
        "NAS-Bench-101: cells of up to 7 nodes and 9 edges (conv3x3, conv1x1, maxpool3x3) in a 3-stack "
        "CIFAR-10 network; 423,624 unique cells"
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=32, default_input="cifar10")
    size = 423_624  # unique graphs in NAS-Bench-101 (Ying et al. 2019); not enumerated here
    benchmark = "nb101-500"

    def benchmark_key(self, arch: Cell) -> str:
        return graph_hash(arch)  # isomorphic cells are the same network

    def parse(self, text: str) -> Cell:
        body = check_text(text, "NB101 architecture")
        if not (body.startswith("(") and body.endswith(")")) and not (body.startswith("[") and body.endswith("]")):
            raise ValueError(f"NB101 encoding must be a tuple of integers in parentheses, got {quote(text, 40)}")
        items = [item.strip() for item in body[1:-1].split(",") if item.strip()]
        for item in items:
            if not re.fullmatch(r"-?\d{1,9}", item):
                raise ValueError(f"NB101 encoding has a non-integer item (or one of more than 9 digits): "
                                 f"{quote(item)}")
        values = [int(item) for item in items]
        sizes = {n * n + n: n for n in range(2, MAX_NODES + 1)}
        if len(values) not in sizes:
            raise ValueError(f"NB101 encoding has {len(values)} numbers; expected n*n + n for n in 2..{MAX_NODES}")
        n = sizes[len(values)]
        matrix = [values[i * n : (i + 1) * n] for i in range(n)]
        ops = []
        for k, index in enumerate(values[n * n :]):
            if index not in OP_NAMES:
                raise ValueError(f"NB101 op index {index} at node {k} is not one of {sorted(OP_NAMES)}")
            ops.append(OP_NAMES[index])
        cell = make_cell(matrix, ops)
        if not is_valid(cell):
            raise ValueError("NB101 cell is invalid: no input -> output path or more than 9 edges after pruning")
        return cell

    def format(self, arch: Cell) -> str:
        flat = [v for row in arch.matrix for v in row] + [OP_INDEX[op] for op in arch.ops]
        return "(" + ", ".join(str(v) for v in flat) + ")"

    def build(
        self,
        arch: Cell,
        stem_channels: int = 128,
        stacks: int = 3,
        cells_per_stack: int = 3,
        num_classes: int = 10,
    ) -> nn.Module:
        for option, value in (("stem_channels", stem_channels), ("stacks", stacks),
                              ("cells_per_stack", cells_per_stack), ("num_classes", num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"NB101 build option {option} must be a positive integer, got {value!r}")
        pruned = prune(arch)
        if pruned is None:
            raise ValueError("NB101 cell has no path from input to output")
        return NB101Network(pruned, stem_channels, stacks, cells_per_stack, num_classes)

    def sample(self, n: int, seed: int = 0) -> list[Cell]:
        """Random 7-node cells (each upper-triangular edge with probability 1/2, uniform ops), kept when valid
        and not isomorphic to one already drawn."""
        rng = random.Random(seed)
        found: dict[str, Cell] = {}
        while len(found) < n:
            matrix = [[int(j > i and rng.random() < 0.5) for j in range(MAX_NODES)] for i in range(MAX_NODES)]
            ops = [INPUT] + [rng.choice(INTERIOR_OPS) for _ in range(MAX_NODES - 2)] + [OUTPUT]
            cell = make_cell(matrix, ops)
            if is_valid(cell):
                found.setdefault(graph_hash(cell), cell)
        return list(found.values())

    def largest(self) -> Cell:
        """A chain of five 3x3 convolutions, each at the cell's full width (only the last feeds the output, so no
        width is split), plus the three more input edges the 9-edge limit allows (each a 1x1 projection)."""
        matrix = [[int(j == i + 1 or (i == 0 and 2 <= j <= 4)) for j in range(MAX_NODES)] for i in range(MAX_NODES)]
        return make_cell(matrix, [INPUT] + [CONV3X3] * (MAX_NODES - 2) + [OUTPUT])

    def example(self, seed: int = 0) -> Cell:
        """The first sampled cell that keeps at least two operations after pruning: a single random draw is
        often a cell that prunes to the lone input -> output edge, which shows nothing of NB101."""
        cells = self.sample(8, seed)
        return next((c for c in cells if prune(c).num_nodes >= 4), cells[0])

    def mutate(self, arch: Cell, rng: random.Random) -> Cell:
        """Flip one edge or change one interior op; retried until valid and not isomorphic to `arch`."""
        n = arch.num_nodes
        original = graph_hash(arch)
        edge_slots = [(i, j) for i in range(n) for j in range(i + 1, n)]
        moves = [("edge", slot) for slot in edge_slots] + [
            ("op", (k, op)) for k in range(1, n - 1) for op in INTERIOR_OPS if op != arch.ops[k]
        ]
        rng.shuffle(moves)
        for kind, move in moves:
            matrix = [list(row) for row in arch.matrix]
            ops = list(arch.ops)
            if kind == "edge":
                i, j = move
                matrix[i][j] = 1 - matrix[i][j]
            else:
                k, op = move
                ops[k] = op
            candidate = make_cell(matrix, ops)
            if is_valid(candidate) and graph_hash(candidate) != original:
                return candidate
        raise ValueError(f"NB101 cell {self.format(arch)} has no valid one-step neighbour")

    def properties(self, arch: Cell) -> dict[str, float | int | str]:
        pruned = prune(arch)
        if pruned is None:
            raise ValueError("NB101 cell has no path from input to output")
        interior = pruned.ops[1:-1]
        return {
            "nodes": pruned.num_nodes,
            "edges": len(pruned.edges()),
            "conv3x3": interior.count(CONV3X3),
            "conv1x1": interior.count(CONV1X1),
            "maxpool3x3": interior.count(MAXPOOL3X3),
            "depth": _longest_path(pruned),
            "input_to_output": pruned.matrix[0][-1],
        }

    def graph(self, arch: Cell) -> list[tuple[str, str, str]]:
        """Pruned cell as edges between node names, labelled with the op of the node they enter; edges into
        the output are "concat", or "add" for the projected input -> output shortcut."""
        pruned = prune(arch)
        if pruned is None:
            raise ValueError("NB101 cell has no path from input to output")
        n = pruned.num_nodes
        names = ["input"] + [f"{k}" for k in range(1, n - 1)] + ["output"]

        def label(i: int, j: int) -> str:
            if j < n - 1:
                return pruned.ops[j]
            return "add" if i == 0 else "concat"

        return [(names[i], names[j], label(i, j)) for i, j in pruned.edges()]


register(NB101Space())
