"""This round's goals and the published numbers the studies are read against: one data file,
sample_data/published.json, read here and only by the report writers (families' markdown, the recipe study's
rows beside each proxy alone, the correlation study's results table). The studies compute without it.
"""
from __future__ import annotations

import functools
import json
from typing import Any

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


__all__ = ["FILE", "best_published", "correlation", "loo_goal", "recipe_study", "recipe_study_column", "task_goal"]
