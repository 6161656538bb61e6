"""The `timm-in1k` benchmark: timm's measured ImageNet-1k top-1, for weights trained on ImageNet-1k alone.

timm's `results-imagenet.csv` has one row per released weight and evaluation size; `model` is
`architecture.tag`, and the tag says how the weight was trained. The rule, applied to every row:

1. A row is kept when no `_`-separated token of its tag is in `EXCLUDED_TAGS` and its architecture matches
   none of `EXCLUDED_ARCHITECTURES` (fnmatch patterns, for what a tag does not say). Each entry says why:
   extra data (ImageNet-12k/21k/22k, JFT, LAION, CLIP/OpenAI's WIT, WebLI, Instagram, YFCC100M, EVA's merged
   sets), distillation (from any teacher, including the token labelling of VOLO and SSLD's semi-supervised
   labels) or self-supervised pre-training (MAE, MIM, FCMAE, SEER, BEiT). Tags that name only a recipe, an
   origin, an epoch count or a resolution (`a1h`, `ra4_e3600_r224`, `tv2`, `gluon`, `fb`, `sail`, `ft` at a
   higher resolution on ImageNet-1k itself) are kept.
2. One row per architecture: its best top-1 among the kept rows, with that row's weight (`weight`), evaluation
   size, crop and top-5. Ties go to the smaller evaluation size, then to the weight's name.

Why the best rather than the median: the spread between an architecture's weights is its training recipes
and evaluation sizes (resnet50: 76.2 % for torchvision's original recipe at 224, 81.2 % for timm's `a1` at
288), not the architecture; the best is the nearest measurement of what the architecture reaches on
ImageNet-1k, it is a real weight with a real evaluation size, and it does not depend on how many older recipes
timm happened to publish (most architectures have one or two weights, resnet50 has sixteen). The median of
two weights is their mean, a number no weight has, with no evaluation size. `in1k_weights` and
`median_top1_acc_pct` are kept as context, so the choice can be checked (the two differ by 0.18 points on
average over the 693 architectures, at most by 3.0).

Parsed with `csv` only; `params_m` is timm's published parameter count in millions ("1,014.45" in quotes).
"""
from __future__ import annotations

import csv
import fnmatch
import statistics
from pathlib import Path

import pandas as pd

FILE = "timm/results-imagenet.csv"
TARGETS = ("imagenet_top1_acc_pct", "imagenet_top5_acc_pct")

_EXTRA = "extra data: "
_DISTILLED = "distillation: "
_SELF_SUPERVISED = "self-supervised pre-training: "
EXCLUDED_TAGS: dict[str, str] = {
    "in12k": _EXTRA + "ImageNet-12k (timm's 11,821-class subset of ImageNet-22k)",
    "in21k": _EXTRA + "ImageNet-21k",
    "in22k": _EXTRA + "ImageNet-22k",
    "indomain": _EXTRA + "BEiT-3's in-domain ImageNet-22k stage",
    "jft": _EXTRA + "Google's JFT-300M",
    "ns": _EXTRA + "Noisy Student: self-training on unlabelled JFT-300M images with a teacher's labels",
    "laion2b": _EXTRA + "LAION-2B image-text pairs",
    "laiona": _EXTRA + "LAION-Aesthetics image-text pairs",
    "clip": _EXTRA + "CLIP image-text pre-training",
    "openai": _EXTRA + "OpenAI's CLIP (WIT-400M image-text pairs)",
    "webli": _EXTRA + "Google's WebLI image-text pairs (SigLIP)",
    "ig1b": _EXTRA + "Instagram-1B hashtags",
    "swag": _EXTRA + "SWAG: Instagram-3.6B hashtags",
    "wsl": _EXTRA + "weakly supervised Instagram hashtags",
    "swsl": _EXTRA + "semi-weakly supervised Instagram-1B",
    "ssl": _EXTRA + "semi-supervised YFCC100M",
    "yfcc100m": _EXTRA + "YFCC100M",
    "m30m": _EXTRA + "EVA's merged 30M-image set",
    "m38m": _EXTRA + "EVA-02's merged 38M-image set",
    "6m": _EXTRA + "PaddleClas SSLD's 6M-image set",
    "dist": _DISTILLED + "a teacher's outputs (DeiT, CaiT, LeViT, FastViT, RepViT, EfficientFormer, TinyViT, ...)",
    "distilled": _DISTILLED + "a teacher's outputs (ResMLP, BiT)",
    "ssld": _DISTILLED + "PaddleClas SSLD, semi-supervised label distillation",
    "usi": _DISTILLED + "USI (Solving ImageNet), knowledge distillation from a teacher",
    "mae": _SELF_SUPERVISED + "masked autoencoder (MAE)",
    "mim": _SELF_SUPERVISED + "masked image modelling (EVA-02)",
    "fcmae": _SELF_SUPERVISED + "fully convolutional masked autoencoder (ConvNeXt V2)",
    "seer": _SELF_SUPERVISED + "SEER, on 1B uncurated Instagram images",
}
EXCLUDED_ARCHITECTURES: dict[str, str] = {
    "*distilled*": _DISTILLED + "DeiT's and PiT's distillation-token models (the tag does not repeat it)",
    "*_ssld": _DISTILLED + "PaddleClas SSLD models named so (HRNet)",
    "beit*": _SELF_SUPERVISED + "BEiT's masked image modelling (BEiT v2's tokenizer is distilled from CLIP)",
    "volo_*": _DISTILLED + "VOLO trains on token labels made by a pre-trained NFNet-F6 annotator",
    "flexivit_*": _DISTILLED + "FlexiViT's ImageNet-1k models are distilled from a ViT-B/8 teacher",
    "efficientnet_*_pruned": _DISTILLED + "knapsack pruning with inner distillation of a trained EfficientNet",
    "ghostnetv3_*": _DISTILLED + "GhostNetV3's training strategy includes knowledge distillation",
}


