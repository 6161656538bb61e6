"""Any proxy or recipe as a search fitness: looked up in the atlas where it covers the cell, computed otherwise.

`RecipeFitness(space, "log_rank:swap_b16+params")` is a callable for `swap_engine.search` (it returns a
`search.Score`). For a cell the atlas covers (every column the recipe reads is measured) the fitness is the
recipe's score over the whole atlas, read from a table. For any other cell, each column is computed live
(the proxy at that batch size, on the first B CIFAR-10 training images, the model built from
`torch.manual_seed(LIVE_SEED)`, as the whole-space tables were) and each value is ranked against the atlas's
values of that column, so a live cell and a looked-up one are on the same scale. A one-term recipe without
ranks is the column's own value either way.

`evidence(...)` is the NB201 comparison of regularised evolution with random search for several fitnesses,
looked up in the atlas, written as Markdown (`python -m swap_engine search --evidence FILE --fitness ...`).
"""
from __future__ import annotations

import math
import re
import time
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from swap_engine.recipe import Recipe, atlas

LIVE_SEED = 0  # every whole-space table built each model from torch.manual_seed(0)
_SETTING = re.compile(r"^(?P<proxy>.+)_b(?P<batch>[0-9]+)$")


def column_proxy(column: str) -> tuple[str, int | None]:
    """(proxy name, batch size) of an atlas column: `swap_layersum_b32` -> ("swap_layersum", 32)."""
    match = _SETTING.match(column)
    if match:
        return match["proxy"], int(match["batch"])
    return column, None


class RecipeFitness:
    """A recipe as a search fitness over one space's atlas; see the module docstring.

    `live=False` makes a cell outside the atlas an error instead of scoring it. `lookups` and `computed`
    count how each call was answered.
    """

    def __init__(self, space: Any, recipe: Recipe | str, frame: pd.DataFrame | None = None, *,
                 live: bool = True, device: str | None = None) -> None:
        self.space = space
        self.recipe = Recipe.parse(recipe) if isinstance(recipe, str) else recipe
        self.frame = frame if frame is not None else atlas(space.name)
        for column in self.recipe.columns():
            if column not in self.frame.columns:
                raise ValueError(f"recipe {self.recipe.text()}: column {column!r} is not in the {space.name} atlas")
        self.live = live
        self.device = device
        scores = self.recipe.score(self.frame)
        params = self.frame["params"].to_numpy(dtype=float) if "params" in self.frame.columns else None
        known = np.isfinite(scores)
        self._lookup = {arch: (float(s), None if params is None or not np.isfinite(p) else int(p))
                        for arch, s, p, k in zip(self.frame["arch"], scores,
                                                 params if params is not None else np.full(len(scores), np.nan),
                                                 known) if k}
        self._reference = {t: np.sort(v[~np.isnan(v)]) for t in self.recipe.terms
                           for v in [t.values(self.frame)]}
        self._batches: dict[int, Any] = {}
        self.lookups = 0
        self.computed = 0
        self.settings = {"metric": "recipe", "recipe": self.recipe.text(),
                         "atlas": str(self.frame.attrs.get("source", "?")), "atlas_cells": len(self._lookup)}

    def covers(self, arch_text: str) -> bool:
        return arch_text in self._lookup

    def __call__(self, arch: Any) -> Any:
        from swap_engine import search

        text = self.space.format(arch)
        if text in self._lookup:
            self.lookups += 1
            value, params = self._lookup[text]
            return search.Score(value, params=params)
        if not self.live:
            raise ValueError(f"{text} is not in the atlas for recipe {self.recipe.text()} (live scoring is off)")
        values = self.measure(arch)
        self.computed += 1
        return search.Score(self.combine(values), params=int(values["params"]) if "params" in values else None)

    def measure(self, arch: Any) -> dict[str, float]:
        """Every column the recipe reads, computed live for one architecture."""
        from swap_engine import count_params, data, models, proxies

        model = models.build(self.space, arch, seed=LIVE_SEED)
        out: dict[str, float] = {}
        for column in self.recipe.columns():
            name, batch_size = column_proxy(column)
            if name == "params":
                out[column] = float(count_params(model))
                continue
            if batch_size is None:
                batch_size = 1 if name == "flops" else 64  # the atlas counts flops on one image
            if batch_size not in self._batches:
                self._batches[batch_size] = data.inputs(self.space.input_spec.default_input, batch_size,
                                                        device=self.device)
            options = {"device": self.device} if "device" in (proxies.get(name).options() or ["device"]) else {}
            out[column] = float(proxies.score(name, model, self._batches[batch_size], **options))
        if "params" not in out:
            out["params"] = float(count_params(model))
        return out

    def combine(self, values: dict[str, float]) -> float:
        """The recipe's score for one cell measured live, each term ranked among the atlas's values."""
        frame = pd.DataFrame({k: [v] for k, v in values.items()})
        terms = []
        for term in self.recipe.terms:
            value = float(term.values(frame, reference=self.frame)[0])
            if len(self.recipe.terms) == 1:
                return value
            if math.isnan(value):
                return math.nan
            reference = self._reference[term]
            below = np.searchsorted(reference, value, side="left")
            equal = np.searchsorted(reference, value, side="right") - below
            rank = (below + (equal + 2) / 2) / (len(reference) + 1)  # average rank among the atlas + this cell
            terms.append(math.log(rank) if self.recipe.method == "log_rank" else rank)
        return float(sum(t.weight * v for t, v in zip(self.recipe.terms, terms)))


