"""The honest recipe study on NB201: a recipe chosen on one seeded half of the cells, reported on the other.

The recipe (`swap_engine.recipe`: which atlas columns, weights, label-free regularisation, aggregation) is
chosen with CIFAR-10 validation accuracy on the fitting half only, then reported unchanged on the held-out
half against every NB201 target, next to each proxy alone on all cells, a recipe chosen for search (by the
expected best of `SEARCH_BUDGET` random cells) and, on request, applied unchanged to other benchmarks
(`swap_engine.studies.transfer`). The command is `python -m swap_engine recipe`; the report it returns is
`swap_engine.studies.recipe_report.StudyReport`.

`atlas(space)` reads the whole-space table: `swap_engine.atlas.load(space)` where that module and its data
exist, else the project's own older whole-space table in sample_data/ (SWAP at B = 16 and params for all
NB201 cells, a few proxies on 300 of them), so everything here works before the atlas is complete.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from swap_engine import analysis
from swap_engine.columns import Column
from swap_engine.recipe import (AZ_NAS, SEARCH_BUDGET, Choice, Recipe, Term, choose, expected_best_of,
                                proxy_columns, spearman)
from swap_engine.resources import sample_data_path
from swap_engine.studies import published
from swap_engine.studies.split import Split
from swap_engine.studies.recipe_report import (RESULTS_BEGIN, RESULTS_END, TARGET_LABELS, SearchChoice,
                                               StudyReport, WholeSpace)

KEY = "nb201_index"
ATLAS = "nb201"  # the atlas this study chooses its recipes on (sample_data/nb201_recipes.json holds them)


# --- the atlas ------------------------------------------------------------------------------------------

def atlas(space: str = "nb201") -> pd.DataFrame:
    """One row per cell of `space`: `nb201_index`, `arch` and one float column per proxy and setting.

    `frame.attrs["source"]` says where it came from, in words: the atlas file (swap_engine.atlas) or, where
    that file is missing, the round-1 sample tables (`swap_b16`, `params`, `swap_neurons_b16` for every cell,
    and `naswot_b16`, `swap_b64`, `naswot_b64`, `synflow_b64`, `jacov_b64`, `zen_b64` for 300 cells, NaN
    elsewhere).
    """
    from swap_engine import atlas as atlas_module

    try:
        frame = atlas_module.load(space)
    except (FileNotFoundError, ValueError, OSError):
        frame = None
    if frame is not None and len(frame):
        frame = frame.copy()
        frame.attrs["source"] = f"the proxy atlas, {atlas_module.FILES[space]}"
        return frame
    if space != "nb201":
        raise ValueError(f"no atlas for search space {space!r} (only nb201 has one)")
    return _sample_data_atlas()


def _sample_data_atlas() -> pd.DataFrame:
    from swap_engine import spaces

    nb201 = spaces.get("nb201")
    table = pd.read_csv(sample_data_path("nb201_swap_b16.csv"))
    frame = pd.DataFrame({
        KEY: table[KEY].astype(int),
        "arch": [nb201.format(nb201.from_index(int(i))) for i in table[KEY]],
        "swap_b16": table["raw_score"].astype(float),
        "params": table["params"].astype(float),
        "swap_neurons_b16": table["neurons"].astype(float),
    })
    extra = pd.read_csv(sample_data_path("nb201_300_proxy_scores.csv"))
    extra = extra.drop(columns=[c for c in ("params", "swap_b16") if c in extra.columns])
    frame = frame.merge(extra, on="arch", how="left")
    frame.attrs["source"] = "the round-1 sample tables (the atlas file is missing)"
    return frame


def with_targets(frame: pd.DataFrame, benchmark: str = "nb201") -> pd.DataFrame:
    """The atlas joined with the benchmark's ground truth (`atlas.with_truth`, every row kept; accuracy columns
    end in `_acc_pct`)."""
    from swap_engine import atlas as atlas_module

    return atlas_module.with_truth(benchmark, frame, published=False, measured_only=False)


def cost_column(column: str) -> str:
    """The seconds column of a proxy; the members of one pass (SWAP's variants, AZ-NAS's three) share it."""
    return Column.parse(column).cost



# --- the study ----------------------------------------------------------------------------------------

SELECT_TARGET = "cifar10_valid_acc_pct"
REPORT_TARGETS = ("cifar10_test_acc_pct", "cifar10_valid_acc_pct", "cifar100_valid_acc_pct",
                  "cifar100_test_acc_pct", "imagenet16_valid_acc_pct", "imagenet16_test_acc_pct")
BASELINES = ("swap_b16", "log_rank:swap_b16+params", AZ_NAS)
# The published values beside each proxy alone: sample_data/published.json (`studies.published`).



def evaluate(scores: np.ndarray, truth: np.ndarray, *, n_boot: int = 500, seed: int = 0,
             top_k: float = 0.1) -> analysis.Correlation:
    """A recipe's scores against one target on the rows given (the held-out half): `analysis.correlate`."""
    return analysis.correlate(scores, truth, n_boot=n_boot, seed=seed, top_k=top_k)



