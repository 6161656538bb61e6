"""Search spaces, by name: `get("nb201")`, `names()`. Each module registers its space on import."""
from __future__ import annotations

import importlib

from swap_engine.registry import Registry
from swap_engine.spaces.base import InputSpec, SearchSpace

_registry: Registry[SearchSpace] = Registry("search space")
# Modules that define spaces; imported on first use so `import swap_engine` stays light.
_MODULES = ("nb201", "darts", "nb101", "flexibert", "zoo")
_loaded = False


def register(space: SearchSpace) -> SearchSpace:
    return _registry.register(space.name, space)


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")


def get(name: str) -> SearchSpace:
    _load()
    return _registry.get(name)


def names(pattern: str = "*") -> list[str]:
    _load()
    return _registry.names(pattern)


__all__ = ["InputSpec", "SearchSpace", "get", "names", "register"]
