"""Across families: does a training-free proxy rank every kind of network? Every benchmark's atlas side by side.

Each proxy alone on each benchmark (with NAS-Bench-Suite-Zero's published values for NB101 and NB301, labelled
published), and the transfer matrix: the recipe the families study chose on one benchmark, read unchanged on
every other; each benchmark's leave-one-out recipe (chosen on the other benchmarks' labels) read on it. A click
on a cell opens that recipe on that benchmark in the Proxy lab. Nothing is scored here.
"""
import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import atlas
from swap_engine.columns import Column
from swap_engine.studies import families
from ui import families as data
from ui import lab, links, messages
from ui.export import show_chart

def open_in_lab(task: str, recipe: str) -> None:
    lab.open(families.task(task).atlas, recipe)


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
    show_chart(data.overview_heatmap(matrix), "families_overview", matrix.reset_index(names="proxy"),
               key="families_overview_chart")
    st.caption("Spearman of each proxy with the benchmark's accuracy over every measured architecture (GLUE "
               "average for FlexiBERT, ImageNet top-1 for the zoo). Batch sizes differ by family (see the table "
               "above), so a column at one B may be missing on another benchmark.")


def transfer() -> None:
    recipes = data.study_recipes()
    matrix = data.transfer()
    if matrix.empty:
        st.info("The families study has not written sample_data/recipes.json yet: run "
                "`python -m swap_engine families --recipes-json sample_data/recipes.json`.")
        return
    event = show_chart(data.transfer_heatmap(matrix), "families_transfer", matrix.reset_index(names="chosen on"),
                       key="families_transfer_chart", on_select="rerun", selection_mode="points")
    st.caption("Each row's recipe was chosen on that benchmark's fitting half; each cell is its Spearman on the "
               "column benchmark's reporting half. n/a: the recipe reads a proxy that benchmark's atlas lacks.")
    points = event.selection.points if event and event.selection else []
    custom = points[0].get("customdata") if points else None
    if custom:
        open_in_lab(custom[1], recipes[custom[0]])
    col_from, col_to, col_go = st.columns([2, 2, 1])
    links.control("families_from", matrix.index[0], options=list(matrix.index))
    links.control("families_to", matrix.columns[0], options=list(matrix.columns))
    source = col_from.selectbox("Recipe chosen on", list(matrix.index), format_func=data.LABELS.get,
                                key="families_from")
    target = col_to.selectbox("Read on", list(matrix.columns), format_func=data.LABELS.get, key="families_to")
    value = matrix.loc[source, target]
    col_go.metric("Spearman", "n/a" if not np.isfinite(value) else f"{value:.3f}")
    st.code(recipes[source], language=None)
    if st.button("Open in the Proxy lab", key="families_open"):
        open_in_lab(target, recipes[source])


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
    st.caption("One recipe per row, chosen on the other benchmarks' labels only (NB201 by CIFAR-10, DARTS-1k by "
               "its full network), then read on this benchmark's reporting half: the claim that one score works "
               "across families, tested without looking at the benchmark it is read on.")
    col_task, col_go = st.columns([3, 1])
    links.control("families_loo", table["task"].iat[0], options=list(table["task"]))
    chosen = col_task.selectbox("Leave-one-out recipe of", list(table["task"]), format_func=data.LABELS.get,
                                key="families_loo")
    col_go.write("")
    if col_go.button("Open in the Proxy lab", key="families_loo_open"):
        open_in_lab(chosen, table.set_index("task").at[chosen, "recipe"])


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
