"""The torchvision model zoo: hand-designed ImageNet classifiers with published accuracy as ground truth.

Models are built with `weights=None` (random initialisation, nothing downloaded); the ground truth is the
ImageNet-1k top-1/top-5 that torchvision's weight metadata publishes for each model's DEFAULT weights, so it
works on a fresh offline machine. `MODELS` keeps those that score in reasonable time on a CPU at 64x64
input; `EXCLUDED` says why each other torchvision classifier is left out.
"""
from __future__ import annotations

import random

from torch import nn
from torchvision import models

from swap_engine.spaces import register
from swap_engine.spaces.base import InputSpec, SearchSpace

RESOLUTION = 64

# Every torchvision classifier that takes 64x64 inputs, has under 150 M parameters and ran a forward pass of
# 16 images at 64x64 (train mode, no grad, one CPU thread on a busy 2-core machine) in about 1 s or less:
# 0.02 s (mobilenet_v3_small) to 0.95 s (convnext_base); builds took 0.02-3 s (VGGs 2-3 s). Family, then size.
MODELS: tuple[str, ...] = (
    "alexnet", "convnext_tiny", "convnext_small", "convnext_base", "densenet121", "densenet169",
    "densenet201", "densenet161", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s",
    "efficientnet_v2_m", "efficientnet_v2_l", "googlenet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "regnet_x_400mf", "regnet_x_800mf",
    "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf", "regnet_y_400mf", "regnet_y_800mf",
    "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnet152", "resnext50_32x4d", "resnext101_64x4d", "resnext101_32x8d", "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_1", "squeezenet1_0", "vgg11",
    "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2",
    "wide_resnet101_2",
)

# Every other torchvision classifier, and why it is not in the space.
_TOO_SMALL_INPUT = "needs inputs larger than 64x64 (torchvision's min_size for its weights)"
_TOO_SLOW = "forward of 16 images at 64x64 over ~1 s on one CPU thread"
_TOO_BIG = "over 600 M parameters: gigabytes of memory and long builds on a CPU"
EXCLUDED: dict[str, str] = {
    "inception_v3": _TOO_SMALL_INPUT + " (75x75)",
    "maxvit_t": _TOO_SMALL_INPUT + " (224x224)",
    "swin_t": _TOO_SMALL_INPUT + " (224x224)",
    "swin_s": _TOO_SMALL_INPUT + " (224x224)",
    "swin_b": _TOO_SMALL_INPUT + " (224x224)",
    "swin_v2_t": _TOO_SMALL_INPUT + " (256x256)",
    "swin_v2_s": _TOO_SMALL_INPUT + " (256x256)",
    "swin_v2_b": _TOO_SMALL_INPUT + " (256x256)",
    "vit_b_16": _TOO_SMALL_INPUT + " (224x224, fixed patch grid)",
    "vit_b_32": _TOO_SMALL_INPUT + " (224x224, fixed patch grid)",
    "vit_l_16": _TOO_SMALL_INPUT + " (224x224, fixed patch grid)",
    "vit_l_32": _TOO_SMALL_INPUT + " (224x224, fixed patch grid)",
    "vit_h_14": _TOO_BIG + " (633 M)",
    "regnet_y_128gf": _TOO_BIG + " (645 M)",
    "convnext_large": "198 M parameters (34 GFLOPs at 224): slower than every model kept",
    "regnet_x_32gf": _TOO_SLOW + " (1.6 s)",
    "regnet_y_32gf": _TOO_SLOW + " (2.2 s)",
}

# Longest prefixes first, so "resnext" is not taken for "resnet" and "efficientnet_v2" not for "efficientnet".
_FAMILIES = (
    "wide_resnet", "resnext", "resnet", "efficientnet_v2", "efficientnet", "mobilenet_v2", "mobilenet_v3",
    "regnet_x", "regnet_y", "shufflenet_v2", "squeezenet", "mnasnet", "densenet", "convnext", "vgg",
    "alexnet", "googlenet",
)


def family(name: str) -> str:
    """The model family a torchvision name belongs to, e.g. "regnet_y" for "regnet_y_400mf"."""
    for prefix in _FAMILIES:
        if name.startswith(prefix):
            return prefix
    return name


def _weights(name: str) -> models.WeightsEnum:
    return models.get_model_weights(name).DEFAULT


def published_accuracy(name: str) -> dict[str, float | int | str]:
    """ImageNet-1k top-1/top-5 (%) of the model's DEFAULT torchvision weights, from the metadata only.

    `weights` names the recipe: some DEFAULTs are torchvision's newer V2 training recipe, which is worth
    several points of top-1 over the V1 recipe of other models (a property of the ground truth, not the net).
    """
    if name not in MODELS:
        raise ValueError(f"unknown zoo model {name!r}; see swap_engine.spaces.get('zoo').all()")
    weights = _weights(name)
    metrics = weights.meta["_metrics"]["ImageNet-1K"]
    return {
        "imagenet_top1_acc_pct": float(metrics["acc@1"]),
        "imagenet_top5_acc_pct": float(metrics["acc@5"]),
        "weights": f"{type(weights).__name__}.{weights.name}",
        "params": int(weights.meta["num_params"]),
    }


class ZooSpace(SearchSpace):
    name = "zoo"
    description = (
        f"{len(MODELS)} torchvision ImageNet classifiers (ResNet, EfficientNet, RegNet, MobileNet, ...), "
        "randomly initialised, with their published ImageNet-1k accuracy"
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=RESOLUTION, default_input="cifar10")
    size = len(MODELS)
    benchmark = "zoo"

    def parse(self, text: str) -> str:
        name = text.strip()
        if name not in MODELS:
            reason = EXCLUDED.get(name)
            if reason:
                raise ValueError(f"zoo model {name!r} is left out of the space: {reason}")
            raise ValueError(f"unknown zoo model {name!r}; known: {', '.join(MODELS)}")
        return name

    def format(self, arch: str) -> str:
        return self.parse(arch)

    def build(self, arch: str, num_classes: int = 1000) -> nn.Module:
        """Random-initialised torchvision model. GoogLeNet: without its auxiliary heads, so train mode returns
        a tensor, and with its own truncated-normal initialisation (torchvision's current default; ~2 s)."""
        name = self.parse(arch)
        options: dict[str, object] = {"weights": None, "num_classes": num_classes}
        if name == "googlenet":
            options.update(aux_logits=False, init_weights=True)
        return models.get_model(name, **options)

    def all(self):
        return iter(MODELS)

    def sample(self, n: int, seed: int = 0) -> list[str]:
        if not 0 <= n <= len(MODELS):
            raise ValueError(f"cannot sample {n} distinct zoo models from {len(MODELS)}")
        return random.Random(seed).sample(MODELS, n)

    def mutate(self, arch: str, rng: random.Random) -> str:
        """The next smaller or larger model of the same family (by parameter count); any other model when the
        family has only one member."""
        name = self.parse(arch)
        members = sorted((m for m in MODELS if family(m) == family(name)), key=lambda m: _weights(m).meta["num_params"])
        if len(members) == 1:
            return rng.choice([m for m in MODELS if m != name])
        k = members.index(name)
        neighbours = [members[i] for i in (k - 1, k + 1) if 0 <= i < len(members)]
        return rng.choice(neighbours)

    def properties(self, arch: str) -> dict[str, float | int | str]:
        name = self.parse(arch)
        return {"family": family(name), "params": int(_weights(name).meta["num_params"])}


register(ZooSpace())
