"""NAS-Bench-201: a 4-node cell with one of 5 operations on each of its 6 edges (15,625 architectures).

An architecture is a tuple of 6 operation names in the order of the NB201 string
`|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`, i.e. edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.
The network is the benchmark's `TinyNetwork`, built to match xautodl's module for module, because SWAP counts
exactly the neurons behind its ReLU modules.
"""
from __future__ import annotations

import ast
import random
from functools import lru_cache
from typing import Iterator

import torch
from torch import nn

from swap_engine import spaces
from swap_engine.spaces._ops import ReLUConvBN, Zero
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.words import check_text, quote

Arch = tuple[str, str, str, str, str, str]

# Operation order of the benchmark's generator (xautodl's NAS_BENCH_201 list); it fixes the index order.
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# (from_node, to_node) of each arch position, in NB201 string order.
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_NODES = 4
SIZE = len(OPS) ** len(EDGES)
# NASLib's op-index tuples: ops in this order, edges (i, j) of nodes 1..4 = NB201 edge (i-1 -> j-1), listed as
# (1,2), (1,3), (1,4), (2,3), (2,4), (3,4); so NASLib position p is NB201 arch position _NASLIB_TO_NB201[p].
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
_NASLIB_TO_NB201 = (0, 1, 3, 2, 4, 5)
# NB201 shuffled its generated list with Python's `random.seed(88); random.shuffle(archs)`; that fixes each index.
_SHUFFLE_SEED = 88
_PROPERTY_NAMES = {
    "none": "n_none",
    "skip_connect": "n_skip",
    "nor_conv_1x1": "n_conv1x1",
    "nor_conv_3x3": "n_conv3x3",
    "avg_pool_3x3": "n_avgpool",
}


@lru_cache(maxsize=1)
def _index_tables() -> tuple[list[int], list[int]]:
    """(benchmark index -> generation ordinal, ordinal -> benchmark index)."""
    ordinal_of_index = list(range(SIZE))
    random.Random(_SHUFFLE_SEED).shuffle(ordinal_of_index)
    index_of_ordinal = [0] * SIZE
    for index, ordinal in enumerate(ordinal_of_index):
        index_of_ordinal[ordinal] = index
    return ordinal_of_index, index_of_ordinal


def _ordinal(arch: Arch) -> int:
    """Position in the generator's order: the first edge varies slowest, ops in `OPS` order."""
    value = 0
    for op in arch:
        value = value * len(OPS) + OPS.index(op)
    return value


def _check(arch: object) -> Arch:
    if not isinstance(arch, tuple) or len(arch) != len(EDGES):
        raise ValueError(f"nb201 architecture must be a tuple of {len(EDGES)} op names, got {quote(arch)}")
    for position, op in enumerate(arch):
        if op not in OPS:
            src, dst = EDGES[position]
            raise ValueError(f"nb201: unknown op {quote(op)} on edge {src}->{dst}; known: {', '.join(OPS)}")
    return arch  # type: ignore[return-value]


def _parse_nb201_string(text: str) -> Arch:
    nodes = text.split("+")
    if len(nodes) != N_NODES - 1:
        raise ValueError(f"nb201 string needs {N_NODES - 1} '+'-separated nodes, got {len(nodes)}: {quote(text)}")
    ops: dict[tuple[int, int], str] = {}
    for dst, node in enumerate(nodes, start=1):
        if len(node) < 2 or not (node.startswith("|") and node.endswith("|")):
            raise ValueError(f"nb201: node {dst} {quote(node)} must look like '|op~input|...|'")
        tokens = node[1:-1].split("|")
        if len(tokens) != dst:
            raise ValueError(f"nb201: node {dst} {quote(node)} needs {dst} inputs (nodes 0..{dst - 1}), "
                             f"got {len(tokens)}")
        for token in tokens:
            op, sep, source = token.partition("~")
            if not sep or not source.isdigit():
                raise ValueError(f"nb201: node {dst} entry {quote(token)} must be 'op~input_node'")
            src = int(source)
            if src >= dst:
                raise ValueError(f"nb201: node {dst} entry {quote(token)}: input node {src} is not before node {dst}")
            if (src, dst) in ops:
                raise ValueError(f"nb201: node {dst} lists input node {src} twice")
            if op not in OPS:
                raise ValueError(f"nb201: unknown op {quote(op)} in node {dst}; known: {', '.join(OPS)}")
            ops[(src, dst)] = op
    return tuple(ops[edge] for edge in EDGES)  # type: ignore[return-value]


