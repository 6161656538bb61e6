"""A saved search history made with other settings than the page's: what differs, in words, and a switch of
the sidebar and the search options to the file's, so that it can be resumed (a search replays only under
the settings it was made with)."""
from __future__ import annotations

import streamlit as st

from ui import state

# Setting in a history -> (words, the session key of the widget that sets it).
SEARCH_KEYS = {"space": ("search space", "space"), "seed": ("seed", "seed"),
               "population": ("population", "search_population"), "sample_size": ("sample size", "search_sample"),
               "mutations": ("mutations per child", "search_mutations"),
               "crossover": ("crossover of the two best", "search_crossover")}
FITNESS_KEYS = {"batch_size": ("batch size B", "batch_size"), "input": ("input", "input"),
                "resolution": ("resolution", "resolution"), "device": ("device", "device"),
                "repeats": ("repeats", "repeats"), "reinit": ("Gaussian re-init", "reinit"),
                "build_options": ("model options", "build_options"), "regularize": ("regularisation", None),
                "recipe": ("fitness recipe", "search_fitness"), "metric": ("fitness", None)}


def differences(saved: dict, now: dict) -> list[str]:
    """One phrase per setting that differs: "batch size B: 64 in the file, 16 here"."""
    words = []
    for key, (name, _) in SEARCH_KEYS.items():
        if saved.get(key) != now.get(key):
            words.append(f"{name}: {_text(saved.get(key))} in the file, {_text(now.get(key))} here")
    mine, theirs = now.get("fitness") or {}, saved.get("fitness") or {}
    for key, (name, _) in FITNESS_KEYS.items():
        if theirs.get(key) != mine.get(key):
            words.append(f"{name}: {_text(theirs.get(key), key)} in the file, {_text(mine.get(key), key)} here")
    return words


def _text(value, key: str = "") -> str:
    if key == "regularize":
        return "off" if not value else f"mu = {value[0]:g}, sigma = {value[1]:g}"
    if value is None or value == "":
        return "none" if key != "resolution" else "the input's own"
    if isinstance(value, bool):
        return "on" if value else "off"
    return state.INPUT_LABELS.get(value, str(value)) if key == "input" else str(value)


def unmet(saved: dict, devices: list[str]) -> list[str]:
    """What this machine cannot switch to: a device it does not have."""
    device = (saved.get("fitness") or {}).get("device")
    return [f"device {device} (this machine has {', '.join(devices)})"] if device and device not in devices else []


def use_file_settings(saved: dict) -> None:
    """on_click: the sidebar and the search options take the history's settings (the next run resumes it)."""
    s = st.session_state
    for key, (_, widget) in SEARCH_KEYS.items():
        if key in saved:
            s[widget] = saved[key]
    fitness = saved.get("fitness") or {}
    if fitness.get("metric") == "recipe":
        s["search_fitness"] = fitness.get("recipe", "")
    elif fitness.get("metric") == "swap":
        for key in ("batch_size", "input", "repeats", "reinit", "build_options", "device"):
            if key in fitness:
                s[key] = fitness[key]
        s["search_fitness"] = ""
        s["resolution"] = _resolution_choice(saved.get("space"), fitness.get("input"), fitness.get("resolution"))
        regularize = fitness.get("regularize")
        state.set_regularization(bool(regularize), *(regularize or (None, None)))
    s["search_resume_file"] = True


def _resolution_choice(space: str | None, input_name: str | None, resolution: int | None):
    """The sidebar's choice that gives this resolution: "native" for the space's own size."""
    if resolution is None or space is None:
        return "native"
    native = state.space_info(space)["resolution"] if input_name != "cifar10-16" else None
    return "native" if resolution == native or resolution not in state.RESOLUTIONS else resolution
