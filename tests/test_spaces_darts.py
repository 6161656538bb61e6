"""DARTS space: Genotype and NASLib compact parsing, validation, sampling, and networks with reference sizes."""
from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import pytest
import torch
from torch import nn

from swap_engine import spaces
from swap_engine.spaces.darts import Genotype

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", REPO.parent / "shared" / "data"))
DARTS_CSV = DATA / "darts" / "DARTS_archs_CIFAR10.csv"
NB301_JSON = DATA / "suite_zero" / "zc_nasbench301.json"

# DARTS-V2 from quark0/darts cnn/genotypes.py (the genotype named DARTS there).
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
# Row 1 of DARTS_archs_CIFAR10.csv (normal == reduce, like every row of that file).
CSV_ROW_1 = (
    "Genotype(normal=[('none', 0), ('dil_conv_5x5', 0), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), "
    "('dil_conv_5x5', 2), ('sep_conv_5x5', 3), ('skip_connect', 4)], normal_concat=[2, 3, 4, 5], reduce=[('none', 0), "
    "('dil_conv_5x5', 0), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('dil_conv_5x5', 2), "
    "('sep_conv_5x5', 3), ('skip_connect', 4)], reduce_concat=[2, 3, 4, 5])"
)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def space():
    return spaces.get("darts")


@pytest.fixture(scope="module")
def csv_rows():
    if not DARTS_CSV.exists():
        pytest.skip(f"DARTS benchmark not found at {DARTS_CSV} (set SWAP_DATA to the shared data folder)")
    with DARTS_CSV.open(newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def nb301():
    if not NB301_JSON.exists():
        pytest.skip(f"NB301 Suite-Zero file not found at {NB301_JSON} (set SWAP_DATA to the shared data folder)")
    return json.loads(NB301_JSON.read_text())["nasbench301"]["cifar10"]


def test_registered(space):
    assert "darts" in spaces.names()
    assert space.size is None and space.benchmark == "darts-1k"
    with pytest.raises(TypeError):
        space.all()


def test_every_csv_genotype_parses_and_round_trips(space, csv_rows):
    assert len(csv_rows) == 1000
    for text, _accuracy in csv_rows:
        assert space.format(space.parse(text)) == text


def test_range_concat_is_accepted(space):
    arch = space.parse(DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)"))
    assert space.format(arch) == DARTS_V2


def test_nb301_compact_encodings_parse(space, nb301):
    assert len(nb301) == 500
    for key in nb301:
        arch = space.parse(key)
        assert space.compact(arch) == key
        assert space.parse(space.format(arch)) == arch


def test_compact_op_order_is_naslibs(space):
    # NASLib convert_compact_to_genotype: OPS = [max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3,
    # sep_conv_5x5, dil_conv_3x3, dil_conv_5x5]; pairs are (input, op_index).
    arch = space.parse(
        "[[(0, 0), (1, 1), (0, 2), (1, 3), (2, 4), (0, 5), (3, 6), (4, 0)], "
        "[(0, 6), (1, 5), (0, 4), (2, 3), (1, 2), (3, 1), (0, 0), (4, 2)]]"
    )
    assert arch.normal[:4] == (("max_pool_3x3", 0), ("avg_pool_3x3", 1), ("skip_connect", 0), ("sep_conv_3x3", 1))
    assert arch.normal[4:] == (("sep_conv_5x5", 2), ("dil_conv_3x3", 0), ("dil_conv_5x5", 3), ("max_pool_3x3", 4))
    assert arch.reduce[0] == ("dil_conv_5x5", 0) and arch.normal_concat == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="'none'"):
        space.compact(space.parse(CSV_ROW_1))


def test_full_network_matches_darts_reference_size(space):
    # 3,349,342 parameters: "param size = 3.349342MB" printed by DARTS' train.py for DARTS-V2 at C=36, layers=20
    # (auxiliary parameters excluded by its count_parameters_in_MB); the paper reports 3.3M.
    with torch.device("meta"):
        net = space.build(space.parse(DARTS_V2), variant="full", C=36, layers=20)
    assert n_params(net) == 3_349_342


