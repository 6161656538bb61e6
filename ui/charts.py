"""Plotly figures for the pages: presentation only, every number comes from the engine."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PATTERN_COLORS = {-1: "#2c7bb6", 0: "#f7f7f7", 1: "#d7191c"}


def sorted_pattern_order(values: np.ndarray) -> np.ndarray:
    """Row order that puts identical patterns next to each other (lexicographic over the samples)."""
    if values.shape[0] == 0:
        return np.arange(0)
    return np.lexsort(values.T[::-1])


def pattern_heatmap(values: np.ndarray, duplicated: np.ndarray, layers: list[str]) -> go.Figure:
    """Neurons (rows, sorted so equal patterns touch) x samples; a side strip marks repeated patterns."""
    order = sorted_pattern_order(values)
    vals = values[order].astype(int)
    dup = duplicated[order].astype(int)
    layer = [layers[i] for i in order]
    ternary = bool((vals < 0).any())
    levels = [-1, 0, 1] if ternary else [0, 1]
    colorscale = _discrete_scale([PATTERN_COLORS[v] for v in levels])
    rows = [f"{r}: {name}" for r, name in enumerate(layer)]  # hover names the layer; one label per row only
    fig = make_subplots(rows=1, cols=2, column_widths=[0.05, 0.95], shared_yaxes=True, horizontal_spacing=0.01)
    fig.add_trace(go.Heatmap(z=dup[:, None], y=rows, colorscale=[[0, "#e0e0e0"], [1, "#7b3294"]], zmin=0,
                             zmax=1, showscale=False, x=["dup"],
                             hovertemplate="%{y}<br>pattern repeated: %{z}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=vals, y=rows, zmin=min(levels), zmax=max(levels), colorscale=colorscale,
                             hovertemplate="%{y}<br>sample %{x}<br>sign %{z}<extra></extra>",
                             colorbar=dict(title="sign", tickvals=levels, len=0.6)), row=1, col=2)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    fig.update_yaxes(title_text="neurons (sorted by pattern)", row=1, col=1)
    fig.update_xaxes(title_text="sample in the batch", row=1, col=2)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=40),
                      title=f"{len(vals)} sampled neurons; purple: pattern shared with another neuron")
    return fig


def _discrete_scale(colors: list[str]) -> list:
    """A colour scale with flat bands, one per discrete level."""
    scale, n = [], len(colors)
    for i, color in enumerate(colors):
        scale += [[i / n, color], [(i + 1) / n, color]]
    return scale


def layer_bars(layers: pd.DataFrame) -> go.Figure:
    """Per hooked call: neurons vs distinct patterns within that layer (log y)."""
    names = [f"{row.name} #{row.call}" if row.call else str(row.name) for row in layers.itertuples()]
    fig = go.Figure([go.Bar(x=names, y=layers["neurons"], name="neurons"),
                     go.Bar(x=names, y=layers["distinct"], name="distinct patterns")])
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(barmode="group", height=380, margin=dict(t=60, b=10),
                      title="Per layer: neurons vs distinct patterns",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    return fig


def bound_gauge(score: float, bound: int) -> go.Figure:
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=score, number=dict(valueformat=",.0f"),
        title=dict(text=f"score vs its bound {bound:,}", font=dict(size=14)),
        gauge=dict(axis=dict(range=[0, max(bound, 1)]), bar=dict(color="#d7191c"))))
    fig.update_layout(height=260, margin=dict(t=60, b=10))
    return fig


def cell_graphs(edges: list[tuple[str, str, str]]) -> list[go.Figure]:
    """One drawing per cell: node names like "normal/3" and "reduce/3" (DARTS) split into two cells."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for a, b, op in edges:
        prefix, _, _ = str(b).rpartition("/")
        groups.setdefault(prefix, []).append((a, b, op))
    if len(groups) == 1:
        return [cell_graph(edges)]
    figures = []
    for prefix, group in groups.items():
        strip = lambda node: str(node).removeprefix(f"{prefix}/")  # noqa: E731 - labels inside one cell
        figures.append(cell_graph([(strip(a), strip(b), op) for a, b, op in group], title=f"{prefix} cell"))
    return figures


def cell_graph(edges: list[tuple[str, str, str]], title: str = "Cell") -> go.Figure:
    """Draw a cell from (from, to, op) edges: nodes in topological layers, each edge labelled with its op."""
    graph = nx.MultiDiGraph()
    graph.add_edges_from((str(a), str(b), {"op": op}) for a, b, op in edges)
    if nx.is_directed_acyclic_graph(graph):
        for depth, layer in enumerate(nx.topological_generations(graph)):
            for node in layer:
                graph.nodes[node]["depth"] = depth
        pos = nx.multipartite_layout(graph, subset_key="depth")
    else:
        pos = nx.spring_layout(graph, seed=0)
    depth = nx.get_node_attributes(graph, "depth")
    ops = sorted({op for _, _, op in edges})
    palette = px.colors.qualitative.D3
    fig = go.Figure()
    seen: dict[tuple[str, str], int] = {}
    skips = 0
    for a, b, op in ((str(a), str(b), op) for a, b, op in edges):
        k = seen.get((a, b), 0)
        seen[(a, b)] = k + 1
        (x0, y0), (x1, y1) = pos[a], pos[b]
        # Edges that skip layers arc (alternately above and below) and parallel edges bend apart,
        # so no edge hides another and every op label stays readable.
        gap = depth[b] - depth[a] if a in depth and b in depth else 1
        bend = 0.15 * k * (1 if k % 2 else -1)
        if gap > 1:
            skips += 1
            bend += 0.22 * (gap - 1) * (1 if skips % 2 else -1)
        mx, my = (x0 + x1) / 2 - bend * (y1 - y0), (y0 + y1) / 2 + bend * (x1 - x0)
        color = palette[ops.index(op) % len(palette)]
        fig.add_trace(go.Scatter(x=[x0, mx, x1], y=[y0, my, y1], mode="lines", line=dict(color=color, width=3,
                                 shape="spline"), name=op, legendgroup=op, showlegend=op not in
                                 {t.name for t in fig.data}, hoverinfo="name"))
        fig.add_annotation(x=x1, y=y1, ax=x1 + 0.2 * (mx - x1), ay=y1 + 0.2 * (my - y1), xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowsize=1.5, arrowcolor=color, standoff=8)
        fig.add_annotation(x=mx, y=my, text=op, showarrow=False, font=dict(size=10, color=color),
                           bgcolor="rgba(255,255,255,0.8)")
    xs, ys = zip(*(pos[n] for n in graph.nodes)) if graph.nodes else ((), ())
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers+text", text=list(graph.nodes), textposition="top center",
                             textfont=dict(size=11, color="#222"),
                             marker=dict(size=14, color="#ffffff", line=dict(color="#333", width=2)),
                             showlegend=False, hoverinfo="text"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), title=title,
                      legend=dict(orientation="h", y=-0.05))
    return fig