def exclusion(model: str) -> str:
    """Why a row (`architecture.tag`) is not ImageNet-1k-only training, in words; empty when it is."""
    arch, _, tag = model.partition(".")
    for token in tag.split("_"):
        if token in EXCLUDED_TAGS:
            return f"tag token {token!r}: {EXCLUDED_TAGS[token]}"
    for pattern, why in EXCLUDED_ARCHITECTURES.items():
        if fnmatch.fnmatchcase(arch, pattern):
            return f"architecture {pattern!r}: {why}"
    return ""


def read_rows(path: Path) -> pd.DataFrame:
    """Every row of the file, with `arch`, `tag` and `excluded` (the reason, empty for kept rows) added."""
    with open(path, newline="") as handle:
        records = list(csv.DictReader(handle))
    if not records or "model" not in records[0]:
        raise ValueError(f"{path} is not timm's results-imagenet.csv (no 'model' column)")
    frame = pd.DataFrame({
        "weight": [r["model"] for r in records],
        "arch": [r["model"].partition(".")[0] for r in records],
        "tag": [r["model"].partition(".")[2] for r in records],
        "eval_img_size": [int(r["img_size"]) for r in records],
        "imagenet_top1_acc_pct": [float(r["top1"]) for r in records],
        "imagenet_top5_acc_pct": [float(r["top5"]) for r in records],
        "params_m": [float(r["param_count"].replace(",", "")) for r in records],
        "crop_pct": [float(r["crop_pct"]) for r in records],
        "interpolation": [r["interpolation"] for r in records],
    })
    frame["excluded"] = [exclusion(m) for m in frame["weight"]]
    return frame


def best_in1k(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per architecture with at least one kept row: the best kept top-1 (see the module docstring)."""
    kept = rows[rows["excluded"] == ""]
    ordered = kept.sort_values(["arch", "imagenet_top1_acc_pct", "eval_img_size", "weight"],
                               ascending=[True, False, True, True], kind="mergesort")
    best = ordered.drop_duplicates("arch", keep="first").set_index("arch")
    grouped = kept.groupby("arch")
    best["in1k_weights"] = grouped["weight"].nunique()
    best["median_top1_acc_pct"] = grouped["imagenet_top1_acc_pct"].agg(lambda v: float(statistics.median(v)))
    best = best.sort_values(["imagenet_top1_acc_pct", "arch"], ascending=[False, True], kind="mergesort")
    return best.reset_index()


def benchmark_table(path: Path) -> pd.DataFrame:
    """The `timm-in1k` table: `arch`, `family` (timm's module), targets, then the chosen weight and context."""
    from swap_engine.spaces import timm as timm_space

    best = best_in1k(read_rows(path))
    best["family"] = [timm_space.family(a) for a in best["arch"]]
    columns = ["arch", "family", *TARGETS, "weight", "eval_img_size", "crop_pct", "params_m", "in1k_weights",
               "median_top1_acc_pct"]
    return best[columns]


__all__ = ["EXCLUDED_ARCHITECTURES", "EXCLUDED_TAGS", "FILE", "TARGETS", "benchmark_table", "best_in1k",
           "exclusion", "read_rows"]
