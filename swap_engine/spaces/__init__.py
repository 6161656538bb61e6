"""Search spaces, by name: `get("nb201")`, `names()`. Each module registers its space on import."""
from __future__ import annotations

from swap_engine.registry import Registry
from swap_engine.spaces.base import InputSpec, SearchSpace

# Modules that define spaces, imported on first lookup so `import swap_engine` stays light.
_registry: Registry[SearchSpace] = Registry(
    "search space", [f"{__name__}.{module}" for module in ("nb201", "darts", "nb101", "flexibert", "zoo", "timm")])


def register(space: SearchSpace) -> SearchSpace:
    return _registry.register(space.name, space)


def get(name: str) -> SearchSpace:
    return _registry.get(name)


def names(pattern: str = "*") -> list[str]:
    return _registry.names(pattern)


__all__ = ["InputSpec", "SearchSpace", "get", "names", "register"]