def score_distribution(table: pd.DataFrame, column: str, kind: str, split: str | None) -> go.Figure:
    if kind == "violin":
        fig = px.violin(table, y=column, x=split, box=True, points="all", hover_data=["arch"])
    else:
        fig = px.histogram(table, x=column, color=split, nbins=40, barmode="overlay", marginal="rug",
                           hover_data=["arch"])
    fig.update_layout(height=420, margin=dict(t=30))
    return fig


def whole_space_histogram(table: pd.DataFrame, column: str) -> go.Figure:
    """Histogram of a whole space (thousands of points: no rug, no per-point hover)."""
    fig = px.histogram(table, x=column, nbins=80)
    fig.update_layout(height=360, margin=dict(t=30), bargap=0.02)
    return fig


def score_vs_params(table: pd.DataFrame, column: str, color: str | None) -> go.Figure:
    fig = px.scatter(table, x="params", y=column, color=color, hover_data=["arch"], log_x=True,
                     labels={"params": "parameters"})
    fig.update_layout(height=420, margin=dict(t=30))
    return fig


def score_vs_target(table: pd.DataFrame, score: str, target: str) -> go.Figure:
    shown = table.assign(architecture=table["arch"].map(_short))
    fig = px.scatter(shown, x=score, y=target, hover_data={"architecture": True, "params": True},
                     custom_data=["arch"])
    fig.update_traces(marker=dict(size=9, opacity=0.8))
    fig.update_layout(height=460, margin=dict(t=30))
    return fig


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def batch_sweep(summary: pd.DataFrame, target: str | None) -> go.Figure:
    """Mean score, mean N and 2^B on a log axis, Spearman on a second axis: saturation at N shows."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    b = summary["batch_size"]
    fig.add_trace(go.Scatter(x=b, y=summary["mean_score"], name="mean SWAP-Score", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=b, y=summary["mean_neurons"], name="mean neurons N", mode="lines",
                             line=dict(dash="dot")))
    fig.add_trace(go.Scatter(x=b, y=summary["pattern_bound"], name="2^B (3^B ternary)", mode="lines",
                             line=dict(dash="dash")))
    if "spearman" in summary and summary["spearman"].notna().any():
        error = dict(type="data", symmetric=False, array=summary["spearman_hi"] - summary["spearman"],
                     arrayminus=summary["spearman"] - summary["spearman_lo"])
        fig.add_trace(go.Scatter(x=b, y=summary["spearman"], name=f"Spearman vs {target}", mode="lines+markers",
                                 error_y=error, line=dict(color="#2ca02c")), secondary_y=True)
        fig.update_yaxes(title_text="Spearman (95% CI)", range=[-1, 1], tickmode="linear", tick0=-1, dtick=0.5,
                         showgrid=False, secondary_y=True)
    top = max(summary["mean_neurons"].max(), summary["mean_score"].max()) * 4
    fig.update_yaxes(type="log", title_text="count", range=[0, np.log10(max(top, 10))], secondary_y=False)
    fig.update_xaxes(type="log", title_text="batch size B", tickvals=list(b))
    fig.update_layout(height=480, margin=dict(t=30), legend=dict(orientation="h", y=1.12))
    return fig


def search_progress(history: pd.DataFrame, score: str, accuracy: str | None) -> go.Figure:
    """Best-so-far score (and best-so-far true accuracy where known) against evaluations."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = np.arange(1, len(history) + 1)
    fig.add_trace(go.Scatter(x=x, y=history[score], mode="markers", name="evaluated",
                             marker=dict(size=4, color="#bbbbbb")))
    fig.add_trace(go.Scatter(x=x, y=history[score].cummax(), mode="lines", name="best score"))
    if accuracy is not None and accuracy in history:
        best_acc = history[accuracy].where(history[score] == history[score].cummax()).ffill()
        fig.add_trace(go.Scatter(x=x, y=best_acc, mode="lines", name=f"true {accuracy} of best",
                                 line=dict(color="#2ca02c")), secondary_y=True)
        fig.update_yaxes(title_text=accuracy, tickformat=".1f", showgrid=False, secondary_y=True)
    fig.update_xaxes(title_text="evaluations")
    fig.update_yaxes(title_text="score", secondary_y=False)
    fig.update_layout(height=420, margin=dict(t=30), legend=dict(orientation="h", y=1.12))
    return fig
