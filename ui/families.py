"""The Across-families page's data and charts: every atlas on this machine read once, each proxy alone on
each benchmark (the newest label-free proxies and rules beside the papers' numbers: `newest`), and the study's
recipes (sample_data/recipes.json) read on every benchmark, by Spearman, Kendall or top-10 % precision with
bootstrap intervals, each cell saying its protocol (zero-shot or held out)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from swap_engine import atlas
from swap_engine.recipe import NonFinite
from swap_engine.studies import bootstrap, families, published_agreement
from ui import papers, tables
from ui.charts import two_decimals

LABELS = {t.name: t.label for t in families.TASKS}
METRICS = bootstrap.METRICS


@st.cache_resource(show_spinner="Reading every benchmark's atlas ...", max_entries=1)
def found() -> tuple[dict[str, families.Fitted], dict[str, str]]:
    """The tasks whose atlas and ground truth are here (shared: never modify them), and why the others are not."""
    return families.parts(load=tables.joined)  # the app's one cached join of each atlas


@st.cache_data(show_spinner=False, max_entries=2)
def overview() -> pd.DataFrame:
    """task, proxy, source, cells, spearman: every proxy alone on every benchmark here."""
    return families.alone(found()[0])


@st.cache_data(show_spinner=False, max_entries=2)
def newest() -> pd.DataFrame:
    """The newest label-free proxies and fixed rules on every benchmark here against its reporting ground truth,
    ours beside the papers' (`papers.table`, -inf ranked last as the families study reads it): benchmark first."""
    each = [papers.table(part.frame, atlas.spec(part.task.atlas).benchmark, part.task.report, NonFinite.LAST)
               .assign(benchmark=LABELS[name]) for name, part in found()[0].items()]
    table = pd.concat(each, ignore_index=True) if each else pd.DataFrame(columns=[*papers.COLUMNS, "benchmark"])
    return table[["benchmark", *papers.COLUMNS]]


@st.cache_data(show_spinner=False, max_entries=2)
def suite_zero_agreement() -> pd.DataFrame:
    """Our values against NAS-Bench-Suite-Zero's on the same architectures, on every benchmark that ships both
    (`studies.published_agreement`): benchmark first."""
    each = [published_agreement.agreement(part.frame, part.task.report, atlas=part.task.atlas, n_boot=200)
            .assign(benchmark=LABELS[name]) for name, part in found()[0].items()]
    each = [table for table in each if len(table)]
    columns = ["benchmark", *published_agreement.COLUMNS]
    return pd.concat(each, ignore_index=True)[columns] if each else pd.DataFrame(columns=columns)


def overview_notes(table: pd.DataFrame, matrix: pd.DataFrame) -> list[list[str]]:
    """For the overview's hover, per row and task: the cells our value is read on, of the benchmark's, and the
    paper's Spearman where one is known ("" for the published rows)."""
    ours = table[table["source"] == "ours"].set_index(["proxy", "task"])["cells"]
    parts = found()[0]
    notes = []
    for row in matrix.index:
        line = []
        for task in matrix.columns:
            if (row, task) not in ours.index or task not in parts:
                line.append("")
                continue
            total = parts[task].frame.attrs.get("cells", len(parts[task].frame))
            paper = papers.paper_of(row, atlas.spec(parts[task].task.atlas).benchmark, parts[task].task.report)
            line.append(f"<br>on {papers.cells_words(int(ours[(row, task)]), total)} cells"
                        + ("" if paper is None else f"<br>paper: {paper.spearman:.3f} ({paper.source})"))
        notes.append(line)
    return notes


def study_recipes() -> dict[str, str]:
    """The recipes the families study chose for each task (empty until it has run)."""
    return families.saved().own


@st.cache_data(show_spinner="Reading each recipe on every benchmark (and bootstrapping its intervals) ...",
               max_entries=8)
def transfer_cells(metric: str = "spearman", n_boot: int = 0) -> pd.DataFrame:
    """`families.transfer_cells` of the study's recipes on every benchmark here: one row per matrix cell."""
    own = {task: text for task, text in study_recipes().items() if task in found()[0]}
    return families.transfer_cells(own, found()[0], metric=metric, n_boot=n_boot)


def transfer(cells: pd.DataFrame) -> pd.DataFrame:
    """The matrix of `transfer_cells`' values: rows chosen on, columns read on, in the tasks' order."""
    matrix = cells.pivot(index="chosen on", columns="read on", values="value")
    order = [t.name for t in families.TASKS]
    matrix = matrix.reindex(index=[t for t in order if t in matrix.index],
                            columns=[t for t in order if t in matrix.columns]).astype(float)
    matrix.index.name, matrix.columns.name = None, None
    return matrix


def protocol(source: str, target: str) -> str:
    """Which protocol a transfer cell's number is, in words: every cell off the diagonal is zero-shot for the
    labels it is scored on; the diagonal is held out (the recipe read the other half of those labels)."""
    if source == target:
        return ("held out, not zero-shot: chosen on this benchmark's fitting half (its labels read), scored on the "
                "other half")
    if families.task(source).atlas == families.task(target).atlas:
        return (f"zero-shot for these labels: chosen with {LABELS[source]}'s labels on the other half of the same "
                "architectures")
    return "zero-shot: the recipe never saw a label of this benchmark"


