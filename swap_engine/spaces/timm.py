"""timm's image classifiers by name: any `timm.list_models()` architecture, randomly initialised.

Models are built with `timm.create_model(name, pretrained=False)`: random weights from `torch.manual_seed`,
nothing downloaded, ever. A weight tag (`resnet50.a1_in1k`) names trained weights, which this space never
loads, so it is dropped: `parse("resnet50.a1_in1k")` is `"resnet50"`. Ground truth: the `timm-in1k` benchmark
(`swap_engine.data.timm_results`), timm's measured ImageNet-1k top-1 of weights trained on ImageNet-1k alone.

The resolution option `img_size` is passed to every model whose constructor takes one (ViTs, DeiTs, Swins,
MaxViTs, MLP-Mixers, ...): those are built for that input size (their patch grid, position embeddings and
attention windows follow it) and most refuse any other, in words ("Input height (32) doesn't match model
(64)"); convolutional networks take no `img_size` and run at any size their strides allow. Its default is
the space's native resolution (64, as the zoo's), which the app's
"native" resolution and the `timm-in1k` atlas use; on the CLI give the batch the same size
(`--resolution 64`) or set the option to the batch's (`--model-option img_size=32`).

Some timm blocks apply activations as functions (`F.gelu`, `F.relu` in a forward), so every model built here asks
`swap_score` for functional capture, as the zoo's do. timm is imported on first use, not when the space registers.
"""
from __future__ import annotations

import difflib
import functools
import random
from typing import Any

from torch import nn

from swap_engine.spaces import register
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.swap.capture import FUNCTIONAL_ATTRIBUTE
from swap_engine.words import check_text, quote

RESOLUTION = 64
EXAMPLE = "resnet18"
CLOSEST = 5  # names offered for an unknown one

# The timm-in1k architectures that do not score at 64x64, and why: each was built (seed 0, img_size=64) and
# SWAP-scored on Gaussian images with timm 1.0.31 (issue 33; 664 of the 693 score). 22 fail their forward
# at this size (`NO_FORWARD_AT_64`, also at 96 to 224 except Inception's, which run from 75x75 up); 7 run it,
# but SWAP's capture refuses an activation whose first dimension is not the batch, or finds none (`SWAP_REFUSES`).
# The 27 with a relative-position MLP (CoAtNet/MaxViT rmlp, SwinV2, ViT relpos) score since that MLP, run on a
# buffer, counts as the same for every sample (swap.capture).
_CROSSVIT = ("CrossViT resizes the input for two branches (patch 12 and 16, sizes 240 and 224 by default) whose "
             "patch grids and position embeddings agree only near 240x240")
_HALO = ("its halo (or bottleneck) attention cuts the later feature maps into 8x8 blocks: at 64x64 they are "
         "smaller than one block")
_INCEPTION = "a 3x3 convolution meets a 2x2 map at 64x64: Inception needs 75x75 or more"
NO_FORWARD_AT_64: dict[str, str] = {
    **{f"crossvit_{v}": _CROSSVIT for v in ("9_240", "9_dagger_240", "15_240", "15_dagger_240", "15_dagger_408",
                                              "18_240", "18_dagger_240", "18_dagger_408", "base_240", "small_240",
                                              "tiny_240")},
    **{name: _HALO for name in ("bat_resnext26ts", "eca_halonext26ts", "halo2botnet50ts_256", "halonet26t",
                                "halonet50ts", "haloregnetz_b", "lamhalobotnet50ts_256", "sehalonet33ts")},
    **{name: _INCEPTION for name in ("inception_v3", "inception_v4", "inception_resnet_v2")},
}
_FOLDED = "its transformer folds the batch into the first dimension (batch x patch positions)"
SWAP_REFUSES: dict[str, str] = {
    **{name: _FOLDED + " (MobileViT's unfolded patches)" for name in ("mobilevit_s", "mobilevit_xs", "mobilevit_xxs")},
    **{name: _FOLDED + " (TNT's inner pixel transformer)" for name in
       ("tnt_b_patch16_224", "tnt_s_legacy_patch16_224", "tnt_s_patch16_224")},
    "resnetv2_50d_evos": "no activation to hook: EvoNorm computes its non-linearity inside the norm layer",
}


