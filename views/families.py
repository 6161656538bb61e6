"""Across families: does a training-free proxy rank every kind of network? Every benchmark's atlas side by side.

Each proxy alone on each benchmark (with NAS-Bench-Suite-Zero's published values for NB101 and NB301, labelled
published), and the transfer matrix: the recipe the families study chose on one benchmark, read unchanged on
every other (zero-shot there), by Spearman, Kendall or top-10 % precision with bootstrap intervals; each
benchmark's leave-one-out recipe (chosen on the other benchmarks' labels) read on it. A click on a cell opens that
recipe in the Proxy lab on the same benchmark, ground truth and cells, so the lab shows the same number; an n/a
cell opens nothing and says why. Nothing is scored here.
"""
import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import atlas
from swap_engine.columns import Column
from swap_engine.studies import families
from ui import families as data
from ui import lab, links, messages, papers
from ui.export import show_chart

BOOTSTRAPS = [0, 100, 200]


def open_in_lab(task: str, recipe: str, said: str) -> None:
    """The recipe on `task`'s atlas, ground truth and reporting half: where this page read it."""
    chosen = families.task(task)
    lab.open(chosen.atlas, recipe, target=chosen.report, cells="report", origin=said)


def benchmarks_here(found: dict, skipped: dict[str, str]) -> None:
    rows = []
    for t in families.TASKS:
        spec = atlas.spec(t.atlas)
        if t.name in found:
            part = found[t.name]
            state = f"{len(part.frame):,} of {part.frame.attrs.get('cells', len(part.frame)):,} cells measured"
        else:
            state = skipped.get(t.name, "not studied")
        absent = "; ".join(f"{p}: {why}" for p, why in spec.absent.items()) or "none"
        rows.append({"benchmark": t.label, "atlas": t.atlas, "ground truth": t.report, "here": state,
                     "SWAP batch sizes": ", ".join(map(str, spec.swap_batch_sizes)), "proxies that do not apply":
                     absent})
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def overview() -> None:
    table = data.overview()
    ours = table[table["source"] == "ours"]["proxy"].unique().tolist()
    main = [p for p in ours if Column.parse(p).proxy != "swap" or Column.parse(p).variant is None]
    links.control("families_proxies", sorted(main), options=sorted(ours))
    chosen = st.multiselect("Proxies (atlas columns)", sorted(ours), key="families_proxies",
                            help="SWAP's variants (layersum, stage1, ...) are left out by default; add any.")
    matrix = data.overview_matrix(table, chosen)
    if matrix.empty:
        st.info("Choose at least one proxy.")
        return
    show_chart(data.overview_heatmap(matrix, data.overview_notes(table, matrix)), "families_overview",
               matrix.reset_index(names="proxy"), key="families_overview_chart")
    st.caption("Zero-shot: a proxy alone reads no label. Spearman of each proxy with the benchmark's accuracy over "
               "every measured architecture (GLUE average for FlexiBERT, ImageNet top-1 for the zoo); the hover says "
               "on how many cells. Batch sizes differ by family (see the table above), so a column at one B may be "
               "missing on another benchmark.")
    newest()
    suite_zero()


def suite_zero() -> None:
    table = data.suite_zero_agreement()
    if table.empty:
        return
    with st.expander("Our proxy values against NAS-Bench-Suite-Zero's, network by network"):
        shown = table.drop(columns=["column"]).rename(columns={
            "agreement": "ours vs Suite-Zero", "low": "95 % CI low", "high": "95 % CI high",
            "ours": "ours with accuracy", "published": "Suite-Zero's with accuracy", "reason": "below 0.9 because"})
        decimals = {name: st.column_config.NumberColumn(format="%.3f") for name in shown.columns
                    if shown[name].dtype.kind == "f"}
        st.dataframe(shown, hide_index=True, key="families_suite_zero", column_config=decimals)
        st.caption("Spearman between our value and Suite-Zero's published value of the same proxy on the same "
                   "architectures (cells: where both exist), and each one's Spearman with the benchmark's accuracy "
                   "on those cells. Near 1: both computed the same quantity on the same networks.")


