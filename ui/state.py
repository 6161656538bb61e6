"""The shared sidebar: every scoring setting lives in `st.session_state`, so all pages see the same choices.

The settings (and the architecture the patterns page shows) are mirrored in the URL's query parameters, so
a link opens exactly the view it was copied from. The sidebar is drawn from a snapshot of the registry
(ui/catalogue.json); the engine (torch and the search spaces) is imported in a background thread, started
by the first page that needs it or just after a first page that does not, so that the first page draws
before torch is loaded.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import links, messages
from ui.loader import engine, engine_ready, start_engine

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
_REG_FOR = "_regularization_for"  # (space, build options) whose parameter counts mu and sigma were set for


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
_URL_READ = "_url_read"
_URL_NOTES = "_url_notes"  # query parameters of the opening link that were ignored, said once in the sidebar
URL_VALUE_LIMIT = 2_000  # characters: a longer value stays out of the link (browsers and servers refuse huge URLs)
_URL_WORDS = {"build_options": "model options", "arch": "architecture text", "lab_text": "recipe",
              "search_fitness": "fitness recipe", "neighbours_recipe": "recipe",
              "compare_left": "left architecture", "compare_right": "right architecture"}


# What the sidebar shows about each space, without importing the engine: a snapshot of the registry, so the
# first page draws its sidebar and title while torch loads. `python -m ui.state` rewrites it; a test checks
# it against the registry; once the engine is loaded (or when the file is missing) the registry itself answers.
CATALOGUE = Path(__file__).with_name("catalogue.json")


def catalogue_from_registry() -> dict:
    data, spaces, _ = engine()
    entries = {}
    for name in spaces.names():
        space = spaces.get(name)
        spec = space.input_spec
        entries[name] = {"description": space.description, "benchmark": space.benchmark, "kind": spec.kind,
                         "resolution": spec.resolution, "default_input": spec.default_input}
    return {"spaces": entries, "inputs": list(data.input_names())}


_LIVE: dict = {}


def _catalogue() -> dict:
    if engine_ready():
        if not _LIVE:
            _LIVE.update(catalogue_from_registry())
        return _LIVE
    try:
        return json.loads(CATALOGUE.read_text())
    except (OSError, ValueError):
        _LIVE.update(catalogue_from_registry())  # waits for the engine
        return _LIVE


def space_names() -> list[str]:
    return list(_catalogue()["spaces"])


def space_info(name: str) -> dict:
    return _catalogue()["spaces"][name]


# --- settings --------------------------------------------------------------------------------------------

def _init_defaults(device: bool = True) -> None:
    """Session defaults (from the URL on a session's first run); `device=False` leaves the device for later
    (choosing it needs the engine)."""
    names = space_names()
    if not names:
        raise RuntimeError("no search space is registered; is swap_engine.spaces installed?")
    defaults = {"space": PREFERRED_SPACE if PREFERRED_SPACE in names else names[0], **DEFAULTS}
    s = st.session_state
    saved = s.setdefault(_STORE, {})
    if not s.get(_URL_READ):
        s[_URL_READ] = True
        saved.update(_from_url(names))
    for key, value in defaults.items():
        if key not in s:
            s[key] = saved.get(key, value)
    if device:
        _, _, devices = engine()
        found = devices.available_devices()
        if s.get("device") not in found:
            if saved.get("device") not in (None, *found):
                s.setdefault(_URL_NOTES, []).append(f"device={saved['device']} ignored: not on this machine "
                                                    f"(available: {', '.join(found)})")
            s["device"] = saved.get("device") if saved.get("device") in found else found[0]
    if s["space"] not in names:
        s["space"] = defaults["space"]
    if s["resolution"] not in RESOLUTIONS:  # e.g. a label string a browser sent back for an older option
        s["resolution"] = "native"
    options = inputs_for(s["space"])
    if s.get("input", saved.get("input")) not in options:
        s["input"] = options[0]
    elif "input" not in s:
        s["input"] = saved["input"]


def inputs_for(space_name: str) -> list[str]:
    """Inputs that fit the space's models, its own default first."""
    info = space_info(space_name)
    known = set(_catalogue()["inputs"])
    options = [name for name in INPUTS_BY_KIND.get(info["kind"], []) if name in known]
    if info["default_input"] in options:
        options.remove(info["default_input"])
    return [info["default_input"], *options]


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


def _resolution_label(choice: str | int) -> str:
    # The same labels for every space: Streamlit stores a selectbox's choice as its label, so a label that
    # changed with the space ("native: 64" -> "native: 32") came back as an unknown string.
    return "native" if choice == "native" else f"{choice} x {choice}"


def native_resolution(space_name: str, input_name: str) -> str:
    """What "native" means for this space and input, in words."""
    info = space_info(space_name)
    if info["kind"] != "image":
        return "token inputs have no image resolution"
    if input_name == "cifar10-16":
        return "native: 16 x 16 (this input's own)"
    return f"native: {info['resolution']} x {info['resolution']} ({space_name}'s input size)"


_RUN = threading.local()  # per script thread (one per session): this run's Device-box placeholder


def sidebar() -> None:
    """Draw the shared settings; called once per run by app.py before the page.

    Drawn from the catalogue, so it does not wait for the engine; only the Device box needs it: while the
    engine loads, that box is a placeholder that `settings()` (or `finish_sidebar()`) fills in this run.
    """
    _init_defaults(device=engine_ready())
    s = st.session_state
    sb = st.sidebar
    for note in s.pop(_URL_NOTES, []):
        sb.warning(messages.literal(note[:300]), icon=":material/link_off:")
    sb.selectbox("Search space", space_names(), key="space",
                 help="Registered search spaces; the zoo works fully offline.")
    info = space_info(s["space"])
    sb.caption(info["description"])
    options = inputs_for(s["space"])
    sb.select_slider("Batch size B", BATCH_SIZES, key="batch_size",
                     help="Samples per pattern; the score is bounded by min(N, 2^B) (3^B for GELU's "
                          "ternary patterns).")
    sb.selectbox("Input", options, key="input", format_func=lambda name: INPUT_LABELS.get(name, name))
    sb.selectbox("Resolution", RESOLUTIONS, key="resolution", disabled=info["kind"] != "image",
                 format_func=_resolution_label,
                 help="Resize the images (the paper's ablation uses 3, 15 and 32).")
    sb.caption(native_resolution(s["space"], s["input"]))
    _RUN.device_slot = sb.empty()
    if engine_ready():
        _device_box()
    else:
        _RUN.device_slot.caption("Device: detecting (the engine is loading) ...")
    col_seed, col_rep = sb.columns(2)
    col_seed.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="seed")
    col_rep.number_input("Repeats", min_value=1, max_value=64, step=1, key="repeats")
    sb.checkbox("Gaussian re-init each repeat", key="reinit",
                help="The reference CNN setup: weights ~ N(0, 1) before each repeat, mean score reported.")
    sb.checkbox("Regularise by parameter count", key="regularize",
                help="Multiply by exp(-(params/1000 - mu)^2 / sigma). mu and sigma start from this space's "
                     "parameter counts (their median, and twice their variance, in thousands).")
    if s["regularize"]:
        _fill_regularization()
    col_mu, col_sigma = sb.columns(2)
    col_mu.number_input("mu (K params)", min_value=0.0, step=5.0, key="mu", disabled=not s["regularize"],
                        placeholder="from the space")
    col_sigma.number_input("sigma", min_value=1e-3, step=5.0, key="sigma", disabled=not s["regularize"],
                           format="%.4g", placeholder="from the space")
    sb.number_input("Architectures to sample", min_value=1, max_value=5000, step=10, key="n_archs")
    with sb.expander("Model options"):
        st.text_input("Build options (JSON)", key="build_options", placeholder='{"C": 8, "N": 1}',
                      help="Keyword arguments for the space's build(), e.g. a smaller NB201 network.")
    s[_STORE] = {key: s[key] for key in ("space", "input", *DEFAULTS)} | (
        {"device": s["device"]} if "device" in s else {})
    for key, length in update_url().items():
        sb.caption(f"The {_URL_WORDS.get(key, key)} ({length:,} characters) is too long for a link (at most "
                   f"{URL_VALUE_LIMIT:,}): a copied link leaves it out.")


