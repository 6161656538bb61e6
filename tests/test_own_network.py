"""Your own network (issue 33, part 4): `models.load` and `score --model`, each bad input refused in words with
nothing written, and a score placed among an atlas's networks."""
import json
import math
import re
import sys
import textwrap

import pandas as pd
import pytest
import torch

from swap_engine import data, models, swap_score
from swap_engine.cli import main
from swap_engine.spaces.own_network import NetworkError
from swap_engine.studies import placement

NET = textwrap.dedent("""
    from torch import nn

    def make_net(width=8):
        return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                             nn.Conv2d(width, width, 3, stride=2), nn.ReLU(), nn.Flatten())

    def not_a_module():
        return [1, 2]

    def no_activation():
        return nn.Conv2d(3, 4, 3)

    def needs_depth(depth):
        return make_net()

    SIZE = 3
""")


@pytest.fixture()
def net_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET)
    return path


def _score(capsys, *extra):
    assert main(["score", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_file_factory_counts_as_swap_score(capsys, net_file):
    row = _score(capsys, "--model", f"{net_file}:make_net", "--input", "gaussian",
                 "--batch-size", "8")
    namespace: dict = {}
    exec(NET, namespace)
    torch.manual_seed(0)
    assert row["score"] == swap_score(namespace["make_net"](), data.inputs("gaussian", 8)).score
    # a network below its bound (N = 2*4*4 + 2*1*1 < 2^8): the count depends on the weights, not only the cap
    row = _score(capsys, "--model", f"{net_file}:make_net", "--model-option", "width=2", "--input", "gaussian",
                 "--batch-size", "8", "--resolution", "4")
    torch.manual_seed(0)
    expected = swap_score(namespace["make_net"](width=2), data.inputs("gaussian", 8, resolution=4))
    assert row["neurons"] == 34 and row["score"] < row["bound"] and row["score"] == expected.score


def test_module_factory(tmp_path, monkeypatch):
    package = tmp_path / "mynets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "small.py").write_text(NET)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        model = models.load("mynets.small:make_net", {"width": 4}, inputs=data.inputs("gaussian", 4))
    finally:
        sys.modules.pop("mynets.small", None)
        sys.modules.pop("mynets", None)
    assert model[0].out_channels == 4


def test_torchvision_random_weights(monkeypatch):
    from torchvision import models as zoo

    asked = []
    real = zoo.get_model
    monkeypatch.setattr(zoo, "get_model", lambda name, **options: asked.append(options) or real(name, **options))
    model = models.load("torchvision:resnet18", {"num_classes": 10}, inputs=data.inputs("gaussian", 2, resolution=32))
    assert asked and all(options == {"weights": None, "num_classes": 10} for options in asked)  # meta, then real
    assert model.fc.out_features == 10
    with pytest.raises(NetworkError, match="trained weights"):
        models.load("torchvision:resnet18", {"weights": "DEFAULT"})


def test_memory_guard_refuses_before_building(monkeypatch, net_file):
    monkeypatch.setenv(models.MEMORY_ENV, "1MB")
    refusal = f"{re.escape(str(net_file))}:make_net would need about [0-9.]+ MB .* the limit is 1.0 MB"
    with pytest.raises(models.ResourceError, match=refusal):
        models.load(f"{net_file}:make_net", {"width": 512})


def test_timm_unknown_name_lists_close_ones():
    with pytest.raises(NetworkError, match="closest: resnet18"):
        models.load("timm:resnet_18")


@pytest.mark.parametrize("spec, options, said", [
    ("{dir}/missing.py:make_net", [], "no file"),
    ("{dir}/broken.py:make_net", [], "importing .* raised ZeroDivisionError: division by zero \\(line 2\\)"),
    ("{dir}/net.py:make_nett", [], "has no factory 'make_nett'; it defines make_net"),
    ("{dir}/net.py:SIZE", [], "is int 3, not a function"),
    ("{dir}/net.py:not_a_module", [], "returned list .* not a torch.nn.Module"),
    ("{dir}/net.py:make_net", ["widht=2"], "does not take option 'widht'; it takes \\(width=8\\)"),
    ("{dir}/net.py:needs_depth", [], "needs depth"),
    ("{dir}/net.py:make_net", ["width=wide"], "make_net\\(width='wide'\\) in .* raised TypeError"),
    ("{dir}/net.py:no_activation", [], "no activation module for SWAP to hook"),
    ("{dir}/net.py:make_net", ["--input", "text"], "does not take inputs of shape \\(8, 128\\)"),
    ("no_such_package_xyz.nets:make_net", [], "no Python module 'no_such_package_xyz'"),
    ("make_net", [], "a network is named as one of"),
])
def test_bad_input_is_words_exit_2_and_nothing_written(capsys, tmp_path, net_file, spec, options, said):
    (tmp_path / "broken.py").write_text("import torch\nvalue = 1 / 0\n")
    flags = [o for o in options if "=" not in o]
    model_options = [x for o in options if "=" in o for x in ("--model-option", o)]
    out = tmp_path / "out.csv"
    code = main(["score", "--model", spec.format(dir=tmp_path), *model_options, "--batch-size", "8", "--json",
                 "--csv", str(out), *(flags or ["--input", "gaussian"])])
    printed = capsys.readouterr()
    assert code == 2 and not printed.out and not out.exists() and not list(tmp_path.glob("out.csv*"))
    assert printed.err.startswith("error: ") and "Traceback" not in printed.err
    assert re.search(said, printed.err), printed.err


def _table(scores, accuracy):
    frame = pd.DataFrame({"arch": [f"net{i}" for i in range(len(scores))], "swap_b8": scores,
                          "imagenet_top1_acc_pct": accuracy})
    frame.attrs = {"atlas": "timm-in1k", "cells": len(scores) + 2, "targets": ["imagenet_top1_acc_pct"]}
    return frame


def test_placement_on_a_partial_table():
    frame = _table([10, 20, 30, 40, 50, 60, 70, math.nan], [60, 62, 64, None, 70, 72, 74, 80])
    found = placement.place(40.0, "swap_b8", frame, k=3)
    assert found.percentile == pytest.approx(100 * 3.5 / 7) and found.rows == 7 and found.cells == 10
    assert list(found.nearest["arch"]) == ["net2", "net4", "net1"]  # net3 (40) has no accuracy
    assert "7 of its 10 so far" in found.words()[0] and "65.3% on average" in found.words()[1]
    with pytest.raises(placement.PlacementError, match="not a finite number"):
        placement.place(math.inf, "swap_b8", frame)


def test_against_reads_the_atlas_or_says_why_not(capsys, monkeypatch, net_file):
    from swap_engine import atlas

    spec = ["score", "--model", f"{net_file}:make_net", "--input", "gaussian", "--batch-size", "8", "--json",
            "--against", "timm-in1k"]
    monkeypatch.setattr(atlas, "with_truth", lambda name, **kw: (_ for _ in ()).throw(FileNotFoundError(name)))
    assert main(spec) == 2 and "no timm-in1k atlas on this machine yet" in capsys.readouterr().err
    monkeypatch.setattr(atlas, "with_truth", lambda name, **kw: _table([1.0], [50.0]).rename(
        columns={"swap_b8": "swap_b16"}))
    assert main(spec) == 2 and "has no column swap_b8 (SWAP (B = 8)); it has swap_b16" in capsys.readouterr().err
    monkeypatch.setattr(atlas, "with_truth", lambda name, **kw: _table([100.0, 300.0], [50.0, 70.0]))
    assert main(spec) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["against"]["percentile"] == 50.0 and row["against"]["nearest"][0]["arch"] == "net1"
    assert "gaussian at 32x32" in row["against"]["note"]