def test_full_network_matches_nb301_param_column(space, nb301):
    # NAS-Bench-301 trained DARTS networks with C=32, layers=8. NASLib's `params` column counts them with the
    # BatchNorms inside the cell operations non-affine; every other parameter is the same as ours.
    for key, row in list(nb301.items())[:20]:
        with torch.device("meta"):
            net = space.build(space.parse(key), variant="full", C=32, layers=8)
        op_bn = sum(
            n_params(m) for cell in net.cells for op in cell.ops for m in op.modules() if isinstance(m, nn.BatchNorm2d)
        )
        assert n_params(net) - op_bn == round(row["params"] * 1e6), key


def test_swap_proxy_size(space, csv_rows):
    # Worked out by hand from the SWAP authors' networks.py/operations.py for CSV row 1 (reduce cell, C=6):
    # two preprocess ReLU-conv1x1(3->6)-BN = 2*30; two dil_conv_5x5 = 2*(150+36+12); two sep_conv_5x5 =
    # 2*2*(150+36+12); two sep_conv_3x3 = 2*2*(54+36+12); none and skip = 0; classifier Linear(24, 10) = 250.
    assert n_params(space.build(space.parse(CSV_ROW_1))) == 60 + 396 + 792 + 408 + 250 == 1906
    sizes = [n_params(space.build(space.parse(text))) for text, _ in csv_rows[:100]]
    assert 300 < sum(sizes) / len(sizes) < 2500  # "about 1.2K parameters"


def test_swap_proxy_structure_and_forward(space):
    net = space.build(space.parse(DARTS_V2))
    assert len(net.cell.ops) == 8
    for preprocess in (net.cell.preprocess0, net.cell.preprocess1):
        assert (preprocess[1].in_channels, preprocess[1].out_channels) == (3, 6)
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 24)  # pooled features, 6 channels x 4 nodes
        assert net(torch.randn(2, 3, 15, 15)).shape == (2, 24)  # odd sizes work (padded FactorizedReduce)


def test_full_network_forward(space):
    net = space.build(space.parse(DARTS_V2), variant="full", C=8, layers=5, num_classes=100)
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 100)


