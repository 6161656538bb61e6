"""The Proxy lab's "What k labels buy" section: how many labels of this benchmark a number read.

One control, "Labels read from this benchmark": none (zero-shot: the fixed rules and each proxy alone, with
their 95 % intervals) or k (the k-label learners' Spearman on the architectures outside the k, mean ± sd over
the draws, and the published rankings that read about as many labels). The learning curve marks the choice.
Every number comes from the protocols study's saved results (sample_data/protocols.json), so a redraw reads
a file already in memory and fits nothing.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from swap_engine.columns import Column
from swap_engine.studies import families, paths, protocols, published
from ui import lab, links
from ui.charts import lab as lab_charts
from ui.export import show_chart

KEY = "lab_labels"  # the control's widget key and link parameter: 0 (none) or k
NONE = 0


def column_words(name: str) -> str:
    """An input column of the predictor in words: a proxy's own words, else an encoding or path feature's."""
    try:
        return Column.parse(name).words()
    except ValueError:  # an encoding column of the architecture, not a proxy
        return paths.describe(name) or name


def section(benchmark: str, target: str) -> None:
    """The control, the numbers it selects and the learning curve, for one atlas and ground truth."""
    found = lab.protocol_results(benchmark, target)
    if found is None:
        st.caption("The protocols study has not been run on this benchmark: `python -m swap_engine protocols "
                   "--json-out sample_data/protocols.json` draws its curve here.")
        return
    task, entry = found
    runs = {run["k"]: run for run in entry["kshot"]}
    options = [NONE, *runs]
    links.control(KEY, NONE, options=options, rule="must be 0 (no label) or a k the protocols study measured")
    read = st.segmented_control(
        "Labels read from this benchmark", options, key=KEY,
        format_func=lambda k: "none (zero-shot)" if k == NONE else f"k = {k:,}",
        help="Zero-shot numbers read no label of this benchmark. With k, k architectures drawn at random are "
             "labelled; each learner sees those alone and is scored on every other architecture.")
    read = NONE if read is None else int(read)  # a second click on the chosen option clears it: none
    st.caption("Three protocols, each compared only with its own kind. **Zero-shot** (the flat lines) reads no "
               "label of this benchmark. **k labels**: k architectures drawn at random are labelled, each learner "
               "sees those alone and is scored on all the others; the band is ± one standard deviation over the "
               "draws. A recipe chosen above on every cell is neither: it read every label.")
    beside = protocols.beside_labelled(task, entry)
    if read == NONE:
        _zero_shot(benchmark, target, entry)
    else:
        _with_labels(entry, runs[read], beside)
    label = families.task(task).label
    anchors = [row for row, _ in beside]
    table = pd.DataFrame([{"k": run["k"], "draws": run["draws"], "learner": learner,
                           "spearman_mean": run[learner]["spearman_mean"], "spearman_sd": run[learner]["spearman_sd"]}
                          for run in entry["kshot"] for learner in ("predictor", "recipe") if run.get(learner)])
    show_chart(lab_charts.learning_curve(entry, label, chosen=read or None, anchors=anchors),
               f"lab_learning_curve_{task}", table, key="lab_curve")
    if entry.get("importances"):
        st.caption(f"What the boosted trees read most at k = {entry['kshot'][-1]['k']:,}: " +
                   ", ".join(f"{column_words(c)} ({v:.2f})" for c, v in list(entry["importances"].items())[:5])
                   + ". Measured by `python -m swap_engine protocols` (docs/results.md).")


def _zero_shot(benchmark: str, target: str, entry: dict) -> None:
    zero = pd.DataFrame(entry["zero_shot"])
    if zero.empty:
        st.info("No zero-shot reading is saved for this benchmark.")
        return
    best = zero.loc[zero["spearman"].idxmax()]
    cols = st.columns(3)
    cols[0].metric(f"best zero-shot here: {best['rule']}", f"{best['spearman']:.3f}",
                   help=f"95 % interval {best['low']:.3f} to {best['high']:.3f} over {int(best['n']):,} "
                        "architectures; no label of this benchmark read")
    papers = [p for p in published.label_free() if p.fits(benchmark, target)]
    if papers:
        top = max(papers, key=lambda p: p.spearman)
        cols[1].metric(f"best published, label-free: {top.name}", f"{top.spearman:.3f}",
                       help=top.source + ("; read on the paper's own subset of the cells" if top.cells else ""))
    cols[2].metric("labels read", "none")
    _on_paper_cells(entry.get("paper_cells", []), entry["n"])
    shown = zero.assign(**{"95 % interval": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(zero["low"], zero["high"])]})
    st.dataframe(shown.rename(columns={"rule": "rule or proxy", "n": "architectures"})[
        ["rule or proxy", "kind", "spearman", "95 % interval", "architectures"]], hide_index=True,
        column_config={"spearman": st.column_config.NumberColumn(format="%.3f")})


def _on_paper_cells(rows: list[dict], total: int) -> None:
    """The fixed rules on the subset of cells a paper's number reads, so that number meets ours like for like."""
    if not rows:
        return
    cells = protocols.paper_cells_size(rows)
    st.caption(f"A published number marked as read on the paper's cells reads {cells:,} of the {total:,} "
               f"(`{rows[0]['cells']}`). The same rules, each ranked among those cells alone, meet it like for like:")
    st.dataframe(pd.DataFrame([{
        "rule": row["rule"], "spearman, the paper's cells": f"{row['spearman']:.3f}",
        "95 % interval": f"{row['low']:.3f} to {row['high']:.3f}", "architectures": f"{row['n']:,}",
        "published there": "–" if row.get("published") is None else f"{row['published']:.3f}"} for row in rows]),
        hide_index=True)


def _with_labels(entry: dict, run: dict, beside: list) -> None:
    k, total = run["k"], entry["n"]
    best = max((row["spearman"] for row in entry["zero_shot"]), default=None)
    predictor, recipe = run["predictor"], run.get("recipe")
    cols = st.columns(3)
    cols[0].metric(f"predictor, {k:,} labels", f"{predictor['spearman_mean']:.3f} ± {predictor['spearman_sd']:.3f}",
                   None if best is None else f"{predictor['spearman_mean'] - best:+.3f} on the best zero-shot",
                   help=f"mean ± sd over {run['draws']} draws of the k, each scored on the {total - k:,} others")
    if recipe:
        cols[1].metric(f"recipe chosen on the {k:,}", f"{recipe['spearman_mean']:.3f} ± {recipe['spearman_sd']:.3f}")
    if entry.get("ceiling"):
        cols[2].metric("ceiling: a second training run", f"{entry['ceiling']['spearman']:.3f}")
    if beside:
        st.dataframe(pd.DataFrame([{
            "published, with labels": row.name, "metric": row.metric, "published": row.value,
            "its labels": "not stated" if row.labels is None else f"{row.labels:,}",
            "ours, predictor with no more labels": protocols.ours_beside(row, ours),
            "cells": "the paper's" if row.cells else "all", "source": row.source} for row, ours in beside]),
            hide_index=True)
        st.caption("Published rankings that read labels of this benchmark, beside ours with no more labels than "
                   "theirs: the only numbers a k-label result compares with. Theirs on the paper's cells where "
                   "marked; ours on every architecture outside the k.")
