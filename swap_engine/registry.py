"""A small named registry, shared by search spaces and proxies (timm's `register_model` idea).

The app's sidebar and the CLI list what is registered instead of hard-coding names.
"""
from __future__ import annotations

import fnmatch
import importlib
from typing import Callable, Generic, Iterator, Sequence, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to entries; `kind` only appears in error messages ("unknown search space ...").

    `modules` are imported on the first lookup (each registers its entries when imported), so importing
    the package stays light and an entry's module loads only when someone asks for the registry.
    """

    def __init__(self, kind: str, modules: Sequence[str] = ()) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._modules = list(modules)
        self._declared = {module: position for position, module in enumerate(modules)}

    def _load(self) -> None:
        while self._modules:
            importlib.import_module(self._modules.pop(0))

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def decorator(self, name: str) -> Callable[[T], T]:
        """`@registry.decorator("name")` registers what it decorates and returns it unchanged."""
        return lambda entry: self.register(name, entry)

    def get(self, name: str) -> T:
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise ValueError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching a shell-style pattern: in the order of the modules given (an entry's module
        is its class's), else in registration order, so that which module a caller imported first never
        reorders the list."""
        self._load()
        names = [n for n in self._entries if fnmatch.fnmatchcase(n, pattern)]
        last = len(self._declared)
        return sorted(names, key=lambda n: self._declared.get(type(self._entries[n]).__module__, last))

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(self._entries)
