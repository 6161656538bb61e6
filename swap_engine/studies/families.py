"""Proxies and recipes across families, honestly: every proxy alone on every atlas, each benchmark's recipe
chosen on a seeded half and reported unchanged on the other, one recipe per benchmark chosen
leave-one-benchmark-out (fitted on the other benchmarks' labels only), and the transfer matrix (a recipe
chosen on X read unchanged on Y's reporting half).

A *task* is an atlas with the target it is chosen on (validation accuracy where the benchmark has it, else its
only one) and the target it is reported on. An atlas only partly computed is studied on the cells it has
measured, and every row says how many.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from swap_engine import analysis
from swap_engine.recipe import NonFinite, Recipe, candidate_terms, choose, greedy, proxy_columns, spearman
from swap_engine.resources import sample_data_path
from swap_engine.studies import bootstrap, published, reading
from swap_engine.studies.results_md import replace_block
from swap_engine.studies.alone import each_alone
from swap_engine.studies.split import Split


@dataclass(frozen=True)
class Task:
    name: str
    atlas: str
    select: str  # the target a recipe is chosen on (fitting half)
    report: str  # the target it is reported on (reporting half)
    label: str
    # Leave-one-benchmark-out fits on one task per benchmark: NB201's CIFAR-10 (its other datasets share its
    # cells) and DARTS-1k's full network (the proxy network shares its labels).
    loo: bool = False
    # Benchmarks whose architectures and labels overlap this one's (many of the zoo's torchvision classifiers,
    # ResNets, VGGs, ViTs, are also timm-in1k architectures, both ranked by ImageNet top-1): left out together,
    # so that a leave-one-benchmark-out recipe never read the label of a network it is scored on.
    kin: tuple[str, ...] = ()


TASKS = (
    Task("nb201-cifar10", "nb201", "cifar10_valid_acc_pct", "cifar10_test_acc_pct", "NB201 CIFAR-10", loo=True),
    Task("nb201-cifar100", "nb201", "cifar100_valid_acc_pct", "cifar100_test_acc_pct", "NB201 CIFAR-100"),
    Task("nb201-imagenet16", "nb201", "imagenet16_valid_acc_pct", "imagenet16_test_acc_pct",
         "NB201 ImageNet16-120"),
    Task("darts-1k-proxynet", "darts-1k-proxynet", "cifar10_valid_acc_pct", "cifar10_valid_acc_pct",
         "DARTS-1k, 1-cell proxy network"),
    Task("darts-1k", "darts-1k", "cifar10_valid_acc_pct", "cifar10_valid_acc_pct", "DARTS-1k, full network",
         loo=True),
    Task("nb301-500", "nb301-500", "cifar10_valid_acc_pct", "cifar10_valid_acc_pct", "NB301-500", loo=True),
    Task("nb101-500", "nb101-500", "cifar10_valid_acc_pct", "cifar10_valid_acc_pct", "NB101-500", loo=True),
    Task("flexibert-500", "flexibert-500", "glue_avg_score", "glue_avg_score", "FlexiBERT-500 (GLUE)", loo=True),
    Task("zoo", "zoo", "imagenet_top1_acc_pct", "imagenet_top1_acc_pct", "torchvision zoo (ImageNet top-1)",
         loo=True, kin=("timm-in1k",)),
    # Not among the benchmarks recipes are chosen on (loo): its atlas has jacov, zico and B = 128 SWAP on part of
    # it only (MeCo since stop 52), and a term must be measured on every training benchmark (`common_terms`).
    Task("timm-in1k", "timm-in1k", "imagenet_top1_acc_pct", "imagenet_top1_acc_pct",
         "timm-in1k (ImageNet top-1)", kin=("zoo",)),
)
# This round's goals and the best published numbers per task: sample_data/published.json (`studies.published`),
# read by the report writers below.


def loo_goal() -> float:
    """The Spearman a leave-one-out recipe should reach on the benchmark it never saw (published.json)."""
    return published.loo_goal()


def task(name: str) -> Task:
    found = {t.name: t for t in TASKS}
    if name not in found:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(found)}")
    return found[name]


def frame(atlas_name: str) -> pd.DataFrame:
    """The atlas joined with its benchmark's targets and Suite-Zero's published values (`atlas.with_truth`),
    restricted to the cells with at least one measured proxy; `attrs["cells"]`: the atlas's cells in all."""
    from swap_engine import atlas

    return atlas.with_truth(atlas_name)