def cell_words(row: pd.Series, metric: str) -> str:
    """One transfer cell in words: its value and interval, its cells and protocol; or why it is n/a."""
    if row["lacks"]:
        return f"n/a: this atlas lacks {row['lacks']}"
    if row["value"] != row["value"]:
        return "n/a: fewer than 3 cells of the reporting half have a value"
    interval = "" if row["low"] != row["low"] else f" [{row['low']:.3f}, {row['high']:.3f}]"
    return (f"{METRICS[metric]} {row['value']:.3f}{interval} on {int(row['cells']):,} cells; "
            f"{protocol(row['chosen on'], row['read on'])}")


def leave_one_out_recipes() -> dict[str, str]:
    """Task -> the recipe the families study chose for that task on the other benchmarks' labels."""
    return families.saved().loo


@st.cache_data(show_spinner="Reading each leave-one-out recipe on its benchmark ...", max_entries=2)
def leave_one_out() -> pd.DataFrame:
    return families.leave_one_out_table(leave_one_out_recipes(), found()[0])


def _row_name(proxy: str, source: str) -> str:
    return f"{proxy} (published)" if source == "published" else proxy


def overview_matrix(table: pd.DataFrame, proxies: list[str]) -> pd.DataFrame:
    """Proxies x tasks Spearman, ours then published, rows in the order of `proxies`."""
    chosen = table[table["proxy"].isin(proxies) | (table["source"] == "published")]
    chosen = chosen.assign(row=[_row_name(p, s) for p, s in zip(chosen["proxy"], chosen["source"])])
    matrix = chosen.pivot_table(index="row", columns="task", values="spearman", aggfunc="first", dropna=False)
    order = [p for p in proxies if p in matrix.index] + sorted(r for r in matrix.index if r.endswith("(published)"))
    columns = [t.name for t in families.TASKS if t.name in matrix.columns]
    return matrix.loc[order, columns]


def overview_heatmap(matrix: pd.DataFrame, notes: list[list[str]] | None = None) -> go.Figure:
    """`notes`: per row and task, what the hover adds (`overview_notes`)."""
    z = matrix.to_numpy(dtype=float)
    notes = notes or [[""] * len(matrix.columns) for _ in matrix.index]
    fig = go.Figure(go.Heatmap(
        z=z[::-1], x=[LABELS.get(c, c) for c in matrix.columns], y=list(matrix.index)[::-1], colorscale="RdBu",
        zmid=0, zmin=-1, zmax=1, text=two_decimals(z[::-1]), texttemplate="%{text}", colorbar=dict(title="Spearman"),
        customdata=notes[::-1], hovertemplate="%{y} on %{x}: Spearman %{z:.3f}%{customdata}<extra></extra>"))
    fig.update_layout(title="Each proxy alone on each benchmark, zero-shot (blank: not measured or does not apply)",
                      height=max(360, 26 * len(matrix) + 200), margin=dict(t=150, l=60, r=20, b=20),
                      font=dict(size=13), xaxis=dict(side="top", tickangle=-30, title="benchmark (its ground truth)"),
                      yaxis=dict(title="proxy (atlas column)"))
    return fig


def transfer_heatmap(cells: pd.DataFrame, metric: str = "spearman") -> go.Figure:
    """Rows: the task a recipe was chosen on; columns: where it is read. An invisible marker on every cell with a
    number makes it clickable (customdata: chosen on, read on, the cell in words); an n/a cell has none, and says
    why on hover. The diagonal (held out, not zero-shot) is outlined."""
    matrix = transfer(cells)
    z = matrix.to_numpy(dtype=float)
    x = [LABELS.get(c, c) for c in matrix.columns]
    y = [LABELS.get(r, r) for r in matrix.index]
    said = {(row["chosen on"], row["read on"]): cell_words(row, metric) for _, row in cells.iterrows()}
    words = [[said.get((r, c), "") for c in matrix.columns] for r in matrix.index]
    low = 0 if metric == "top_k" else -1
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale="RdBu", zmid=0, zmin=low, zmax=1,
                               text=two_decimals(z, "n/a"), texttemplate="%{text}", customdata=words,
                               colorbar=dict(title=METRICS[metric].split(" ")[0]),
                               hovertemplate="chosen on %{y}, read on %{x}:<br>%{customdata}<extra></extra>"))
    clickable = [(r, c, rl, cl) for r, rl in zip(matrix.index, y) for c, cl in zip(matrix.columns, x)
                 if np.isfinite(matrix.loc[r, c])]
    fig.add_trace(go.Scatter(
        x=[cl for *_, cl in clickable], y=[rl for _, _, rl, _ in clickable], mode="markers",
        marker=dict(size=28, opacity=0.01, symbol="square"),
        customdata=[[r, c, said[(r, c)]] for r, c, *_ in clickable],
        hovertemplate="chosen on %{y}, read on %{x}:<br>%{customdata[2]}<br>click to open it in the Proxy lab, on the "
                      "same cells<extra></extra>", showlegend=False))
    for i, r in enumerate(matrix.index):
        if r in matrix.columns:
            j = list(matrix.columns).index(r)
            fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5, xref="x", yref="y",
                          line=dict(color="#333333", width=2, dash="dot"))
    fig.update_layout(title=f"A recipe chosen on one benchmark (row) read unchanged on another (column): "
                            f"{METRICS[metric]}<br><sup>zero-shot off the outlined diagonal; the diagonal is "
                            "held out (the recipe read the other half of its labels)</sup>",
                      height=max(360, 48 * len(matrix) + 220), margin=dict(t=90, l=60, r=20, b=120),
                      font=dict(size=13), xaxis=dict(tickangle=-30, title="read on (its reporting half)"),
                      yaxis=dict(title="chosen on (its fitting half)", autorange="reversed"))
    return fig
