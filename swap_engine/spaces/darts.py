"""DARTS cells: a normal and a reduction cell, each with 4 intermediate nodes that sum two (op, input) pairs.

Architectures are `Genotype` values, written exactly like DARTS' own
`Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])`
and parsed with `ast` (never `eval`). Node 0 and 1 are the cell's two inputs (outputs of the two previous cells),
node k >= 2 is intermediate step k - 2, and the cell outputs the channel-concatenation of the `*_concat` nodes.

Two networks: `variant="swap-proxy"` is the tiny net the SWAP authors score (DARTS `Network(C=3, layers=1)`: no
stem, one reduction cell reading the raw image twice, pooled features out); `variant="full"` is DARTS' CIFAR
evaluation network `NetworkCIFAR` without the auxiliary head and without drop-path.
"""
from __future__ import annotations

import ast
import random
from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch import nn

from swap_engine import spaces
from swap_engine.spaces._ops import FactorizedReduce, ReLUConvBN, Zero
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.words import check_text, quote

# DARTS' PRIMITIVES, in its order.
OPS = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
# NASLib's compact NB301 encoding `[[(input, op), ...8], [...8]]` (normal, reduce) indexes this list (no `none`),
# see NASLib naslib/search_spaces/nasbench301/conversions.py, convert_compact_to_genotype.
NASLIB_OPS = OPS[1:]
STEPS = 4
_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")
_CELLS = ("normal", "reduce")
_PARAM_FREE = frozenset({"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect"})
_OP_GROUPS = {
    "none": "none",
    "max_pool_3x3": "pool",
    "avg_pool_3x3": "pool",
    "skip_connect": "skip",
    "sep_conv_3x3": "sep_conv",
    "sep_conv_5x5": "sep_conv",
    "dil_conv_3x3": "dil_conv",
    "dil_conv_5x5": "dil_conv",
}

Pair = tuple[str, int]


