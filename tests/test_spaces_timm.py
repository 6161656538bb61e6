"""The timm space: names (with the closest ones for a typo), random-weight builds that never download, the
resolution option, the memory guard per model, the CLI and the app's pages. Tiny models (timm's own test_*
networks, resnet10t) at 32x32, so the file runs in seconds on a CPU."""
from __future__ import annotations

import json
import os
import random
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from swap_engine import models, spaces, swap_score
from swap_engine.cli import main
from swap_engine.spaces import timm as timm_space
from swap_engine.swap.capture import FUNCTIONAL_ATTRIBUTE

timm = pytest.importorskip("timm")
SPACE = spaces.get("timm")
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Any attempt to fetch weights fails the test: this space builds random weights only."""
    import timm.models._builder as builder

    def refuse(*args, **kwargs):
        raise AssertionError("a timm model tried to load pretrained weights")

    monkeypatch.setattr(builder, "load_pretrained", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_registered_for_the_cli_and_the_app():
    assert "timm" in spaces.names()
    assert SPACE.benchmark == "timm-in1k" and SPACE.size is None
    assert SPACE.largest() is None  # every model is sized on its own
    assert SPACE.input_spec.kind == "image" and SPACE.input_spec.resolution == timm_space.RESOLUTION
    catalogue = json.loads((ROOT / "ui" / "catalogue.json").read_text())
    assert catalogue["spaces"]["timm"]["benchmark"] == "timm-in1k"


def test_names_and_tags():
    assert set(timm_space.names()) == set(timm.list_models())
    for name in ("resnet10t", "test_vit", "test_efficientnet", "vit_base_patch16_224"):
        assert SPACE.format(SPACE.parse(name)) == name
    assert SPACE.parse("  resnet50.a1_in1k ") == "resnet50"  # the weight tag names weights never loaded


def test_unknown_name_gets_the_closest_ones():
    with pytest.raises(ValueError, match=r"unknown timm model 'resnt18'.*closest: resnet18") as err:
        SPACE.parse("resnt18")
    assert "timm.list_models" in str(err.value)
    with pytest.raises(ValueError, match="closest: .*convnext_"):
        SPACE.parse("convnext")  # a bare family prefix
    with pytest.raises(ValueError, match="expected text"):
        SPACE.parse(18)


@pytest.mark.parametrize("name", ["resnet10t", "test_vit", "test_efficientnet"])
def test_random_weights_at_a_small_resolution(name):
    torch.manual_seed(0)
    model = SPACE.build(SPACE.parse(name), img_size=32, num_classes=10)
    assert getattr(model, FUNCTIONAL_ATTRIBUTE) is True
    model.train()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 10)


def test_img_size_builds_a_vit_for_its_input_and_a_mismatch_is_said():
    vit = SPACE.build("test_vit", img_size=32)
    assert tuple(vit.patch_embed.img_size) == (32, 32)
    assert SPACE.build("test_vit", img_size=48).pos_embed.shape != vit.pos_embed.shape
    big = SPACE.build("vit_tiny_patch16_224", img_size=32)
    with pytest.raises(ValueError, match=r"doesn't match model \(32\)"):
        swap_score(big, torch.randn(2, 3, 64, 64), device="cpu")
    # A CNN has no input size to set and runs at any size.
    assert SPACE.build("resnet10t", img_size=32)(torch.randn(1, 3, 48, 48)).shape == (1, 1000)


def test_options_are_checked_in_words():
    with pytest.raises(ValueError, match="img_size must be a positive whole number"):
        SPACE.build("resnet10t", img_size=0)
    with pytest.raises(ValueError, match=r"timm has no model option 'C'.*img_size \(default 64\)"):
        models.check_options(SPACE, {"C": 8})
    with pytest.raises(ValueError, match="img_size must be a whole number"):
        models.check_options(SPACE, {"img_size": "big"})


def test_memory_guard_sizes_each_model(monkeypatch):
    monkeypatch.setenv(models.MEMORY_ENV, "4MB")
    with pytest.raises(models.ResourceError, match=r"5,435,488 parameters.*SWAP_MEMORY_LIMIT"):
        models.build(SPACE, "resnet10t")
    small = models.build(SPACE, "test_vit", {"img_size": 32}, inputs=torch.randn(2, 3, 32, 32))
    assert sum(p.numel() for p in small.parameters()) < 1_000_000


def test_each_model_has_its_own_scoring_pass_sized(monkeypatch):
    measured = []
    real = models._pass_bytes
    monkeypatch.setattr(models, "_pass_bytes", lambda model, inputs: measured.append(1) or real(model, inputs))
    monkeypatch.setattr(models, "_PASSES", OrderedDict())  # nothing sized by an earlier test
    batch = torch.empty(4, 3, 32, 32)
    vit = models.estimate(SPACE, "test_vit", {"img_size": 32}, batch)
    cnn = models.estimate(SPACE, "resnet10t", {"img_size": 32}, batch)
    assert vit.params != cnn.params and vit.pass_bytes != cnn.pass_bytes
    assert len(measured) == 2  # one meta forward per model, not one for the whole space
    # Swin V2 fills small buffers from tensors made on its (meta) weights' device: still sized
    assert models.estimate(SPACE, "swinv2_tiny_window8_256", {"img_size": 64}).params > 20_000_000


def test_same_seed_same_model_and_score():
    batch = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    first = models.score_cell(SPACE, "test_efficientnet", batch, options={"img_size": 32}, seed=3, device="cpu")
    again = models.score_cell(SPACE, "test_efficientnet", batch, options={"img_size": 32}, seed=3, device="cpu")
    assert first.score == again.score and 0 < first.score <= first.bound


def test_sample_mutate_properties():
    first = SPACE.sample(5, seed=2)
    assert first == SPACE.sample(5, seed=2) and len(set(first)) == 5
    assert all(name in timm_space.names() for name in first)
    child = SPACE.mutate("resnet18", random.Random(0))
    assert child != "resnet18" and timm_space.family(child) == "resnet"
    assert SPACE.properties("vit_base_patch16_224") == {"family": "vision_transformer"}
    assert SPACE.example() == "resnet18"


def test_cli_scores_a_timm_model(capsys):
    assert main(["score", "--space", "timm", "--arch", "test_vit", "--input", "gaussian", "--batch-size", "4",
                 "--resolution", "32", "--model-option", "img_size=32", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["arch"] == "test_vit" and 0 < row["score"] <= row["bound"] == 81  # GELU: ternary, 3^4
    assert main(["score", "--space", "timm", "--arch", "resnt18", "--input", "gaussian"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown timm model") and "resnet18" in err and "Traceback" not in err


@pytest.mark.skipif(not (DATA / "timm" / "results-imagenet.csv").is_file(), reason="timm-in1k file not found")
@pytest.mark.parametrize("page", ["patterns", "correlation", "compare"])
def test_app_pages_take_the_timm_space(page, monkeypatch):
    from tests.app_helpers import assert_clean, open_app

    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    # seed 83 draws two small architectures of timm-in1k (mobilenetv3_small_100, test_efficientnet_gn)
    at = open_app(page, space="timm", input="gaussian", resolution="native", build_options="", batch_size=4,
                  n_archs=2, seed=83, **{"arch::timm": "test_vit"})
    assert_clean(at)
    if page == "correlation":
        at.button[0].click().run(timeout=120)
        assert_clean(at)


def test_what_does_not_score_at_64_is_listed_with_its_reason():
    failing = {**timm_space.NO_FORWARD_AT_64, **timm_space.SWAP_REFUSES}
    assert len(timm_space.NO_FORWARD_AT_64) == 22 and len(timm_space.SWAP_REFUSES) == 7 and len(failing) == 29
    assert all(SPACE.parse(name) == name and why for name, why in failing.items())
    with pytest.raises(ValueError, match="Kernel size can't be greater"):  # sized on the meta device: no storage
        models.estimate(SPACE, "inception_v3", {"img_size": 64}, torch.empty(2, 3, 64, 64))
    with pytest.raises(ValueError, match="not the batch size"):
        swap_score(SPACE.build("mobilevit_xxs", img_size=64), torch.randn(2, 3, 64, 64), device="cpu")