def _parse_naslib(text: str) -> Arch:
    try:
        indices = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # literal_eval's ways to fail
        raise ValueError(f"nb201: NASLib op-index tuple {quote(text)} is not a list of integers") from None
    if not isinstance(indices, (tuple, list)) or len(indices) != len(EDGES):
        raise ValueError(f"nb201: NASLib op-index tuple {quote(text)} needs {len(EDGES)} integers")
    ops = [""] * len(EDGES)
    for position, index in enumerate(indices):
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(NASLIB_OPS):
            raise ValueError(
                f"nb201: NASLib op index {quote(index)} at position {position} is not in 0..{len(NASLIB_OPS) - 1}"
            )
        ops[_NASLIB_TO_NB201[position]] = NASLIB_OPS[index]
    return tuple(ops)  # type: ignore[return-value]


def canonical(arch: Arch) -> str:
    """The benchmark's `UniqueString`: equal for cells that compute the same function up to isomorphism.

    Each node is written as the sorted '+'-join of its inputs' terms: a `none` edge, or any edge leaving a node
    whose term is exactly `#`, gives `#` (zero); a skip edge passes its source's term through; any other op
    wraps it as `(term)@op`. A sum like `#+#` is not simplified further, exactly as in the benchmark's column.
    """
    terms = ["0"]
    for dst in range(1, N_NODES):
        parts = []
        for position, (src, to) in enumerate(EDGES):
            if to == dst:
                op = arch[position]
                if op == "none" or terms[src] == "#":
                    parts.append("#")
                elif op == "skip_connect":
                    parts.append(terms[src])
                else:
                    parts.append(f"({terms[src]})@{op}")
        terms.append("+".join(sorted(parts)))
    return terms[-1]


def _connected(arch: Arch) -> bool:
    """Whether any path of non-`none` edges joins the input to the output (otherwise the cell outputs zeros)."""
    reached = {0}
    for (src, dst), op in zip(EDGES, arch):
        if op != "none" and src in reached:
            reached.add(dst)
    return N_NODES - 1 in reached


def ignores_input(arch: Arch) -> bool:
    """True when every path from the cell's input to its output passes a `none` edge: the cell outputs zeros
    whatever it reads, so the network answers every image alike (the benchmark trained such cells to chance)."""
    return not _connected(_check(arch))


def every_op_used(arch: Arch) -> bool:
    """True when every operation of the cell (every edge that is not `none`) lies on a path of such edges from
    the cell's input to its output: none of its work is thrown away. 9,445 of the 15,625 cells (the all-`none`
    cell included, having no operation to waste): exactly the cells of GRAF's `nb201_valid_nets.csv`, on which
    VKDNW's paper (CVPR 2025) reads its NB201 Table 1 (`docs/results.md`)."""
    live = [(src, dst) for (src, dst), op in zip(EDGES, _check(arch)) if op != "none"]
    reached = {0}
    for src, dst in live:  # EDGES run in order of their target node
        if src in reached:
            reached.add(dst)
    leads_out = {N_NODES - 1}
    for src, dst in reversed(live):
        if dst in leads_out:
            leads_out.add(src)
    return all(src in reached and dst in leads_out for src, dst in live)


def same_network(a: Arch, b: Arch) -> bool:
    """True for two cells that compute one function in two forms (parallel paths swapped, or a change on an edge
    whose result never reaches the output): the benchmark's `UniqueString` of both is the same."""
    return canonical(_check(a)) == canonical(_check(b))


class Cell(nn.Module):
    """One NB201 cell: node j is the sum of every edge i->j's op applied to node i; the last node is the output."""

    def __init__(self, arch: Arch, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(_make_op(op, channels) for op in arch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for dst in range(1, N_NODES):
            nodes.append(sum(op(nodes[src]) for op, (src, to) in zip(self.edges, EDGES) if to == dst))
        return nodes[-1]


def _make_op(op: str, channels: int) -> nn.Module:
    if op == "none":
        return Zero()
    if op == "skip_connect":
        return nn.Identity()
    if op == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, stride=1, padding=0)
    if op == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, stride=1, padding=1)
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


