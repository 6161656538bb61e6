"""Proxy lab: every proxy of a benchmark's atlas on every architecture it holds, compared and combined live.

Pick a benchmark (NB201, DARTS-1k, NB301, NB101, FlexiBERT, the torchvision zoo: whichever atlases this
installation has), a ground truth, any proxies and an aggregation; the recipe's Spearman, Kendall and top-k
precision come with bootstrap intervals, over every cell the atlas covers or one of the families study's halves
(the transfer matrix reads the reporting half), next to what a search of 100 cells with it can expect, the
command line that prints the same numbers, and a paired test of two recipes. One rule reads -inf everywhere
(ranked last, or dropped). Picking a cell opens it on the Activation patterns page.
"""
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import atlas as atlases
from swap_engine import recipe as recipes
from swap_engine.columns import Column
from swap_engine.studies import reading
from swap_engine.studies.recipe_report import TARGET_LABELS
from ui import lab, lab_protocols, links, messages, papers, state
from ui.charts import lab as lab_charts
from ui.export import show_chart

CELLS = {"all": "every cell", "report": "reporting half", "fit": "fitting half"}
AGGREGATIONS = {"log_rank": "sum of log ranks (AZ-NAS)", "mean_rank": "mean of normalised ranks",
                "single": "first proxy alone"}
DEFAULT_PROXIES = ["swap_b16", "params"]
MY_CHOICE = "(the choices above)"
BOOTSTRAPS = [0, 100, 200, 500]


def open_on_patterns(name: str, arch: str) -> None:
    state.open_architecture(atlases.spec(name).space, arch)
    st.switch_page("views/patterns.py")


def build_recipe(chosen: list[str], method: str, regularize) -> recipes.Recipe:
    terms = tuple(recipes.Term(c, regularize=regularize if regularize is not None and Column.parse(c).proxy == "swap"
                               else None)
                  for c in (chosen[:1] if method == "single" else chosen))
    return recipes.Recipe(terms, "log_rank" if method == "single" else method)


def choose_benchmark() -> str:
    names = lab.benchmarks()
    links.control(lab.BENCHMARK_KEY, names[0], options=names)
    return st.selectbox("Benchmark", names, key=lab.BENCHMARK_KEY, format_func=lambda n: atlases.spec(n).title,
                        help="Each benchmark's atlas: every proxy on its architectures, under the settings the "
                             "field scores it with (sample_data/README.md). A partial atlas is a seeded uniform "
                             "sample of the benchmark.")


def choose_target(name: str, frame: pd.DataFrame, column) -> str:
    if lab.grid(frame):  # every dataset in two splits (NB201's): chosen as a dataset and a split
        col_data, col_split = column.columns([2, 1])
        links.control("lab_dataset", list(lab.DATASETS)[0], options=list(lab.DATASETS))
        links.control("lab_split", "test", options=list(lab.SPLITS))
        dataset = col_data.selectbox("Ground truth", list(lab.DATASETS), key="lab_dataset")
        split = col_split.radio("Split", list(lab.SPLITS), key="lab_split", horizontal=True)
        return f"{lab.DATASETS[dataset]}_{split}_acc_pct"
    targets = lab.targets(frame)
    links.control(f"lab_target_{name}", targets[0], name="lab_target", options=targets)
    return column.selectbox("Ground truth", targets, key=f"lab_target_{name}",
                            format_func=lambda t: TARGET_LABELS.get(t, t))


