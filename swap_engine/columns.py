"""Atlas column names, read in one place: `swap_layersum_b32` is SWAP's layersum variant at B = 32.

    Column.parse("swap_layersum_b32")     # Column(proxy="swap", variant="layersum", batch=32)
    Column.parse("grad_norm_b64")         # Column(proxy="grad_norm", variant=None, batch=64)
    Column.parse("params")                # Column(proxy="params", variant=None, batch=None)
    Column.parse("swap_b16").words()      # "SWAP (B = 16)"

A column is `<proxy>[_<variant>]_b<B>`, or `<proxy>` for the proxies that read no batch (`params`, `flops`).
Only the proxies of `FAMILIES` have variants (one pass stores several columns: SWAP's, AZ-NAS's three); any
other underscore belongs to the proxy's name. `<column>_seconds` is the cost of the pass that computed it, and
`swap_neurons_b<B>` the neuron count N beside SWAP's score: neither is a proxy score (`is_score`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Jobs that store several columns from one pass: SWAP's variants, AZ-NAS's three proxies.
FAMILIES = ("swap", "az")
BATCHLESS = ("params", "flops")  # no `_b<B>` in their column name
COST = "_seconds"
_NAMED = {"params": "parameters"}
_BATCH = re.compile(r"(.+)_b(\d+)")


@dataclass(frozen=True)
class Column:
    """One atlas column: its proxy, the variant of a family's pass (None for the proxy itself), its batch size."""

    proxy: str
    variant: str | None = None
    batch: int | None = None

    @classmethod
    def parse(cls, name: str) -> Column:
        """The column `name` (a cost column `<column>_seconds` reads as the column it times)."""
        match = _BATCH.fullmatch(str(name).removesuffix(COST))
        if match is None:
            return cls(str(name).removesuffix(COST))
        head, batch = match[1], int(match[2])
        family = next((f for f in FAMILIES if head.startswith(f + "_")), None)
        if family is None:
            return cls(head, None, batch)
        return cls(family, head[len(family) + 1:], batch)

    @property
    def stem(self) -> str:
        """The name without the batch size: `swap_layersum`, `naswot`, `params`."""
        return self.proxy if self.variant is None else f"{self.proxy}_{self.variant}"

    @property
    def name(self) -> str:
        return self.stem if self.batch is None else f"{self.stem}_b{self.batch}"

    def __str__(self) -> str:
        return self.name

    @property
    def job(self) -> Column:
        """The column of the pass that computes this one (`swap_stage2_b16` -> `swap_b16`); its cost column is
        `job.cost`."""
        return Column(self.proxy, None, None if self.proxy in BATCHLESS else self.batch)

    @property
    def cost(self) -> str:
        """The seconds column of the pass (the members of one pass share it)."""
        return f"{self.job.name}{COST}"

    def words(self) -> str:
        """As a reader says it: "SWAP (B = 16)", "SWAP layersum (B = 32)", "naswot (B = 64)", "parameters"."""
        if self.batch is None:
            return _NAMED.get(self.stem, self.stem.replace("_", " "))
        stem = self.stem.replace("_", " ")
        stem = "SWAP" + stem[4:] if stem.startswith("swap") else stem
        return f"{stem} (B = {self.batch})"


def column(proxy: str, batch_size: int) -> str:
    """The atlas column of a proxy value: `<proxy>_b<B>`, or `<proxy>` for params and flops."""
    return Column(proxy, None, batch_size).job.name


def is_cost(name: str) -> bool:
    return str(name).endswith(COST)


def is_score(name: str) -> bool:
    """A proxy's score: not a cost (`_seconds`), not the neuron count beside SWAP's score (`swap_neurons_b16`)."""
    return not is_cost(name) and not str(name).startswith("swap_neurons")


__all__ = ["BATCHLESS", "COST", "FAMILIES", "Column", "column", "is_cost", "is_score"]