# --- choosing -------------------------------------------------------------------------------------------

@dataclass
class Fitted:
    """A task's frame with its fitting and reporting halves."""

    task: Task
    frame: pd.DataFrame
    fit_rows: np.ndarray
    report_rows: np.ndarray

    def truth(self, target: str) -> np.ndarray:
        return self.frame[target].to_numpy(dtype=np.float64)

    def split(self, seed: int = 0) -> Split:
        return Split(np.asarray(self.fit_rows), np.asarray(self.report_rows), seed)


def fitted(chosen: Task, seed: int = 0, frames: dict[str, pd.DataFrame] | None = None) -> Fitted:
    table = frames[chosen.atlas] if frames is not None and chosen.atlas in frames else frame(chosen.atlas)
    split = Split.halves(len(table), seed)
    return Fitted(chosen, table, split.fit, split.report)


def common_terms(parts: Sequence[Fitted], *, also: Sequence[pd.DataFrame] = (), min_coverage: float = 0.95):
    """Candidate terms measured on at least `min_coverage` of the fitting rows of every part (and of every row
    of each frame in `also`: where the recipe will be read, label-free)."""
    sets = [candidate_terms(p.frame, p.fit_rows, min_coverage=min_coverage) for p in parts]
    sets += [candidate_terms(f, np.arange(len(f)), min_coverage=min_coverage) for f in also]
    shared = set(sets[0]).intersection(*sets[1:]) if sets else set()
    return [t for t in sets[0] if t in shared]


WEIGHINGS = ("benchmark", "space")


def part_weights(parts: Sequence[Fitted], weigh: str = "benchmark") -> np.ndarray:
    """Each part's weight in a fit across benchmarks: 1 each ("benchmark"), or each search space once, shared
    among its benchmarks ("space": DARTS-1k and NB301-500 are both DARTS cells, and weigh half each)."""
    from swap_engine import atlas

    if weigh not in WEIGHINGS:
        raise ValueError(f"unknown weighing {weigh!r}; known: {', '.join(WEIGHINGS)}")
    spaces = [atlas.spec(p.task.atlas).space if weigh == "space" else p.task.name for p in parts]
    return np.array([1.0 / spaces.count(s) for s in spaces])


def choose_across(parts: Sequence[Fitted], terms: Sequence, *, max_terms: int = 5, weigh: str = "benchmark"):
    """The recipe that maximises the weighted mean (`part_weights`) Spearman with each part's selection target on
    its fitting half (ranks taken per benchmark); returns (recipe, mean fit)."""
    if not terms:
        raise ValueError("no proxy column is measured on every benchmark of the fit")
    values = [{t: t.values(p.frame) for t in terms} for p in parts]
    truths = [p.truth(p.task.select)[p.fit_rows] for p in parts]
    weights = part_weights(parts, weigh)
    cache: dict = {}

    def fit(recipe: Recipe) -> float:
        if recipe not in cache:
            fits = []
            for part, table, truth in zip(parts, values, truths):
                columns = [table[replace(t, weight=1.0)] for t in recipe.terms]
                combined = columns[0] if len(columns) == 1 else analysis.aggregate(
                    columns, method=recipe.method, weights=[t.weight for t in recipe.terms])
                fits.append(spearman(combined[part.fit_rows], truth))
            cache[recipe] = float(np.average(fits, weights=weights)) if all(np.isfinite(fits)) else -np.inf
        return cache[recipe]

    best = greedy(list(terms), fit, max_terms=max_terms)
    return best, fit(best)


TERM_CHOICES = (3, 5, 7)  # `max_terms="auto"` picks among these on an inner split of the fitting rows


def _inner(part: Fitted, seed: int) -> tuple[Fitted, Fitted]:
    """The fitting half split again (seeded, `Split.inner`): (fit on the first, read on the second) as two Fitted
    views."""
    fit, read = part.split(seed).inner()
    return replace(part, fit_rows=fit.fit), replace(part, fit_rows=read.fit)