def controls(name: str, frame: pd.DataFrame) -> lab.Choice:
    columns = recipes.proxy_columns(frame)
    col_target, col_cells, col_k, col_boot = st.columns([3, 2, 2, 1])
    target = choose_target(name, frame, col_target)
    links.control(lab.CELLS_KEY, "all", options=list(CELLS))
    cells = col_cells.radio("Cells", list(CELLS), format_func=CELLS.get, key=lab.CELLS_KEY, horizontal=True,
                            help="Every measured cell, or one of the families study's seeded halves of them (seed 0): "
                                 "the transfer matrix on Across families reads each recipe on the reporting half, "
                                 "the study chose its recipes on the fitting half. Ranks are always taken over "
                                 "every cell; only the statistics are restricted.")
    links.control("lab_topk", 0.10, ok=lambda v: 0.01 <= v <= 0.5, rule="must be a fraction from 0.01 to 0.5")
    links.control("lab_boot", 100, options=BOOTSTRAPS)
    top_k = col_k.slider("top-k precision: best fraction", 0.01, 0.5, step=0.01, key="lab_topk")
    n_boot = col_boot.selectbox("Bootstrap resamples", BOOTSTRAPS, key="lab_boot",
                                help="95 % percentile intervals; 0 shows point estimates only")
    col_proxies, col_agg, col_inf = st.columns([3, 2, 2])
    default = [c for c in DEFAULT_PROXIES if c in columns] or columns[:1]
    links.control(f"lab_proxies_{name}", default, name="lab_proxies", options=columns)
    links.control("lab_method", list(AGGREGATIONS)[0], options=list(AGGREGATIONS))
    links.control("lab_non_finite", list(recipes.NON_FINITE)[0], options=list(recipes.NON_FINITE))
    chosen = col_proxies.multiselect("Proxies and variants (atlas columns)", columns, key=f"lab_proxies_{name}")
    method = col_agg.selectbox("Aggregation", list(AGGREGATIONS), format_func=AGGREGATIONS.get, key="lab_method")
    rule = col_inf.radio("A score of -inf", list(recipes.NON_FINITE), format_func=recipes.NON_FINITE.get,
                               key="lab_non_finite",
                               help="NASWOT's singular kernels and AZ-NAS's identity blocks score -inf: a defined "
                                    "worst, not a missing value. One rule for a proxy alone, every combination, "
                                    "the heatmap and the known recipes (search ranks -inf last too).")
    col_reg, col_rule, col_mu, col_sigma = st.columns([2, 2, 1, 1])
    links.control("lab_reg", False)
    links.control("lab_rule", "max", options=["max", "median", "custom"])
    links.control("lab_mu", 1000.0, ok=lambda v: math.isfinite(v), rule="must be a number")
    links.control("lab_sigma", 1e6, ok=lambda v: math.isfinite(v) and v >= 1e-3, rule="must be a number from 0.001")
    links.control(lab.RECIPE_KEY, "")
    regularise = col_reg.toggle("Regularise SWAP by size", key="lab_reg",
                                help="Every SWAP column x exp(-(params/1000 - mu)^2 / sigma), before ranking: "
                                     "the paper's penalty on cells far from a parameter count mu")
    reg_rule = col_rule.radio("mu and sigma", ["max", "median", "custom"], key="lab_rule", horizontal=True,
                              disabled=not regularise,
                          help="max / median: mu = the largest / median parameter count of the space (thousands), "
                               "sigma = 2 x their variance; chosen without any accuracy")
    mu = col_mu.number_input("mu", key="lab_mu", disabled=not (regularise and reg_rule == "custom"))
    sigma = col_sigma.number_input("sigma", min_value=1e-3, key="lab_sigma",
                                   disabled=not (regularise and reg_rule == "custom"))
    named = lab.known_recipes(name, frame)
    col_named, col_typed = st.columns([2, 3])
    col_named.selectbox("Or start from a known recipe", [MY_CHOICE, *named], key=f"lab_named_{name}",
                        format_func=lambda label: lab.named_words(label, named, name, target),
                        on_change=lambda: st.session_state.update(
                            {lab.RECIPE_KEY: named.get(st.session_state[f"lab_named_{name}"], "")}),
                        help="AZ-NAS: the field's best published zero-shot ranking of NB201, its proxies measured "
                             "here under the atlas's settings; the project's recipes come from the studies in "
                             "docs/results.md")
    typed = col_typed.text_input("Or type a recipe (overrides the choices above)", key=lab.RECIPE_KEY,
                                 placeholder="log_rank:2*swap_b16+params+naswot_b64   or   swap_b16@reg=max")
    recipe = typed_recipe(typed, frame, "The typed recipe") if typed.strip() else None
    if recipe is None:
        if not chosen:
            raise ValueError("choose at least one proxy")
        reg = None if not regularise else (reg_rule if reg_rule != "custom" else (float(mu), float(sigma)))
        recipe = recipes.Recipe.parse(build_recipe(chosen, method, reg).text())  # as its text reads: the command's
        if typed.strip():
            st.caption(f"The numbers below are for the choices above: `{recipe.text()}`.")
    return lab.Choice(name, target, recipe, top_k, int(n_boot or 0), recipes.NonFinite(rule), cells)