def newest() -> None:
    table = data.newest()
    if table.empty:
        return
    st.markdown("**The newest label-free proxies and rules, ours beside the papers'**")
    st.dataframe(papers.shown(table), hide_index=True, key="families_newest", height=35 * (len(table) + 1) + 3)
    st.caption("MeCo, L-SWAG and VKDNW alone, and the fixed rules AZ-NAS and VKDNW_agg (LIBRA, built on L-SWAG: "
               "published only), where a benchmark's atlas measures them or a paper gives a number; Spearman with "
               "its ground truth over every cell measured here, -inf ranked last as the study reads it (the heatmap "
               "drops it). A blank: not measured here yet (0 of all cells), or no paper gives one. None reads a "
               "label. " + papers.notes(table))


def transfer() -> None:
    recipes = data.study_recipes()
    if not recipes:
        st.info("The families study has not written sample_data/recipes.json yet: run "
                "`python -m swap_engine families --recipes-json sample_data/recipes.json`.")
        return
    col_metric, col_boot = st.columns([3, 1])
    links.control("families_metric", "spearman", options=list(data.METRICS))
    links.control("families_boot", 100, options=BOOTSTRAPS)
    metric = col_metric.radio("Metric", list(data.METRICS), format_func=data.METRICS.get, key="families_metric",
                              horizontal=True, help="Spearman and Kendall: rank agreement with the accuracy over "
                              "every cell read; top-10 % precision: the share of the truly best 10 % that the "
                              "recipe's best 10 % holds (what a search cares about)")
    n_boot = col_boot.selectbox("Bootstrap resamples", BOOTSTRAPS, key="families_boot",
                                help="95 % percentile intervals of each cell, on hover and in the table below; "
                                     "0 shows point values only")
    cells = data.transfer_cells(metric, int(n_boot or 0))
    matrix = data.transfer(cells)
    if matrix.empty:
        st.info("None of the study's recipes was chosen on a benchmark whose atlas is here.")
        return
    event = show_chart(data.transfer_heatmap(cells, metric), f"families_transfer_{metric}", cells,
                       key="families_transfer_chart", on_select="rerun", selection_mode="points")
    st.caption("**Protocol: zero-shot off the diagonal.** Each row's recipe was chosen on that benchmark's fitting "
               "half; each cell reads it unchanged on the column benchmark's reporting half, so it never saw a label "
               "of that benchmark (NB201's three datasets share architectures: a CIFAR-10 recipe read on CIFAR-100 "
               "read CIFAR-10 labels of the other half). The outlined diagonal is held out, not zero-shot: chosen on "
               "half of that benchmark's labels. n/a: the recipe reads a proxy that benchmark's atlas lacks (hover "
               "says which); it opens nothing. A click on any other cell opens it in the Proxy lab on the same "
               "cells, where the same number shows.")
    points = event.selection.points if event and event.selection else []
    custom = points[0].get("customdata") if points else None
    if custom and np.isfinite(matrix.loc[custom[0], custom[1]]):
        open_in_lab(custom[1], recipes[custom[0]], _origin(cells, custom[0], custom[1], metric))
    with st.expander("The matrix as a table, with 95 % intervals"):
        names = {"value": data.METRICS[metric], "low": "95 % low", "high": "95 % high", "lacks": "n/a: the atlas lacks"}
        pairs = list(zip(cells["chosen on"], cells["read on"]))
        table = cells.assign(**{"chosen on": cells["chosen on"].map(data.LABELS),
                                "read on": cells["read on"].map(data.LABELS),
                                "protocol": [data.protocol(a, b) for a, b in pairs]})
        st.dataframe(table.rename(columns=names), hide_index=True,
                     column_config={names[c]: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("value", "low", "high")})
    col_from, col_to, col_go = st.columns([2, 2, 1])
    links.control("families_from", matrix.index[0], options=list(matrix.index))
    links.control("families_to", matrix.columns[0], options=list(matrix.columns))
    source = col_from.selectbox("Recipe chosen on", list(matrix.index), format_func=data.LABELS.get,
                                key="families_from")
    target = col_to.selectbox("Read on", list(matrix.columns), format_func=data.LABELS.get, key="families_to")
    value = matrix.loc[source, target]
    col_go.metric(data.METRICS[metric], "n/a" if not np.isfinite(value) else f"{value:.3f}")
    st.code(recipes[source], language=None, wrap_lines=True)
    row = cells[(cells["chosen on"] == source) & (cells["read on"] == target)].iloc[0]
    st.caption(data.cell_words(row, metric) + ".")
    if st.button("Open in the Proxy lab", key="families_open", disabled=not np.isfinite(value)):
        open_in_lab(target, recipes[source], _origin(cells, source, target, metric))