def _terms_cap(max_terms: int | str, score: Callable[[int], float]) -> int:
    """`max_terms` itself, or for "auto" the choice of `TERM_CHOICES` that `score` (an inner split's Spearman)
    rates best, the fewer terms on a tie."""
    if max_terms != "auto":
        return int(max_terms)
    rated = {k: score(k) for k in TERM_CHOICES}
    return max(TERM_CHOICES, key=lambda k: (np.nan_to_num(rated[k], nan=-np.inf), -k))


def choose_own(part: Fitted, *, max_terms: int | str = "auto", min_coverage: float = 0.95, seed: int = 0):
    """A task's recipe on its fitting half; "auto" takes 3, 5 or 7 terms as an inner split of that half says
    (more terms fit a 7,800-cell half better, and only overfit a 250-cell one)."""
    truth = part.truth(part.task.select)
    fit, read = _inner(part, seed)

    def inner(k: int) -> float:
        recipe = choose(part.frame, truth, fit.fit_rows, max_terms=k, min_coverage=min_coverage).recipe
        return spearman(recipe.score(part.frame)[read.fit_rows], truth[read.fit_rows])

    return choose(part.frame, truth, part.fit_rows, max_terms=_terms_cap(max_terms, inner),
                  min_coverage=min_coverage)


def choose_across_auto(parts: Sequence[Fitted], terms: Sequence, *, max_terms: int | str = "auto", seed: int = 0,
                       weigh: str = "benchmark"):
    """`choose_across`, with "auto" taking 3, 5 or 7 terms as an inner split of every part's fitting half says."""
    split = [_inner(p, seed) for p in parts]
    weights = part_weights(parts, weigh)

    def inner(k: int) -> float:
        recipe, _ = choose_across([fit for fit, _ in split], terms, max_terms=k, weigh=weigh)
        return float(np.average([spearman(recipe.score(read.frame)[read.fit_rows],
                                          read.truth(read.task.select)[read.fit_rows]) for _, read in split],
                                weights=weights))

    return choose_across(parts, terms, max_terms=_terms_cap(max_terms, inner), weigh=weigh)


# --- the study ------------------------------------------------------------------------------------------

@dataclass
class Row:
    task: str
    recipe: str
    fit: float
    held_out: analysis.Correlation | None
    cells: int
    note: str = ""


@dataclass
class FamiliesReport:
    seed: int
    alone: pd.DataFrame  # task, proxy, source (ours / published), cells, spearman
    own: list[Row]
    loo: list[Row]
    transfer: pd.DataFrame  # rows: chosen on; columns: read on; Spearman on the reporting half
    skipped: dict[str, str] = field(default_factory=dict)  # task -> why it was left out

    def recipes(self) -> dict[str, str]:
        """`recipes.json`: each task's chosen recipe, and `<task>:loo` its leave-one-out recipe."""
        return SavedRecipes({row.task: row.recipe for row in self.own},
                            {row.task: row.recipe for row in self.loo}).to_json()


def _held_out(recipe, part: Fitted, n_boot: int, seed: int) -> analysis.Correlation | None:
    """The recipe on the part's reporting half, read as the Proxy lab reads it (`reading`: -inf ranked last)."""
    try:
        scores = reading.scores(part.frame, recipe, NonFinite.LAST)
    except ValueError:
        return None  # a column the recipe reads is not on this atlas
    try:
        return reading.correlation(scores, part.truth(part.task.report), part.report_rows, n_boot=n_boot, seed=seed)
    except ValueError:
        return None  # fewer than 3 cells of the reporting half where the recipe has a value


def parts(tasks: Sequence[str] | None = None, *, seed: int = 0, load: Callable[[str], pd.DataFrame] | None = None
          ) -> tuple[dict[str, Fitted], dict[str, str]]:
    """Each task whose atlas is here with enough measured cells, split into halves; and why the others are not.
    `load`: an atlas name -> its joined frame (`frame`, `atlas.with_truth`, unless the caller keeps them cached)."""
    from swap_engine import atlas

    load = load or frame
    frames: dict[str, pd.DataFrame] = {}
    found: dict[str, Fitted] = {}
    skipped: dict[str, str] = {}
    for t in [task(n) for n in (tasks or [t.name for t in TASKS])]:
        try:
            if t.atlas not in frames:
                frames[t.atlas] = load(t.atlas)
            part = fitted(t, seed, frames)
        except (FileNotFoundError, ValueError, OSError) as err:
            skipped[t.name] = f"{type(err).__name__}: {err}"
            continue
        if len(part.frame) < MIN_CELLS:
            skipped[t.name] = (f"only {len(part.frame)} of {atlas.spec(t.atlas).name}'s cells are measured yet: "
                               f"too few for halves (at least {MIN_CELLS})")
            continue
        found[t.name] = part
    return found, skipped


