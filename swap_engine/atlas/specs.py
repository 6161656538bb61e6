"""What each atlas scores: its benchmark's architectures, how their networks are built, which proxies at
which batch sizes, and on which input.

An atlas is a benchmark with ground truth (`data.benchmark`) scored under one set of settings. Its name is the
benchmark's, except where the field scores one benchmark two ways: `darts-1k` is the full DARTS network
(NetworkCIFAR, C = 36, 20 cells), `darts-1k-proxynet` the SWAP authors' 1-cell proxy network with 8 Gaussian
re-inits (the paper's setup). Every model is built from `torch.manual_seed(0)`; one repeat unless said.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swap_engine.columns import FAMILIES as FAMILIES  # re-exported: the atlas reads it from here

SEED = 0
PROXY_BATCH_SIZE = 64


@dataclass(frozen=True)
class Group:
    """Proxies computed together; `subset`: how many cells (a seeded random subset) when not all;
    `input`: the batch they read (`data.inputs`) on image benchmarks."""

    name: str
    proxies: tuple[str, ...]
    description: str
    subset: int | None = None
    input: str = "cifar10"


GROUPS = {
    "first": Group("first", ("swap", "params", "flops", "naswot", "synflow", "jacov", "zico"),
                   "SWAP at four batch sizes with all its variants; params, flops; naswot, synflow, jacov, "
                   "zico at B = 64"),
    "label": Group("label", ("snip", "grad_norm", "grasp", "fisher", "zen"),
                   "label-gradient proxies and zen at B = 64 (on NB201 a seeded subset of 3,000 cells)", 3000),
    # AZ-NAS scores NB201 on a Gaussian batch (its code's default); on CIFAR-10 images its progressivity
    # ranks far worse (Spearman 0.25 against 0.68 on 250 seeded cells).
    "az": Group("az", ("az",), "AZ-NAS's expressivity, progressivity and trainability at B = 64, one pass "
                "on a Gaussian batch (token ids on text)", input="gaussian"),
    # VKDNW's authors score NB201 on a Gaussian batch of 64 (their code has no data loader).
    "vkdnw": Group("vkdnw", ("vkdnw",), "VKDNW's single score (tensor count + Fisher-spectrum entropy) at B = 64 "
                   "on a Gaussian batch, as its authors run it", input="gaussian"),
    "meco": Group("meco", ("meco", "lswag"), "MeCo (the first image's channel correlations) and L-SWAG (ZiCo's "
                  "gradient spread times SWAP) at B = 64"),
}
NEW_GROUPS = ("vkdnw", "meco")  # this round's proxies: every atlas takes them, most are still running
# Jobs that store several columns from one pass (SWAP's variants, AZ-NAS's three proxies): `columns.FAMILIES`.

_TEXT = ("a batch of token ids has no gradient with respect to its input and no class labels; "
         "the proxy is defined for images only")
_TEXT_ABSENT = {"synflow": "its all-ones input is not a token sequence: " + _TEXT,
                "jacov": "token ids are integers, so the input Jacobian it correlates does not exist",
                "zico": "it needs class labels and a classification loss: " + _TEXT,
                "snip": "it needs class labels: " + _TEXT, "grad_norm": "it needs class labels: " + _TEXT,
                "grasp": "it needs class labels: " + _TEXT, "fisher": "it needs class labels: " + _TEXT,
                "zen": "it perturbs a continuous input and reads pre-pooling feature maps: images only",
                "vkdnw": "it differentiates class scores, and an encoder returns hidden states: " + _TEXT,
                "lswag": "its gradient term needs class labels: " + _TEXT}
_BIG_CNN = ("millions of ReLU units: at B = 16 the 2^16 = 65,536 cap of the pattern count binds (kept to show "
            "the cap), at B = 32, 64 and 128 it no longer does")


@dataclass(frozen=True)
class Spec:
    """One atlas: the benchmark `benchmark` of `space`, each model built with `model_options`."""

    name: str
    benchmark: str
    space: str
    title: str
    swap_batch_sizes: tuple[int, ...]
    batch_sizes_why: str
    groups: tuple[str, ...] = ("first", "label", "az", *NEW_GROUPS)
    input: str = "cifar10"  # the batch of every group on this benchmark, unless the group names its own
    resolution: int | None = None
    model_options: dict[str, Any] = field(default_factory=dict)
    swap_options: dict[str, Any] = field(default_factory=dict)
    # Options of one proxy's jobs only ({proxy: {option: value}}): they key that proxy's results alone.
    proxy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    repeats: int | None = None
    absent: dict[str, str] = field(default_factory=dict)  # proxy -> why it does not apply here

    @property
    def file(self) -> str:
        return "nb201_atlas.parquet" if self.name == "nb201" else f"{self.name}_atlas.parquet"

    @property
    def whole_space(self) -> bool:
        """The atlas holds every architecture of its space, row i the space's index i (NB201's); the others
        hold their benchmark's architectures."""
        return self.name == "nb201"

    @property
    def index_column(self) -> str:
        return "nb201_index" if self.name == "nb201" else "index"

    def proxies(self, groups: tuple[str, ...] | list[str] | None = None) -> list[str]:
        """The proxies of the chosen groups (default: all of this atlas's) that apply here."""
        chosen = self.groups if groups is None else groups
        return [p for g in chosen for p in GROUPS[g].proxies if p not in self.absent]

    def batch_sizes(self, proxy: str) -> tuple[int, ...]:
        if proxy == "swap":
            return self.swap_batch_sizes
        if proxy == "flops":
            return (1,)  # a per-sample count: one image is enough
        return (PROXY_BATCH_SIZE,)  # params needs no input, but sharing the B = 64 chunk keeps one model build

    def input_of(self, proxy: str) -> str:
        group = next((g for g in GROUPS.values() if proxy in g.proxies), None)
        if group is None or group.input == "cifar10" or self.input == "text":
            return self.input
        return group.input

    def settings(self, proxy: str, batch_size: int) -> dict[str, Any]:
        """The runner settings of one job of this atlas."""
        chosen = settings(batch_size, self.input_of(proxy))
        if self.resolution is not None:
            chosen["resolution"] = self.resolution
        if self.model_options:
            chosen["model_options"] = dict(self.model_options)
        if self.swap_options:
            chosen["proxy_options"] = {"swap": dict(self.swap_options)}
        if proxy in self.proxy_options:
            chosen["proxy_options"] = {**chosen["proxy_options"], proxy: dict(self.proxy_options[proxy])}
        if self.repeats is not None:
            chosen["repeats"] = self.repeats
        return chosen