def _row(name: str, scores: np.ndarray, truth: np.ndarray, target: str, n_boot: int, seed: int) -> dict:
    c = evaluate(scores, truth, n_boot=n_boot, seed=seed)
    return {"recipe": name, "target": target, "n": c.n, "spearman": c.spearman, "spearman_ci": c.spearman_ci,
            "kendall": c.kendall, "kendall_ci": c.kendall_ci, "top10": c.top_k_precision}



def study(*, seed: int = 0, n_boot: int = 500, max_terms: int = 5, min_coverage: float = 0.95,
          frame: pd.DataFrame | None = None, command: str | None = None,
          progress=None, subset: str | None = None, transfers: Sequence[tuple[str, int | None]] = (),
          transfer_store: str | Path | None = None, runner_options: dict | None = None) -> StudyReport:
    """Choose a recipe on one seeded half of NB201 (CIFAR-10 valid), report it on the other half and alone.

    `frame`: an atlas with targets (default: `with_targets(atlas("nb201"))`). `subset`: study only the cells
    where this column is measured (a partial atlas is a seeded uniform sample of the space, so those cells
    are a fair sample; ranks are then taken among them); the choice is then made again on every cell among
    the columns measured on all of them (`report.whole`), and each proxy alone is reported on all the cells
    it covers, whatever the subset. `transfers`: (benchmark, cells or None for all)
    to apply the chosen recipe to, unchanged, scoring its columns there (`swap_engine.studies.transfer`) with
    `runner_options`, each into `transfer_store`/BENCHMARK.csv (default: results/transfer).
    """
    say = progress or (lambda _text: None)
    frame = frame if frame is not None else with_targets(atlas("nb201"))
    all_cells = frame
    if subset is not None:
        if subset not in frame.columns:
            raise ValueError(f"--subset {subset!r} is not an atlas column")
        attrs = frame.attrs
        frame = frame[frame[subset].notna()].reset_index(drop=True)
        frame.attrs = {**attrs, "source": f"{attrs.get('source', '?')}, the {len(frame)} cells with {subset}"}
    columns = proxy_columns(frame)
    coverage = {c: int((~frame[c].isna()).sum()) for c in columns}
    split = Split.halves(len(frame), seed)
    fit_rows, report_rows = split.fit, split.report
    say(f"choosing on {len(fit_rows)} cells from {len(columns)} columns ({frame.attrs.get('source', '?')})")
    choice = choose(frame, frame[SELECT_TARGET].to_numpy(dtype=float), fit_rows, max_terms=max_terms,
                    min_coverage=min_coverage)
    say(f"chosen: {choice.recipe.text()} (fit {choice.fit:.3f})")
    held_out = _held_out(frame, choice, fit_rows, report_rows, n_boot, seed)
    say("held-out half reported")

    whole = None
    if subset is not None:  # the subset leaves out cells that the complete columns do measure: use them too
        whole_split = Split.halves(len(all_cells), seed)
        whole_fit, whole_report = whole_split.fit, whole_split.report
        try:
            whole_choice = choose(all_cells, all_cells[SELECT_TARGET].to_numpy(dtype=float), whole_fit,
                                  max_terms=max_terms, min_coverage=1.0)
        except ValueError:  # no column measured on every cell
            whole_choice = None
        if whole_choice is not None:
            say(f"whole space: {whole_choice.recipe.text()} (fit {whole_choice.fit:.3f})")
            whole = WholeSpace(len(all_cells), whole_choice,
                               _held_out(all_cells, whole_choice, whole_fit, whole_report, n_boot, seed))

    search = _search_choice(all_cells, seed, max_terms, [choice] + ([whole.choice] if whole else []), say)

    single = []
    truth = all_cells["cifar10_test_acc_pct"].to_numpy(dtype=float)
    for column in proxy_columns(all_cells):  # every proxy on all cells it covers, not only the subset's
        scores = all_cells[column].to_numpy(dtype=float)
        if np.count_nonzero(~np.isnan(scores)) < 3:
            continue
        row = _row(column, scores, truth, "cifar10_test_acc_pct", n_boot, seed)
        cost = cost_column(column)
        row["seconds"] = float(np.nanmean(all_cells[cost])) if cost in all_cells.columns else np.nan
        row["published"] = published.recipe_study_column(column)
        single.append(row)
    for text in ("swap_b16@reg=max", "swap_b16@reg=median"):
        if "swap_b16" in all_cells.columns:
            row = _row(text, Recipe.parse(text).score(all_cells), truth, "cifar10_test_acc_pct", n_boot, seed)
            row.update(seconds=np.nan, published=published.recipe_study()["swap_b16@reg"])
            single.append(row)
    az_columns = Recipe.parse(AZ_NAS).columns()
    if all(c in all_cells.columns for c in az_columns):  # ranked among the cells where all four are measured
        covered = all_cells.dropna(subset=az_columns)
        if len(covered) >= 3:
            row = _row(AZ_NAS, Recipe.parse(AZ_NAS).score(covered), covered["cifar10_test_acc_pct"].to_numpy(float),
                       "cifar10_test_acc_pct", n_boot, seed)
            costs = [covered[c].mean() for c in ("az_b64_seconds", "flops_seconds") if c in covered.columns]
            row.update(seconds=float(sum(costs)) if costs else np.nan, published=published.recipe_study()["AZ-NAS"])
            single.append(row)
    say("single proxies reported")

    transfer = [_transfer(choice.recipe, name, count, n_boot, seed, transfer_store, runner_options or {}, say)
                for name, count in transfers]
    notes = [
        "Honesty: the recipes' columns, weights, regularisation rules and aggregations were chosen on the "
        "fitting half with CIFAR-10 validation accuracy (the search recipe too: its objective reads only those "
        "accuracies); the held-out half's accuracies were read only for the tables above. Ranks are computed "
        "over all cells of the space, which uses no accuracy (a zero-shot ranking of the whole space). "
        "`@reg=max` / `@reg=median`: regularised SWAP with mu = the largest / median "
        "parameter count (thousands) of the space and sigma = 2 x the variance of those counts: no accuracy "
        "involved.",
        "Protocol: every recipe chosen here read the labels of NB201's fitting half (thousands of cells), so it "
        "is a k-label result: compare it with the k rows of the three-protocol study below and the published "
        "rankings that read labels there, never with a label-free number. Each proxy alone in the last table "
        "reads no label, and the field's label-free numbers stand beside those (Spearman with CIFAR-10 test over "
        "all 15,625 cells unless said): AZ-NAS (CVPR 2024), four proxies combined by log-ranks, 0.913 (Kendall "
        f"0.741), with Gaussian-noise inputs; the `{AZ_NAS}` rows are AZ-NAS's proxies measured here as it "
        "measures them (a batch of 64 Gaussian-noise images, its own Kaiming re-initialisation; "
        "`swap_engine.proxies.az`); the best single proxy of Abdelfattah et al. (ICLR 2021, zero-cost proxies) "
        "0.82 against validation accuracy; SWAP's own paper 0.90 for regularised SWAP against CIFAR-100 "
        "validation accuracy. Per-proxy NAS-Bench-Suite-Zero values were not looked up (not found with the tools "
        "at hand), so those cells stay empty.",
        "A rerun after the atlas grows regenerates this block (the recipe may change: it is re-chosen).",
    ]
    if transfer:
        notes.insert(2, "Transfer: the recipe's columns are computed on the other benchmark's cells with the atlas's "
                        "settings (`swap_engine.studies.transfer`); ranks are taken among those cells and `@reg=max` / "
                        "`@reg=median` read their own parameter counts, so nothing is re-fitted. NAS-Bench-Suite-Zero "
                        "values are NASLib's published zero-cost scores of the same NB101 cells.")
    cmd = command or f"python -m swap_engine recipe --seed {seed} --n-boot {n_boot} --results-md docs/results.md"
    return StudyReport(cmd, str(frame.attrs.get("source", "?")), coverage, len(frame), seed, choice, held_out,
                       single, transfer, notes, whole, search)