MIN_CELLS = 20


def study(tasks: Sequence[str] | None = None, *, seed: int = 0, n_boot: int = 500, max_terms: int | str = "auto",
          min_coverage: float = 0.95, weigh: str = "benchmark", progress: Callable[[str], None] | None = None
          ) -> FamiliesReport:
    """Every proxy alone, each task's own recipe, its leave-one-out recipe and the transfer matrix."""
    say = progress or (lambda _line: None)
    found, skipped = parts(tasks, seed=seed)
    own: list[Row] = []
    for name, part in found.items():
        say(f"choosing on {name} ({len(part.fit_rows)} cells)")
        try:
            choice = choose_own(part, max_terms=max_terms, min_coverage=min_coverage, seed=seed)
        except ValueError as err:
            skipped[name] = str(err)
            continue
        own.append(Row(name, choice.recipe.text(), choice.fit, _held_out(choice.recipe, part, n_boot, seed),
                       len(part.frame)))
    loo = _leave_one_out(found, seed, n_boot, max_terms, min_coverage, say, weigh)
    transfer = transfer_matrix({row.task: row.recipe for row in own}, found, seed=seed)
    return FamiliesReport(seed, alone(found), own, loo, transfer, skipped)


def transfer_matrix(recipes: dict[str, str], found: dict[str, Fitted], *, seed: int = 0) -> pd.DataFrame:
    """Spearman of each recipe (rows: the task it was chosen on) on each task's reporting half (columns); NaN
    where the recipe reads a column that task's atlas lacks."""
    cells = transfer_cells(recipes, found, seed=seed)
    out = cells.pivot(index="chosen on", columns="read on", values="value")
    out = out.reindex(index=list(recipes), columns=list(found)).astype(float)
    out.index.name, out.columns.name = None, None
    return out


TRANSFER_COLUMNS = ["chosen on", "read on", "value", "low", "high", "cells", "lacks"]


def transfer_cells(recipes: dict[str, str], found: dict[str, Fitted], *, metric: str = "spearman", n_boot: int = 0,
                   seed: int = 0, top_k: float = 0.1) -> pd.DataFrame:
    """One row per (recipe's task, task it is read on): `metric` (`bootstrap.METRICS`) on the reporting half,
    read as the lab reads it (-inf ranked last), with a bootstrap interval from `n_boot` resamples (seeded as the
    lab's), the cells it is read on, and `lacks`: the columns the recipe reads that the atlas has not (then NaN).
    Zero-shot on every other benchmark: the recipe never saw its labels."""
    rows = []
    for source, text in recipes.items():
        recipe = Recipe.parse(text)
        values: dict[str, np.ndarray] = {}  # one atlas, several targets (NB201's datasets): scored once
        for target, part in found.items():
            lacks = [c for c in recipe.columns() if c not in part.frame.columns]
            found_value = bootstrap.Estimate(math.nan, math.nan, math.nan, 0)
            if not lacks:
                atlas_name = part.task.atlas
                if atlas_name not in values:
                    values[atlas_name] = reading.scores(part.frame, recipe, NonFinite.LAST)
                truth = part.truth(part.task.report)
                rows_read = part.report_rows
                try:
                    found_value = bootstrap.estimate(values[atlas_name][rows_read], truth[rows_read], metric,
                                                     n_boot=n_boot, seed=seed, top_k=top_k)
                except ValueError:
                    pass  # fewer than 3 cells of the reporting half where the recipe has a value
            rows.append({"chosen on": source, "read on": target, "value": found_value.value, "low": found_value.low,
                         "high": found_value.high, "cells": found_value.n, "lacks": ", ".join(lacks)})
    return pd.DataFrame(rows, columns=TRANSFER_COLUMNS)


