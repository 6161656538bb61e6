"""The Proxy lab's data: the atlas read once (cached for the app), every statistic cached by its inputs.

What the lab shows is one `Choice` (benchmark, ground truth, scorer, top-k, resamples, the rule for -inf); a
scorer is anything with a `key`, a `label` and `score(frame)` (`swap_engine.recipe.Scorer`: a recipe, later a
predictor fitted on k labels), and every cache is keyed on `scorer.key`. The page (views/lab.py) only lays out
widgets, and its figures are in ui/charts/lab.py; every number here is computed over the whole atlas from
cached arrays, so a widget change redraws in well under a second once the bootstrap of that choice has been
computed. Every number is read as `swap_engine.studies.reading` reads it, the same function the transfer matrix
and `swap-explorer lab` use (`command` writes the lab's state as that command line). Another page opens the lab
on a recipe, a ground truth and a half of the cells with `open` (never by writing the lab's keys).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
from scipy import stats

from swap_engine import analysis
from swap_engine import recipe as recipes
from swap_engine.columns import Column
from swap_engine.recipe import NonFinite, Scorer
from swap_engine.studies import bootstrap, families, reading, recipe_study
from swap_engine.studies.alone import each_alone
from ui import papers, tables

BENCHMARK_KEY = "lab_atlas"  # the lab's benchmark selector
RECIPE_KEY = "lab_text"  # the lab's typed recipe
CELLS_KEY = "lab_cells"  # every cell, or one of the families study's halves
ORIGIN_KEY = "lab_origin"  # what another page showed when it opened the lab (said while the choice still matches)
DATASETS = {"CIFAR-10": "cifar10", "CIFAR-100": "cifar100", "ImageNet16-120": "imagenet16"}
SPLITS = ("test", "valid")
OP_LABELS = {"none": "none (zero)", "skip_connect": "skip", "nor_conv_1x1": "conv 1x1", "nor_conv_3x3": "conv 3x3",
             "avg_pool_3x3": "avg pool 3x3"}


@dataclass(frozen=True)
class Choice:
    """Everything the lab's numbers depend on: the benchmark's atlas, the ground truth, the scorer, the best
    fraction of top-k precision, the bootstrap resamples and the rule for -inf."""

    benchmark: str
    target: str
    scorer: Scorer
    top_k: float = 0.1
    resamples: int = 0
    non_finite: NonFinite = NonFinite.LAST
    cells: str = "all"  # `reading.CELLS`: every cell, or a half of the families study


def open(atlas_name: str, recipe: str, *, target: str | None = None, cells: str = "all",  # noqa: A001
         origin: str = "") -> None:
    """Open the Proxy lab on atlas `atlas_name` with `recipe` typed in (from any page), on ground truth `target`
    (default: the lab's), over `cells`; `origin` (what the other page showed) is said while the lab still shows
    that choice. The lab reads -inf last and top-10 % there, as the families study does."""
    s = st.session_state
    s[BENCHMARK_KEY], s[RECIPE_KEY], s[CELLS_KEY] = atlas_name, recipe, cells
    s["lab_non_finite"], s["lab_topk"] = NonFinite.LAST.value, 0.1
    if target is not None:
        s.update(target_state(atlas_name, target))
    s[ORIGIN_KEY] = {"atlas": atlas_name, "recipe": recipes.Recipe.parse(recipe).text(), "target": target,
                     "cells": cells, "words": origin}
    st.switch_page("views/lab.py")


def grid(frame: pd.DataFrame) -> bool:
    """Whether the ground truths are every dataset in two splits (NB201's): chosen as a dataset and a split."""
    return {f"{d}_{s}_acc_pct" for d in DATASETS.values() for s in SPLITS} <= set(targets(frame))


def target_state(name: str, target: str) -> dict[str, str]:
    """The lab's widget values that choose `target` on atlas `name`."""
    if grid(atlas(name)):
        dataset, split = target.removesuffix("_acc_pct").rsplit("_", 1)
        label = next(k for k, v in DATASETS.items() if v == dataset)
        return {"lab_dataset": label, "lab_split": split}
    return {f"lab_target_{name}": target}


def origin(choice: Choice) -> str:
    """What the page that opened the lab showed, while the lab still shows that choice; else ""."""
    found = st.session_state.get(ORIGIN_KEY) or {}
    same = (found.get("atlas") == choice.benchmark and found.get("recipe") == choice.scorer.key
            and found.get("target") in (None, choice.target) and found.get("cells") == choice.cells
            and NonFinite(choice.non_finite) == NonFinite.LAST)
    return found.get("words", "") if same else ""


def rows(choice: Choice) -> np.ndarray:
    """Row positions of the cells the choice's statistics are taken over (`reading.cell_rows`)."""
    return reading.cell_rows(len(atlas(choice.benchmark)), choice.cells)


def benchmarks() -> list[str]:
    """The atlases this installation ships, in the specs' order (NB201 first): the lab's benchmark selector."""
    from swap_engine import atlas as atlases

    return atlases.available() or list(atlases.SPECS)[:1]


def atlas(name: str) -> pd.DataFrame:
    """An atlas joined with its benchmark's ground truth where the table is here (`tables.atlas`, cached once for
    the app; shared: never modify it): the cells measured so far, `attrs["cells"]` all of them."""
    return tables.atlas(name)


def targets(frame: pd.DataFrame) -> list[str]:
    """The ground truths the lab ranks against (Suite-Zero's published `zc_` values are the Across-families
    page's, not a ground truth)."""
    return [t for t in frame.attrs.get("targets", []) if t in frame.columns and frame[t].notna().any()
            and not t.startswith("zc_")]


def scores(choice: Choice) -> np.ndarray:
    """The scorer's value for every cell under the choice's rule for -inf; NaN where a column it reads is
    missing."""
    return _scores(choice.scorer.key, choice.benchmark, NonFinite(choice.non_finite).value, _scorer=choice.scorer)


@st.cache_data(show_spinner=False, max_entries=256)
def _scores(key: str, name: str, rule: str, _scorer: Scorer) -> np.ndarray:
    return reading.scores(atlas(name), _scorer, rule)


def correlation(choice: Choice, seed: int = 0) -> analysis.Correlation:
    return _correlation(choice.scorer.key, choice.target, choice.top_k, choice.resamples, seed, choice.benchmark,
                        NonFinite(choice.non_finite).value, choice.cells, _scorer=choice.scorer)


@st.cache_data(show_spinner="Bootstrapping confidence intervals ...", max_entries=256)
def _correlation(key: str, target: str, top_k: float, n_boot: int, seed: int, name: str, rule: str, cells: str,
                 _scorer: Scorer) -> analysis.Correlation:
    values = _scores(key, name, rule, _scorer=_scorer)
    return reading.correlation(values, atlas(name)[target], reading.cell_rows(len(values), cells), top_k=top_k,
                               n_boot=n_boot, seed=seed)


def paired(choice: Choice, a: Scorer, b: Scorer, seed: int = 0) -> bootstrap.Paired:
    """Recipe `a` against recipe `b` on the choice's benchmark, ground truth, cells and rule for -inf: the
    difference of their Spearman, both read on the same resamples (`bootstrap.paired`)."""
    rule = NonFinite(choice.non_finite).value
    return _paired(a.key, b.key, choice.target, choice.resamples, seed, choice.benchmark, rule, choice.cells,
                   _a=a, _b=b)


@st.cache_data(show_spinner="Bootstrapping the difference ...", max_entries=64)
def _paired(key_a: str, key_b: str, target: str, n_boot: int, seed: int, name: str, rule: str, cells: str,
            _a: Scorer, _b: Scorer) -> bootstrap.Paired:
    a, b = _scores(key_a, name, rule, _scorer=_a), _scores(key_b, name, rule, _scorer=_b)
    chosen = reading.cell_rows(len(a), cells)
    return bootstrap.paired(a[chosen], b[chosen], atlas(name)[target].to_numpy(dtype=float)[chosen],
                            n_boot=n_boot, seed=seed)


def command(choice: Choice, versus: Scorer | None = None) -> str:
    """The lab's state as a `swap-explorer lab` command line that prints the same numbers."""
    return reading.command_line(choice.benchmark, choice.scorer.key, target=choice.target, cells=choice.cells,
                                rule=NonFinite(choice.non_finite).value, top_k=choice.top_k,
                                n_boot=choice.resamples, versus=None if versus is None else versus.key)


def best_of_budget(choice: Choice) -> tuple[float, float, float]:
    """(scorer, random, oracle): the expected target of the best-scored of `SEARCH_BUDGET` random cells.

    What a search with this scorer as fitness and that budget is after; random search with a perfect
    fitness (the target itself) is the oracle, a random cell's mean the floor.
    """
    return _best_of_budget(choice.scorer.key, choice.target, choice.benchmark, NonFinite(choice.non_finite).value,
                           choice.cells, _scorer=choice.scorer)


@st.cache_data(show_spinner=False, max_entries=256)
def _best_of_budget(key: str, target: str, name: str, rule: str, cells: str, _scorer: Scorer
                    ) -> tuple[float, float, float]:
    values = _scores(key, name, rule, _scorer=_scorer)
    return reading.best_of_budget(values, atlas(name)[target], reading.cell_rows(len(values), cells))


def swap_batches(frame: pd.DataFrame) -> list[int]:
    """The batch sizes SWAP is measured at in this atlas (its columns with a value), not those it plans."""
    found = {Column.parse(c).batch for c in recipes.proxy_columns(frame)
             if Column.parse(c).proxy == "swap" and frame[c].notna().any()}
    return sorted(b for b in found if b is not None)


@st.cache_data(show_spinner=False, max_entries=64)
def spearman_matrix(columns: tuple[str, ...], target_columns: tuple[str, ...], name: str,
                    rule: str = NonFinite.LAST.value) -> tuple[pd.DataFrame, pd.Series]:
    """Spearman of each column alone with each target under the rule for -inf (`studies.alone`), and the cells
    each column is read on (finite, or ranked last)."""
    table = each_alone(atlas(name), target_columns, columns=columns, rule=rule)
    out = table.pivot(index="column", columns="target", values="spearman").reindex(
        index=list(columns), columns=list(target_columns)).astype(float)
    out.index.name, out.columns.name = None, None
    cells = table.drop_duplicates("column").set_index("column")["read"].reindex(list(columns)).fillna(0).astype(int)
    cells.index.name = None
    return out, cells


def newest(choice: Choice) -> pd.DataFrame:
    """The newest label-free proxies and fixed rules on the choice's benchmark and ground truth, ours beside the
    papers' (`papers.table`), over every cell the atlas measures."""
    return _newest(choice.benchmark, choice.target, NonFinite(choice.non_finite).value)


@st.cache_data(show_spinner=False, max_entries=32)
def _newest(name: str, target: str, rule: str) -> pd.DataFrame:
    return papers.table(atlas(name), _benchmark(name), target, rule)


def paper(name: str, key: str, target: str):
    """The paper's number for recipe `key` (a fixed rule, or a newest proxy alone) on atlas `name` and `target`,
    or None (`studies.published.Published`)."""
    return papers.paper_of(key, _benchmark(name), target)


def papers_matrix(name: str, columns: list[str], target_columns: list[str]) -> pd.DataFrame:
    """The papers' Spearman of each column alone against each ground truth, NaN where none gives one."""
    benchmark = _benchmark(name)
    return pd.DataFrame([[getattr(papers.paper_of(c, benchmark, t), "spearman", np.nan) for t in target_columns]
                         for c in columns], index=columns, columns=target_columns, dtype=float)


def named_words(label: str, named: dict[str, str], name: str, target: str) -> str:
    """A known recipe's label, with the paper's Spearman on this benchmark and ground truth where one is known."""
    found = paper(name, named[label], target) if label in named else None
    return label if found is None else f"{label} (paper: {found.spearman:.3f})"


def coverage(choice: Choice, frame: pd.DataFrame) -> pd.DataFrame:
    """Each proxy column: the cells it is measured on, and the paper's Spearman on the choice's ground truth (as
    text, blank where no paper gives one)."""
    columns = recipes.proxy_columns(frame)
    benchmark = _benchmark(choice.benchmark)
    found = [papers.paper_of(c, benchmark, choice.target) for c in columns]
    return pd.DataFrame({"column": columns, "cells measured": [int(frame[c].notna().sum()) for c in columns],
                         "paper": ["" if p is None else f"{p.spearman:.3f}" for p in found]})


def _benchmark(name: str) -> str:
    from swap_engine import atlas as atlases

    return atlases.spec(name).benchmark


def missing_counts(frame: pd.DataFrame, columns: list[str]) -> dict[str, int]:
    """Cells by why a recipe over `columns` can or cannot read them: `inf` (some column is -inf or +inf),
    `not computable` (measured, but the proxy has no value there), `not measured` (no job ran yet), `read`."""
    values = frame[columns].to_numpy(dtype=float)
    infinite = np.isinf(values).any(axis=1)
    missing = np.isnan(values)
    measured = np.ones_like(missing)
    for j, column in enumerate(columns):
        cost = recipe_study.cost_column(column)
        if cost in frame.columns:
            measured[:, j] = frame[cost].notna().to_numpy()
        else:  # no timing column (filled from an earlier table): a value is the only sign of a measurement
            measured[:, j] = ~missing[:, j]
    not_measured = (missing & ~measured).any(axis=1)
    not_computable = (missing & measured).any(axis=1) & ~not_measured
    total = frame.attrs.get("cells", len(frame))
    outside = total - len(frame)  # cells of the benchmark not in this frame (not measured at all)
    return {"read": int((~infinite & ~not_measured & ~not_computable).sum()), "inf": int((infinite & ~not_measured
            & ~not_computable).sum()), "not computable": int(not_computable.sum()),
            "not measured": int(not_measured.sum()) + outside}


def missing_words(counts: dict[str, int], rule: NonFinite) -> str:
    """The counts in words: "15,424 read, 201 -inf (ranked last), 0 not computable, 0 not measured"."""
    inf = "ranked last" if rule == NonFinite.LAST else "dropped"
    return (f"{counts['read']:,} cells read, {counts['inf']:,} -inf ({inf}), {counts['not computable']:,} not "
            f"computable, {counts['not measured']:,} not measured")


@st.cache_resource(show_spinner=False, max_entries=8)
def space(name: str):
    from swap_engine import spaces

    return spaces.get(name)


def score_live(name: str, job) -> dict[str, float]:
    """One runner job of atlas `name` for a cell outside it, computed here (the atlas's own settings), as columns."""
    from swap_engine import atlas as atlases
    from swap_engine.runner.jobs import Chunk, run_chunk

    records = run_chunk(Chunk(job.space, job.settings, [job]))
    failed = [r.error for r in records if r.failed]
    if failed:
        raise ValueError(f"{job.proxy} could not be computed for this architecture: {failed[0]}")
    return atlases.columns_of(name, records)


@st.cache_resource(show_spinner=False, max_entries=16)
def _fitness(name: str, key: str, _scorer: Scorer):
    from swap_engine.studies.recipe_fitness import RecipeFitness

    return RecipeFitness(space(atlas_space(name)), key, atlas(name), live=False)


def atlas_space(name: str) -> str:
    from swap_engine import atlas as atlases

    return atlases.spec(name).space


def rank_live(name: str, scorer: Scorer, values: dict[str, float]) -> float:
    """A live cell's recipe score, each term ranked among the atlas's values (the same scale as the atlas's)."""
    return _fitness(name, scorer.key, _scorer=scorer).combine(values)


@st.cache_data(show_spinner="Laying out the map ...", max_entries=8)
def space_map(name: str) -> tuple[np.ndarray, list[str]]:
    """Every cell of the atlas in two dimensions: the first two principal components of its proxy ranks (each
    column fully measured on the cells, ranked and centred; SWAP variants included), so that cells the proxies
    see alike sit together. Label-free. Returns (n x 2 coordinates, the columns used)."""
    frame = atlas(name)
    columns = [c for c in recipes.proxy_columns(frame) if frame[c].notna().all()]
    if len(columns) < 2:
        return np.full((len(frame), 2), np.nan), columns
    ranks = np.column_stack([stats.rankdata(recipes.ordered(frame[c].to_numpy(dtype=float), NonFinite.LAST))
                             / len(frame)
                             for c in columns])
    centred = ranks - ranks.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T, columns


def edge_cells(name: str) -> bool:
    """Whether the atlas's space is a cell of one operation per fixed edge (NB201's), so that which operation the
    top cells have on each edge can be read."""
    return bool(space(atlas_space(name)).cell_edges)


def edge_op_share(name: str, archs: pd.Series) -> pd.DataFrame:
    """Share of the cells (in %) with each operation on each edge of the space's cell (operations x edges), from
    the space's own list of operations and edges (`spaces.nb201.OPS`, `EDGES`)."""
    chosen = space(atlas_space(name))
    ops, edges = list(chosen.edge_ops), [f"{a}→{b}" for a, b in chosen.cell_edges]
    counts = np.zeros((len(ops), len(edges)))
    for arch in archs:
        for edge, op in enumerate(chosen.parse(arch)):
            counts[ops.index(op), edge] += 1
    share = 100 * counts / max(len(archs), 1)
    return pd.DataFrame(share, index=[OP_LABELS.get(o, o) for o in ops], columns=edges)


def top_cells(values: np.ndarray, fraction: float) -> np.ndarray:
    """Row positions of the best `fraction` of the measured values (highest first)."""
    known = np.flatnonzero(~np.isnan(values))
    k = max(1, int(round(fraction * known.size)))
    return known[np.argsort(-values[known], kind="stable")[:k]]


NEAR_BOUND = {"at the bound": 1.0, "within 1 %": 0.99, "within 5 %": 0.95}


def at_bound(frame: pd.DataFrame) -> pd.DataFrame:
    """Per SWAP batch size in the atlas: cells measured, and the shares whose score reached min(N, 2^B) or
    came within 1 % / 5 % of it (cells near the bound all but tie, so SWAP cannot order them)."""
    rows = []
    for column in recipes.proxy_columns(frame):
        parsed = Column.parse(column)
        batch = parsed.batch
        if parsed.stem != "swap" or batch is None:
            continue
        values = frame[column].to_numpy(dtype=float)
        neurons = frame.get(Column("swap", "neurons", batch).name)
        bound = np.full(values.shape, 2.0 ** batch)
        if neurons is not None:
            n = neurons.to_numpy(dtype=float)
            bound = np.where(np.isnan(n), bound, np.minimum(n, bound))
        known = ~np.isnan(values)
        row: dict[str, float] = {"batch size": batch, "cells measured": int(known.sum())}
        for name, fraction in NEAR_BOUND.items():
            row[name] = float(np.mean(values[known] >= fraction * bound[known])) if known.any() else np.nan
        rows.append(row)
    columns = ["batch size", "cells measured", *NEAR_BOUND]
    return pd.DataFrame(rows, columns=columns).sort_values("batch size")


@st.cache_data(max_entries=1)
def _protocol_results() -> dict:
    from swap_engine.studies import protocols

    return protocols.saved_results()


def protocol_results(benchmark: str, target: str) -> tuple[str, dict] | None:
    """The protocols study's numbers for this atlas and ground truth (sample_data/protocols.json): the task
    scored on `target`, else the atlas's first task; None where the study has not run on it."""
    saved = _protocol_results()
    tasks = [t for t in families.TASKS if t.atlas == benchmark and t.name in saved]
    chosen = next((t for t in tasks if t.report == target), tasks[0] if tasks else None)
    return (chosen.name, saved[chosen.name]) if chosen else None


def known_recipes(name: str, frame: pd.DataFrame) -> dict[str, str]:
    """AZ-NAS's and SWAP + params (and the recipe study's choices on its own atlas), plus the families study's
    recipes for this benchmark: its own and its leave-one-benchmark-out one; only those whose columns this atlas
    has."""
    named = recipes.named_recipes(frame) if name == recipe_study.ATLAS else {
        label: text for label, text in recipes.named_recipes(frame).items() if "study" not in label}
    saved = families.saved()
    for base, text in saved.own.items():
        if _atlas_of(base) == name:
            named[f"Families study, {base}: chosen on its fitting half"] = text
    for base, text in saved.loo.items():
        if _atlas_of(base) == name:
            named[f"Families study, {base}: chosen without its labels (leave-one-out)"] = text
    return {label: text for label, text in named.items()
            if all(column in frame.columns for column in recipes.Recipe.parse(text).columns())}


def _atlas_of(task: str) -> str:
    try:
        return families.task(task).atlas
    except ValueError:
        return ""


def recipe_choices(choice: Choice, frame: pd.DataFrame) -> dict[str, str]:
    """Recipe text -> words, for the paired test: the recipe above, the known recipes, every column alone."""
    options = {choice.scorer.key: f"the recipe above ({choice.scorer.label[:60]})"}
    for label, text in known_recipes(choice.benchmark, frame).items():
        options.setdefault(text, label)
    for column in recipes.proxy_columns(frame):
        options.setdefault(column, f"{column} alone")
    return options