def typed_recipe(text: str, frame: pd.DataFrame, what: str) -> recipes.Recipe | None:
    """The recipe typed, or None with a warning in words: it does not parse, or names a column this atlas lacks."""
    try:
        recipe = recipes.Recipe.parse(text)
    except ValueError as err:
        messages.warning(err, prefix=f"**{what} cannot be read.** ")
        return None
    lacking = [c for c in recipe.columns() if c not in frame.columns]
    if lacking:
        messages.warning(f"This atlas has no {reading.lacking_words(frame, lacking)}. The recipe may come from another "
                         "benchmark, whose batch sizes differ: edit it, or pick columns above.",
                         prefix=f"**{what} cannot be read here.** ")
        return None
    return recipe


def _unit(target: str) -> str:
    return " %" if target.endswith("_pct") else ""


def summary(choice: lab.Choice, frame: pd.DataFrame) -> None:
    target, label, rule = choice.target, choice.scorer.label, choice.non_finite
    c = lab.correlation(choice)

    def ci(lo: float, hi: float) -> str | None:
        return None if np.isnan(lo) else f"95 % CI {lo:.3f} .. {hi:.3f}"

    cols = st.columns(5)
    cols[0].metric("Spearman", f"{c.spearman:.3f}", help=ci(*c.spearman_ci))
    cols[1].metric("Kendall", f"{c.kendall:.3f}", help=ci(*c.kendall_ci))
    cols[2].metric(f"top-{choice.top_k:.0%} precision", f"{c.top_k_precision:.2f}")
    budget = recipes.SEARCH_BUDGET
    best, floor, oracle = lab.best_of_budget(choice)
    unit = _unit(target)
    cols[3].metric(f"best of {budget} random cells", "–" if np.isnan(best) else f"{best:.2f}{unit}",
                   help=f"What a search with this recipe as fitness and a budget of {budget} is after: the "
                        f"{TARGET_LABELS.get(target, target)} of the best-scored of {budget} random cells, "
                        f"in expectation (exact, not drawn). A random cell: {floor:.2f}{unit}; the same draw ranked "
                        f"by the accuracy itself: {oracle:.2f}{unit}. A recipe can rank well overall (Spearman) "
                        "and still pick poor top cells, or the reverse.")
    cols[4].metric("cells", f"{c.n:,}")
    paper = lab.paper(choice.benchmark, choice.scorer.key, target)
    if paper is not None:
        st.caption(f"Published: Spearman {paper.spearman:.3f} ({paper.source}; no labels read); ours here "
                   f"{c.spearman:.3f} on {c.n:,} cells. The paper's cells and accuracy split may differ from ours.")
    came_from = lab.origin(choice)
    if came_from:
        st.info(came_from + f" Here, on the same {c.n:,} cells: Spearman {c.spearman:.3f}, Kendall {c.kendall:.3f}, "
                f"top-{choice.top_k:.0%} precision {c.top_k_precision:.3f}.")
    if choice.cells != "all":
        st.caption(f"Over {reading.CELLS[choice.cells]}: {len(lab.rows(choice)):,} of the {len(frame):,} measured "
                   f"cells (the families study's halves, seed {reading.HALVES_SEED}). Every cell: choose **every "
                   "cell** under Cells.")
    if choice.resamples:
        st.caption(f"`{label}` against {TARGET_LABELS.get(target, target)}: Spearman "
                   f"{c.spearman:.3f} [{c.spearman_ci[0]:.3f}, {c.spearman_ci[1]:.3f}], Kendall {c.kendall:.3f} "
                   f"[{c.kendall_ci[0]:.3f}, {c.kendall_ci[1]:.3f}] ({choice.resamples} bootstrap resamples of the "
                   "cells).")
    read = frame
    if choice.cells != "all":  # a half of the measured cells: none of it is outside the frame
        read = frame.iloc[lab.rows(choice)]
        read.attrs = {**frame.attrs, "cells": len(read)}
    counts = lab.missing_counts(read, recipes.reads(choice.scorer, frame))
    words = lab.missing_words(counts, rule)
    last = rule == recipes.NonFinite.LAST
    whole = frame.attrs.get("cells", len(frame)) if choice.cells == "all" else len(read)
    where = "the benchmark's" if choice.cells == "all" else f"the {CELLS[choice.cells]}'s"
    if counts["read"] + (counts["inf"] if last else 0) < whole:
        st.info(f"Of {where} {whole:,} architectures: {words}. The numbers above are over the cells read" +
                (" and those ranked last." if last else ".") +
                (" Score any other cell live at the bottom of the page." if counts["not measured"] else ""))
    else:
        st.caption(f"Every architecture is read: {words}.")
    st.caption("Copy as command: the same numbers from a terminal (`swap-explorer lab`, or `python -m swap_engine "
               "lab`).")
    st.code(lab.command(choice), language="bash", wrap_lines=True)