def _origin(cells, source: str, target: str, metric: str) -> str:
    """What the matrix showed, for the lab to say beside its own number."""
    row = cells[(cells["chosen on"] == source) & (cells["read on"] == target)].iloc[0]
    return (f"Opened from the transfer matrix on Across families: {data.LABELS[source]}'s recipe read on "
            f"{data.LABELS[target]}'s reporting half, {data.METRICS[metric]} {row['value']:.3f} there.")


def leave_one_out() -> None:
    table = data.leave_one_out()
    if table.empty:
        st.info("The families study has not written its leave-one-out recipes yet: run "
                "`python -m swap_engine families --recipes-json sample_data/recipes.json`.")
        return
    shown = table.assign(benchmark=[data.LABELS.get(t, t) for t in table["task"]],
                         met=["yes" if m else "no" for m in table["met"]])
    st.dataframe(shown[["benchmark", "spearman", "met", "recipe"]], hide_index=True,
                 column_config={"spearman": st.column_config.NumberColumn("Spearman (held out)", format="%.3f"),
                                "met": st.column_config.TextColumn(f"≥ {families.loo_goal()}")})
    st.caption("Zero-shot on each row's benchmark: one recipe per row, chosen on the other benchmarks' labels only "
               "(NB201 by CIFAR-10, DARTS-1k by its full network), then read on this benchmark's reporting half: the "
               "claim that one score works across families, tested without looking at the benchmark it is read on.")
    col_task, col_go = st.columns([3, 1])
    links.control("families_loo", table["task"].iat[0], options=list(table["task"]))
    chosen = col_task.selectbox("Leave-one-out recipe of", list(table["task"]), format_func=data.LABELS.get,
                                key="families_loo")
    col_go.write("")
    if col_go.button("Open in the Proxy lab", key="families_loo_open"):
        value = table.set_index("task").at[chosen, "spearman"]
        open_in_lab(chosen, table.set_index("task").at[chosen, "recipe"],
                    f"Opened from the leave-one-out table on Across families: {data.LABELS[chosen]}'s recipe, "
                    f"chosen without its labels, read on its reporting half, Spearman {value:.3f} there.")


def main() -> None:
    st.title("Across families")
    st.caption("The SWAP paper claims its score works across architecture families (CNN cells, DARTS, NB101, "
               "transformers). Here every benchmark's atlas is read side by side; nothing is scored on this page.")
    found, skipped = data.found()
    with st.expander("Benchmarks on this machine", expanded=not found):
        benchmarks_here(found, skipped)
    if not found:
        st.warning("No benchmark atlas with its ground truth is here yet: fetch the data on the About / data page.")
        return
    st.subheader("Every proxy on every benchmark")
    overview()
    st.subheader("Does a recipe transfer?")
    transfer()
    st.subheader("One recipe for every benchmark? Leave one benchmark out")
    leave_one_out()


messages.guard(main)
