"""The Across-families page's data and charts: every atlas on this machine read once, each proxy alone on
each benchmark, and the study's recipes (sample_data/recipes.json) read on every benchmark."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from swap_engine.studies import families
from ui import tables
from ui.charts import two_decimals

LABELS = {t.name: t.label for t in families.TASKS}


@st.cache_resource(show_spinner="Reading every benchmark's atlas ...", max_entries=1)
def found() -> tuple[dict[str, families.Fitted], dict[str, str]]:
    """The tasks whose atlas and ground truth are here (shared: never modify them), and why the others are not."""
    return families.parts(load=tables.joined)  # the app's one cached join of each atlas


@st.cache_data(show_spinner=False, max_entries=2)
def overview() -> pd.DataFrame:
    """task, proxy, source, cells, spearman: every proxy alone on every benchmark here."""
    return families.alone(found()[0])


def study_recipes() -> dict[str, str]:
    """The recipes the families study chose for each task (empty until it has run)."""
    return families.saved().own


@st.cache_data(show_spinner="Reading each recipe on every benchmark ...", max_entries=2)
def transfer() -> pd.DataFrame:
    own = {task: text for task, text in study_recipes().items() if task in found()[0]}
    return families.transfer_matrix(own, found()[0])


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


def overview_heatmap(matrix: pd.DataFrame) -> go.Figure:
    z = matrix.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z[::-1], x=[LABELS.get(c, c) for c in matrix.columns], y=list(matrix.index)[::-1], colorscale="RdBu",
        zmid=0, zmin=-1, zmax=1, text=two_decimals(z[::-1]), texttemplate="%{text}", colorbar=dict(title="Spearman"),
        hovertemplate="%{y} on %{x}: Spearman %{z:.3f}<extra></extra>"))
    fig.update_layout(title="Each proxy alone on each benchmark (blank: not measured or does not apply)",
                      height=max(360, 26 * len(matrix) + 200), margin=dict(t=150, l=60, r=20, b=20),
                      font=dict(size=13), xaxis=dict(side="top", tickangle=-30, title="benchmark (its ground truth)"),
                      yaxis=dict(title="proxy (atlas column)"))
    return fig


def transfer_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Rows: the task a recipe was chosen on; columns: where it is read. An invisible marker on every cell makes
    the cell clickable (customdata: chosen on, read on)."""
    z = matrix.to_numpy(dtype=float)
    x = [LABELS.get(c, c) for c in matrix.columns]
    y = [LABELS.get(r, r) for r in matrix.index]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               text=two_decimals(z, "n/a"),
                               texttemplate="%{text}", colorbar=dict(title="Spearman"), hoverinfo="skip"))
    cells = [(r, c, rl, cl) for r, rl in zip(matrix.index, y) for c, cl in zip(matrix.columns, x)]
    fig.add_trace(go.Scatter(
        x=[cl for *_, cl in cells], y=[rl for _, _, rl, _ in cells], mode="markers",
        marker=dict(size=28, opacity=0.01, symbol="square"), customdata=[[r, c] for r, c, *_ in cells],
        hovertemplate="chosen on %{y}, read on %{x}: click to open it in the Proxy lab<extra></extra>",
        showlegend=False))
    fig.update_layout(title="A recipe chosen on one benchmark (row) read unchanged on another (column)",
                      height=max(360, 48 * len(matrix) + 200), margin=dict(t=70, l=60, r=20, b=120),
                      font=dict(size=13), xaxis=dict(tickangle=-30, title="read on (its reporting half)"),
                      yaxis=dict(title="chosen on (its fitting half)", autorange="reversed"))
    return fig