def scatter(choice: lab.Choice, frame: pd.DataFrame) -> None:
    shown, values = frame, lab.scores(choice)
    if choice.cells != "all":  # the half the numbers above are over
        rows = lab.rows(choice)
        shown, values = frame.iloc[rows], values[rows]
    fig, table = lab_charts.rank_scatter(shown, values, choice.target, choice.scorer.label)
    st.caption("Click a cell (or box-select one) to open it on the Activation patterns page.")
    event = show_chart(fig, f"lab_rank_scatter_{choice.benchmark}", table, key="lab_scatter", on_select="rerun",
                       selection_mode=("points", "box"))
    points = event.selection.points if event and event.selection else []
    if points:
        custom = points[0].get("customdata")
        arch = custom[0] if custom else table["arch"].iloc[points[0]["point_index"]]
        open_on_patterns(choice.benchmark, arch)


def compare(choice: lab.Choice, frame: pd.DataFrame) -> None:
    name = choice.benchmark
    options = lab.recipe_choices(choice, frame)
    texts = list(options)
    col_a, col_b, col_typed = st.columns([2, 2, 2])
    for side, default in (("a", texts[0]), ("b", next((t for t in texts if t != choice.scorer.key), texts[0]))):
        if st.session_state.get(f"lab_pair_{side}_{name}") not in texts:  # the recipe above changed: start over
            st.session_state[f"lab_pair_{side}_{name}"] = default
    text_a = col_a.selectbox("Recipe A", texts, format_func=options.get, key=f"lab_pair_a_{name}")
    text_b = col_b.selectbox("Recipe B", texts, format_func=options.get, key=f"lab_pair_b_{name}")
    typed = col_typed.text_input("Or type recipe B", key=f"lab_pair_text_{name}", placeholder="e.g. swap_b16")
    a, b = recipes.Recipe.parse(text_a), recipes.Recipe.parse(text_b)
    if typed.strip():
        b = typed_recipe(typed, frame, "Recipe B")
        if b is None:
            return
    if not choice.resamples:
        st.info("The test draws bootstrap resamples: choose 100 or more under **Bootstrap resamples** above.")
        return
    try:
        result = lab.paired(choice, a, b)
    except ValueError as err:  # e.g. fewer than 3 cells where both recipes have a value
        messages.warning(err, prefix="**The two recipes cannot be compared here.** ")
        return
    cols = st.columns(3)
    cols[0].metric("Spearman of A", f"{result.a:.3f}")
    cols[1].metric("Spearman of B", f"{result.b:.3f}")
    cols[2].metric("A − B", f"{result.difference:+.3f}",
                   help=f"95 % interval {result.low:+.3f} .. {result.high:+.3f}; {result.p_words()}")
    st.markdown(messages.literal(result.words("A", "B")))
    st.caption(f"A: `{a.text()}`; B: `{b.text()}`. Both are read on the same {result.resamples} resamples of the "
               f"{result.n:,} cells where both have a value and the ground truth is known ({CELLS[choice.cells]}, "
               f"{TARGET_LABELS.get(choice.target, choice.target)}), so what a resample does to both cancels in "
               "the difference. The same from a terminal:")
    st.code(lab.command(replace(choice, scorer=a), versus=b), language="bash", wrap_lines=True)


