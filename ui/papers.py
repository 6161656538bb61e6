"""The papers' numbers beside ours, for the Proxy lab and Across families: the field's newest label-free proxies
(MeCo, L-SWAG, VKDNW) and fixed rules (AZ-NAS, VKDNW_agg; LIBRA, published only) on one benchmark's atlas and
ground truth. Ours are read from the atlas (each proxy alone, a rule by its recipe), over the cells it measures;
the papers' come from sample_data/published.json (`studies.published`). Nothing is scored here.

    table(frame, "nb201", "cifar10_test_acc_pct")   # proxy or rule, cells, ours, paper, source
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import pandas as pd

from swap_engine import recipe as recipes
from swap_engine.columns import Column
from swap_engine.recipe import NonFinite, ordered
from swap_engine.studies import published, reading
from swap_engine.studies.alone import each_alone

NEWEST = ("meco", "lswag", "vkdnw")  # the newest label-free proxies, as atlas columns name them
RULES = {"AZ-NAS": recipes.AZ_NAS, "VKDNW_agg": recipes.VKDNW_AGG, "LIBRA": None}  # None: no recipe of it here
COLUMNS = ["proxy or rule", "cells", "ours", "ours, paper's cells", "paper", "source"]


def newest(column: str) -> str | None:
    """The newest proxy an atlas column is (`meco_b64` -> `meco`), else None (other proxies, variants, not a
    proxy)."""
    try:
        parsed = Column.parse(column)
    except ValueError:
        return None
    return parsed.proxy if parsed.proxy in NEWEST and parsed.variant is None else None


def rule_name(key: str) -> str | None:
    """The fixed rule a recipe is (its text), else None."""
    return _rule_keys().get(key)


@functools.cache
def _rule_keys() -> dict[str, str]:
    return {recipes.Recipe.parse(text).text(): name for name, text in RULES.items() if text}


def paper_of(key: str, benchmark: str, target: str) -> published.Published | None:
    """The paper's number for a recipe (its text: a fixed rule, or one newest proxy's column alone) on this
    benchmark and ground truth; None where no paper gives one."""
    name = rule_name(key) or newest(key)
    return published.beside(name, benchmark, target) if name else None


def cells_words(measured: int, total: int) -> str:
    return f"{measured:,} of {total:,}"


def table(frame: pd.DataFrame, benchmark: str, target: str,
          rule: NonFinite | str = NonFinite.LAST) -> pd.DataFrame:
    """One row per newest proxy the atlas measures (or a paper gives a number for) and per fixed rule whose
    columns the atlas has (or a paper gives a number for): the cells it is measured on out of the benchmark's,
    our Spearman with `target` under the rule for -inf (NaN: not measured here), the paper's, and its source."""
    total = frame.attrs.get("cells", len(frame))
    columns = [c for c in recipes.proxy_columns(frame) if newest(c) and frame[c].notna().any()]
    rows = []
    for name in NEWEST:
        paper = published.beside(name, benchmark, target)
        mine = [c for c in columns if newest(c) == name]
        alone = each_alone(frame, [target], columns=mine, rule=rule) if mine else None
        for column in mine:
            rho = float(alone.loc[alone["column"] == column, "spearman"].iat[0])
            alone_on = lambda part, column=column: ordered(part[column].to_numpy(dtype=float), rule)  # noqa: E731
            rows.append(_row(column, cells_words(int(frame[column].notna().sum()), total), rho, paper,
                             _on_paper_cells(frame, target, paper, alone_on)))
        if not mine and paper is not None:
            rows.append(_row(name, cells_words(0, total), np.nan, paper))  # not measured here yet
    for name, text in RULES.items():
        paper = published.beside(name, benchmark, target)
        if text is None:
            if paper is not None:
                rows.append(_row(name, "no recipe of it here", np.nan, paper))
            continue
        recipe = recipes.Recipe.parse(text)
        lacking = [c for c in recipe.columns() if c not in frame.columns or frame[c].isna().all()]
        if lacking:
            if paper is not None:
                rows.append(_row(name, "needs " + ", ".join(lacking), np.nan, paper))
            continue
        values = reading.scores(frame, recipe, rule)
        read = int(np.isfinite(values).sum())
        rows.append(_row(name, cells_words(read, total), recipes.spearman(values, frame[target].to_numpy(float)),
                         paper, _on_paper_cells(frame, target, paper,
                                                lambda part, recipe=recipe: reading.scores(part, recipe, rule))))
    return pd.DataFrame(rows, columns=COLUMNS)


def _on_paper_cells(frame: pd.DataFrame, target: str, paper: published.Published | None,
                    score: Callable[[pd.DataFrame], np.ndarray]) -> float:
    """Our Spearman on the cells the paper read, where it names a subset we can rebuild (NaN otherwise); a rule
    ranks among those cells alone, as the paper's did."""
    if paper is None or paper.cells is None or "arch" not in frame.columns:
        return np.nan
    inside = frame[published.in_paper_cells(paper.cells, frame["arch"])].reset_index(drop=True)
    return recipes.spearman(score(inside), inside[target].to_numpy(float))


def _row(name: str, cells: str, ours: float, paper: published.Published | None, on_paper_cells: float = np.nan) -> dict:
    return {"proxy or rule": name, "cells": cells, "ours": ours, "ours, paper's cells": on_paper_cells,
            "paper": np.nan if paper is None else paper.spearman, "source": "" if paper is None else paper.source}


def shown(rows: pd.DataFrame) -> pd.DataFrame:
    """The table as the pages show it: Spearman to 3 decimals, a blank where there is none."""
    return rows.assign(**{c: ["" if np.isnan(v) else f"{v:.3f}" for v in rows[c].to_numpy(dtype=float)]
                          for c in ("ours", "ours, paper's cells", "paper")})


def notes(rows: pd.DataFrame) -> str:
    """The caption's closing words under such a table: what may differ, the paper's-cells column, the sources."""
    return ("The papers' cells and accuracy split may differ from ours. *ours, paper's cells*: ours on the paper's "
            "own cells where it names a subset rebuilt here (VKDNW's Table 1: the 9,445 NB201 cells in which every "
            "operation is used). Sources: " + (sources(rows) or "none") + ".")


def sources(rows: pd.DataFrame) -> str:
    """The sources of a table's paper column, each once, in words."""
    named = list(dict.fromkeys(s for s in rows["source"] if s))
    return "; ".join(named)


__all__ = ["COLUMNS", "NEWEST", "RULES", "cells_words", "newest", "notes", "paper_of", "rule_name", "shown", "sources",
           "table"]
