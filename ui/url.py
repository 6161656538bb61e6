"""The link: the sidebar's settings, the architecture shown and the pages' own controls, read from the URL's query
parameters on a session's first run and written back on every run, so a copied link opens the same view.
"""
from __future__ import annotations

import math

import streamlit as st

from ui import links
from ui.loader import engine, engine_ready
from ui.choices import (BATCH_SIZES, DEFAULTS, INPUT_LABELS, PREFERRED_SPACE, REG_FOR, RESOLUTIONS, arch_key,
                        parse_build_options)

READ = "_url_read"
NOTES = links.NOTES  # query parameters of the opening link that were ignored, said once in the sidebar
URL_VALUE_LIMIT = 2_000  # characters: a longer value stays out of the link (browsers and servers refuse huge URLs)
WORDS = {"build_options": "model options", "arch": "architecture text", "lab_text": "recipe",  # keys in words
         "search_fitness": "fitness recipe", "neighbours_recipe": "recipe",
         "compare_left": "left architecture", "compare_right": "right architecture"}


def from_url(space_names: list[str]) -> dict:
    """Settings from the URL's query parameters; values that do not parse are ignored (defaults apply), and
    the sidebar says which and why."""
    q = st.query_params
    found: dict = {}
    notes = st.session_state.setdefault(NOTES, [])
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
    known = {*DEFAULTS, *links.NAMES, "space", "input", "device", "arch"}  # links.NAMES: the pages' own controls
    notes += [f"{key}={q[key][:40]!r} ignored: not a setting" for key in q if key not in known]
    if "mu" in found and "sigma" in found:  # a link's own mu and sigma are kept, not replaced by defaults
        s = st.session_state
        space = found.get("space", PREFERRED_SPACE if PREFERRED_SPACE in space_names else space_names[0])
        s[REG_FOR] = [space, found.get("build_options", "")]
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