def heatmap_and_cost(choice: lab.Choice, frame: pd.DataFrame) -> None:
    name, target = choice.benchmark, choice.target
    columns = tuple(recipes.proxy_columns(frame))
    target_columns = tuple(lab.targets(frame))
    matrix, cells = lab.spearman_matrix(columns, target_columns, name, recipes.NonFinite(choice.non_finite).value)
    total = frame.attrs.get("cells", len(frame))
    paper = lab.papers_matrix(name, list(columns), list(target_columns))
    show_chart(lab_charts.correlation_heatmap(matrix, cells, total, paper), f"lab_proxy_dataset_heatmap_{name}",
               matrix.assign(cells=cells, **{f"paper: {t}": paper[t] for t in target_columns
                                             if paper[t].notna().any()}).reset_index(names="proxy"),
               key="lab_heatmap")
    newest(choice)
    flat = [c for c in columns if frame[c].nunique() <= 1]
    if flat:
        st.caption("–: one value on every measured architecture, so no ranking: " + ", ".join(flat) + ".")
    absent = atlases.spec(name).absent
    if absent:
        st.caption("Not in this atlas, because they do not apply here: " +
                   "; ".join(f"**{proxy}**: {why}" for proxy, why in absent.items()) + ".")
    jobs = atlases.measured_jobs(name, frame)
    partial = {job: n for job, n in jobs.items() if 0 < n < total}
    never = [job for job, n in jobs.items() if n == 0]
    resume = (f"`python -m swap_engine atlas --space {name} --groups {','.join(atlases.spec(name).groups)}` "
              "continues it (resumable).")
    if partial:
        st.caption(f"Measured on part of the {total:,} architectures so far (they apply here; the run has not "
                   "reached every one): " + "; ".join(f"**{job}** on {n:,}" for job, n in partial.items()) +
                   ". " + resume)
    if never:
        st.caption("Planned for this atlas but not measured on any architecture yet, so not in the lists above: "
                   + ", ".join(f"**{job}**" for job in never) + ". " + ("" if partial else resume))
    costs = [{"proxy": c, "seconds per cell": float(np.nanmean(frame[cost])), "spearman": float(matrix.loc[c, target])}
             for c in columns for cost in [Column.parse(c).cost]
             if cost in frame.columns and frame[cost].notna().any()
             and (Column.parse(c).job.name == c or Column.parse(c).proxy != "swap")]  # one point per SWAP pass
    if costs:
        table = pd.DataFrame(costs)
        show_chart(lab_charts.cost_scatter(table, target), f"lab_cost_vs_correlation_{name}", table, key="lab_cost")
    else:
        st.info("This atlas has no timing columns yet, so cost against correlation cannot be drawn.")