def _device_box() -> None:
    """The Device box, into its sidebar slot (once per run)."""
    slot = getattr(_RUN, "device_slot", None)
    if slot is None:
        return
    _RUN.device_slot = None
    _init_defaults()
    _, _, devices = engine()
    slot.selectbox("Device", devices.available_devices(), key="device")
    st.session_state[_STORE]["device"] = st.session_state["device"]


def finish_sidebar() -> None:
    """After the page: the Device box, if the page never asked for the settings (app.py calls this).

    On a page that does not need the engine (Learn SWAP) a cold server does not load it in this run: the
    browser is still loading its chart library, and torch's import would take the CPU from it. A fragment
    in the box's slot starts the import two seconds later and reruns the app once the engine is ready.
    """
    slot = getattr(_RUN, "device_slot", None)
    if slot is None:
        return
    if engine_ready():
        _device_box()
        return
    _RUN.device_slot = None
    st.session_state[_POLLS] = 0
    with slot.container():
        _await_engine()


_POLLS = "_engine_polls"


@st.fragment(run_every=1.0)
def _await_engine() -> None:
    s = st.session_state
    s[_POLLS] = s.get(_POLLS, 0) + 1
    if s[_POLLS] > 2:  # two ticks after the page's run: the browser has drawn it with the machine to itself
        start_engine()
    if engine_ready():
        st.rerun()  # the whole app, now with the Device box and the pages' engine checks
    st.caption("Device: detecting (the engine is loading) ...")


