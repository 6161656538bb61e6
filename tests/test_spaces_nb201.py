"""NAS-Bench-201 space: benchmark order, canonical strings, parsing, and a TinyNetwork equal to xautodl's."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
import torch

from swap_engine import spaces
from tests.golden.measure import relu_call_shapes

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", REPO.parent / "shared" / "data"))
NATS_CSV = DATA / "nb201" / "nats_bench.csv"
# Golden values measured on xautodl 1.0.0's TinyNetwork; see tests/golden/make_nb201_golden.py for how.
GOLDEN = json.loads((REPO / "tests" / "golden" / "nb201_xautodl.json").read_text())["archs"]


@pytest.fixture(scope="module")
def space():
    return spaces.get("nb201")


@pytest.fixture(scope="module")
def table():
    if not NATS_CSV.exists():
        pytest.skip(f"NB201 table not found at {NATS_CSV} (set SWAP_DATA to the shared data folder)")
    import pandas as pd

    return pd.read_csv(NATS_CSV)


def test_registered(space):
    assert "nb201" in spaces.names()
    assert space.size == 15625 and space.benchmark == "nb201"
    assert space.input_spec.kind == "image" and space.input_spec.resolution == 32


def test_index_order_matches_benchmark_rows(space, table):
    assert [space.format(arch) for arch in space.all()] == table["ArchitectureString"].tolist()


def test_canonical_matches_unique_string_column(space, table):
    mine = [space.canonical(space.parse(text)) for text in table["ArchitectureString"]]
    assert mine == table["UniqueString"].tolist()
    assert len(set(mine)) == 6466  # the number of unique cells NAS-Bench-201 reports


def test_every_arch_round_trips_through_string_index_and_naslib_tuple(space):
    seen = set()
    for index, arch in enumerate(space.all()):
        text = space.format(arch)
        assert space.parse(text) == arch
        assert space.index(arch) == index
        assert space.parse(str(space.naslib_indices(arch))) == arch
        seen.add(text)
    assert len(seen) == 15625


def test_first_rows_and_known_indices(space):
    # Indices asserted by NAS-Bench-201's own generator script (AutoDL-Projects exps/NAS-Bench-201/main.py).
    assert space.format(space.from_index(0)) == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    )
    assert space.format(space.from_index(9)) == (
        "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    )
    assert space.format(space.from_index(123)) == (
        "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    )


def test_naslib_op_index_tuple(space):
    # NASLib: ops (skip, none, conv3x3, conv1x1, avgpool) on edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) of nodes 1..4.
    arch = space.parse("(4, 0, 3, 1, 4, 3)")
    assert space.format(arch) == (
        "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|"
    )
    assert space.naslib_indices(arch) == (4, 0, 3, 1, 4, 3)
    assert space.parse("[4, 0, 3, 1, 4, 3]") == arch


def test_inputs_may_be_listed_in_any_order(space):
    text = "|nor_conv_3x3~0|+|none~1|nor_conv_3x3~0|+|skip_connect~2|avg_pool_3x3~0|nor_conv_1x1~1|"
    assert space.format(space.parse(text)) == (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    )


def test_sample_is_distinct_and_reproducible(space):
    first = space.sample(200, seed=3)
    assert len(set(first)) == 200
    assert space.sample(200, seed=3) == first
    assert space.sample(200, seed=4) != first
    assert len(space.sample(15625, seed=0)) == 15625
    with pytest.raises(ValueError, match="15626"):
        space.sample(15626)


def test_mutate_changes_exactly_one_edge(space):
    rng = random.Random(0)
    for arch in space.sample(300, seed=1):
        child = space.mutate(arch, rng)
        assert sum(a != b for a, b in zip(arch, child)) == 1
        assert space.format(space.parse(space.format(child))) == space.format(child)


def test_properties_and_graph(space):
    arch = space.parse(GOLDEN["mixed"]["arch"])
    facts = space.properties(arch)
    counts = [facts[key] for key in ("n_none", "n_skip", "n_conv1x1", "n_conv3x3", "n_avgpool")]
    assert counts == [1, 1, 1, 2, 1]
    assert facts["connected"] == 1
    assert space.properties(space.parse(GOLDEN["all_none"]["arch"]))["connected"] == 0
    assert space.graph(arch) == [
        ("0", "1", "none"),
        ("0", "2", "nor_conv_1x1"),
        ("1", "2", "nor_conv_3x3"),
        ("0", "3", "skip_connect"),
        ("1", "3", "avg_pool_3x3"),
        ("2", "3", "nor_conv_3x3"),
    ]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_tiny_network_matches_xautodl(space, name):
    golden = GOLDEN[name]
    torch.manual_seed(0)
    net = space.build(space.parse(golden["arch"]))
    assert sum(p.numel() for p in net.parameters()) == golden["params"]
    relu_modules, shapes = relu_call_shapes(net)
    assert relu_modules == golden["relu_modules"]
    assert shapes == golden["relu_output_shapes"]
    # Same construction order as xautodl, so the same seed gives the same weights and the same logits.
    torch.manual_seed(1)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        logits = net.train()(x)
    torch.testing.assert_close(logits, torch.tensor(golden["logits_seed0"]), atol=1e-4, rtol=1e-4)


def test_build_options_and_forward(space):
    arch = space.from_index(1)
    net = space.build(arch, C=8, N=1, num_classes=100)
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 100)
    with pytest.raises(ValueError, match="N=0"):
        space.build(arch, N=0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "3 '+'-separated nodes"),
        ("|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|", "'conv_9x9'"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "input node 2 is not before node 2"),
        ("|none~0|+|none~0|none~0|+|none~0|none~1|none~2|", "input node 0 twice"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "'none0'"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "neither"),
        ("(4, 0, 3, 1, 4)", "6 integers"),
        ("(4, 0, 3, 1, 4, 5)", "op index 5 at position 5"),
        ("(4, 0, 3, 1, 4, __import__('os'))", "not a list of integers"),
        ("", "neither"),
    ],
)
def test_bad_input_names_the_part(space, text, fragment):
    with pytest.raises(ValueError, match=None) as info:
        space.parse(text)
    assert fragment in str(info.value)


def test_bad_arch_values(space):
    with pytest.raises(ValueError, match="index 15625"):
        space.from_index(15625)
    with pytest.raises(ValueError, match="'conv'"):
        space.format(("conv",) * 6)
    with pytest.raises(ValueError, match="tuple of 6"):
        space.build(["none"] * 6)


def test_swap_score_on_small_batch(space):
    import swap_engine

    swap_score = getattr(swap_engine, "swap_score", None)
    if swap_score is None:
        pytest.skip("swap_engine.swap_score is not available yet")
    net = space.build(space.from_index(1), C=8, N=1)
    result = swap_score(net, torch.randn(8, 3, 32, 32))
    assert 0 < result.score <= result.bound


def test_every_op_used_keeps_the_9445_cells_of_vkdnws_table():
    from swap_engine.spaces import nb201 as module

    space = spaces.get("nb201")
    kept = [i for i in range(space.size) if module.every_op_used(space.from_index(i))]
    assert len(kept) == 9445  # GRAF's nb201_valid_nets.csv, the cells VKDNW's paper reads
    assert module.every_op_used(("none",) * 6)  # no operation, none wasted
    wasted = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")  # node 1 leads nowhere
    assert not module.every_op_used(wasted)
    assert module.every_op_used(space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"))
