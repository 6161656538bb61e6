"""The torchvision model zoo: hand-designed ImageNet classifiers with published accuracy as ground truth.

Models are built with `weights=None` (random initialisation, nothing downloaded); the ground truth is the
ImageNet-1k top-1/top-5 that torchvision's weight metadata publishes for each model's DEFAULT weights, so it
works on a fresh offline machine. `MODELS` keeps those that score in reasonable time on a CPU at 64x64
input; `EXCLUDED` says why each other torchvision classifier is left out.

Some torchvision models apply activations as functions rather than modules (GoogLeNet's and Inception's
`BasicConv2d` call `F.relu`; DenseNet applies a final `F.relu` after its features), so every model built here
asks `swap_score` for functional capture (`swap_functional = True`): SWAP sees those activations too, and
GoogLeNet, which has no activation module at all, can be scored.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from torch import nn

from swap_engine.spaces import register
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.swap.capture import FUNCTIONAL_ATTRIBUTE
from swap_engine.words import check_text, quote

if TYPE_CHECKING:
    from torchvision import models

RESOLUTION = 64

# Every torchvision classifier that takes 64x64 inputs, has under 150 M parameters and ran a forward pass of
# 16 images at 64x64 (train mode, no grad, one CPU thread on a busy 2-core machine) in about 1 s or less:
# 0.02 s (mobilenet_v3_small) to 0.95 s (convnext_base); builds took 0.02-3 s (VGGs 2-3 s). Family, then size.
# swin_t: torchvision declares 224x224 as its weights' min_size, but the model pads its 7x7 windows and runs
# at 64x64, as fast as convnext_base (both 1.3 s on a machine loaded 3x over; re-checked for issue 12).
MODELS: tuple[str, ...] = (
    "alexnet", "convnext_tiny", "convnext_small", "convnext_base", "densenet121", "densenet169",
    "densenet201", "densenet161", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s",
    "efficientnet_v2_m", "efficientnet_v2_l", "googlenet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "regnet_x_400mf", "regnet_x_800mf",
    "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf", "regnet_y_400mf", "regnet_y_800mf",
    "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnet152", "resnext50_32x4d", "resnext101_64x4d", "resnext101_32x8d", "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_1", "squeezenet1_0", "swin_t",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2",
    "wide_resnet101_2",
)

# Every other torchvision classifier, and why it is not in the space. Re-checked for issue 12 by building each
# one (weights=None) and scoring 4 images at 64x64 with functional capture: the reasons below are what failed.
_VIT_GRID = "its fixed patch grid rejects any input but 224x224 ('Wrong image height! Expected 224 but got 64')"
_SWIN_V2 = ("its continuous relative-position MLP applies nn.ReLU to a position table (1 x 15 x 15 x 512), not to "
            "per-sample activations, so SWAP has no pattern to count there (and torchvision's min_size is 256x256)")
_TOO_SLOW = "forward of 16 images at 64x64 over ~1 s on one CPU thread"
_TOO_BIG = "over 600 M parameters: gigabytes of memory and long builds on a CPU"
EXCLUDED: dict[str, str] = {
    "inception_v3": ("needs inputs of at least 75x75 (at 64x64 a 3x3 kernel meets a 2x2 map); its activations are "
                     "functional (F.relu), which functional capture now sees, so it would score at 75x75 or more"),
    "maxvit_t": "its 7x7 window partition fails at 64x64 (torchvision's min_size is 224x224)",
    "swin_s": _TOO_SLOW + " (1.45x swin_t)",
    "swin_b": _TOO_SLOW + " (1.7x swin_t)",
    "swin_v2_t": _SWIN_V2,
    "swin_v2_s": _SWIN_V2,
    "swin_v2_b": _SWIN_V2,
    "vit_b_16": _VIT_GRID,
    "vit_b_32": _VIT_GRID,
    "vit_l_16": _VIT_GRID,
    "vit_l_32": _VIT_GRID,
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
    "alexnet", "googlenet", "swin",
)


def family(name: str) -> str:
    """The model family a torchvision name belongs to, e.g. "regnet_y" for "regnet_y_400mf"."""
    for prefix in _FAMILIES:
        if name.startswith(prefix):
            return prefix
    return name


def _models():
    """torchvision's model module, imported when a zoo model is first needed (the space registers without it)."""
    from torchvision import models

    return models


def _weights(name: str) -> "models.WeightsEnum":
    return _models().get_model_weights(name).DEFAULT


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
        f"{len(MODELS)} torchvision ImageNet classifiers (ResNet, EfficientNet, RegNet, MobileNet, Swin, ...), "
        "randomly initialised, with their published ImageNet-1k accuracy"
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=RESOLUTION, default_input="cifar10")
    size = len(MODELS)
    benchmark = "zoo"

    def parse(self, text: str) -> str:
        name = check_text(text, "zoo model name")
        if name not in MODELS:
            reason = EXCLUDED.get(name)
            if reason:
                raise ValueError(f"zoo model {name!r} is left out of the space: {reason}")
            raise ValueError(f"unknown zoo model {quote(name)}; known: {', '.join(MODELS)}")
        return name

    def format(self, arch: str) -> str:
        return self.parse(arch)

    def build(self, arch: str, num_classes: int = 1000) -> nn.Module:
        """Random-initialised torchvision model, marked for functional capture (see the module's docstring).
        GoogLeNet: without its auxiliary heads, so train mode returns a tensor, and with its own truncated-normal
        initialisation (torchvision's current default; ~2 s)."""
        name = self.parse(arch)
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"zoo model option num_classes must be a positive whole number, got {num_classes!r}")
        options: dict[str, object] = {"weights": None, "num_classes": num_classes}
        if name == "googlenet":
            options.update(aux_logits=False, init_weights=True)
        model = _models().get_model(name, **options)
        setattr(model, FUNCTIONAL_ATTRIBUTE, True)
        return model

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
