"""The shared sidebar: every scoring setting lives in `st.session_state`, so all pages see the same choices.

The settings (and the architecture the patterns page shows) are mirrored in the URL's query parameters, so a
link opens exactly the view it was copied from (`ui.url`). The sidebar is drawn from a snapshot of the registry
(`ui.catalogue`, ui/catalogue.json); what can be chosen, and the `Settings` a page receives, are in
`ui.choices` (their names are kept here too, where the pages find them). The engine (torch and the search
spaces) is imported in a background thread, started by the first page that needs it or just after a first page
that does not, so that the first page draws before torch is loaded.
"""
from __future__ import annotations

import math
import threading

import streamlit as st

from ui import messages
from ui.catalogue import CATALOGUE, catalogue, catalogue_from_registry, space_info, space_names, write
from ui.choices import (BATCH_SIZES, DEFAULTS, INPUT_LABELS, INPUTS_BY_KIND, PREFERRED_SPACE, REG_FOR, RESOLUTIONS,
                        STORE, Regularization, Settings, arch_key, parse_build_options)
from ui.loader import engine, engine_ready, start_engine
from ui.url import NOTES, READ, URL_VALUE_LIMIT, WORDS, from_url, update_url



# --- settings --------------------------------------------------------------------------------------------

def _init_defaults(device: bool = True) -> None:
    """Session defaults (from the URL on a session's first run); `device=False` leaves the device for later
    (choosing it needs the engine)."""
    names = space_names()
    if not names:
        raise RuntimeError("no search space is registered; is swap_engine.spaces installed?")
    defaults = {"space": PREFERRED_SPACE if PREFERRED_SPACE in names else names[0], **DEFAULTS}
    s = st.session_state
    saved = s.setdefault(STORE, {})
    if not s.get(READ):
        s[READ] = True
        saved.update(from_url(names))
    for key, value in defaults.items():
        if key not in s:
            s[key] = saved.get(key, value)
    if device:
        _, _, devices = engine()
        found = devices.available_devices()
        if s.get("device") not in found:
            if saved.get("device") not in (None, *found):
                s.setdefault(NOTES, []).append(f"device={saved['device']} ignored: not on this machine "
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
    known = set(catalogue()["inputs"])
    options = [name for name in INPUTS_BY_KIND.get(info["kind"], []) if name in known]
    if info["default_input"] in options:
        options.remove(info["default_input"])
    return [info["default_input"], *options]


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
    for note in s.pop(NOTES, []):
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
    s[STORE] = {key: s[key] for key in ("space", "input", *DEFAULTS)} | (
        {"device": s["device"]} if "device" in s else {})
    for key, length in update_url().items():
        sb.caption(f"The {WORDS.get(key, key)} ({length:,} characters) is too long for a link (at most "
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
    st.session_state[STORE]["device"] = st.session_state["device"]


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
    if s.get(REG_FOR) == target and s.get("mu") is not None and s.get("sigma") is not None:
        return
    from ui import tables

    mu, sigma = tables.regularization_defaults(s["space"], build)
    s["mu"], s["sigma"], s[REG_FOR] = mu, sigma, target


def set_regularization(on: bool, mu: float | None = None, sigma: float | None = None) -> None:
    """For page controls (in their on_change callbacks): change the shared regularisation."""
    s = st.session_state
    s["regularize"] = bool(on)
    if mu is not None:
        s["mu"] = float(mu)
    if sigma is not None:
        s["sigma"] = float(sigma)
    if on and (s.get("mu") is None or s.get("sigma") is None):
        s.pop(REG_FOR, None)
        _fill_regularization()
    elif mu is not None and sigma is not None:  # the page's own values: the sidebar keeps them
        try:
            build = parse_build_options(s["build_options"])
        except ValueError:
            build = ""
        s[REG_FOR] = [s["space"], build]


def open_architecture(space_name: str, arch: str) -> None:
    """Show `arch` of `space_name` on the next page (call just before `st.switch_page`): the sidebar takes that
    space from its saved copy (widget values do not survive a page switch), with that space's own input and no
    model options of another space."""
    st.session_state[arch_key(space_name)] = arch
    saved = st.session_state.setdefault(STORE, {})
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


__all__ = ["BATCH_SIZES", "CATALOGUE", "DEFAULTS", "INPUTS_BY_KIND", "INPUT_LABELS", "PREFERRED_SPACE", "RESOLUTIONS",
           "URL_VALUE_LIMIT", "Regularization", "Settings", "arch_key", "catalogue_from_registry", "engine_ready",
           "finish_sidebar", "inputs_for", "native_resolution", "open_architecture", "parse_build_options",
           "regularization", "set_regularization", "settings", "sidebar", "space_info", "space_names", "update_url"]


if __name__ == "__main__":  # python -m ui.state: rewrite the catalogue from the registry
    print(f"wrote {write()}")