def _search_choice(frame: pd.DataFrame, seed: int, max_terms: int, ranking: Sequence[Choice],
                   say) -> SearchChoice | None:
    """The recipe chosen for search on every cell (complete columns only: a search may visit any cell)."""
    split = Split.halves(len(frame), seed)
    fit_rows, report_rows = split.fit, split.report
    if len(fit_rows) < SEARCH_BUDGET or len(report_rows) < SEARCH_BUDGET:
        return None
    try:
        choice = choose(frame, frame[SELECT_TARGET].to_numpy(dtype=float), fit_rows, max_terms=max_terms,
                        min_coverage=1.0, objective="best-of-100")
    except ValueError:  # no column measured on every cell
        return None
    say(f"for search: {choice.recipe.text()} (fit {choice.fit:.2f} %)")
    texts = [choice.recipe.text(), *[c.recipe.text() for c in ranking], *BASELINES]
    return SearchChoice(len(frame), choice, _search_rows(frame, texts, report_rows))


def _search_rows(frame: pd.DataFrame, recipes: Sequence[str], report_rows: np.ndarray) -> list[dict]:
    """What each recipe's best-scored held-out cells are worth, against the mean cell and the oracle."""
    entries = []
    for text in dict.fromkeys(recipes):
        recipe = Recipe.parse(text)
        if all(c in frame.columns and frame[c].notna().all() for c in recipe.columns()):  # a search visits any cell
            entries.append((f"`{text}`", recipe.score(frame)[report_rows]))
    rows = []
    for target in ("cifar10_test_acc_pct", "cifar100_test_acc_pct", "imagenet16_test_acc_pct"):
        truth = frame[target].to_numpy(dtype=float)[report_rows]
        known = truth[~np.isnan(truth)]
        for name, scores in entries + [("oracle", truth)]:
            top = np.argsort(-np.where(np.isnan(scores), -np.inf, scores), kind="stable")[:10]
            rows.append({"recipe": name, "target": target, "n": len(known),
                         "best_of": expected_best_of(scores, truth), "top10": float(np.nanmean(truth[top])),
                         "spearman": spearman(scores, truth) if name != "oracle" else np.nan})
        rows.append({"recipe": "random", "target": target, "n": len(known), "best_of": float(known.mean()),
                     "top10": float(known.mean()), "spearman": np.nan})
    return rows



