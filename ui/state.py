"""The shared sidebar: every scoring setting lives in `st.session_state`, so all pages see the same choices."""
from __future__ import annotations

import json
from dataclasses import dataclass

import streamlit as st

from swap_engine import data, spaces
from swap_engine import device as devices

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
PREFERRED_SPACE = "nb201"

# Reference setup of SWAP.md: B = 16 on the first CIFAR-10 training images, train mode, one pass.
DEFAULTS = {
    "batch_size": 16,
    "resolution": "native",
    "seed": 0,
    "repeats": 1,
    "reinit": False,
    "regularize": False,
    "mu": 25.0,
    "sigma": 25.0,
    "n_archs": 30,
    "build_options": "",
}


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


@dataclass(frozen=True)
class Regularization:
    """Regularisation is applied after scoring (to stored raw scores), so it is kept apart from `Settings`."""

    on: bool
    mu: float
    sigma: float


_STORE = "_sidebar_values"  # a plain (non-widget) copy of the sidebar: Streamlit drops widget state on switch_page


def _init_defaults() -> None:
    names = spaces.names()
    if not names:
        raise RuntimeError("no search space is registered; is swap_engine.spaces installed?")
    defaults = {"space": PREFERRED_SPACE if PREFERRED_SPACE in names else names[0],
                "device": devices.available_devices()[0], **DEFAULTS}
    saved = st.session_state.setdefault(_STORE, {})
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = saved.get(key, value)
    options = inputs_for(st.session_state["space"])
    if st.session_state.get("input", saved.get("input")) not in options:
        st.session_state["input"] = options[0]
    elif "input" not in st.session_state:
        st.session_state["input"] = saved["input"]


def inputs_for(space_name: str) -> list[str]:
    """Inputs that fit the space's models, its own default first."""
    spec = spaces.get(space_name).input_spec
    known = set(data.input_names())
    options = [name for name in INPUTS_BY_KIND.get(spec.kind, []) if name in known]
    if spec.default_input in options:
        options.remove(spec.default_input)
    return [spec.default_input, *options]


def parse_build_options(text: str) -> str:
    """Canonical JSON of a `{"C": 8, "N": 1}` object; `ValueError` naming what is wrong."""
    if not text.strip():
        return ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"model options are not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise ValueError("model options must be a JSON object such as {\"C\": 8, \"N\": 1}")
    return json.dumps(value, sort_keys=True)


def sidebar() -> None:
    """Draw the shared settings; called once per run by app.py before the page."""
    _init_defaults()
    sb = st.sidebar
    sb.selectbox("Search space", spaces.names(), key="space",
                 help="Registered search spaces; the zoo works fully offline.")
    space = spaces.get(st.session_state["space"])
    sb.caption(space.description)
    options = inputs_for(space.name)
    sb.select_slider("Batch size B", BATCH_SIZES, key="batch_size",
                     help="Samples per pattern; the score is bounded by min(N, 2^B).")
    sb.selectbox("Input", options, key="input", format_func=lambda name: INPUT_LABELS.get(name, name))
    if space.input_spec.kind != "image":
        native = "not used for tokens"
    elif st.session_state["input"] == "cifar10-16":
        native = "16 (this input's own)"
    else:
        native = str(space.input_spec.resolution)
    sb.selectbox("Resolution", RESOLUTIONS, key="resolution", disabled=space.input_spec.kind != "image",
                 format_func=lambda r: f"native: {native}" if r == "native" else str(r),
                 help="Resize the images (the paper's ablation uses 3, 15 and 32).")
    sb.selectbox("Device", devices.available_devices(), key="device")
    col_seed, col_rep = sb.columns(2)
    col_seed.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
    col_rep.number_input("Repeats", min_value=1, max_value=64, step=1, key="repeats")
    sb.checkbox("Gaussian re-init each repeat", key="reinit",
                help="The reference CNN setup: weights ~ N(0, 1) before each repeat, mean score reported.")
    sb.checkbox("Regularise by parameter count", key="regularize",
                help="Multiply by exp(-(params/1000 - mu)^2 / sigma).")
    col_mu, col_sigma = sb.columns(2)
    col_mu.number_input("mu (K params)", min_value=0.0, step=5.0, key="mu",
                        disabled=not st.session_state["regularize"])
    col_sigma.number_input("sigma", min_value=1e-3, step=5.0, key="sigma",
                           disabled=not st.session_state["regularize"])
    sb.number_input("Architectures to sample", min_value=1, max_value=5000, step=10, key="n_archs")
    with sb.expander("Model options"):
        st.text_input("Build options (JSON)", key="build_options", placeholder='{"C": 8, "N": 1}',
                      help="Keyword arguments for the space's build(), e.g. a smaller NB201 network.")
    st.session_state[_STORE] = {key: st.session_state[key] for key in ("space", "device", "input", *DEFAULTS)}


def arch_key(space_name: str) -> str:
    """Session key of the architecture the patterns page shows for a space; other pages set it to open one."""
    return f"arch::{space_name}"


def settings() -> Settings:
    """The current sidebar choices; `ValueError` when the model options text is malformed."""
    _init_defaults()
    s = st.session_state
    return Settings(
        space=s["space"], batch_size=int(s["batch_size"]), input=s["input"],
        resolution=_resolution(s["space"], s["input"], s["resolution"]), device=s["device"],
        seed=int(s["seed"]), repeats=int(s["repeats"]), reinit=bool(s["reinit"]),
        build_options=parse_build_options(s["build_options"]), n_archs=int(s["n_archs"]),
    )


def _resolution(space_name: str, input_name: str, choice: str | int) -> int | None:
    """"native" is the space's own image size; the 16x16 input keeps its 16 (it stands in for ImageNet16)."""
    spec = spaces.get(space_name).input_spec
    if spec.kind != "image":
        return None
    if choice == "native":
        return None if input_name == "cifar10-16" else spec.resolution
    return int(choice)


def regularization() -> Regularization:
    _init_defaults()
    s = st.session_state
    return Regularization(bool(s["regularize"]), float(s["mu"]), float(s["sigma"]))
