"""NAS-Bench-101 space: encoding round trip, pruning, isomorphism hash, parameter counts, sampling."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
import torch

from swap_engine import spaces
from swap_engine.spaces.nb101 import (
    CONV1X1,
    CONV3X3,
    INPUT,
    MAXPOOL3X3,
    OUTPUT,
    Cell,
    compute_vertex_channels,
    graph_hash,
    is_valid,
    make_cell,
    prune,
)

DATA = Path(os.environ.get("SWAP_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
SUITE_ZERO = DATA / "suite_zero" / "zc_nasbench101.json"

SPACE = spaces.get("nb101")

# The ResNet-like cell of the NB101 paper/README: input -> conv3x3 -> conv3x3 -> output plus input -> output.
RESNET_LIKE = make_cell(
    [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
    [INPUT, CONV3X3, CONV3X3, OUTPUT],
)
# The Inception-like cell of the NB101 README (trainable_parameters 2,694,282 printed there for the full network).
INCEPTION_LIKE = make_cell(
    [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    [INPUT, CONV1X1, CONV3X3, CONV3X3, CONV3X3, MAXPOOL3X3, OUTPUT],
)


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def permuted(cell: Cell, order: list[int]) -> Cell:
    """`cell` with interior node `order[k]` moved to position k + 1 (the matrix may stop being upper-triangular,
    so only orders consistent with the edges are used)."""
    full = [0, *order, cell.num_nodes - 1]
    matrix = [[cell.matrix[full[i]][full[j]] for j in range(cell.num_nodes)] for i in range(cell.num_nodes)]
    return make_cell(matrix, [cell.ops[k] for k in full])


def suite_zero() -> dict:
    if not SUITE_ZERO.exists():
        pytest.skip(f"{SUITE_ZERO} absent (set SWAP_DATA to the shared data folder)")
    return json.loads(SUITE_ZERO.read_text())["nasbench101"]["cifar10"]


def test_registered_with_benchmark_and_size() -> None:
    assert SPACE.name == "nb101" and SPACE.benchmark == "nb101-500"
    assert SPACE.size == 423_624
    with pytest.raises(TypeError):
        SPACE.all()


def test_all_500_suite_zero_keys_round_trip() -> None:
    for key in suite_zero():
        assert SPACE.format(SPACE.parse(key)) == key


def test_param_counts_match_suite_zero_for_a_sample() -> None:
    """The JSON's `params` (millions, 6 decimals) comes from NASLib's PyTorch NB101 network; checking it also
    checks the op-index mapping (2 maxpool, 3 conv1x1, 4 conv3x3): a wrong mapping changes the count."""
    records = suite_zero()
    keys = random.Random(0).sample(sorted(records), 25)
    for key in keys:
        model = SPACE.build(SPACE.parse(key))
        assert round(count(model) / 1e6, 6) == pytest.approx(records[key]["params"], abs=5e-7), key


def test_golden_param_counts() -> None:
    # Inception-like cell: 2,694,282 trainable parameters, the value NB101's README prints for this cell.
    assert count(SPACE.build(INCEPTION_LIKE)) == 2_694_282
    # A one-cell network with 16 channels, counted by hand from NB101's construction rules:
    tiny = SPACE.build(RESNET_LIKE, stem_channels=16, stacks=1, cells_per_stack=1, num_classes=10)
    # stem 432+32; cell: 1x1 proj to node1 (16*16+32), two 3x3 convs (2*(2304+32)), output proj (256+32); fc 170
    assert count(tiny) == (432 + 32) + (288) + 2 * (2304 + 32) + 288 + 170


@pytest.mark.parametrize(
    "matrix, c_in, c_out, expected",
    [  # cases from NB101's own model_builder tests (google-research/nasbench, nasbench/tests/model_builder_test.py)
        ([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], 8, 16, [8, 16, 16, 16]),
        ([[0, 1], [0, 0]], 5, 1, [5, 1]),
        ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], 8, 15, [8, 8, 7, 15]),
        ([[0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], 8, 8, [8, 3, 3, 2, 8]),
        ([[0, 1, 0, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], 8, 9, [8, 5, 5, 4, 9]),
        ([[0, 1, 0, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], 8, 15,
         [8, 8, 7, 7, 15]),
    ],
)
def test_vertex_channels_nb101_cases(matrix, c_in: int, c_out: int, expected: list[int]) -> None:
    assert compute_vertex_channels(c_in, c_out, matrix) == expected


def test_vertex_channels_split_like_nb101() -> None:
    # output fed by 4 nodes: 128 / 4 each; node 3 only feeds node 4 and takes its width
    assert compute_vertex_channels(64, 128, INCEPTION_LIKE.matrix) == [64, 32, 32, 32, 32, 32, 128]
    # three feeders: the remainder goes to the first ones, 128 = 43 + 43 + 42
    three = [[0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert compute_vertex_channels(64, 128, three) == [64, 43, 43, 42, 128]


def test_prune_drops_dangling_nodes() -> None:
    cell = make_cell(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],  # node 2 leads nowhere
        [INPUT, CONV3X3, MAXPOOL3X3, OUTPUT],
    )
    pruned = prune(cell)
    assert pruned.ops == (INPUT, CONV3X3, OUTPUT)
    assert count(SPACE.build(cell)) == count(SPACE.build(pruned))
    assert prune(make_cell([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [INPUT, CONV1X1, OUTPUT])) is None


def test_hash_matches_nb101() -> None:
    # NB101's graph hash of the Inception-like cell, the key google-research's own tests use for it
    assert graph_hash(INCEPTION_LIKE) == "28cfc7874f6d200472e1a9dcd8650aa0"


def test_hash_is_invariant_under_node_permutation() -> None:
    # INCEPTION_LIKE's nodes 1, 2, 5 are interchangeable in position (all input -> node -> output)
    swapped = permuted(INCEPTION_LIKE, [5, 2, 3, 4, 1])
    assert swapped != INCEPTION_LIKE
    assert graph_hash(swapped) == graph_hash(INCEPTION_LIKE)
    other_op = make_cell(INCEPTION_LIKE.matrix, [INPUT, CONV3X3, CONV3X3, CONV3X3, CONV3X3, MAXPOOL3X3, OUTPUT])
    assert graph_hash(other_op) != graph_hash(INCEPTION_LIKE)


def test_bad_input_names_the_part() -> None:
    with pytest.raises(ValueError, match="op index 7"):
        SPACE.parse("(0, 1, 0, 0, 0, 7)")
    with pytest.raises(ValueError, match="numbers"):
        SPACE.parse("(0, 1, 0)")
    with pytest.raises(ValueError, match="non-integer"):
        SPACE.parse("(0, x, 0, 0, 0, 1)")
    with pytest.raises(ValueError, match="invalid"):
        SPACE.parse("(0, 0, 0, 0, 0, 1)")  # input not connected to output
    with pytest.raises(ValueError, match="entry"):
        make_cell([[0, 1], [1, 0]], [INPUT, OUTPUT])
    with pytest.raises(ValueError, match="stacks"):
        SPACE.build(RESNET_LIKE, stacks=0)


def test_sample_distinct_reproducible_and_valid() -> None:
    first = SPACE.sample(20, seed=3)
    assert first == SPACE.sample(20, seed=3)
    assert first != SPACE.sample(20, seed=4)
    assert len({graph_hash(cell) for cell in first}) == 20
    assert all(is_valid(cell) and cell.num_nodes == 7 for cell in first)


def test_mutate_gives_a_valid_different_neighbour() -> None:
    rng = random.Random(0)
    for cell in SPACE.sample(10, seed=1):
        child = SPACE.mutate(cell, rng)
        assert is_valid(child) and graph_hash(child) != graph_hash(cell)
        edge_changes = sum(a != b for ra, rb in zip(cell.matrix, child.matrix) for a, b in zip(ra, rb))
        op_changes = sum(a != b for a, b in zip(cell.ops, child.ops))
        assert edge_changes + op_changes == 1


def test_properties_and_graph() -> None:
    props = SPACE.properties(INCEPTION_LIKE)
    assert props == {"nodes": 7, "edges": 9, "conv3x3": 3, "conv1x1": 1, "maxpool3x3": 1, "depth": 3,
                     "input_to_output": 0}
    edges = SPACE.graph(RESNET_LIKE)
    assert sorted(edges) == [("1", "2", CONV3X3), ("2", "output", "concat"), ("input", "1", CONV3X3),
                             ("input", "output", "add")]


def test_forward_every_op_small_network() -> None:
    model = SPACE.build(INCEPTION_LIKE, stem_channels=16, stacks=2, cells_per_stack=1)
    out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_input_to_output_only_cell() -> None:
    """55 of the 500 Suite-Zero cells prune to this: each cell is just a 1x1 projection of its input."""
    cell = SPACE.parse("(0, 1, 0, 0, 0, 1)")
    assert SPACE.graph(cell) == [("input", "output", "add")]
    model = SPACE.build(cell, stem_channels=8, stacks=2, cells_per_stack=1)
    # stem 3*8*9 + 16; cell 1: 8*8 + 16; cell 2: 8*16 + 32; classifier 16*10 + 10
    assert count(model) == 232 + 80 + 160 + 170
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_swap_score_small_batch() -> None:
    from swap_engine import swap_score
    model = SPACE.build(RESNET_LIKE, stem_channels=16, stacks=2, cells_per_stack=1)
    result = swap_score(model, torch.randn(8, 3, 32, 32))
    assert result.score > 0
