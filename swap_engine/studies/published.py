"""This round's goals and the published numbers the studies are read against: one data file,
sample_data/published.json, read here by the report writers (families' markdown, the recipe study's rows beside
each proxy alone, the correlation study's results table) and by the app's pages that show the papers' numbers
beside ours (`label_free`: the newest label-free proxies and fixed rules; `with_labels`: rankings that read
labelled architectures, beside the k-label protocol only). The studies compute without it.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from swap_engine.resources import sample_data_path

FILE = "published.json"


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    path = sample_data_path(FILE, must_exist=False)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def task_goal(task: str) -> float | None:
    """The families study's target Spearman for a task's reporting half this round; None where it has none."""
    return _load().get("families", {}).get("tasks", {}).get(task, {}).get("goal")


def best_published(task: str) -> str:
    """The best published ranking on a task's benchmark, from its paper, in words; empty where none is known."""
    return _load().get("families", {}).get("tasks", {}).get(task, {}).get("best_published", "")


def loo_goal() -> float:
    """The goal of a leave-one-benchmark-out recipe's Spearman on the benchmark it never saw."""
    return float(_load().get("families", {}).get("loo_goal", 0.70))


def recipe_study() -> dict[str, str]:
    """Published values beside the recipe study's rows on NB201: key (a column, `AZ-NAS`, `swap_b16@reg`) -> text."""
    return {key: text for key, text in _load().get("recipe_study", {}).items() if key != "about"}


def recipe_study_column(column: str) -> str:
    """The published value of an atlas column (or one of its variants: `swap_b16` answers `swap_b16_...`)."""
    for key, text in recipe_study().items():
        if column == key or column.startswith(key + "_"):
            return text
    return ""


def correlation() -> dict[tuple[str, str, str], str]:
    """The correlation study's published values: (space, target, proxy) -> text."""
    return {(row["space"], row["target"], row["proxy"]): row["text"] for row in _load().get("correlation", [])}


@dataclass(frozen=True)
class Published:
    """One published Spearman of a label-free proxy or fixed rule: `name` as atlas columns name the proxy
    (`meco`) or the rule's name (`AZ-NAS`), on `benchmark` (an atlas's benchmark or its family: `nb301` covers
    `nb301-500`), accuracy on `dataset` (and `split` where the source names it), read with `labels` labels."""

    name: str
    kind: str  # "proxy" or "rule"
    benchmark: str
    dataset: str
    split: str | None
    spearman: float
    kendall: float | None
    labels: int
    source: str
    cells: str | None = None  # the paper's subset of the benchmark's cells, a key of PAPER_CELLS; None: all

    def fits(self, benchmark: str, target: str) -> bool:
        """Whether this number is for atlas benchmark `benchmark` and ground-truth column `target`."""
        return _fits(self.benchmark, self.dataset, self.split, benchmark, target)


def _fits(source_benchmark: str, dataset: str, split: str | None, benchmark: str, target: str) -> bool:
    """Whether a published number on `source_benchmark` (or its family), `dataset` and `split` (None: any) is for
    atlas benchmark `benchmark` and ground-truth column `target` (`cifar10_test_acc_pct`: dataset, then split)."""
    found_dataset, _, rest = target.partition("_")
    return ((benchmark == source_benchmark or benchmark.startswith(source_benchmark + "-"))
            and found_dataset == dataset and (split is None or rest.split("_", 1)[0] == split))


def label_free() -> list[Published]:
    """Every published number of the newest label-free proxies and fixed rules (VKDNW, MeCo, AZ-NAS, LIBRA)."""
    rows = _load().get("label_free", {}).get("rows", [])
    return [Published(r["name"], r["kind"], r["benchmark"], r["dataset"], r.get("split"), float(r["spearman"]),
                      None if r.get("kendall") is None else float(r["kendall"]), int(r.get("labels", 0)), r["source"],
                      r.get("cells"))
            for r in rows]


@dataclass(frozen=True)
class WithLabels:
    """One published ranking that reads `labels` labelled architectures of its benchmark (None: its source does
    not say how many): a k-label anchor, never set beside a label-free number. `metric` is "spearman" or
    "kendall", as the source gives it; `sd` over its trials where given."""

    name: str
    benchmark: str
    dataset: str
    split: str | None
    metric: str
    value: float
    sd: float | None
    labels: int | None
    source: str
    cells: str | None = None

    def fits(self, benchmark: str, target: str) -> bool:
        """As `Published.fits`: this number is for atlas `benchmark` and ground-truth column `target`."""
        return _fits(self.benchmark, self.dataset, self.split, benchmark, target)

    def reading(self) -> str:
        """'Spearman 0.908 ± 0.013', with ", the paper's cells" where it reads a subset."""
        spread = f" ± {self.sd:.3f}" if self.sd is not None else ""
        return f"{self.metric.capitalize()} {self.value:.3f}{spread}" + (", the paper's cells" if self.cells else "")

    def words(self) -> str:
        """'XGBoost on 13 Suite-Zero proxies: Spearman 0.908 ± 0.013 with 100 labels'."""
        count = f"{self.labels:,} labels" if self.labels is not None else "labels (how many not stated)"
        spread = f" ± {self.sd:.3f}" if self.sd is not None else ""
        return f"{self.name}: {self.metric.capitalize()} {self.value:.3f}{spread} with {count}"


def with_labels(benchmark: str | None = None, target: str | None = None) -> list[WithLabels]:
    """The published rankings that read labels (`with_labels` in the file), those for `benchmark` and `target`
    where both are given, fewest labels first (a count not stated last)."""
    rows = _load().get("with_labels", {}).get("rows", [])
    found = [WithLabels(r["name"], r["benchmark"], r["dataset"], r.get("split"), r["metric"], float(r["value"]),
                        None if r.get("sd") is None else float(r["sd"]),
                        None if r.get("labels") is None else int(r["labels"]), r["source"], r.get("cells"))
             for r in rows]
    if benchmark is not None and target is not None:
        found = [row for row in found if row.fits(benchmark, target)]
    return sorted(found, key=lambda row: (row.labels is None, row.labels or 0))


def _every_op_used(arch: str) -> bool:
    from swap_engine import spaces
    from swap_engine.spaces import nb201

    return nb201.every_op_used(spaces.get("nb201").parse(arch))


# The cell subsets papers read that can be rebuilt here: name -> a test of one architecture's canonical text.
PAPER_CELLS = {"every_op_used": _every_op_used}


def in_paper_cells(name: str, archs) -> np.ndarray:
    """Which of `archs` (canonical texts) lie in the paper's subset `name` (a key of `PAPER_CELLS`)."""
    if name not in PAPER_CELLS:
        raise ValueError(f"unknown paper cell set {name!r}; known: {', '.join(PAPER_CELLS)}")
    return np.array([_member(name, str(arch)) for arch in archs], dtype=bool)


@functools.lru_cache(maxsize=65536)
def _member(name: str, arch: str) -> bool:
    return PAPER_CELLS[name](arch)


def beside(name: str, benchmark: str, target: str) -> Published | None:
    """The published number of proxy or rule `name` on atlas benchmark `benchmark` against `target`; None where
    no paper gives one."""
    return next((p for p in label_free() if p.name == name and p.fits(benchmark, target)), None)


__all__ = ["FILE", "PAPER_CELLS", "Published", "beside", "in_paper_cells", "best_published", "correlation",
           "label_free", "loo_goal", "recipe_study", "recipe_study_column", "task_goal", "WithLabels",
           "with_labels"]