def newest(choice: lab.Choice) -> None:
    table = lab.newest(choice)
    if table.empty:
        return
    st.markdown("**The newest label-free proxies and rules, ours beside the papers'**")
    st.dataframe(papers.shown(table), hide_index=True, key="lab_newest",
                 column_config={"cells": st.column_config.TextColumn(
                     "cells", help="cells measured (a rule: cells it reads) of the benchmark's")})
    st.caption(f"Spearman with {TARGET_LABELS.get(choice.target, choice.target)} over every cell measured here; "
               "a blank: not measured here yet (0 of all cells), or no paper gives one. None reads a label. "
               + papers.notes(table))


def favoured_ops(choice: lab.Choice, frame: pd.DataFrame) -> None:
    values = lab.scores(choice)
    truth = frame[choice.target].to_numpy(dtype=float)
    both = ~np.isnan(values) & ~np.isnan(truth)
    fraction = 0.05
    by_proxy = frame["arch"].to_numpy()[lab.top_cells(np.where(both, values, np.nan), fraction)]
    by_truth = frame["arch"].to_numpy()[lab.top_cells(np.where(both, truth, np.nan), fraction)]
    shares = (lab.edge_op_share(choice.benchmark, pd.Series(by_proxy)),
              lab.edge_op_share(choice.benchmark, pd.Series(by_truth)))
    table = pd.concat({"proxy": shares[0], "accuracy": shares[1]}).reset_index(names=["top set", "operation"])
    show_chart(lab_charts.edge_op_heatmaps(*shares, choice.scorer.label, fraction), "lab_edge_op", table,
               key="lab_edge_op")
    overlap = len(np.intersect1d(by_proxy, by_truth)) / max(len(by_truth), 1)
    st.caption(f"{len(by_proxy):,} cells in each top set; {overlap:.0%} of the accuracy's top set is in the "
               "proxy's. Positive differences: what the proxy favours beyond what accuracy rewards.")


def space_map(choice: lab.Choice, frame: pd.DataFrame) -> None:
    name, target = choice.benchmark, choice.target
    coordinates, used = lab.space_map(name)
    if len(used) < 2:
        st.info("Too few proxies are measured on every cell of this atlas yet to lay out a map.")
        return
    recipe_label = f"the recipe ({choice.scorer.label[:40]})"
    choices = [recipe_label, TARGET_LABELS.get(target, target), *recipes.proxy_columns(frame)]
    colour_by = st.selectbox("Colour by", choices, key=f"lab_map_colour_{name}")
    if colour_by == recipe_label:
        colour = lab.scores(choice)
    elif colour_by == choices[1]:
        colour = frame[target].to_numpy(dtype=float)
    else:
        colour = recipes.ordered(frame[colour_by].to_numpy(dtype=float), choice.non_finite)
    fig, table = lab_charts.map_chart(coordinates, colour, colour_by, frame["arch"].to_numpy())
    event = show_chart(fig, f"lab_map_{name}", table, key="lab_map", on_select="rerun",
                       selection_mode=("points", "box"))
    st.caption(f"Placed by the first two principal components of the ranks of {len(used)} proxy columns measured "
               "on every cell (no accuracy is used to place them): neighbours here are cells the proxies see alike. "
               "Click a cell to open it on the Activation patterns page.")
    points = event.selection.points if event and event.selection else []
    if points:
        custom = points[0].get("customdata")
        open_on_patterns(name, custom[0] if custom else table["arch"].iloc[points[0]["point_index"]])


def bounds(frame: pd.DataFrame) -> None:
    table = lab.at_bound(frame)
    if table.empty:
        st.info("No SWAP column in the atlas yet.")
        return
    show_chart(lab_charts.bound_bars(table), "lab_swap_bound", table, key="lab_bound")
    st.caption("N is the number of neurons SWAP counts. Scores close to the bound all but tie, so the proxy "
               "cannot order those cells. A larger batch lifts the bound (2^B) until it is N itself.")