def _held_out(frame: pd.DataFrame, choice: Choice, fit_rows: np.ndarray, report_rows: np.ndarray, n_boot: int,
              seed: int) -> list[dict]:
    """The chosen recipe on the report rows against every target, then the baselines and the fitted
    regulariser against CIFAR-10 test (mu and sigma fitted on the fit rows' validation accuracy)."""
    rows = []
    recipes = [choice.recipe.text(), *[b for b in BASELINES if b != choice.recipe.text()]]
    for text in recipes:
        recipe = Recipe.parse(text)
        if any(c not in frame.columns for c in recipe.columns()):
            continue
        scores = recipe.score(frame)
        for target in (REPORT_TARGETS if text == recipes[0] else ("cifar10_test_acc_pct",)):
            truth = frame[target].to_numpy(dtype=float)
            rows.append(_row(text, scores[report_rows], truth[report_rows], target, n_boot, seed))
    if "swap_b16" in frame.columns and "params" in frame.columns:
        select = frame[SELECT_TARGET].to_numpy(dtype=float)
        swap, params = frame["swap_b16"].to_numpy(dtype=float), frame["params"].to_numpy(dtype=float)
        mu, sigma = analysis.fit_regularization(swap[fit_rows], params[fit_rows], select[fit_rows])
        text = Recipe((Term("swap_b16", regularize=(mu, sigma)),)).text()
        truth = frame["cifar10_test_acc_pct"].to_numpy(dtype=float)
        fitted = analysis.regularized(swap, params, mu, sigma)
        rows.append(_row(text + " (mu, sigma fitted on the fit half)", fitted[report_rows], truth[report_rows],
                         "cifar10_test_acc_pct", n_boot, seed))
    return rows