@functools.lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """Every architecture the installed timm registers (`timm.list_models()`), sorted."""
    import timm

    return tuple(timm.list_models())


@functools.lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(names())


def version() -> str:
    import timm

    return str(timm.__version__)


def closest(name: str, n: int = CLOSEST) -> list[str]:
    """The timm names nearest to `name` in spelling (difflib's ratio), best first."""
    found = difflib.get_close_matches(name, names(), n=n, cutoff=0.6)
    if len(found) < n:  # a prefix typed alone ("convnext") is far from every full name in difflib's ratio
        found += [m for m in names() if m.startswith(name) and m not in found][: n - len(found)]
    return found


@functools.lru_cache(maxsize=4096)
def family(name: str) -> str:
    """The timm module that defines an architecture (e.g. "vision_transformer", "resnet", "byobnet"): the
    family this project groups timm's architectures by. Empty when the installed timm does not know the name."""
    if name not in _known():
        return ""
    from timm.models import model_entrypoint

    return str(model_entrypoint(name).__module__).rsplit(".", 1)[-1]


def _positive(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"timm model option {what} must be a positive whole number, got {quote(value, 40)}")
    return value


class TimmSpace(SearchSpace):
    name = "timm"
    description = (
        "Any timm ImageNet classifier by name (timm.list_models(): CNNs, vision transformers, MLP-Mixers, "
        "hybrids), randomly initialised, never downloaded; ground truth: timm-in1k, the best ImageNet-1k-only "
        "top-1 of each architecture"
    )
    input_spec = InputSpec(kind="image", channels=3, resolution=RESOLUTION, default_input="cifar10")
    size = None  # timm's list grows with its version; the benchmark's architectures are the ones with truth
    benchmark = "timm-in1k"

    def parse(self, text: str) -> str:
        name = check_text(text, "timm model name").strip()
        if "." in name:  # a pretrained tag: this space never loads weights
            name = name.split(".", 1)[0]
        if name not in _known():
            near = closest(name)
            hint = f"; closest: {', '.join(near)}" if near else ""
            raise ValueError(f"unknown timm model {quote(name)} (timm {version()} has {len(names()):,} names; "
                             f"list them with timm.list_models('pattern*')){hint}")
        return name

    def format(self, arch: str) -> str:
        return self.parse(arch)

    def build(self, arch: str, img_size: int = RESOLUTION, num_classes: int = 1000) -> nn.Module:
        """`timm.create_model(name, pretrained=False)`, built for `img_size` where the model takes one, marked
        for functional capture."""
        import timm

        name = self.parse(arch)
        _positive(img_size, "img_size")
        _positive(num_classes, "num_classes")
        try:
            model = timm.create_model(name, pretrained=False, num_classes=num_classes, img_size=img_size)
        except TypeError as err:  # a convolutional network: no fixed input size to set
            if "img_size" not in str(err):
                raise
            model = timm.create_model(name, pretrained=False, num_classes=num_classes)
        setattr(model, FUNCTIONAL_ATTRIBUTE, True)
        return model

    def largest(self) -> None:
        """None: timm's architectures run from thousands to billions of parameters, so `models.check` sizes
        each one on its own (a meta-device copy, no storage)."""
        return None

    def example(self, seed: int = 0) -> str:
        return EXAMPLE

    def sample(self, n: int, seed: int = 0) -> list[str]:
        pool = names()
        if not 0 <= n <= len(pool):
            raise ValueError(f"cannot sample {n} distinct timm models from {len(pool):,}")
        return random.Random(seed).sample(pool, n)

    def mutate(self, arch: str, rng: random.Random) -> str:
        """Another architecture of the same timm module (a sibling size or variant); any other name when the
        module defines only this one."""
        name = self.parse(arch)
        mine = family(name)
        siblings = [m for m in names() if m != name and family(m) == mine]
        return rng.choice(siblings or [m for m in names() if m != name])

    def properties(self, arch: str) -> dict[str, float | int | str]:
        return {"family": family(self.parse(arch))}


register(TimmSpace())