def test_sample_is_distinct_valid_and_reproducible(space):
    first = space.sample(100, seed=5)
    assert len(set(first)) == 100
    assert space.sample(100, seed=5) == first
    assert space.sample(100, seed=6) != first
    for arch in first:
        assert space.parse(space.format(arch)) == arch
        for cell in (arch.normal, arch.reduce):
            assert all(source < 2 + position // 2 for position, (_, source) in enumerate(cell))


def test_mutate_changes_one_op_or_one_input(space):
    rng = random.Random(0)
    for arch in space.sample(200, seed=2):
        child = space.mutate(arch, rng)
        diffs = [
            (a, b)
            for cell in ("normal", "reduce")
            for a, b in zip(getattr(arch, cell), getattr(child, cell))
            if a != b
        ]
        assert len(diffs) == 1
        (op_a, in_a), (op_b, in_b) = diffs[0]
        assert (op_a != op_b) != (in_a != in_b)
        assert space.parse(space.format(child)) == child


def test_properties_and_graph(space):
    arch = space.parse(DARTS_V2)
    facts = space.properties(arch)
    assert facts["normal_n_sep_conv"] == 5 and facts["normal_n_skip"] == 2 and facts["normal_n_dil_conv"] == 1
    assert facts["reduce_n_pool"] == 5 and facts["reduce_n_param_free"] == 8 and facts["n_param_free"] == 10
    edges = space.graph(arch)
    assert len(edges) == 2 * (8 + 4)
    assert edges[0] == ("normal/c_{k-2}", "normal/2", "sep_conv_3x3")
    assert ("reduce/2", "reduce/3", "skip_connect") in edges and ("reduce/5", "reduce/out", "concat") in edges


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (DARTS_V2.replace("'dil_conv_3x3'", "'conv_9x9'"), "unknown op 'conv_9x9'"),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), "node 5: input node 5 is not an earlier node"),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 7)"), "no cycles"),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', -1)"), "darts normal: expected an integer"),
        (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 4, 6]"), "normal_concat names node 6"),
        (DARTS_V2.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[2, 3, 4]"), "reduce cell: node 5 is dangling"),
        (DARTS_V2.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[2, 2, 3, 4, 5]"), "twice"),
        (DARTS_V2.replace(", ('dil_conv_3x3', 2)]", "]"), "normal cell needs two"),
        (DARTS_V2[:-1], "malformed"),
        (DARTS_V2.replace("Genotype(", "__import__('os').system("), "neither"),
        (DARTS_V2.replace("normal=", "normol="), "unknown Genotype field 'normol'"),
        (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=__import__('os')"), "normal_concat"),
        (DARTS_V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3', 0.5)", 1), "expected an integer"),
        ("[[(0, 7)] * 8, [(0, 1)] * 8]", "not a nested list of integers"),
        (str([[(0, 0), (1, 1)], [(0, 1)] * 8]), "compact normal cell needs 8"),
        (str([[(0, 7)] * 8, [(0, 1)] * 8]), "op index 7"),
        (str([[(0, 1)] * 7 + [(6, 1)], [(0, 1)] * 8]), "input node 6 is not an earlier node"),
        ("resnet18", "neither"),
    ],
)
def test_bad_input_names_the_part(space, text, fragment):
    with pytest.raises(ValueError) as info:
        space.parse(text)
    assert fragment in str(info.value)


def test_bad_build_options(space):
    arch = space.parse(DARTS_V2)
    with pytest.raises(ValueError, match="variant 'tiny'"):
        space.build(arch, variant="tiny")
    with pytest.raises(ValueError, match="layers=0"):
        space.build(arch, variant="full", layers=0)
    with pytest.raises(ValueError, match="must be a Genotype"):
        space.build(DARTS_V2)


def test_genotype_is_hashable_value(space):
    arch = space.parse(DARTS_V2)
    assert isinstance(arch, Genotype) and hash(arch) == hash(space.parse(DARTS_V2))


def test_swap_score_on_small_batch(space):
    import swap_engine

    swap_score = getattr(swap_engine, "swap_score", None)
    if swap_score is None:
        pytest.skip("swap_engine.swap_score is not available yet")
    net = space.build(space.parse(DARTS_V2))
    result = swap_score(net, torch.randn(16, 3, 32, 32))
    assert 0 < result.score <= result.bound


def test_a_narrow_channels_last_map_reduces_to_the_same_bits_and_its_backward_runs():
    """torch 2.14's CPU convolution backward aborts the process on a 1x1 stride-2 convolution of a channels-last
    map of under 8 channels; the proxy network reads the image batch (channels-last) through such a reduction.
    Run in a child process, so that a regression fails this test instead of killing the test run."""
    import subprocess
    import sys

    script = """
import torch
from swap_engine.spaces._ops import FactorizedReduce
torch.manual_seed(0)
reduce = FactorizedReduce(6, 6)
x = torch.randn(32, 6, 32, 32).contiguous(memory_format=torch.channels_last)
with torch.no_grad():
    plain = reduce.bn(torch.cat([reduce.conv_a(x.relu()),
                                 reduce.conv_b(torch.nn.functional.pad(x.relu(), (0, 1, 0, 1))[:, :, 1:, 1:])], 1))
    out = reduce(x)
assert torch.equal(out, plain) and out.is_contiguous(memory_format=torch.channels_last)
reduce(x.requires_grad_(True)).square().sum().backward()
assert reduce.conv_b.weight.grad is not None
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