def _fill_regularization() -> None:
    """mu and sigma from the space's parameter counts, when the space (or its model options) changed."""
    s = st.session_state
    try:
        build = parse_build_options(s["build_options"])
    except ValueError:
        build = ""
    target = [s["space"], build]
    if s.get(_REG_FOR) == target and s.get("mu") is not None and s.get("sigma") is not None:
        return
    from ui import tables

    mu, sigma = tables.regularization_defaults(s["space"], build)
    s["mu"], s["sigma"], s[_REG_FOR] = mu, sigma, target


def set_regularization(on: bool, mu: float | None = None, sigma: float | None = None) -> None:
    """For page controls (in their on_change callbacks): change the shared regularisation."""
    s = st.session_state
    s["regularize"] = bool(on)
    if mu is not None:
        s["mu"] = float(mu)
    if sigma is not None:
        s["sigma"] = float(sigma)
    if on and (s.get("mu") is None or s.get("sigma") is None):
        s.pop(_REG_FOR, None)
        _fill_regularization()
    elif mu is not None and sigma is not None:  # the page's own values: the sidebar keeps them
        try:
            build = parse_build_options(s["build_options"])
        except ValueError:
            build = ""
        s[_REG_FOR] = [s["space"], build]


def arch_key(space_name: str) -> str:
    """Session key of the architecture the patterns page shows for a space; other pages set it to open one."""
    return f"arch::{space_name}"


def open_architecture(space_name: str, arch: str) -> None:
    """Show `arch` of `space_name` on the next page (call just before `st.switch_page`): the sidebar takes that
    space from its saved copy (widget values do not survive a page switch), with that space's own input and no
    model options of another space."""
    st.session_state[arch_key(space_name)] = arch
    saved = st.session_state.setdefault(_STORE, {})
    if saved.get("space") != space_name:
        saved.update(space=space_name, build_options="")
        saved.pop("input", None)


def settings() -> Settings:
    """The current sidebar choices; `ValueError` when the model options text is malformed."""
    _init_defaults()
    _device_box()
    s = st.session_state
    return Settings(
        space=s["space"], batch_size=int(s["batch_size"]), input=s["input"],
        resolution=_resolution(s["space"], s["input"], s["resolution"]), device=s["device"],
        seed=int(s["seed"]), repeats=int(s["repeats"]), reinit=bool(s["reinit"]),
        build_options=parse_build_options(s["build_options"]), n_archs=int(s["n_archs"]),
    )


def _resolution(space_name: str, input_name: str, choice: str | int) -> int | None:
    """"native" is the space's own image size; the 16x16 input keeps its 16 (it stands in for ImageNet16)."""
    info = space_info(space_name)
    if info["kind"] != "image":
        return None
    if choice not in RESOLUTIONS or choice == "native":
        return None if input_name == "cifar10-16" else info["resolution"]
    return int(choice)


def regularization() -> Regularization:
    _init_defaults()
    s = st.session_state
    on = bool(s["regularize"]) and s.get("mu") is not None and s.get("sigma") is not None
    return Regularization(on, float(s["mu"]) if s.get("mu") is not None else math.nan,
                          float(s["sigma"]) if s.get("sigma") is not None else math.nan)


