"""Three protocols, each compared only with its own kind: zero-shot, k labels, and the ceiling.

    kshot("nb201-cifar10", k=100, draws=10)      # a predictor and the recipe chooser, each fitted on k labels
    zero_shot("nb201-cifar10")                   # no label of the benchmark read: fixed rules and each proxy
    ceiling("nb201-cifar10")                     # a second training run's agreement, where one exists

- **Zero-shot** reads no label of the benchmark: each proxy alone, the published fixed rules (AZ-NAS's and
  VKDNW's sums of log ranks) measured here, and the recipe chosen on the other benchmarks only (`<task>:loo` in
  sample_data/recipes.json).
- **k labels**: k architectures drawn at random (seeded, `draws` times) are labelled; every learner sees only
  their labels and is scored on every other architecture of the benchmark. Two learners: the recipe chooser
  restricted to those k, and `Predictor` (studies/predictor.py): boosted trees, extra trees and two ridge
  regressions on label-free inputs (the proxies, their ranks, the label-free rules' ranks, the architecture's
  encoding and its paths), averaged.
- **The ceiling**: on NB201 CIFAR-10 the validation accuracies come from a training run separate from the one
  behind the test accuracies; their agreement bounds what any predictor of the test accuracy can reach.

Why that predictor, and what each of its learners adds, is said in studies/predictor.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from swap_engine import analysis
from swap_engine.recipe import AZ_NAS, VKDNW_AGG, Recipe, choose, proxy_columns, spearman
from swap_engine.studies import families, published
from swap_engine.studies.predictor import MIN_LABELS, Features, Predictor, encoding
from swap_engine.studies.split import Split

KS = (10, 20, 50, 100, 200, 500, 1000)
MAX_SHARE = 0.6  # k is at most this share of a benchmark: the rest is what a learner is scored on
# NB201 CIFAR-10: its validation accuracies come from another training run than its test accuracies.
CEILINGS = {"nb201-cifar10": ("cifar10_valid_acc_pct", "cifar10_test_acc_pct")}


@dataclass(frozen=True)
class Summary:
    """One measure (Spearman, or Kendall's tau-b) over draws: mean, standard deviation and the 2.5 / 97.5 %
    percentiles of the draws."""

    values: tuple[float, ...]

    @property
    def _finite(self) -> np.ndarray:
        values = np.asarray(self.values, dtype=np.float64)
        return values[np.isfinite(values)]

    @property
    def mean(self) -> float:
        return float(self._finite.mean()) if self._finite.size else math.nan

    @property
    def sd(self) -> float:
        return float(self._finite.std(ddof=1)) if self._finite.size > 1 else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        if not self._finite.size:
            return math.nan, math.nan
        low, high = np.percentile(self._finite, [2.5, 97.5])
        return float(low), float(high)

    def as_dict(self) -> dict[str, Any]:
        return {"spearman_mean": self.mean, "spearman_sd": self.sd, "interval_95": list(self.interval),
                "draws": len(self.values)}


@dataclass(frozen=True)
class KShot:
    task: str
    target: str
    k: int
    draws: int
    predictor: Summary
    recipe: Summary
    zero_shot: dict[str, float]
    importances: pd.Series
    recipes: tuple[str, ...] = ()  # the recipe chosen on each draw's k
    predictor_kendall: Summary = Summary(())  # Kendall's tau-b of the predictor on the same draws

    def predictor_dict(self) -> dict[str, Any]:
        """The predictor's Spearman summary, with its Kendall's tau-b mean and sd where measured."""
        found = self.predictor.as_dict()
        if self.predictor_kendall.values:
            found.update(kendall_mean=self.predictor_kendall.mean, kendall_sd=self.predictor_kendall.sd)
        return found

    def as_dict(self) -> dict[str, Any]:
        best = max(self.zero_shot, key=lambda name: -math.inf if math.isnan(self.zero_shot[name])
                   else self.zero_shot[name]) if self.zero_shot else None
        return {"benchmark": self.task, "target": self.target, "k": self.k, "draws": self.draws,
                "predictor": self.predictor_dict(), "recipe": self.recipe.as_dict() if self.recipe.values else None,
                "zero_shot": {"best": best, "spearman": self.zero_shot.get(best, math.nan) if best else math.nan,
                              "rules": self.zero_shot},
                "importances": {c: float(v) for c, v in self.importances.head(10).items()}}


def _check_k(k: int, n: int) -> None:
    if k < MIN_LABELS:
        raise ValueError(f"k must be at least {MIN_LABELS}, got {k}")
    if k > MAX_SHARE * n:
        raise ValueError(f"k = {k} is more than {MAX_SHARE:.0%} of the {n:,} labelled architectures; the rest is "
                         "what a learner is scored on")


def kshot(task_name: str, k: int, draws: int = 10, *, seed: int = 0, recipes: bool = True,
          table: pd.DataFrame | None = None) -> KShot:
    """Both learners on `draws` seeded draws of k labelled architectures, each scored on all the others.

    The labels read are the k architectures' own values of the target scored (a researcher who trained k
    networks measured exactly that); scores are read on the same target over the other architectures only.
    (On NB201 CIFAR-10 the k's validation accuracies instead, a second training run, read 0.920 against 0.930
    at k = 100, with the trees alone.)
    """
    from swap_engine import atlas

    chosen = families.task(task_name)
    frame = (families.frame(chosen.atlas) if table is None else table).reset_index(drop=True)
    report = frame[chosen.report].to_numpy(dtype=np.float64)
    known = np.flatnonzero(np.isfinite(report))
    _check_k(k, len(known))
    features = Features.of(frame, atlas.spec(chosen.atlas).space, fixed_rules(task_name, frame))
    by_predictor, by_recipe, recipes_chosen, kendall = [], [], [], []
    gains = pd.Series(0.0, index=features.measured.columns)
    for draw in range(draws):
        split = Split.labelled(known, k, seed, draw)
        labelled, others = split.fit, split.report
        predictor = Predictor(features, seed=seed + draw).fit(labelled, report[labelled])
        predicted = predictor.predict()[others]
        by_predictor.append(spearman(predicted, report[others]))
        kendall.append(float(stats.kendalltau(predicted, report[others]).statistic))
        gains = gains.add(predictor.importances(), fill_value=0.0)
        if recipes:
            # the chooser sees the k rows alone (its ranks over them too); the recipe then ranks every row
            known_k = frame.iloc[labelled][proxy_columns(frame)].reset_index(drop=True)
            choice = choose(known_k, report[labelled], np.arange(k), max_terms=3)
            recipes_chosen.append(choice.recipe.text())
            by_recipe.append(spearman(choice.recipe.score(frame)[others], report[others]))
    return KShot(task_name, chosen.report, k, draws, Summary(tuple(by_predictor)), Summary(tuple(by_recipe)),
                 zero_shot_rules(task_name, frame), (gains / draws).sort_values(ascending=False),
                 tuple(recipes_chosen), Summary(tuple(kendall)))


def fixed_rules(task_name: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The label-free rules whose columns the atlas has, scored on every row: AZ-NAS's and VKDNW's published
    rules measured here, and the recipe chosen without this benchmark (`<task>:loo`)."""
    rules = {"AZ-NAS": AZ_NAS, "VKDNW_agg": VKDNW_AGG}
    loo = families.saved().loo.get(task_name)
    if loo:
        rules["leave-one-benchmark-out recipe"] = loo
    parsed = {name: Recipe.parse(text) for name, text in rules.items()}
    return {name: recipe.score(frame) for name, recipe in parsed.items()
            if all(c in frame.columns for c in recipe.columns())}