def _transfer(recipe: Recipe, benchmark: str, count: int | None, n_boot: int, seed: int,
              store_dir: str | Path | None, options: dict, say) -> dict:
    """The chosen recipe on another benchmark's cells, unchanged; a row of the transfer table."""
    from swap_engine import data
    from swap_engine.studies import transfer

    say(f"transfer to {benchmark}" + (f" ({count} seeded cells)" if count else ""))
    store = Path(store_dir) / f"{benchmark}.csv" if store_dir is not None else None
    try:
        frame = transfer.scores(recipe, benchmark, count=count, seed=seed, store=store, **options)
    except data.MissingDataError as err:
        return {"benchmark": benchmark, "recipe": recipe.text(), "skipped": str(err)}
    truth = frame[transfer.TARGET].to_numpy(dtype=float)
    if np.count_nonzero(np.isfinite(frame["recipe"].to_numpy(dtype=float)) & np.isfinite(truth)) < 3:
        reasons = "; ".join(f"{proxy}: {error}" for proxy, error in frame.attrs.get("errors", {}).items())
        return {"benchmark": benchmark, "recipe": recipe.text(),
                "skipped": "the recipe cannot be computed on these cells" + (f" ({reasons})" if reasons else "")}
    row = _row(recipe.text(), frame["recipe"].to_numpy(dtype=float), truth, transfer.TARGET, n_boot, seed)
    subset = len(frame) < frame.attrs["benchmark_cells"]
    row["benchmark"] = benchmark + (f" ({len(frame)} seeded cells)" if subset else "")
    row["target"] = TARGET_LABELS[transfer.TARGET]
    row["alone"] = _alone(recipe, frame, truth)
    return row


def _alone(recipe: Recipe, frame: pd.DataFrame, truth: np.ndarray) -> str:
    """Each column of the recipe alone on the transferred cells, next to NAS-Bench-Suite-Zero's value of the
    same proxy on the same cells where the benchmark carries it (`zc_<proxy>` columns of NB101-500)."""
    parts = []
    for column in dict.fromkeys(recipe.columns()):
        text = f"{column} {spearman(frame[column].to_numpy(dtype=float), truth):.2f}"
        published = f"zc_{Column.parse(column).proxy}"
        if published in frame.columns:
            text += f" (Suite-Zero: {spearman(frame[published].to_numpy(dtype=float), truth):.2f})"
        parts.append(text)
    return "; ".join(parts)



def update_results_md(path: str | Path, report: StudyReport) -> None:
    """Replace (or add) the recipe block of `path`; everything else in the file is kept."""
    from swap_engine.studies.results_md import replace_block

    replace_block(path, report.markdown(), RESULTS_BEGIN, RESULTS_END,
                  "## Proxy recipe: chosen on one half of NB201, reported on the other\n\n")


__all__ = ["BASELINES", "KEY", "REPORT_TARGETS", "SELECT_TARGET", "atlas", "cost_column",
           "evaluate", "study", "update_results_md", "with_targets"]
