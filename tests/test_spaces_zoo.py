"""Torchvision zoo space: the list, its published accuracies, exclusions, and a few real builds."""
from __future__ import annotations

import random

import pytest
import torch
from torchvision import models

from swap_engine import spaces
from swap_engine.spaces.zoo import EXCLUDED, MODELS, family, published_accuracy
from swap_engine.swap.capture import FUNCTIONAL_ATTRIBUTE

SPACE = spaces.get("zoo")


def test_list_covers_every_torchvision_classifier_once() -> None:
    listed = list(SPACE.all())
    assert listed == list(MODELS) and len(set(listed)) == SPACE.size == len(listed)
    assert set(listed).isdisjoint(EXCLUDED)
    assert set(listed) | set(EXCLUDED) == set(models.list_models(module=models))
    assert all(reason for reason in EXCLUDED.values())


def test_published_accuracy_from_weight_metadata() -> None:
    # values printed in torchvision's model documentation tables
    assert published_accuracy("resnet18") == {
        "imagenet_top1_acc_pct": 69.758,
        "imagenet_top5_acc_pct": 89.078,
        "weights": "ResNet18_Weights.IMAGENET1K_V1",
        "params": 11_689_512,
    }
    assert published_accuracy("resnet50")["weights"] == "ResNet50_Weights.IMAGENET1K_V2"
    for name in MODELS:
        acc = published_accuracy(name)
        assert 50 < acc["imagenet_top1_acc_pct"] < acc["imagenet_top5_acc_pct"] < 100
    with pytest.raises(ValueError, match="vit_b_16"):
        published_accuracy("vit_b_16")


def test_parse_format_and_bad_names() -> None:
    for name in MODELS:
        assert SPACE.format(SPACE.parse(name)) == name
    with pytest.raises(ValueError, match="left out.*224x224"):
        SPACE.parse("vit_b_16")
    with pytest.raises(ValueError, match="unknown zoo model 'resnet19'"):
        SPACE.parse("resnet19")


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "squeezenet1_1", "googlenet", "swin_t"])
def test_build_and_forward_at_64(name: str) -> None:
    model = SPACE.build(SPACE.parse(name), num_classes=10)
    assert getattr(model, FUNCTIONAL_ATTRIBUTE) is True  # swap_score also counts F.relu & co. for zoo models
    model.train()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 64))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 10)


def test_param_count_matches_metadata() -> None:
    # golden value: torchvision's published num_params for resnet18's weights (1000 classes)
    assert sum(p.numel() for p in SPACE.build("resnet18").parameters()) == 11_689_512
    assert SPACE.properties("resnet18") == {"family": "resnet", "params": 11_689_512}


def test_families() -> None:
    assert family("resnext50_32x4d") == "resnext"
    assert family("wide_resnet50_2") == "wide_resnet"
    assert family("efficientnet_v2_s") == "efficientnet_v2"
    assert family("regnet_y_400mf") == "regnet_y"


def test_sample_distinct_reproducible() -> None:
    first = SPACE.sample(10, seed=2)
    assert first == SPACE.sample(10, seed=2) and len(set(first)) == 10
    assert first != SPACE.sample(10, seed=3)
    with pytest.raises(ValueError):
        SPACE.sample(SPACE.size + 1)


def test_mutate_stays_in_family_when_it_can() -> None:
    rng = random.Random(0)
    assert SPACE.mutate("resnet18", rng) == "resnet34"  # the only neighbour by size
    for name in MODELS:
        child = SPACE.mutate(name, rng)
        assert child != name and child in MODELS
        if sum(family(m) == family(name) for m in MODELS) > 1:
            assert family(child) == family(name)


def test_swap_score_small_batch() -> None:
    from swap_engine import swap_score
    result = swap_score(SPACE.build("mobilenet_v3_small"), torch.randn(4, 3, 64, 64))
    assert result.score > 0