# --- shareable links ------------------------------------------------------------------------------------

def _from_url(space_names: list[str]) -> dict:
    """Settings from the URL's query parameters; values that do not parse are ignored (defaults apply), and
    the sidebar says which and why."""
    q = st.query_params
    found: dict = {}
    notes = st.session_state.setdefault(_URL_NOTES, [])
    switch = "must be 1, 0, true or false"

    def take(key: str, parse, ok=lambda v: True, rule: str = "") -> None:
        if key not in q:
            return
        try:
            value = parse(q[key])
        except (TypeError, ValueError, KeyError) as err:
            value, rule = None, rule or str(err)
        if value is not None and ok(value):
            found[key] = value
        else:
            notes.append(f"{key}={q[key][:40]!r} ignored: {rule}")

    take("space", str, lambda v: v in space_names, f"not a search space here ({', '.join(space_names)})")
    take("batch_size", int, lambda v: v in BATCH_SIZES, "must be a power of two from 1 to 1024")
    take("input", str, lambda v: v in INPUT_LABELS, f"not an input ({', '.join(INPUT_LABELS)})")
    take("resolution", lambda v: v if v == "native" else int(v), lambda v: v in RESOLUTIONS,
         f"must be one of {', '.join(map(str, RESOLUTIONS))}")
    take("device", str)  # checked against this machine's devices once the engine is loaded
    take("seed", int, lambda v: 0 <= v < 2**31, "must be a whole number from 0 to 2^31 - 1")
    take("repeats", int, lambda v: 1 <= v <= 64, "must be a whole number from 1 to 64")
    take("reinit", lambda v: links.BOOL[v.lower()], rule=switch)
    take("regularize", lambda v: links.BOOL[v.lower()], rule=switch)
    take("mu", float, lambda v: math.isfinite(v) and v >= 0, "must be a number of at least 0")
    take("sigma", float, lambda v: math.isfinite(v) and v > 0, "must be a number above 0")
    take("n_archs", int, lambda v: 1 <= v <= 5000, "must be a whole number from 1 to 5000")
    take("build_options", parse_build_options)
    known = {*DEFAULTS, *links.NAMES, "space", "device", "arch"}  # links.NAMES: the pages' own controls
    notes += [f"{key}={q[key][:40]!r} ignored: not a setting" for key in q if key not in known]
    if "mu" in found and "sigma" in found:  # a link's own mu and sigma are kept, not replaced by defaults
        s = st.session_state
        space = found.get("space", PREFERRED_SPACE if PREFERRED_SPACE in space_names else space_names[0])
        s[_REG_FOR] = [space, found.get("build_options", "")]
    if "arch" in q and q["arch"].strip():
        space = found.get("space", PREFERRED_SPACE if PREFERRED_SPACE in space_names else space_names[0])
        st.session_state[arch_key(space)] = q["arch"].strip()
    return found


def update_url() -> dict[str, int]:
    """Write the settings that differ from the defaults, and the architecture shown, into the URL; returns the
    keys left out, with their length, because their text is over `URL_VALUE_LIMIT` characters (a server
    refuses a 1 MB link)."""
    s = st.session_state
    wanted = {}
    for key, default in DEFAULTS.items():
        value = s.get(key, default)
        if key in ("mu", "sigma") and not s.get("regularize"):
            continue
        if value != default and value is not None:
            wanted[key] = links.text(value)
    wanted["space"] = s["space"]
    if s.get("device") and engine_ready():
        _, _, devices = engine()
        if s["device"] != devices.available_devices()[0]:
            wanted["device"] = s["device"]
    arch = s.get(arch_key(s["space"]))
    if arch:
        wanted["arch"] = arch
    wanted.update(links.wanted())
    too_long = {key: len(text) for key, text in wanted.items() if len(text) > URL_VALUE_LIMIT}
    wanted = {key: text for key, text in wanted.items() if key not in too_long}
    current = {key: st.query_params[key] for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)
    return too_long


if __name__ == "__main__":  # python -m ui.state: rewrite the catalogue from the registry
    CATALOGUE.write_text(json.dumps(catalogue_from_registry(), indent=1) + "\n")
    print(f"wrote {CATALOGUE}")