def zero_shot_rules(task_name: str, frame: pd.DataFrame) -> dict[str, float]:
    """Spearman on every architecture of each of `fixed_rules`."""
    truth = frame[families.task(task_name).report].to_numpy(dtype=np.float64)
    return {name: spearman(values, truth) for name, values in fixed_rules(task_name, frame).items()}


def zero_shot(task_name: str, *, n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Every label-free number on one task with its 95 % bootstrap interval: the fixed rules, then each proxy
    alone (a proxy measured on part of the benchmark is read on the architectures it covers)."""
    chosen = families.task(task_name)
    frame = families.frame(chosen.atlas)
    truth = frame[chosen.report].to_numpy(dtype=np.float64)
    scored = fixed_rules(task_name, frame)
    rules = set(scored)
    scored.update({column: frame[column].to_numpy(dtype=np.float64) for column in proxy_columns(frame)})
    rows = []
    for name, values in scored.items():
        finite = np.isfinite(values) & np.isfinite(truth)
        if finite.sum() < 3 or np.ptp(values[finite]) == 0:
            continue
        found = analysis.correlate(values, truth, n_boot=n_boot, seed=seed)
        rows.append({"rule": name, "kind": "rule" if name in rules else "proxy", "n": found.n,
                     "spearman": found.spearman, "low": found.spearman_ci[0], "high": found.spearman_ci[1]})
    return pd.DataFrame(rows).sort_values("spearman", ascending=False, ignore_index=True)


def ceiling(task_name: str, *, n_boot: int = 500, seed: int = 0) -> analysis.Correlation | None:
    """How well a second training run ranks the report target, where the benchmark has one (else None)."""
    if task_name not in CEILINGS:
        return None
    other, target = CEILINGS[task_name]
    frame = families.frame(families.task(task_name).atlas)
    return analysis.correlate(frame[other], frame[target], n_boot=n_boot, seed=seed)


def paper_cells(task_name: str, *, n_boot: int = 500, seed: int = 0,
                frame: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Each fixed rule on the cells a published label-free number of this benchmark is read on, where its paper
    reads a subset (VKDNW's NB201 figures: the 9,445 cells in which every operation is used): the rule scored
    among those cells alone, as the paper ranks them, so the two numbers compare like with like. Empty where
    every published number reads the whole benchmark."""
    chosen = families.task(task_name)
    benchmark = _benchmark(task_name)
    subsets = sorted({p.cells for p in published.label_free() if p.cells and p.fits(benchmark, chosen.report)})
    table = families.frame(chosen.atlas) if frame is None else frame
    rows = []
    for name in subsets:
        within = table[published.in_paper_cells(name, table["arch"])].reset_index(drop=True)
        truth = within[chosen.report].to_numpy(dtype=np.float64)
        for rule, values in fixed_rules(task_name, within).items():
            if (np.isfinite(values) & np.isfinite(truth)).sum() < 3:
                continue
            found = analysis.correlate(values, truth, n_boot=n_boot, seed=seed)
            paper = published.beside(rule, benchmark, chosen.report)
            rows.append({"rule": rule, "cells": name, "n": found.n, "spearman": found.spearman,
                         "low": found.spearman_ci[0], "high": found.spearman_ci[1],
                         "published": paper.spearman if paper is not None and paper.cells == name else None})
    return rows


# --- the whole study, as a Markdown block of docs/results.md ------------------------------------------------

RESULTS_BEGIN = ("<!-- protocols-results:begin (generated by `python -m swap_engine protocols --results-md "
                 "docs/results.md`) -->")
RESULTS_END = "<!-- protocols-results:end -->"


def study(tasks: list[str] | None = None, *, ks: tuple[int, ...] = KS, draws: int = 20, nb201_draws: int = 10,
          seed: int = 0, n_boot: int = 500, progress=None, jobs: int = 1) -> dict[str, dict[str, Any]]:
    """Every task under the three protocols: {task: {"zero_shot": frame, "kshot": [KShot], "ceiling": ...}}.

    `jobs` > 1 studies that many tasks at once in separate processes. Each task draws from its own seeds, so
    the numbers are the same as one after another; only the order of the progress lines differs."""
    names = tasks or [t.name for t in families.TASKS]
    settings = dict(ks=ks, draws=draws, nb201_draws=nb201_draws, seed=seed, n_boot=n_boot)
    if jobs <= 1 or len(names) <= 1:
        return {name: _one_task(name, progress=progress, **settings) for name in names}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(names))) as pool:
        futures = {name: pool.submit(_one_task, name, progress=_print_progress if progress else None, **settings)
                   for name in names}
        return {name: future.result() for name, future in futures.items()}