class Genotype(NamedTuple):
    """A DARTS architecture; hashable. `normal`/`reduce`: (op, input node) pairs, two per intermediate node."""

    normal: tuple[Pair, ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[Pair, ...]
    reduce_concat: tuple[int, ...]


def validate(genotype: Genotype) -> Genotype:
    """Check ops, node indices (no reads of later nodes, i.e. no cycles), concat ranges and dangling nodes."""
    if not isinstance(genotype, Genotype):
        raise ValueError(f"darts architecture must be a Genotype, got {type(genotype).__name__}")
    for cell in _CELLS:
        pairs, concat = getattr(genotype, cell), getattr(genotype, f"{cell}_concat")
        if not pairs or len(pairs) % 2:
            raise ValueError(f"darts {cell} cell needs two (op, input) pairs per node, got {len(pairs)} pairs")
        steps = len(pairs) // 2
        used: set[int] = set()
        for position, pair in enumerate(pairs):
            node = 2 + position // 2
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValueError(f"darts {cell} cell, node {node}: {quote(pair)} is not an (op, input) pair")
            op, source = pair
            if op not in OPS:
                raise ValueError(f"darts {cell} cell, node {node}: unknown op {quote(op)}; known: {', '.join(OPS)}")
            if not isinstance(source, int) or isinstance(source, bool) or source < 0:
                raise ValueError(f"darts {cell} cell, node {node}: input {quote(source)} is not a node index >= 0")
            if source >= node:
                raise ValueError(
                    f"darts {cell} cell, node {node}: input node {source} is not an earlier node (0..{node - 1}); "
                    "a node may only read earlier nodes (no cycles)"
                )
            used.add(source)
        if not concat:
            raise ValueError(f"darts {cell}_concat is empty")
        for node in concat:
            if not isinstance(node, int) or isinstance(node, bool) or not 2 <= node < 2 + steps:
                raise ValueError(f"darts {cell}_concat names node {quote(node)}, "
                                 f"but the cell's nodes are 2..{1 + steps}")
        if len(set(concat)) != len(concat):
            raise ValueError(f"darts {cell}_concat {quote(list(concat))} lists a node twice")
        for node in range(2, 2 + steps):
            if node not in concat and node not in used:
                raise ValueError(f"darts {cell} cell: node {node} is dangling (neither concatenated nor read later)")
    return genotype


def _is_valid(genotype: Genotype) -> bool:
    try:
        validate(genotype)
    except ValueError:
        return False
    return True


# ---- parsing -------------------------------------------------------------------------------------------------


def _literal_int(node: ast.AST, where: str) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise ValueError(f"darts {where}: expected an integer, got {quote(ast.unparse(node))}")


def _cell_from_ast(node: ast.AST, cell: str) -> tuple[Pair, ...]:
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise ValueError(f"darts {cell}: expected a list of (op, input) pairs, got {quote(ast.unparse(node))}")
    pairs = []
    for item in node.elts:
        if not (
            isinstance(item, ast.Tuple)
            and len(item.elts) == 2
            and isinstance(item.elts[0], ast.Constant)
            and isinstance(item.elts[0].value, str)
        ):
            raise ValueError(f"darts {cell}: {quote(ast.unparse(item))} is not an ('op', input) pair")
        pairs.append((item.elts[0].value, _literal_int(item.elts[1], cell)))
    return tuple(pairs)


def _concat_from_ast(node: ast.AST, field: str) -> tuple[int, ...]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(_literal_int(item, field) for item in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and not node.keywords:
        bounds = [_literal_int(arg, field) for arg in node.args]
        if 1 <= len(bounds) <= 2 and len(range(*bounds)) <= 2 + STEPS:  # never more nodes than a cell has
            return tuple(range(*bounds))
    raise ValueError(f"darts {field}: expected a list of node indices or range(a, b) within 2..{1 + STEPS}, "
                     f"got {quote(ast.unparse(node))}")


def _parse_genotype_string(text: str) -> Genotype:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"darts: malformed Genotype string near column {err.offset}: {quote(text)}") from None
    except (MemoryError, RecursionError):  # nesting deeper than Python's parser goes
        raise ValueError(f"darts: the Genotype string nests too deeply: {quote(text)}") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise ValueError("darts: expected a single Genotype(...) expression")
    if len(call.args) > len(_FIELDS):
        raise ValueError(f"darts: Genotype takes {len(_FIELDS)} fields, got {len(call.args)} positional values")
    fields: dict[str, ast.AST] = dict(zip(_FIELDS, call.args))
    for keyword in call.keywords:
        if keyword.arg not in _FIELDS:
            raise ValueError(f"darts: unknown Genotype field {quote(keyword.arg)}; expected {', '.join(_FIELDS)}")
        if keyword.arg in fields:
            raise ValueError(f"darts: Genotype field {keyword.arg!r} given twice")
        fields[keyword.arg] = keyword.value
    missing = [name for name in _FIELDS if name not in fields]
    if missing:
        raise ValueError(f"darts: Genotype is missing {', '.join(missing)}")
    return Genotype(
        normal=_cell_from_ast(fields["normal"], "normal"),
        normal_concat=_concat_from_ast(fields["normal_concat"], "normal_concat"),
        reduce=_cell_from_ast(fields["reduce"], "reduce"),
        reduce_concat=_concat_from_ast(fields["reduce_concat"], "reduce_concat"),
    )


def _parse_compact(text: str) -> Genotype:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # literal_eval's ways to fail
        raise ValueError(f"darts: compact form {quote(text)} is not a nested list of integers") from None
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ValueError("darts: compact form needs two cells [[normal pairs], [reduce pairs]]")
    cells = []
    for cell, pairs in zip(_CELLS, value):
        if not (isinstance(pairs, (list, tuple)) and len(pairs) == 2 * STEPS):
            raise ValueError(f"darts: compact {cell} cell needs {2 * STEPS} (input, op) pairs")
        converted = []
        for pair in pairs:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(type(v) is int for v in pair)):
                raise ValueError(f"darts: compact {cell} cell entry {quote(pair)} is not an (input, op_index) pair")
            source, op_index = pair
            if not 0 <= op_index < len(NASLIB_OPS):
                raise ValueError(f"darts: compact {cell} cell op index {quote(op_index)} "
                                 f"is not in 0..{len(NASLIB_OPS) - 1}")
            converted.append((NASLIB_OPS[op_index], source))
        cells.append(tuple(converted))
    concat = tuple(range(2, 2 + STEPS))
    return Genotype(normal=cells[0], normal_concat=concat, reduce=cells[1], reduce_concat=concat)