def live_cell(choice: lab.Choice, frame: pd.DataFrame) -> None:
    name, scorer = choice.benchmark, choice.scorer
    spec = atlases.spec(name)
    space = lab.space(spec.space)
    st.subheader("One architecture, looked up or scored live")
    text = st.text_input(f"A {spec.space} architecture", key=f"lab_cell_{name}",
                         placeholder=str(frame["arch"].iloc[0])[:120])
    if not text.strip():
        return
    canonical = space.format(space.parse(text.strip()))
    row = frame[frame["arch"] == canonical]
    columns = recipes.reads(scorer, frame)
    known = {c: float(row[c].iloc[0]) for c in columns if not row.empty and not np.isnan(row[c].iloc[0])}
    missing = [c for c in columns if c not in known]
    if not missing:
        st.success("In the atlas: " + ", ".join(f"{c} = {v:,.6g}" for c, v in known.items()))
    else:
        st.warning(f"The atlas lacks {', '.join(missing)} for this architecture.")
        jobs = atlases.cell_jobs(name, canonical, missing)
        if st.button(f"Score it live ({len(jobs)} proxy passes, under the atlas's settings)", key="lab_score_live"):
            with st.status("Scoring live ...", expanded=True) as status:
                bar = st.progress(0.0)
                values = dict(known)
                for i, job in enumerate(jobs):
                    values.update(lab.score_live(name, job))
                    bar.progress((i + 1) / len(jobs), text=f"{job.proxy} at B = {job.settings['batch_size']}")
                status.update(label="Scored live", state="complete")
            shown = {c: values.get(c, np.nan) for c in columns}
            st.write(", ".join(f"{c} = {v:,.6g}" for c, v in shown.items()))
            if all(np.isfinite(list(shown.values()))) or len(getattr(scorer, "terms", ())) == 1:
                st.metric("recipe score (ranked against the atlas)", f"{lab.rank_live(name, scorer, shown):.4g}")
    if st.button("Open on the Activation patterns page", key="lab_open_cell"):
        open_on_patterns(name, canonical)


def main() -> None:
    st.title("Proxy lab")
    name = choose_benchmark()
    frame = lab.atlas(name)
    spec = atlases.spec(name)
    source = frame.attrs.get("source", "?")
    total = frame.attrs.get("cells", len(frame))
    measured = lab.swap_batches(frame)
    planned = [b for b in spec.swap_batch_sizes if b not in measured]
    swap = (f"SWAP measured at B = {', '.join(map(str, measured))}" if measured else "SWAP not measured yet") + (
        f" (B = {', '.join(map(str, planned))} planned, not measured yet)" if planned else "")
    st.caption(f"{spec.title}: {len(frame):,} of {total:,} architectures measured, from {source}. Settings: "
               f"{swap}; why these batch sizes: {spec.batch_sizes_why}; every model built from "
               "torch.manual_seed(0).")
    if not lab.targets(frame):
        st.warning("This benchmark's ground-truth table is not on this machine; fetch it on the About / data page.")
        return
    choice = controls(name, frame)
    summary(choice, frame)
    scatter(choice, frame)
    st.subheader("Is recipe A better than recipe B here?")
    compare(choice, frame)
    st.subheader("All proxies, every ground truth")
    heatmap_and_cost(choice, frame)
    st.subheader("What k labels buy")
    lab_protocols.section(choice.benchmark, choice.target)
    if lab.edge_cells(name):
        st.subheader("What the recipe favours")
        favoured_ops(choice, frame)
    st.subheader("A map of the benchmark")
    space_map(choice, frame)
    st.subheader("SWAP at its bound")
    bounds(frame)
    live_cell(choice, frame)
    with st.expander("Coverage of the atlas"):
        st.dataframe(lab.coverage(choice, frame), hide_index=True)
        st.caption("paper: the published Spearman on this ground truth, where a paper gives one "
                   "(sample_data/published.json).")


messages.guard(main)