def leave_one_out_table(recipes: dict[str, str], found: dict[str, Fitted], *, seed: int = 0) -> pd.DataFrame:
    """task, recipe, spearman, met: each leave-one-out recipe of `recipes` (task -> recipe) read on its task's
    reporting half."""
    rows = []
    for name, part in found.items():
        text = recipes.get(name)
        if text is None:
            continue
        result = _held_out(Recipe.parse(text), part, 0, seed)
        value = result.spearman if result is not None else math.nan
        rows.append({"task": name, "recipe": text, "spearman": value, "met": bool(value >= loo_goal())})
    return pd.DataFrame(rows, columns=["task", "recipe", "spearman", "met"])


def alone(found: dict[str, Fitted]) -> pd.DataFrame:
    """Every proxy column alone (and Suite-Zero's published values, where the benchmark ships them) against the
    reporting target, over every measured cell."""
    rows = []
    for name, part in found.items():
        published = [c for c in part.frame.columns if c.startswith("zc_")]
        table = each_alone(part.frame, [part.task.report], columns=[*proxy_columns(part.frame), *published],
                           rule=NonFinite.DROP)
        rows += [{"task": name, "proxy": column.removeprefix("zc_"),
                  "source": "published" if column.startswith("zc_") else "ours", "cells": cells, "spearman": rho}
                 for column, cells, rho in zip(table["column"], table["cells"], table["spearman"])]
    return pd.DataFrame(rows, columns=["task", "proxy", "source", "cells", "spearman"])


def _leave_one_out(parts: dict[str, Fitted], seed: int, n_boot: int, max_terms: int | str, min_coverage: float,
                   say: Callable[[str], None], weigh: str = "benchmark") -> list[Row]:
    from swap_engine import atlas

    rows = []
    for name, part in parts.items():
        held = {atlas.spec(part.task.atlas).benchmark, *part.task.kin}
        training = [parts[t.name] for t in TASKS if t.loo and t.name in parts and
                    atlas.spec(parts[t.name].task.atlas).benchmark not in held]
        if not training:
            continue
        say(f"leave-one-out for {name}: fitted on {', '.join(p.task.name for p in training)}")
        terms = common_terms(training, also=[part.frame], min_coverage=min_coverage)
        try:
            recipe, fit = choose_across_auto(training, terms, max_terms=max_terms, seed=seed, weigh=weigh)
        except ValueError as err:
            rows.append(Row(name, "", math.nan, None, len(part.frame), str(err)))
            continue
        rows.append(Row(name, recipe.text(), fit, _held_out(recipe, part, n_boot, seed), len(part.frame),
                        "fitted on " + ", ".join(p.task.name for p in training)))
    return rows


# --- writing --------------------------------------------------------------------------------------------

RESULTS_BEGIN = ("<!-- families-results:begin (generated by `python -m swap_engine families --results-md "
                 "docs/results.md`) -->")
RESULTS_END = "<!-- families-results:end -->"


def _ci(result: analysis.Correlation | None) -> str:
    if result is None or not np.isfinite(result.spearman):
        return "not computable"
    lo, hi = result.spearman_ci
    return f"{result.spearman:.3f} [{lo:.3f}, {hi:.3f}] (n = {result.n})"