# ---- networks ------------------------------------------------------------------------------------------------


def _relu_dw_pw_bn(c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int) -> list[nn.Module]:
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation, groups=c_in, bias=False),
        nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
        nn.BatchNorm2d(c_out, affine=True),
    ]


def _make_op(name: str, channels: int, stride: int) -> nn.Module:
    """DARTS' OPS[name](C, stride, affine=True)."""
    if name == "none":
        return Zero(stride)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    kernel = int(name[-1])
    if name.startswith("sep_conv"):  # two stacked depthwise-separable convs, only the first strided
        pad = kernel // 2
        return nn.Sequential(
            *_relu_dw_pw_bn(channels, channels, kernel, stride, pad, 1),
            *_relu_dw_pw_bn(channels, channels, kernel, 1, pad, 1),
        )
    return nn.Sequential(*_relu_dw_pw_bn(channels, channels, kernel, stride, kernel - 1, 2))  # dil_conv


class Cell(nn.Module):
    """One DARTS cell: preprocess both inputs to C channels, compute the steps, concatenate the chosen nodes."""

    def __init__(
        self,
        pairs: tuple[Pair, ...],
        concat: tuple[int, ...],
        c_prev_prev: int,
        c_prev: int,
        channels: int,
        reduction: bool,
        reduction_prev: bool,
    ) -> None:
        super().__init__()
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, channels)
        else:
            self.preprocess0 = ReLUConvBN(c_prev_prev, channels, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self.inputs = [source for _, source in pairs]
        self.concat = list(concat)
        self.ops = nn.ModuleList(
            _make_op(op, channels, 2 if reduction and source < 2 else 1) for op, source in pairs
        )
        self.out_channels = channels * len(concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for step in range(len(self.ops) // 2):
            a, b = 2 * step, 2 * step + 1
            states.append(self.ops[a](states[self.inputs[a]]) + self.ops[b](states[self.inputs[b]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


class SwapProxyNetwork(nn.Module):
    """The SWAP authors' DARTS proxy: DARTS `Network(C=3, num_classes, layers=1, genotype)` from their repository.

    No stem; a single reduction cell (genotype.reduce) whose two ReLU-conv1x1-BN preprocessors both read the raw
    3-channel image and widen it to 6 channels; `forward` returns the globally pooled features (the classifier
    exists, so it counts in the parameter total as in the reference, but is not applied).
    """

    def __init__(self, genotype: Genotype, num_classes: int = 10) -> None:
        super().__init__()
        channels = 3
        self.cell = Cell(genotype.reduce, genotype.reduce_concat, channels, channels, 2 * channels, True, False)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(self.cell.out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.global_pooling(self.cell(x, x)), 1)


class NetworkCIFAR(nn.Module):
    """DARTS' CIFAR evaluation network: stem conv3x3 (3C channels) + BN, `layers` cells with reduction cells at
    layers//3 and 2*layers//3 (channels double there), global pooling, linear classifier. Auxiliary head and
    drop-path are left out. `forward` returns logits."""

    def __init__(self, genotype: Genotype, C: int = 36, layers: int = 20, num_classes: int = 10) -> None:
        super().__init__()
        stem_channels = 3 * C
        self.stem = nn.Sequential(nn.Conv2d(3, stem_channels, 3, padding=1, bias=False), nn.BatchNorm2d(stem_channels))
        c_prev_prev, c_prev, channels = stem_channels, stem_channels, C
        cells = []
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                channels *= 2
            kind = "reduce" if reduction else "normal"
            pairs, concat = getattr(genotype, kind), getattr(genotype, f"{kind}_concat")
            cell = Cell(pairs, concat, c_prev_prev, c_prev, channels, reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.out_channels
        self.cells = nn.ModuleList(cells)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.global_pooling(s1), 1))


# ---- the space -----------------------------------------------------------------------------------------------


class DartsSpace(SearchSpace):
    name = "darts"
    description = (
        "DARTS cells (8 ops; normal + reduction cell, 4 nodes of two (op, input) pairs); scored through the SWAP "
        "authors' 1-cell proxy network or the full DARTS CIFAR network."
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=32, default_input="cifar10")
    size = None
    benchmark = "darts-1k"

    def parse(self, text: str) -> Genotype:
        """A `Genotype(...)` string (concat as a list or `range(2, 6)`), or NASLib's compact
        `[[(input, op_index), ...8], [...8]]` with op indices into `NASLIB_OPS`."""
        text = check_text(text, "darts architecture")
        if text.startswith("Genotype"):
            return validate(_parse_genotype_string(text))
        if text.startswith(("[", "(")):
            return validate(_parse_compact(text))
        raise ValueError(f"darts: {quote(text, 40)} is neither 'Genotype(...)' "
                         "nor a compact '[[(input, op), ...], ...]'")

    def format(self, arch: Genotype) -> str:
        validate(arch)
        return (
            f"Genotype(normal={list(arch.normal)}, normal_concat={list(arch.normal_concat)}, "
            f"reduce={list(arch.reduce)}, reduce_concat={list(arch.reduce_concat)})"
        )

    def compact(self, arch: Genotype) -> str:
        """NASLib's compact NB301 form (the keys of zc_nasbench301.json); `none` ops have no compact code."""
        validate(arch)
        cells = []
        for cell in _CELLS:
            pairs = getattr(arch, cell)
            if len(pairs) != 2 * STEPS or list(getattr(arch, f"{cell}_concat")) != list(range(2, 2 + STEPS)):
                raise ValueError(f"darts: the {cell} cell has no compact form (needs {STEPS} nodes, all concatenated)")
            for op, _ in pairs:
                if op not in NASLIB_OPS:
                    raise ValueError(f"darts: op {op!r} in the {cell} cell has no compact (NB301) code")
            cells.append("[" + ", ".join(f"({source}, {NASLIB_OPS.index(op)})" for op, source in pairs) + "]")
        return "[" + ", ".join(cells) + "]"

    def sample(self, n: int, seed: int = 0) -> list[Genotype]:
        """Random genotypes drawn like the SWAP benchmark's 1,000: each node takes two uniformly random ops, each
        on a uniformly random earlier node (the same node may be picked twice); normal and reduce independent."""
        if n < 0:
            raise ValueError(f"darts: cannot sample {n} architectures")
        rng = random.Random(seed)
        seen: dict[Genotype, None] = {}
        while len(seen) < n:
            seen.setdefault(self._random_genotype(rng))
        return list(seen)

    @staticmethod
    def _random_genotype(rng: random.Random) -> Genotype:
        cells = [
            tuple((rng.choice(OPS), rng.randrange(2 + position // 2)) for position in range(2 * STEPS))
            for _ in _CELLS
        ]
        concat = tuple(range(2, 2 + STEPS))
        return Genotype(normal=cells[0], normal_concat=concat, reduce=cells[1], reduce_concat=concat)

    def largest(self) -> Genotype:
        """Every op a 5x5 separable convolution (the most weights, and six tensors an op), every node in the
        output: the largest network of either variant."""
        pairs = tuple(("sep_conv_5x5", position % 2) for position in range(2 * STEPS))
        concat = tuple(range(2, 2 + STEPS))
        return Genotype(normal=pairs, normal_concat=concat, reduce=pairs, reduce_concat=concat)

    def build(
        self,
        arch: Genotype,
        variant: str = "swap-proxy",
        C: int = 36,
        layers: int = 20,
        num_classes: int = 10,
    ) -> nn.Module:
        """`variant="swap-proxy"` (default; `C`/`layers` do not apply) or `"full"` (DARTS NetworkCIFAR; the DARTS
        paper evaluates C=36, layers=20; NAS-Bench-301 trained C=32, layers=8)."""
        validate(arch)
        for option, value in (("C", C), ("layers", layers), ("num_classes", num_classes)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"darts build option {option}={quote(value)} must be a positive integer")
        if variant == "swap-proxy":
            return SwapProxyNetwork(arch, num_classes=num_classes)
        if variant == "full":
            return NetworkCIFAR(arch, C=C, layers=layers, num_classes=num_classes)
        raise ValueError(f"darts build variant {quote(variant)} unknown; use 'swap-proxy' or 'full'")

    def ignored_options(self, options: Mapping[str, Any]) -> str:
        unused = [name for name in ("C", "layers") if name in options]
        if options.get("variant", "swap-proxy") != "swap-proxy" or not unused:
            return ""
        return (f"darts: the variant 'swap-proxy' (the default) ignores {' and '.join(unused)}: it is the SWAP "
                "authors' fixed 1-cell network of 3 channels; add \"variant\": \"full\" to build DARTS' CIFAR "
                "network with them")

    def mutate(self, arch: Genotype, rng: random.Random) -> Genotype:
        """Change one op, or one input, of one pair in one cell (never leaving a node dangling)."""
        validate(arch)
        cell = rng.choice(_CELLS)
        pairs = getattr(arch, cell)
        position = rng.randrange(len(pairs))
        op, source = pairs[position]

        def with_pair(pair: Pair) -> Genotype:
            return arch._replace(**{cell: pairs[:position] + (pair,) + pairs[position + 1 :]})

        if rng.random() < 0.5:
            rewired = [with_pair((op, other)) for other in range(2 + position // 2) if other != source]
            rewired = [genotype for genotype in rewired if _is_valid(genotype)]
            if rewired:
                return rng.choice(rewired)
        return with_pair((rng.choice([other for other in OPS if other != op]), source))

    def properties(self, arch: Genotype) -> dict[str, float | int | str]:
        validate(arch)
        facts: dict[str, float | int | str] = {}
        for cell in _CELLS:
            ops = [op for op, _ in getattr(arch, cell)]
            for group in dict.fromkeys(_OP_GROUPS.values()):
                facts[f"{cell}_n_{group}"] = sum(_OP_GROUPS[op] == group for op in ops)
            facts[f"{cell}_n_param_free"] = sum(op in _PARAM_FREE for op in ops)
        facts["n_param_free"] = facts["normal_n_param_free"] + facts["reduce_n_param_free"]  # type: ignore[operator]
        return facts

    def graph(self, arch: Genotype) -> list[tuple[str, str, str]]:
        """Edges of both cells; nodes are named `normal/c_{k-2}`, `normal/c_{k-1}` (inputs), `normal/2`..,
        `normal/out` (and likewise `reduce/...`); concatenated nodes feed `out` by a `concat` edge."""
        validate(arch)
        edges = []
        for cell in _CELLS:
            names = {0: f"{cell}/c_{{k-2}}", 1: f"{cell}/c_{{k-1}}"}
            for position, (op, source) in enumerate(getattr(arch, cell)):
                edges.append((names.get(source, f"{cell}/{source}"), f"{cell}/{2 + position // 2}", op))
            edges.extend((f"{cell}/{node}", f"{cell}/out", "concat") for node in getattr(arch, f"{cell}_concat"))
        return edges


spaces.register(DartsSpace())

__all__ = ["NASLIB_OPS", "OPS", "DartsSpace", "Genotype", "NetworkCIFAR", "SwapProxyNetwork", "validate"]
