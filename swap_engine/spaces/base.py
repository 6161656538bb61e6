"""What every search space offers: turn text into an architecture, and an architecture into a model."""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterator

from torch import nn


@dataclass(frozen=True)
class InputSpec:
    """What a space's models eat: images (`channels` x `resolution`^2) or token ids (`seq_len`, `vocab_size`)."""

    kind: str  # "image" or "tokens"
    channels: int | None = None
    resolution: int | None = None
    seq_len: int | None = None
    vocab_size: int | None = None
    default_input: str = "cifar10"  # a name for swap_engine.data.inputs


class SearchSpace(ABC):
    """One search space. Architectures are hashable values; `format(parse(s))` is canonical text."""

    name: str
    description: str
    input_spec: InputSpec
    size: int | None = None  # number of architectures, None when not enumerable
    benchmark: str | None = None  # name for swap_engine.data.benchmark(), when ground truth exists
    # A cell of one operation on each of a fixed list of edges (NB201's): the operations and the edges
    # (from node, to node) in the order an architecture lists them; empty for every other kind of space.
    edge_ops: tuple[str, ...] = ()
    cell_edges: tuple[tuple[int, int], ...] = ()

    @abstractmethod
    def parse(self, text: str) -> Any:
        """Architecture from text; `ValueError` naming the offending part when malformed."""

    @abstractmethod
    def format(self, arch: Any) -> str:
        """Canonical text of an architecture (the `arch` column of this space's benchmark table)."""

    @abstractmethod
    def sample(self, n: int, seed: int = 0) -> list:
        """`n` distinct architectures, the same list for the same seed."""

    @abstractmethod
    def build(self, arch: Any, **options: Any) -> nn.Module:
        """A freshly initialised PyTorch model of the architecture."""

    def ignored_options(self, options: Mapping[str, Any]) -> str:
        """Why some of these build options would have no effect (a variant that does not use them), in words;
        empty when all apply. A user who sets an option expects it to change the model."""
        return ""

    def largest(self) -> Any | None:
        """The architecture whose model takes the most memory under any build options, where the space has one.

        `models.check` then sizes that one model once per options and input shape, and every other cell fits
        when it does: no second build per cell. None (the default): each architecture is sized on its own."""
        return None

    @abstractmethod
    def mutate(self, arch: Any, rng: random.Random) -> Any:
        """A one-step neighbour of `arch`, never `arch` itself."""

    def example(self, seed: int = 0) -> Any:
        """An architecture to show first (the app's default): the first one `sample` draws, unless a space
        knows a more telling one."""
        return self.sample(1, seed)[0]

    def all(self) -> Iterator:
        """Every architecture, in the benchmark's order, where the space is enumerable."""
        raise TypeError(f"search space {self.name!r} is not enumerable")

    def index(self, arch: Any) -> int:
        """The architecture's row in the space's benchmark numbering (NB201's arch index), where it has one."""
        raise TypeError(f"search space {self.name!r} has no benchmark index")

    def from_index(self, index: int) -> Any:
        """The architecture at a benchmark index (the inverse of `index`), where the space has one."""
        raise TypeError(f"search space {self.name!r} has no benchmark index")

    def benchmark_key(self, arch: Any) -> Any:
        """What identifies the architecture in its benchmark table: its canonical text unless the space says
        otherwise (NB201's index, NB101's graph hash)."""
        return self.format(arch)

    def properties(self, arch: Any) -> dict[str, float | int | str]:
        """Simple facts about an architecture to group scores by in the app (e.g. number of 3x3 convs)."""
        return {}

    def graph(self, arch: Any) -> list[tuple[str, str, str]] | None:
        """Edges (from_node, to_node, operation) for drawing a cell, or None when not drawable."""
        return None