def markdown(report: FamiliesReport, command: str) -> str:
    """The families section of docs/results.md."""
    by_name = {t.name: t for t in TASKS}
    lines = [RESULTS_BEGIN, "", "### Across families: each benchmark's recipe, leave-one-benchmark-out, transfer",
             "", f"Command: `{command}` (seed {report.seed}). Halves of the measured cells; 250-cell halves have "
             "intervals about ±0.1 wide, so a row there is a rough reading. A recipe is a greedy forward "
             "selection of terms and weights on the fitting half; how many terms (3, 5 or 7) is chosen on an inner "
             "split of that half, the fewer on a tie, so the reporting half is never read to choose. These recipes "
             "read half their benchmark's labels (7,813 on NB201): compare them with the k-label protocol "
             "(`python -m swap_engine protocols`), never with a label-free proxy.", "",
             "| task | chosen on its fitting half | held out (Spearman, 95 % CI) | goal | met |",
             "|---|---|---|---|---|"]
    for row in report.own:
        t = by_name[row.task]
        goal = published.task_goal(t.name)
        met = "" if goal is None or row.held_out is None else ("yes" if row.held_out.spearman >= goal else "no")
        lines.append(f"| {t.label} | `{row.recipe}` | {_ci(row.held_out)} | {goal or ''} | {met} |")
    lines += ["", f"Leave-one-benchmark-out (fitted on the other benchmarks' labels only, so no label of the held-out "
              f"benchmark is read: zero-shot there, beside the best published label-free number; goal >= "
              f"{loo_goal()}):", "",
              "| held-out task | recipe | held out (Spearman, 95 % CI) | met | fitted on "
              "| best published, label-free |",
              "|---|---|---|---|---|---|"]
    for row in report.loo:
        t = by_name[row.task]
        met = "" if row.held_out is None else ("yes" if row.held_out.spearman >= loo_goal() else "no")
        lines.append(f"| {t.label} | `{row.recipe}` | {_ci(row.held_out)} | {met} | {row.note} | "
                     f"{published.best_published(t.name)} |")
    lines += ["", "Transfer (row: recipe chosen on; column: Spearman on that task's reporting half; zero-shot off the "
              "diagonal, as the recipe never read that benchmark's labels, and held out on it):", ""]
    lines.append(_table(report.transfer) if len(report.transfer) else "(none)")
    lines += ["", "Every proxy alone (all measured cells; `published`: NAS-Bench-Suite-Zero's own values):", ""]
    if len(report.alone):
        pivot = report.alone.assign(name=lambda f: f["proxy"] + np.where(f["source"] == "published",
                                                                          " (published)", ""))
        table = pivot.pivot_table(index="name", columns="task", values="spearman", aggfunc="first")
        lines.append(_table(table))
    if report.skipped:
        lines += ["", "Left out: " + "; ".join(f"{k}: {v}" for k, v in report.skipped.items())]
    lines += ["", RESULTS_END]
    return "\n".join(lines)


def _table(values: pd.DataFrame) -> str:
    """A float table as markdown, three decimals, blank where not computable."""
    head = ["", *map(str, values.columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in values.iterrows():
        cells = ["" if not np.isfinite(float(v)) else f"{float(v):.3f}" for v in row]
        lines.append("| " + " | ".join([str(name), *cells]) + " |")
    return "\n".join(lines)


def update_results_md(path: str | Path, report: FamiliesReport, command: str) -> None:
    """Replace (or add) the families block of a results file; everything else in it is kept."""
    replace_block(path, markdown(report, command), RESULTS_BEGIN, RESULTS_END)


RECIPES_FILE = "recipes.json"  # in sample_data/: the study's choices, the lab's and the families page's start


LOO_SUFFIX = ":loo"  # in recipes.json only: `<task>:loo` is that task's leave-one-out recipe


@dataclass(frozen=True)
class SavedRecipes:
    """The study's recipes by task: `own` chosen on the task's fitting half, `loo` on the other benchmarks."""

    own: dict[str, str] = field(default_factory=dict)
    loo: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, saved: dict[str, str]) -> SavedRecipes:
        return cls({k: v for k, v in saved.items() if not k.endswith(LOO_SUFFIX)},
                   {k.removesuffix(LOO_SUFFIX): v for k, v in saved.items() if k.endswith(LOO_SUFFIX)})

    def to_json(self) -> dict[str, str]:
        return {**self.own, **{f"{task}{LOO_SUFFIX}": text for task, text in self.loo.items()}}


def saved_recipes() -> dict[str, str]:
    """The recipes the study wrote to sample_data/recipes.json (`<task>` and `<task>:loo`); empty before."""
    path = sample_data_path(RECIPES_FILE, must_exist=False)
    return json.loads(path.read_text()) if path.exists() else {}


def saved() -> SavedRecipes:
    """sample_data/recipes.json read as each task's own and leave-one-out recipes; empty before the study ran."""
    return SavedRecipes.from_json(saved_recipes())


def write_recipes(path: str | Path, report: FamiliesReport) -> None:
    Path(path).write_text(json.dumps(report.recipes(), indent=2) + "\n")