class ResidualReduction(nn.Module):
    """The ResNet basic block between stages: two ReLU-conv3x3-BN (the first with stride 2) plus a shortcut of
    2x2 average pooling and a 1x1 conv (no BN)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2, padding=1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1, padding=1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    """NB201's macro skeleton: stem conv3x3+BN, three stages of N cells with residual reductions between
    (channels C, 2C, 4C), BN+ReLU, global average pooling, linear classifier. `forward` returns logits."""

    def __init__(self, arch: Arch, C: int = 16, N: int = 5, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells: list[nn.Module] = []
        channels = C
        for stage in range(3):
            if stage:
                cells.append(ResidualReduction(channels, channels * 2))
                channels *= 2
            cells.extend(Cell(arch, channels) for _ in range(N))
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.classifier(torch.flatten(self.global_pooling(self.lastact(x)), 1))


class NB201Space(SearchSpace):
    name = "nb201"
    description = (
        "NAS-Bench-201: 15,625 cells (5 ops on 6 edges of a 4-node cell) in a 3-stage TinyNetwork; "
        "ground truth on CIFAR-10/100 and ImageNet16-120."
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=32, default_input="cifar10")
    size = SIZE
    benchmark = "nb201"
    edge_ops = OPS
    cell_edges = EDGES

    def parse(self, text: str) -> Arch:
        """An NB201 string `|op~0|+|op~0|op~1|+|...|`, NASLib's op-index tuple such as `(4, 0, 3, 1, 4, 3)`, or
        the benchmark index `0`..`15624` (digits only)."""
        text = check_text(text, "nb201 architecture")
        if text.startswith("|"):
            return _parse_nb201_string(text)
        if text.startswith(("(", "[")):
            return _parse_naslib(text)
        if text.isdigit():
            if len(text) > len(str(SIZE)):  # int() of thousands of digits is itself an error
                raise ValueError(f"nb201 index {quote(text)} out of range 0..{SIZE - 1}")
            return self.from_index(int(text))
        raise ValueError(f"nb201: {quote(text)} is neither an NB201 string '|op~0|+...', a NASLib tuple '(4, 0, ...)' "
                         f"nor a benchmark index 0..{SIZE - 1}")

    def format(self, arch: Arch) -> str:
        arch = _check(arch)
        nodes = []
        for dst in range(1, N_NODES):
            entries = [f"{arch[k]}~{src}" for k, (src, to) in enumerate(EDGES) if to == dst]
            nodes.append("|" + "|".join(entries) + "|")
        return "+".join(nodes)

    def benchmark_key(self, arch: Arch) -> int:
        return self.index(arch)

    def index(self, arch: Arch) -> int:
        """The architecture's row in the benchmark (NB201 arch index)."""
        return _index_tables()[1][_ordinal(_check(arch))]

    def from_index(self, index: int) -> Arch:
        if not isinstance(index, int) or not 0 <= index < SIZE:
            raise ValueError(f"nb201 index {quote(index)} out of range 0..{SIZE - 1}")
        ordinal = _index_tables()[0][index]
        ops = []
        for _ in EDGES:
            ordinal, op = divmod(ordinal, len(OPS))
            ops.append(OPS[op])
        return tuple(reversed(ops))  # type: ignore[return-value]

    def canonical(self, arch: Arch) -> str:
        return canonical(_check(arch))

    def naslib_indices(self, arch: Arch) -> tuple[int, ...]:
        """NASLib's op-index tuple of an architecture (the `arch` field of NASLib's NB201 result files)."""
        arch = _check(arch)
        return tuple(NASLIB_OPS.index(arch[_NASLIB_TO_NB201[p]]) for p in range(len(EDGES)))

    def sample(self, n: int, seed: int = 0) -> list[Arch]:
        if not 0 <= n <= SIZE:
            raise ValueError(f"nb201: cannot sample {n} distinct architectures out of {SIZE}")
        return [self.from_index(i) for i in random.Random(seed).sample(range(SIZE), n)]

    def all(self) -> Iterator[Arch]:
        return (self.from_index(i) for i in range(SIZE))

    def build(self, arch: Arch, C: int = 16, N: int = 5, num_classes: int = 10) -> nn.Module:
        for option, value in (("C", C), ("N", N), ("num_classes", num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"nb201 build option {option}={value!r} must be a positive integer")
        return TinyNetwork(_check(arch), C=C, N=N, num_classes=num_classes)

    def largest(self) -> Arch:
        """Every edge a 3x3 convolution: the most weights and the most activations of any cell."""
        return ("nor_conv_3x3",) * len(EDGES)  # type: ignore[return-value]

    def mutate(self, arch: Arch, rng: random.Random) -> Arch:
        arch = _check(arch)
        position = rng.randrange(len(EDGES))
        new_op = rng.choice([op for op in OPS if op != arch[position]])
        return arch[:position] + (new_op,) + arch[position + 1 :]  # type: ignore[return-value]

    def properties(self, arch: Arch) -> dict[str, float | int | str]:
        arch = _check(arch)
        facts: dict[str, float | int | str] = {key: arch.count(op) for op, key in _PROPERTY_NAMES.items()}
        facts["connected"] = int(_connected(arch))
        facts["canonical"] = canonical(arch)
        return facts

    def graph(self, arch: Arch) -> list[tuple[str, str, str]]:
        arch = _check(arch)
        return [(str(src), str(dst), op) for (src, dst), op in zip(EDGES, arch)]


spaces.register(NB201Space())

__all__ = ["EDGES", "NASLIB_OPS", "OPS", "NB201Space", "TinyNetwork", "canonical", "every_op_used", "ignores_input",
           "same_network"]