def settings(batch_size: int, input: str = "cifar10") -> dict[str, Any]:
    """NB201's runner settings of one batch size and input (the keys of its committed store)."""
    return {"input": input, "batch_size": batch_size, "split": "train", "input_seed": None,
            "resolution": None, "seed": SEED, "model_options": {}, "proxy_options": {},
            "seeding": "torch.manual_seed(0) for every model"}


SPECS: dict[str, Spec] = {spec.name: spec for spec in (
    Spec("nb201", "nb201", "nb201", "NAS-Bench-201 (all 15,625 cells, C = 16, N = 5)", (8, 16, 32, 64),
         "NB201's networks are small (about 100k ReLU units at B = 1): the cap 2^B binds below B = 16, "
         "B = 8 to 64 spans saturated to free"),
    Spec("darts-1k", "darts-1k", "darts", "DARTS-1k, full DARTS network (C = 36, 20 cells)", (16, 32, 64, 128),
         _BIG_CNN, model_options={"variant": "full"}),
    Spec("darts-1k-proxynet", "darts-1k", "darts",
         "DARTS-1k, the SWAP authors' 1-cell proxy network, 8 Gaussian re-inits", (8, 16, 32, 64),
         "the 1-cell proxy network has a few thousand units, so B = 16 (the paper's) sits mid-range; "
         "8 to 64 as on NB201", groups=("first", "label", *NEW_GROUPS), model_options={"variant": "swap-proxy"},
         swap_options={"reinit": "gaussian", "conv_only": True}, repeats=8,
         absent={"az": "the 1-cell proxy network is one block: AZ-NAS compares consecutive blocks"}),
    Spec("nb301-500", "nb301-500", "darts", "NAS-Bench-301 (Suite-Zero's 500), full DARTS network",
         (16, 32, 64, 128), _BIG_CNN, model_options={"variant": "full"}),
    # AZ-NAS cut by cells (stem, every cell, the max-pools) since round 4: the first atlas cut NB101 into its
    # three stacks, where trainability ranks against accuracy (docs/results.md). The option keys the new results
    # apart from the old ones, so a store that still holds those does not pass them off as the new cut.
    Spec("nb101-500", "nb101-500", "nb101", "NAS-Bench-101 (Suite-Zero's 500), the benchmark's networks",
         (16, 32, 64, 128), _BIG_CNN, proxy_options={"az": {"blocks": "cells"}}),
    Spec("flexibert-500", "flexibert-500", "flexibert", "FlexiBERT-500, faithful dimensions, text input",
         (16, 32, 64, 128), "an encoder's units see every token: B = 128 is the paper's FlexiBERT setting and "
         "the cap 2^B binds at B = 16", groups=("first", "label", "az", *NEW_GROUPS), input="text",
         absent=_TEXT_ABSENT),
    Spec("zoo", "zoo", "zoo", "torchvision's ImageNet classifiers at 64x64 (published accuracy)",
         (16, 32, 64, 128), _BIG_CNN, resolution=64),
    # 64x64 as the zoo's (the two compare on Across families) and for a 2-core CPU: 12x fewer pixels than 224.
    # 671 of the 693 architectures run a forward at 64 and 664 score (spaces.timm.NO_FORWARD_AT_64 and
    # SWAP_REFUSES say why the others do not); img_size defaults to 64, so every model is built for its input.
    # Cost measured on 5 cells (4 to 88 M parameters; one CPU thread, the other core busy): 31 to 88 s a cell for
    # every group but vkdnw (mean 55 s: about 10 h for 671 cells on one core), and vkdnw alone 263 s on
    # mobilenetv1_100 (1,000 classes): run it apart, or on a GPU.
    Spec("timm-in1k", "timm-in1k", "timm", "timm's ImageNet-1k-only architectures at 64x64 (timm's measured top-1)",
         (16, 32, 64, 128), _BIG_CNN, resolution=64),
)}


def spec(name: str) -> Spec:
    """The atlas `name`; a ValueError listing the known ones otherwise."""
    if name not in SPECS:
        raise ValueError(f"no atlas named {name!r}; atlases: {', '.join(SPECS)}")
    return SPECS[name]


def of_space(space: str, benchmark: str | None = None) -> list[str]:
    """The atlases of search space `space` (those of benchmark `benchmark` only, when given), in `SPECS` order:
    `of_space("darts", "darts-1k")` -> darts-1k, darts-1k-proxynet. Never a literal list of atlas names."""
    return [name for name, chosen in SPECS.items()
            if chosen.space == space and (benchmark is None or chosen.benchmark == benchmark)]