def resolve(space: Any, text: str, frame: pd.DataFrame | None = None, **options: Any) -> RecipeFitness:
    """The fitness a `--fitness` text names (any atlas column or recipe)."""
    return RecipeFitness(space, text, frame, **options)


# --- evidence ------------------------------------------------------------------------------------------

TRUTH = "true CIFAR-10 validation accuracy"
COLUMNS = ("cifar10_test_acc_pct", "cifar100_test_acc_pct", "imagenet16_test_acc_pct")


def evidence(fitnesses: Sequence[str], *, seeds: int = 10, budget: int = 100, population: int = 20,
             sample_size: int = 5, mutations: int = 1, command: str = "",
             progress: Callable[[str], None] | None = None) -> str:
    """Evolution vs random search on NB201, same fitness and budget, for each recipe text and the true
    CIFAR-10 validation accuracy; returns the Markdown report (docs/search_results.md)."""
    from swap_engine import data, spaces
    from swap_engine.search import evolve, random_search

    space = spaces.get("nb201")
    table = data.benchmark("nb201").set_index("arch")
    frame = atlas("nb201")
    recipes: dict[str, Callable[[Any], Any]] = {}
    for text in fitnesses:
        recipes[text] = RecipeFitness(space, text, frame)
    valid = table["cifar10_valid_acc_pct"]
    recipes[TRUTH] = lambda arch: float(valid.at[space.format(arch)])

    def accuracy(arch: str) -> list[float]:
        return [float(table.at[arch, c]) for c in COLUMNS]

    summary: dict[str, list] = {}
    per_seed: list[str] = []
    oracle: list[list[float]] = []
    started = time.perf_counter()
    for name, fitness in recipes.items():
        for seed in range(seeds):
            evolved = evolve(space, fitness, budget=budget, population=population, sample_size=sample_size,
                             mutations=mutations, seed=seed)
            sampled = random_search(space, fitness, budget, seed=seed)
            found, baseline = accuracy(evolved.best.arch), accuracy(sampled.best.arch)
            summary.setdefault(name, []).append((found, baseline, evolved.best.score, sampled.best.score,
                                                 len(evolved.history.records)))
            if name == TRUTH:
                oracle.append([float(table.loc[[r.arch for r in sampled.history.records], c].max())
                               for c in COLUMNS])
            arch = evolved.best.arch.replace("|", "\\|")
            per_seed.append(f"| `{name}` | {seed} | `{arch}` | " + " | ".join(f"{v:.2f}" for v in found)
                            + " | " + " | ".join(f"{v:.2f}" for v in baseline) + " |")
            if progress is not None:
                progress(f"{name} seed {seed}: evolution {found[0]:.2f} vs random {baseline[0]:.2f} "
                         f"({time.perf_counter() - started:.0f} s)")

    def mean_sd(values: Sequence[float]) -> str:
        return f"{np.mean(values):.2f} ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.2f}"

    lines = ["| fitness | method | CIFAR-10 test | CIFAR-100 test | ImageNet16-120 test | best fitness found "
             "| steps |", "|---|---|---|---|---|---|---|"]
    reading = []
    for name, rows in summary.items():
        label = f"`{name}`" if name != TRUTH else name
        for method, index, score_index in (("regularised evolution", 0, 2), (f"random search, best of {budget}", 1, 3)):
            accs = [mean_sd([r[index][i] for r in rows]) for i in range(len(COLUMNS))]
            steps = np.mean([r[4] for r in rows]) if index == 0 else budget
            lines.append(f"| {label} | {method} | " + " | ".join(accs)
                         + f" | {np.mean([r[score_index] for r in rows]):.6g} | {steps:.0f} |")
        gain = np.mean([r[0][0] for r in rows]) - np.mean([r[1][0] for r in rows])
        reading.append(f"{label}: evolution {np.mean([r[0][0] for r in rows]):.2f} %, random search "
                       f"{np.mean([r[1][0] for r in rows]):.2f} % ({gain:+.2f} points)")
    lines.append(f"| – | best of {budget} random cells by true CIFAR-10 test accuracy (oracle) | "
                 + " | ".join(mean_sd([o[i] for o in oracle]) for i in range(len(COLUMNS))) + " | – | – |")
    lines.append("| – | a random cell (mean of all 15,625) | "
                 + " | ".join(f"{table[c].mean():.2f}" for c in COLUMNS) + " | – | – |")
    lines.append("| – | space optimum | " + " | ".join(f"{table[c].max():.2f}" for c in COLUMNS) + " | – | – |")

    source = frame.attrs.get("source", "?")
    covered = {t: int(np.isfinite(Recipe.parse(t).score(frame)).sum()) for t in fitnesses}
    ceiling = []  # what a perfect optimiser of each fitness would return: the atlas's top cells by it
    for text in fitnesses:
        values = Recipe.parse(text).score(frame)
        known = np.flatnonzero(np.isfinite(values))
        top = known[np.argsort(-values[known], kind="stable")[:10]]
        accs = table.loc[frame["arch"].to_numpy()[top], COLUMNS[0]].to_numpy(dtype=float)
        ceiling.append(f"`{text}`: {accs[0]:.2f} % for its best cell, {accs.mean():.2f} % mean of its best 10")
    return "\n".join([
        "# Search on NAS-Bench-201 with proxy fitnesses: evidence",
        "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}." if command else
        f"Generated on {time.strftime('%Y-%m-%d')}.",
        "",
        f"Each of {seeds} seeds runs regularised evolution (population {population}, tournament {sample_size}, "
        f"{mutations} mutation(s) per child) until {budget} distinct cells have been evaluated, and random "
        f"search evaluates {budget} distinct random cells (seeded the same way) and returns the one with the "
        "best fitness. Fitnesses are recipes over the atlas (`swap_engine.recipe`; e.g. "
        "`log_rank:swap_b16+params` is AZ-NAS's sum of log-normalised ranks of SWAP at B = 16 and the "
        "parameter count), looked up where the atlas covers the cell and computed live otherwise "
        f"(`swap_engine.fitness`). Atlas: {source}; cells it covers per fitness: "
        + ", ".join(f"`{t}` {n:,}" for t, n in covered.items()) + ". "
        "Accuracies are the true 200-epoch test accuracies (%) of the cell returned, mean ± standard "
        "deviation over seeds; the search never sees them. The last fitness is the true CIFAR-10 validation "
        "accuracy, a perfect proxy, to show what the search itself achieves with this budget.",
        "",
        *lines,
        "",
        "CIFAR-10 test accuracy of the returned cell, evolution vs random search with the same fitness and "
        "budget (means over seeds): " + "; ".join(reading) + ".",
        "",
        "The ceiling of each fitness, whatever the search (CIFAR-10 test accuracy of the atlas cells it rates "
        "highest): " + "; ".join(ceiling) + ". A fitness whose best cells are below a target cannot reach it "
        "with any budget; evolution can only get close to its fitness's own optimum.",
        "",
        "## Per seed",
        "",
        "| fitness | seed | cell found by evolution | C-10 | C-100 | IN16 | random search C-10 | C-100 | IN16 |",
        "|---|---|---|---|---|---|---|---|---|",
        *per_seed,
        "",
    ])


__all__ = ["LIVE_SEED", "RecipeFitness", "column_proxy", "evidence", "resolve"]