def _print_progress(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


def _one_task(name: str, *, ks: tuple[int, ...], draws: int, nb201_draws: int, seed: int, n_boot: int,
              progress=None) -> dict[str, Any]:
    chosen = families.task(name)
    frame = families.frame(chosen.atlas)
    n = int(np.isfinite(frame[chosen.report].to_numpy(dtype=np.float64)).sum())
    runs = []
    for k in ks:
        if MIN_LABELS <= k <= MAX_SHARE * n:
            if progress:
                progress(f"{name}: k = {k}")
            runs.append(kshot(name, k, nb201_draws if chosen.atlas == "nb201" else draws, seed=seed, table=frame))
    return {"zero_shot": zero_shot(name, n_boot=n_boot, seed=seed), "kshot": runs,
            "paper_cells": paper_cells(name, n_boot=n_boot, seed=seed, frame=frame),
            "ceiling": ceiling(name, n_boot=n_boot, seed=seed), "n": n}


def markdown(results: dict[str, dict[str, Any]], command: str) -> str:
    """The results block from the study's JSON form (`as_json`, or `merged`): each task's zero-shot rows, its
    k-label curve, the predictor's most used columns and the ceiling. A task whose `command` differs from
    `command` (one rerun alone after its atlas grew) names its own."""
    lines = [RESULTS_BEGIN, "", "### Three protocols: zero-shot, k labels, the ceiling", "",
             f"Command: `{command}`. **Zero-shot** reads no label of the benchmark: the fixed rules (AZ-NAS's and "
             "VKDNW's sums of log ranks, measured here where the atlas has their columns; the recipe chosen on the "
             "other benchmarks) and the five best proxies alone, each with a 95 % bootstrap interval over every "
             "architecture. **k labels**: k architectures drawn at random are labelled; the predictor "
             "(scikit-learn's gradient-boosted trees, extra trees and two ridge regressions on label-free inputs: "
             "the proxies, their ranks over the benchmark, the fixed rules' ranks and the architecture's encoding "
             "and paths; their rankings averaged, or the boosted trees alone where they lead by more than 0.002 in "
             "a 3-fold cross-validation on the k) and the recipe "
             "chooser learn from them alone and are scored on every other architecture; mean ± sd over seeded "
             "draws of the k. Published rankings that read labels stand beside the k rows only, each with the "
             "label count its source gives, against our predictor with no more labels (the largest k at or below "
             "that count), read on every other architecture (theirs on the paper's cells where marked). "
             "Compare a number only with numbers of its own protocol.", ""]
    for name, part in results.items():
        chosen = families.task(name)
        lines += [f"#### {chosen.label} ({part['n']:,} architectures, {chosen.report})", ""]
        if part.get("command", command) != command:
            lines += [f"Rerun alone: `{part['command']}`.", ""]
        zero = pd.DataFrame(part["zero_shot"])
        shown = pd.concat([zero[zero["kind"] == "rule"], zero[zero["kind"] == "proxy"].head(5)])
        lines += ["| zero-shot | Spearman [95 % CI] | n |", "|---|---|---|"]
        lines += [f"| {row.rule} | {row.spearman:.3f} [{row.low:.3f}, {row.high:.3f}] | {row.n:,} |"
                  for row in shown.itertuples()]
        lines += _paper_cells_lines(name, part.get("paper_cells", []))
        if part["kshot"]:
            lines += ["", "| k labels (draws) | predictor | recipe chooser |", "|---|---|---|"]
            for run in part["kshot"]:
                learners = [run["predictor"], run["recipe"] or {"spearman_mean": math.nan, "spearman_sd": 0.0}]
                lines.append(f"| {run['k']} ({run['draws']}) | " + " | ".join(
                    f"{s['spearman_mean']:.3f} ± {s['spearman_sd']:.3f}" for s in learners) + " |")
            lines += _labelled_lines(name, part)
            top = list(part["importances"].items())[:5]
            lines += ["", f"The predictor's five most used columns at k = {part['kshot'][-1]['k']}: " +
                      ", ".join(f"`{c}` ({v:.2f})" for c, v in top) + "."]
        ceiling_found = part["ceiling"]
        lines += ["", f"Ceiling: a second training run ranks this target at {ceiling_found['spearman']:.3f} "
                      f"[{ceiling_found['interval_95'][0]:.3f}, {ceiling_found['interval_95'][1]:.3f}]."
                  if ceiling_found else "Ceiling: this benchmark has no second training run to measure one.", ""]
    lines.append(RESULTS_END)
    return "\n".join(lines)


def beside_labelled(name: str, part: dict[str, Any]) -> list[tuple[published.WithLabels, dict[str, Any] | None]]:
    """The published rankings that read labels on task `name`'s benchmark and target, each with our k-label run
    (from the study's JSON form `part`) that reads no more labels than it: the largest such k. None where the
    source does not say how many labels, where every k is larger, or where it gives Kendall and our run has
    no Kendall measured (results saved before the study measured it)."""
    chosen = families.task(name)
    runs = sorted(part.get("kshot", []), key=lambda run: run["k"])
    found = []
    for row in published.with_labels(chosen.atlas, chosen.report):
        within = [run for run in runs if row.labels is not None and run["k"] <= row.labels
                  and f"{row.metric}_mean" in run["predictor"]]
        found.append((row, within[-1] if within else None))
    return found


def ours_beside(row: published.WithLabels, ours: dict[str, Any] | None) -> str:
    """Our predictor's reading in the published ranking's own measure, with its k; a dash where there is none."""
    if ours is None:
        return "not measured in Kendall here" if row.metric == "kendall" and row.labels is not None else "–"
    found = ours["predictor"]
    return f"{found[f'{row.metric}_mean']:.3f} ± {found[f'{row.metric}_sd']:.3f} (k = {ours['k']:,})"


def paper_cells_size(rows: list[dict[str, Any]]) -> int:
    """How many cells a paper's subset holds (`paper_cells` rows): the largest count among its rules, as a rule
    with a missing value reads one fewer."""
    return max(row["n"] for row in rows)


def _paper_cells_lines(name: str, rows: list[dict[str, Any]]) -> list[str]:
    """The fixed rules on a paper's subset of the cells, beside the published number read there."""
    if not rows:
        return []
    lines = ["", f"| zero-shot, the {paper_cells_size(rows):,} cells a paper reads (`{rows[0]['cells']}`) "
                 "| Spearman [95 % CI] | published there |", "|---|---|---|"]
    for row in rows:
        paper = "–" if row.get("published") is None else f"{row['published']:.3f}"
        lines.append(f"| {row['rule']} | {row['spearman']:.3f} [{row['low']:.3f}, {row['high']:.3f}] | {paper} |")
    papers = [p for p in published.label_free() if p.fits(_benchmark(name), families.task(name).report)]
    best = max(papers, key=lambda p: p.spearman, default=None)
    if best is not None and best.cells == rows[0]["cells"]:
        lines += ["", f"The best published label-free number here, {best.name}'s {best.spearman:.3f}, reads those "
                      "cells; the rows above read the same cells, each rule ranked among them alone."]
    return lines


def _benchmark(name: str) -> str:
    from swap_engine import atlas

    return atlas.spec(families.task(name).atlas).benchmark


def _labelled_lines(name: str, part: dict[str, Any]) -> list[str]:
    rows = beside_labelled(name, part)
    if not rows:
        return []
    lines = ["", "| published, with labels (compare with the k rows only) | its labels | ours: predictor with no more "
                 "labels, in its measure |", "|---|---|---|"]
    for row, ours in rows:
        count = f"{row.labels:,}" if row.labels is not None else "not stated"
        lines.append(f"| {row.name}: {row.reading()} | {count} | {ours_beside(row, ours)} |")
    return lines


RESULTS_FILE = "protocols.json"  # in sample_data/: the study's numbers, which the Proxy lab draws as curves


def as_json(found: dict[str, dict[str, Any]], command: str | None = None) -> dict[str, Any]:
    """The study's numbers by task: zero-shot rows, the k-label curve of each learner, the ceiling, and the
    command that computed them."""
    out: dict[str, Any] = {}
    for name, part in found.items():
        ceiling_found = part["ceiling"]
        out[name] = {
            "n": part["n"], "target": families.task(name).report,
            "zero_shot": part["zero_shot"].to_dict(orient="records"),
            "kshot": [{"k": run.k, "draws": run.draws, "predictor": run.predictor_dict(),
                       "recipe": run.recipe.as_dict() if run.recipe.values else None} for run in part["kshot"]],
            "importances": ({c: float(v) for c, v in part["kshot"][-1].importances.head(10).items()}
                            if part["kshot"] else {}),
            "ceiling": None if ceiling_found is None else {"spearman": ceiling_found.spearman,
                                                           "interval_95": list(ceiling_found.spearman_ci)},
            "paper_cells": part.get("paper_cells", []),
        }
        if command:
            out[name]["command"] = command
    return out


def merged(saved: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """`saved` with the tasks of `fresh` replaced, in the tasks' own order: one task rerun after its atlas grew
    leaves the others' numbers as they were."""
    order = [t.name for t in families.TASKS]
    both = {**saved, **fresh}
    return {name: both[name] for name in sorted(both, key=lambda n: order.index(n) if n in order else len(order))}


def saved_results() -> dict[str, Any]:
    """sample_data/protocols.json (`python -m swap_engine protocols --json-out ...`); empty before the study ran."""
    import json

    from swap_engine.resources import sample_data_path

    path = sample_data_path(RESULTS_FILE, must_exist=False)
    return json.loads(path.read_text()) if path.exists() else {}


def update_results_md(path, results: dict[str, dict[str, Any]], command: str) -> None:
    """Replace (or add) the protocols block of a results file from the study's JSON form; the rest is kept."""
    from swap_engine.studies.results_md import replace_block

    replace_block(path, markdown(results, command), RESULTS_BEGIN, RESULTS_END,
                  "## Three protocols: zero-shot, k labels, the ceiling\n\n")


__all__ = ["CEILINGS", "KS", "MIN_LABELS", "RESULTS_FILE", "KShot", "Predictor", "Summary", "as_json",
           "beside_labelled", "ceiling", "encoding", "fixed_rules", "kshot", "markdown", "merged", "ours_beside",
           "paper_cells", "paper_cells_size", "saved_results", "study", "update_results_md", "zero_shot",
           "zero_shot_rules"]
