"""What the user can choose, and the types the pages receive: the sidebar's settings, their defaults and
limits, and the session key of the architecture a page shows. Light: no Streamlit, no engine.

`ui.state` draws the sidebar from these, `ui.url` reads and writes them in the link.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

BATCH_SIZES = [2**i for i in range(11)]  # 1 .. 1024, log steps
RESOLUTIONS = ["native", 3, 8, 15, 16, 32, 64, 96, 128, 224]
# Which inputs fit which kind of model (images vs token ids); the order is the sidebar's.
INPUTS_BY_KIND = {"image": ["cifar10", "cifar10-16", "gaussian"], "tokens": ["text", "random-tokens"]}
INPUT_LABELS = {
    "cifar10": "CIFAR-10 training images",
    "cifar10-16": "CIFAR-10 at 16x16 (stand-in for ImageNet16-120)",
    "gaussian": "Gaussian noise N(0, 1)",
    "text": "English text (token ids)",
    "random-tokens": "random token ids",
}
# The app opens on NB201 (one of the 3 literal nb201 names left in ui/ and views/): the one space whose every cell
# has a precomputed score (`tables.PRECOMPUTED`), so the first page answers without scoring. The sidebar is light
# (no library import), so the choice is written here rather than read from the tables.
PREFERRED_SPACE = "nb201"

# Reference setup of SWAP.md: B = 16 on the first CIFAR-10 training images, train mode, one pass.
# mu and sigma have no fixed default: they follow the space's parameter counts (see `_fill_regularization`).
DEFAULTS = {
    "batch_size": 16,
    "resolution": "native",
    "seed": 0,
    "repeats": 1,
    "reinit": False,
    "regularize": False,
    "mu": None,
    "sigma": None,
    "n_archs": 30,
    "build_options": "",
}
REG_FOR = "_regularization_for"  # (space, build options) whose parameter counts mu and sigma were set for


@dataclass(frozen=True)
class Settings:
    """Everything a score depends on; hashable, so it keys caches and stored results."""

    space: str
    batch_size: int
    input: str
    resolution: int | None
    device: str
    seed: int
    repeats: int
    reinit: bool
    build_options: str  # canonical JSON text of keyword arguments for `space.build`
    n_archs: int

    def build_kwargs(self) -> dict:
        return json.loads(self.build_options) if self.build_options else {}

    @property
    def input_words(self) -> str:
        """The input as the sidebar names it: "CIFAR-10 training images", not "cifar10"."""
        return INPUT_LABELS.get(self.input, self.input)


@dataclass(frozen=True)
class Regularization:
    """Regularisation is applied after scoring (to stored raw scores), so it is kept apart from `Settings`."""

    on: bool
    mu: float
    sigma: float


STORE = "_sidebar_values"  # a plain (non-widget) copy of the sidebar: Streamlit drops widget state on switch_page


def parse_build_options(text: str) -> str:
    """Canonical JSON of a `{"C": 8, "N": 1}` object; `ValueError` naming what is wrong."""
    if not text.strip():
        return ""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as err:  # RecursionError: brackets nested deeper than Python goes
        raise ValueError(f"model options are not valid JSON: {str(err)[:200]}") from None
    if not isinstance(value, dict):
        raise ValueError("model options must be a JSON object such as {\"C\": 8, \"N\": 1}")
    return json.dumps(value, sort_keys=True)


def arch_key(space_name: str) -> str:
    """Session key of the architecture the patterns page shows for a space; other pages set it to open one."""
    return f"arch::{space_name}"
