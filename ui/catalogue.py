"""The catalogue of search spaces the sidebar shows, without importing the engine: a snapshot of the registry
(ui/catalogue.json), so the first page draws its sidebar and title while torch loads. `python -m ui.state`
rewrites it; a test checks it against the registry; once the engine is loaded (or when the file is missing) the
registry itself answers.
"""
from __future__ import annotations

import json
from pathlib import Path

from ui.loader import engine, engine_ready

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


def catalogue() -> dict:
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
    return list(catalogue()["spaces"])


def space_info(name: str) -> dict:
    return catalogue()["spaces"][name]


def write() -> Path:
    """Rewrite ui/catalogue.json from the registry (`python -m ui.state`)."""
    CATALOGUE.write_text(json.dumps(catalogue_from_registry(), indent=1) + "\n")
    return CATALOGUE
