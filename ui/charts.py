"""Plotly figures for the pages: presentation only, every number comes from the engine.

Every figure has a title and axis titles in words (`words` turns column names into them), log axes show
only round ticks (1, 2, 5 x 10^k, written 20 K / 1.5 M) and never minor-tick clutter, and legends follow
the order of the data. Pages draw them through ui.export.show_chart, which adds the PNG / SVG / CSV downloads.
"""
from __future__ import annotations

import math
import re

import networkx as nx
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.labels import words

PATTERN_COLORS = {-1: "#2c7bb6", 0: "#f7f7f7", 1: "#d7191c"}
ABSENT_OPS = {"none", "zero", "Zero"}  # an edge with this op carries nothing: drawn dashed and grey
JOIN_OPS = {"concat", "add"}  # how a cell joins its nodes into the output: drawn thin, not labelled
def compact(value: float) -> str:
    """1234 -> "1.23k", 48323 -> "48.3k", 1.5e6 -> "1.5M": tick and gauge labels, in d3's "~s" style so
    that they read like the other axes (a bare "150" never stands for 150k)."""
    size = abs(value)
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{unit}"
    return f"{value:.3g}"


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Round ticks for a log axis from low to high: 1-2-5 steps, fewer when the range spans many decades."""
    low, high = max(low, 1e-12), max(high, low * 1.0001)
    decades = math.log10(high) - math.log10(low)
    steps = ((1, 1.5, 2, 3, 5, 7) if decades <= 1 else (1, 2, 5) if decades <= 2.5 else (1, 3) if decades <= 4
             else (1,))
    values = [m * 10**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1) for m in steps]
    values = [v for v in values if low / 1.05 <= v <= high * 1.05]
    if len(values) < 2:  # a narrow range: a few evenly spaced round values instead
        values = sorted({float(f"{v:.2g}") for v in np.geomspace(low, high, 4)})
    return values, [compact(v) for v in values]


def _category_order(values: pd.Series) -> list:
    """Categories in natural order: numbers numerically (2 before 10), the rest alphabetically."""
    unique = list(dict.fromkeys(values.dropna()))
    try:
        return sorted(unique, key=lambda v: float(v))
    except (TypeError, ValueError):
        return sorted(unique, key=str)


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
    layer = [layer_label(layers[i]) for i in order]
    ternary = bool((vals < 0).any())
    levels = [-1, 0, 1] if ternary else [0, 1]
    colorscale = _discrete_scale([PATTERN_COLORS[v] for v in levels])
    rows = [f"{r}: {name}" for r, name in enumerate(layer)]  # hover names the layer; one label per row only
    samples = list(range(1, vals.shape[1] + 1))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.05, 0.95], shared_yaxes=True, horizontal_spacing=0.01)
    fig.add_trace(go.Heatmap(z=dup[:, None], y=rows, colorscale=[[0, "#e0e0e0"], [1, "#7b3294"]], zmin=0,
                             zmax=1, showscale=False, x=["shared"], name="pattern shared",
                             hovertemplate="%{y}<br>pattern shared with another neuron: %{z}<extra></extra>"),
                  row=1, col=1)
    n = len(levels)
    fig.add_trace(go.Heatmap(z=vals, x=samples, y=rows, zmin=min(levels) - 0.5, zmax=max(levels) + 0.5,
                             colorscale=colorscale, name="sign",
                             hovertemplate="%{y}<br>sample %{x}<br>sign %{z}<extra></extra>",
                             colorbar=dict(title="sign", tickvals=levels, len=0.5, y=0.75,
                                           ticktext=["-1 (negative)", "0", "+1 (positive)"] if ternary
                                           else ["0 (silent)", "1 (fired)"], thickness=14 if n else 14)),
                  row=1, col=2)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    fig.update_yaxes(title_text="neurons, sorted so equal patterns touch", row=1, col=1)
    fig.update_xaxes(title_text="sample in the batch", tickmode="linear", tick0=1,
                     dtick=max(1, len(samples) // 16), row=1, col=2)
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=50, b=40),
                      title=f"Activation patterns of {len(vals)} sampled neurons (purple strip: pattern not unique)")
    return fig


def _discrete_scale(colors: list[str]) -> list:
    """A colour scale with flat bands, one per discrete level."""
    scale, n = [], len(colors)
    for i, color in enumerate(colors):
        scale += [[i / n, color], [(i + 1) / n, color]]
    return scale


def layer_bars(layers: pd.DataFrame) -> go.Figure:
    """Per hooked call: neurons vs distinct patterns within that layer (log y, round ticks only)."""
    names = [layer_label(row.name, row.call) for row in layers.itertuples()]
    fig = go.Figure([go.Bar(x=names, y=layers["neurons"], name="neurons", marker_color="#1f4e9c",
                            hovertemplate="%{x}<br>%{y:,} neurons<extra></extra>"),
                     go.Bar(x=names, y=layers["distinct"], name="distinct patterns", marker_color="#8fb9ef",
                            hovertemplate="%{x}<br>%{y:,} distinct patterns<extra></extra>")])
    top = float(max(layers["neurons"].max(), 1)) if len(layers) else 1.0
    low = float(max(layers["distinct"].min(), 1)) if len(layers) else 1.0
    ticks, text = log_ticks(low, top)
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=text, title_text="count (log scale)",
                     range=[math.log10(low) - 0.2, math.log10(top) + 0.15])
    fig.update_xaxes(title_text="activation layer, in forward order", tickangle=-45, automargin=True)
    fig.update_layout(barmode="group", height=420, margin=dict(t=70, b=10),
                      title="Per layer: neurons and distinct patterns (each layer counted alone)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0,
                                  traceorder="normal"))
    return fig


def bound_gauge(score: float, bound: int) -> go.Figure:
    """The score on a dial that ends at its bound; ticks written in full (65.5 K, not "65" or "6e4")."""
    top = max(bound, 1)
    step = _nice_step(top / 4)
    ticks = [v for v in np.arange(0, top + step / 2, step) if v <= top * 0.9] + [top]
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=score, number=dict(valueformat=",.0f", font=dict(size=40)),
        title=dict(text=f"SWAP-Score out of its bound min(N, 2^B) = {bound:,}", font=dict(size=14)),
        gauge=dict(axis=dict(range=[0, top], tickvals=ticks, ticktext=[compact(v) for v in ticks],
                             tickfont=dict(size=11)),
                   bar=dict(color="#d7191c"))))
    fig.update_layout(height=280, margin=dict(t=70, b=10, l=40, r=40))
    return fig


def _nice_step(raw: float) -> float:
    """The 1-2-5 x 10^k value nearest above `raw`."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


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
        strip = lambda node: str(node).removeprefix(f"{prefix}/")  # noqa: E731, B023 - labels inside one cell
        figures.append(cell_graph([(strip(a), strip(b), op) for a, b, op in group], title=f"{prefix} cell"))
    return figures


def _node_text(node: str) -> str:
    """`c_{k-1}` -> c with subscript k-1 (plotly has no LaTeX in text)."""
    match = re.fullmatch(r"(\w+?)_\{(.+)\}", node)
    return f"{match.group(1)}<sub>{match.group(2)}</sub>" if match else node


def cell_graph(edges: list[tuple[str, str, str]], title: str = "Cell") -> go.Figure:
    """Draw a cell from (from, to, op) edges: nodes in topological layers, each edge labelled with its op.

    `none` edges (they carry nothing) are dashed and grey with no label; edges that join nodes into the
    output (concat / add) are thin and unlabelled; every other edge is a curve in its op's colour with the
    op written on it, labels placed along the curves so that they do not cover each other or the nodes."""
    graph = nx.MultiDiGraph()
    graph.add_edges_from((str(a), str(b), {"op": op}) for a, b, op in edges)
    if nx.is_directed_acyclic_graph(graph):
        for depth, layer in enumerate(nx.topological_generations(graph)):
            for node in sorted(layer):
                graph.nodes[node]["depth"] = depth
        pos = nx.multipartite_layout(graph, subset_key="depth")
    else:
        pos = nx.spring_layout(graph, seed=0)
    pos = {n: (float(x), float(y)) for n, (x, y) in pos.items()}
    depth = nx.get_node_attributes(graph, "depth")
    real_ops = [op for op in dict.fromkeys(op for _, _, op in edges) if op not in ABSENT_OPS | JOIN_OPS]
    palette = px.colors.qualitative.D3
    colors = {op: palette[i % len(palette)] for i, op in enumerate(sorted(real_ops))}
    xs_all, ys_all = zip(*pos.values()) if pos else ((0.0,), (0.0,))
    span_x = max(max(xs_all) - min(xs_all), 1e-6)
    span_y = max(max(ys_all) - min(ys_all), 0.5)
    height = 420
    fig = go.Figure()
    styles: dict[str, tuple] = {}  # legend entry -> (group, op, line style): operations, then joins, then none
    extent_x, extent_y = list(xs_all), list(ys_all)
    seen: dict[tuple[str, str], int] = {}
    skips = 0
    labels = []
    for a, b, op in ((str(a), str(b), op) for a, b, op in edges):
        k = seen.get((a, b), 0)
        seen[(a, b)] = k + 1
        (x0, y0), (x1, y1) = pos[a], pos[b]
        # Edges that skip layers arc (alternately above and below) and parallel edges bend apart.
        gap = depth[b] - depth[a] if a in depth and b in depth else 1
        bend = 0.28 * k * (1 if k % 2 else -1)
        if gap > 1:
            skips += 1
            bend += 0.22 * (gap - 1) * (1 if skips % 2 else -1)
        mx, my = (x0 + x1) / 2 - bend * (y1 - y0), (y0 + y1) / 2 + bend * (x1 - x0)
        # Bezier control point past (mx, my), so that the curve's own bulge is about the bend asked for
        cx, cy = (x0 + x1) / 2 + 1.6 * (mx - (x0 + x1) / 2), (y0 + y1) / 2 + 1.6 * (my - (y0 + y1) / 2)
        t = np.linspace(0, 1, 30)
        curve_x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
        curve_y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
        absent, join = op in ABSENT_OPS, op in JOIN_OPS
        color = "#b0b0b0" if absent else "#9e9e9e" if join else colors[op]
        legend = f"{op} (no connection)" if absent else op
        style = dict(color=color, width=1.5 if absent or join else 3,
                     dash="dash" if absent else "dot" if join else "solid")
        styles.setdefault(legend, (3 if absent else 2 if join else 1, op, style))
        fig.add_trace(go.Scatter(x=curve_x, y=curve_y, mode="lines", name=legend, legendgroup=legend,
                                 showlegend=False, hoverinfo="text", text=f"{a} -> {b}: {op}", line=style))
        extent_x += [float(curve_x.min()), float(curve_x.max())]
        extent_y += [float(curve_y.min()), float(curve_y.max())]
        if absent:
            continue  # nothing flows: no arrow, no label
        # the arrow head: from a point shortly before the end of the curve to the target node
        fig.add_annotation(x=x1, y=y1, ax=float(curve_x[-4]), ay=float(curve_y[-4]), xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=1.5,
                           arrowcolor=color, standoff=9, text="")
        if not join:
            labels.append((op, color, curve_x, curve_y))
    pad_x, pad_y = 0.06 * span_x, 0.12 * span_y
    x_range = [min(extent_x) - pad_x, max(extent_x) + pad_x]
    y_range = [min(extent_y) - pad_y, max(extent_y) + 2 * pad_y]
    # data units per pixel, to keep labels apart: the plot is 480-600 x 330 px inside margins and legend
    # (two cells side by side in a wide page); the narrower guess keeps labels apart in both
    ux, uy = (x_range[1] - x_range[0]) / 480, (y_range[1] - y_range[0]) / 330
    placed: list[tuple[float, float, float, float]] = [(x, y, 10 * ux, 10 * uy) for x, y in pos.values()]
    for op, color, curve_x, curve_y in labels:
        w, h = (len(op) * 6 + 8) * ux / 2, 8 * uy
        best = None
        for i in (15, 12, 18, 9, 21, 7, 23, 5, 25, 3, 27):
            x, y = float(curve_x[i]), float(curve_y[i])
            overlap = sum(max(0, min(x + w, px_ + pw) - max(x - w, px_ - pw)) *
                          max(0, min(y + h, py_ + ph) - max(y - h, py_ - ph)) for px_, py_, pw, ph in placed)
            if best is None or overlap < best[0]:
                best = (overlap, x, y)
            if overlap == 0:
                break
        _, x, y = best
        placed.append((x, y, w, h))
        fig.add_annotation(x=x, y=y, text=op, showarrow=False, font=dict(size=10, color=color),
                           bgcolor="rgba(255,255,255,0.9)", borderpad=1)
    names = list(graph.nodes)
    fig.add_trace(go.Scatter(x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text",
                             text=[_node_text(n) for n in names], textposition="top center",
                             textfont=dict(size=12, color="#222"), hovertext=names, hoverinfo="text",
                             marker=dict(size=14, color="#ffffff", line=dict(color="#333", width=2)),
                             showlegend=False))
    for legend, (_, _, style) in sorted(styles.items(), key=lambda item: item[1][:2]):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=legend, legendgroup=legend, line=style))
    fig.update_xaxes(visible=False, range=x_range)
    fig.update_yaxes(visible=False, range=y_range)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title=title, plot_bgcolor="#ffffff",
                      legend=dict(orientation="h", y=-0.02, traceorder="normal"))
    return fig


def score_distribution(table: pd.DataFrame, column: str, kind: str, split: str | None) -> go.Figure:
    """Histogram or violin of scores, optionally split by a property; a violin never reaches below the
    lowest score (no kernel tails into negative scores)."""
    labels = {column: words(column), **({split: words(split)} if split else {})}
    orders = {split: _category_order(table[split])} if split else {}
    if kind == "violin":
        fig = px.violin(table, y=column, x=split, box=True, points="all", hover_data=["arch"], labels=labels,
                        category_orders=orders, color=split)
        fig.update_traces(spanmode="hard", meanline_visible=False, jitter=0.3, pointpos=0, marker_size=4)
        fig.update_yaxes(rangemode="tozero", tickformat="~s")
        fig.update_layout(showlegend=False)
        title = f"{words(column)} by {words(split)}" if split else f"Spread of {words(column)}s"
    else:
        fig = px.histogram(table, x=column, color=split, nbins=40, barmode="overlay", marginal="rug",
                           hover_data=["arch"], labels=labels, category_orders=orders)
        fig.update_xaxes(tickformat="~s", rangemode="tozero", row=1, col=1)
        fig.update_yaxes(title_text="architectures", row=1, col=1)
        title = f"Distribution of {words(column)}s" + (f", coloured by {words(split)}" if split else "")
    fig.update_layout(height=440, margin=dict(t=60), title=f"{title} ({len(table):,} architectures)",
                      legend=dict(traceorder="normal"))
    return fig


def whole_space_histogram(table: pd.DataFrame, column: str) -> go.Figure:
    """Histogram of a whole space (thousands of points: no rug, no per-point hover)."""
    fig = px.histogram(table, x=column, nbins=80, labels={column: words(column)})
    fig.update_xaxes(tickformat="~s")
    fig.update_yaxes(title_text="architectures")
    fig.update_layout(height=380, margin=dict(t=60), bargap=0.02,
                      title=f"{words(column)} of every architecture in the space ({len(table):,})")
    return fig


def score_vs_params(table: pd.DataFrame, column: str, color: str | None) -> go.Figure:
    orders = {color: _category_order(table[color])} if color else {}
    fig = px.scatter(table, x="params", y=column, color=color, hover_data=["arch"], log_x=True,
                     labels={"params": "parameters (log scale)", column: words(column),
                             **({color: words(color)} if color else {})}, category_orders=orders)
    params = table["params"][table["params"] > 0]
    if len(params):
        ticks, text = log_ticks(float(params.min()), float(params.max()))
        fig.update_xaxes(tickvals=ticks, ticktext=text)
    fig.update_yaxes(tickformat="~s")
    fig.update_layout(height=440, margin=dict(t=60), title=f"{words(column)} against model size",
                      legend=dict(traceorder="normal"))
    return fig


def score_vs_target(table: pd.DataFrame, score: str, target: str) -> go.Figure:
    shown = table.assign(architecture=table["arch"].map(_short))
    fig = px.scatter(shown, x=score, y=target, hover_data={"architecture": True, "params": True},
                     custom_data=["arch"], labels={score: words(score), target: words(target),
                                                  "params": "parameters"})
    fig.update_traces(marker=dict(size=9, opacity=0.8))
    fig.update_xaxes(tickformat="~s")
    fig.update_layout(height=480, margin=dict(t=60), title=f"{words(target)} against {words(score)}")
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
        fig.add_trace(go.Scatter(x=b, y=summary["spearman"], name=f"Spearman vs {words(target)}",
                                 mode="lines+markers", error_y=error, line=dict(color="#2ca02c")), secondary_y=True)
        fig.update_yaxes(title_text="Spearman's rho (95% CI)", range=[-1, 1], tickmode="linear", tick0=-1, dtick=0.5,
                         showgrid=False, secondary_y=True)
    top = max(summary["mean_neurons"].max(), summary["mean_score"].max()) * 4
    ticks = [10.0**e for e in range(0, math.ceil(math.log10(max(top, 10))) + 1)]
    fig.update_yaxes(type="log", title_text="count (log scale)", range=[0, np.log10(max(top, 10))],
                     tickvals=ticks, ticktext=[compact(v) for v in ticks], secondary_y=False)
    fig.update_xaxes(type="log", title_text="batch size B (log scale)", tickvals=list(b),
                     ticktext=[str(int(v)) for v in b])
    fig.update_layout(height=520, margin=dict(t=60, b=10), legend=dict(orientation="h", y=-0.18, yanchor="top",
                                                                        traceorder="normal"),
                      title="Scores saturate at 2^B for small batches and at N for large ones")
    return fig


def search_progress(history: pd.DataFrame, score: str, accuracy: str | None,
                    score_label: str | None = None) -> go.Figure:
    """Best-so-far score (and best-so-far true accuracy where known) against evaluations.

    `score_label`: the fitness's name when it is not the SWAP-Score (a recipe's small log-rank sums get plain
    numbers on the axis, not SI prefixes).
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = np.arange(1, len(history) + 1)
    fig.add_trace(go.Scatter(x=x, y=history[score], mode="markers", name="evaluated",
                             marker=dict(size=4, color="#bbbbbb")))
    fig.add_trace(go.Scatter(x=x, y=history[score].cummax(), mode="lines",
                             name=f"best {'fitness' if score_label else 'score'} so far"))
    if accuracy is not None and accuracy in history:
        best_acc = history[accuracy].where(history[score] == history[score].cummax()).ffill()
        fig.add_trace(go.Scatter(x=x, y=best_acc, mode="lines", name=f"{words(accuracy)} of the best",
                                 line=dict(color="#2ca02c")), secondary_y=True)
        fig.update_yaxes(title_text=words(accuracy), tickformat=".1f", showgrid=False, secondary_y=True)
    fig.update_xaxes(title_text="architectures evaluated")
    fig.update_yaxes(title_text=score_label or words(score), tickformat="~g" if score_label else "~s",
                     secondary_y=False)
    fig.update_layout(height=460, margin=dict(t=60, b=10),
                      title=f"Search progress: the best {'fitness' if score_label else 'score'} found so far",
                      legend=dict(orientation="h", y=-0.18, yanchor="top", traceorder="normal"))
    return fig


# --- The Learn page's toy network -------------------------------------------------------------------------

SHARED_COLORS = ["#e6550d", "#31a354", "#756bb1", "#d6616b", "#3182bd", "#8c6d31", "#e7969c"]
UNIQUE_COLOR = "#525252"  # a pattern that only one neuron has


def pattern_colors(group: list[str]) -> list[str]:
    """One colour per neuron: patterns shared by several neurons get a colour each, unique ones dark grey."""
    shared = [g for g in dict.fromkeys(group) if group.count(g) > 1]
    return [SHARED_COLORS[shared.index(g) % len(SHARED_COLORS)] if g in shared else UNIQUE_COLOR for g in group]


def toy_sign_matrix(signs: np.ndarray, neurons: list[str], group: list[str]) -> go.Figure:
    """Neurons (rows) x samples: a 1 is a filled cell in the colour of the neuron's pattern, a 0 is empty,
    so identical patterns show as identical rows of the same colour; the pattern's letter on the right."""
    n, b = signs.shape
    colors = pattern_colors(group)
    fig = go.Figure()
    for r in range(n):
        for c in range(b):
            on = bool(signs[r, c])
            fig.add_shape(type="rect", x0=c - 0.45, x1=c + 0.45, y0=r - 0.42, y1=r + 0.42,
                          fillcolor=colors[r] if on else "#ffffff", line=dict(color="#bdbdbd", width=1))
            fig.add_annotation(x=c, y=r, text=str(int(signs[r, c])), showarrow=False,
                               font=dict(size=15, color="#ffffff" if on else "#969696"))
        shared = group.count(group[r]) > 1
        fig.add_annotation(x=b - 0.2, y=r, xanchor="left", showarrow=False, font=dict(size=14, color=colors[r]),
                           text=f"<b>{group[r]}</b>" + ("  (shared)" if shared else ""))
    fig.add_shape(type="line", x0=-0.5, x1=b - 0.5, y0=3.5, y1=3.5, line=dict(color="#222", width=2, dash="dot"))
    fig.update_xaxes(range=[-0.6, b + 1.6], tickvals=list(range(b)), ticktext=[f"s{c + 1}" for c in range(b)],
                     title_text="sample of the batch", side="top", showgrid=False, zeroline=False)
    fig.update_yaxes(range=[n - 0.4, -0.6], tickvals=list(range(n)), ticktext=neurons, showgrid=False,
                     zeroline=False, title_text="neuron (layer 1 | layer 2)")
    fig.update_layout(height=90 + 44 * n, margin=dict(l=10, r=10, t=90, b=10), plot_bgcolor="#ffffff",
                      title=dict(text="Sign matrix: 1 = fired (output > 0); a row is a pattern", y=0.98,
                                 yanchor="top"))
    return fig


def toy_network_diagram(weights: dict, inputs: list[str], layer1: list[str], layer2: list[str],
                        group: list[str], patterns: list[str]) -> go.Figure:
    """The whole toy: inputs, two ReLU layers, every weight as a line (red positive, blue negative, width
    |w|; a zero weight is not drawn), each neuron in the colour of its pattern with the pattern beside it."""
    columns = [inputs, layer1, layer2]
    pos = {}
    for x, names in enumerate(columns):
        for i, name in enumerate(names):
            pos[name] = (x, (len(names) - 1) / 2 - i)
    fig = go.Figure()
    biggest = max(abs(v) for key in ("w1", "w2") for row in weights[key] for v in row) or 1.0
    for key, sources, targets in (("w1", inputs, layer1), ("w2", layer1, layer2)):
        for r, target in enumerate(targets):
            for c, source in enumerate(sources):
                w = weights[key][r][c]
                if w == 0:
                    continue
                (x0, y0), (x1, y1) = pos[source], pos[target]
                fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False,
                                         line=dict(color="#d7191c" if w > 0 else "#2c7bb6",
                                                   width=1 + 5 * abs(w) / biggest),
                                         hoverinfo="text", text=f"{source} -> {target}: weight {w:g}"))
    for color, label in (("#d7191c", "positive weight"), ("#2c7bb6", "negative weight")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=color, width=4), name=label))
    colors = dict(zip(layer1 + layer2, pattern_colors(group)))
    text = dict(zip(layer1 + layer2, patterns))
    biases = {**dict(zip(layer1, weights["b1"])), **dict(zip(layer2, weights["b2"]))}
    names = inputs + layer1 + layer2
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text", text=names,
        textfont=dict(color="#ffffff", size=13), showlegend=False,
        marker=dict(size=38, color=[colors.get(n, "#bdbdbd") for n in names], line=dict(color="#222", width=1)),
        hovertext=[f"{n}: bias {biases[n]:g}" if n in biases else f"input {n}" for n in names], hoverinfo="text"))
    for name in layer1 + layer2:
        x, y = pos[name]
        fig.add_annotation(x=x, y=y - 0.36, text=f"<b>{text[name]}</b>", showarrow=False,
                           font=dict(size=12, color=colors[name]), bgcolor="rgba(255,255,255,0.85)")
    for x, label in enumerate(["inputs", "layer 1 (ReLU)", "layer 2 (ReLU)"]):
        fig.add_annotation(x=x, y=2.45, text=label, showarrow=False, font=dict(size=13, color="#444"))
    fig.update_xaxes(visible=False, range=[-0.35, 2.35])
    fig.update_yaxes(visible=False, range=[-2.2, 2.65])
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="#ffffff",
                      title="The toy network; under each neuron its pattern over the batch",
                      legend=dict(orientation="h", y=-0.02, x=0.5, xanchor="center"))
    return fig


def toy_input_plane(batch: np.ndarray, w1: list[list[float]], b1: list[float], layer1: list[str],
                    colors: list[str], span: float = 2.5) -> go.Figure:
    """Samples as points of the (x1, x2) plane; each layer-1 neuron fires on one side of its line
    w . x + b = 0 (the arrow points to that side), so its pattern lists the samples on that side."""
    fig = go.Figure()
    t = np.linspace(-span, span, 201)
    for (wa, wb), bias, name, color in zip(w1, b1, layer1, colors):
        if wa == 0 and wb == 0:
            continue  # no line: the neuron fires everywhere (bias > 0) or nowhere
        xs, ys = (t, -(wa * t + bias) / wb) if abs(wb) >= abs(wa) else (-(wb * t + bias) / wa, t)
        inside = (np.abs(xs) <= span) & (np.abs(ys) <= span)
        if not inside.any():
            continue  # the line misses the square: the neuron fires on all samples shown, or none
        xs, ys = xs[inside], ys[inside]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{name} = 0", line=dict(color=color, width=2.5),
                                 hoverinfo="name"))
        top = int(np.argmax(ys + 1e-3 * xs))  # label the line at its top (rightmost when flat)
        fig.add_annotation(x=xs[top], y=ys[top], text=f"<b>{name}</b>", showarrow=False, xshift=12, yshift=-8,
                           font=dict(color=color, size=13))
        # a short arrow from the line's point nearest the origin, towards where the neuron fires
        norm = float(np.hypot(wa, wb))
        px0, py0 = -bias * wa / norm**2, -bias * wb / norm**2
        if abs(px0) < span and abs(py0) < span:
            fig.add_annotation(x=px0 + 0.45 * wa / norm, y=py0 + 0.45 * wb / norm, ax=px0, ay=py0, xref="x",
                               yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=2,
                               arrowcolor=color, text="")
    fig.add_trace(go.Scatter(x=batch[:, 0], y=batch[:, 1], mode="markers+text", name="samples",
                             text=[f"s{i + 1}" for i in range(len(batch))], textposition="top right",
                             marker=dict(size=11, color="#111111"), textfont=dict(size=13)))
    fig.update_xaxes(range=[-span, span], title_text="input x1", zeroline=True, zerolinecolor="#ddd", dtick=1,
                     constrain="domain")
    fig.update_yaxes(range=[-span, span], title_text="input x2", zeroline=True, zerolinecolor="#ddd", dtick=1,
                     scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="#ffffff",
                      title="The batch in the input plane, with layer 1's lines", legend=dict(traceorder="normal"))
    return fig


def toy_count_steps(steps: pd.DataFrame, batch_size: int, total: int | None = None) -> go.Figure:
    """Distinct patterns counted so far as the neurons are visited one by one (the first `len(steps)` of
    `total`), against N and 2^B."""
    n = total or len(steps)
    x = steps["step"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=steps["distinct so far"], mode="lines+markers+text", name="distinct so far",
                             line=dict(shape="hv", color="#d7191c", width=3), text=steps["neuron"],
                             textposition="top left", marker=dict(size=9)))
    fig.add_trace(go.Scatter(x=[0.5, n + 0.5], y=[n, n], mode="lines", name=f"N = {n} neurons",
                             line=dict(color="#636363", dash="dot")))
    if 2**batch_size <= 2 * n:
        fig.add_trace(go.Scatter(x=[0.5, n + 0.5], y=[2**batch_size] * 2, mode="lines",
                                 name=f"2^B = {2**batch_size} possible patterns", line=dict(color="#3182bd",
                                                                                             dash="dash")))
    fig.update_xaxes(title_text="neurons visited", tickvals=list(range(1, n + 1)), range=[0.5, n + 0.5])
    fig.update_yaxes(title_text="distinct patterns", rangemode="tozero", dtick=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=50, b=10), title="The count, one neuron at a time",
                      legend=dict(orientation="h", y=-0.25))
    return fig


# --- Compare page ---------------------------------------------------------------------------------------

def compare_layers(layers: dict[str, pd.DataFrame]) -> go.Figure:
    """Distinct patterns per activation layer for several architectures, aligned by layer name.

    The x axis is every layer that any of them has, in forward order (a layer only one architecture has
    leaves a gap in the other's bars); hover names the layer and its neuron count."""
    order: dict[str, None] = {}
    keyed = {}
    for label, table in layers.items():
        keys = [layer_label(row.name, row.call) for row in table.itertuples()]
        keyed[label] = dict(zip(keys, zip(table["distinct"], table["neurons"])))
        for key in keys:
            order.setdefault(key, None)
    names = list(order)
    position = {name: i + 1 for i, name in enumerate(names)}
    fig = go.Figure()
    for label, values in keyed.items():
        xs = [position[k] for k in values]
        fig.add_trace(go.Bar(x=xs, y=[v[0] for v in values.values()], name=label,
                             customdata=[[k, v[1]] for k, v in values.items()],
                             hovertemplate="%{customdata[0]}<br>%{y:,} distinct of %{customdata[1]:,} neurons"
                                           "<extra>" + label + "</extra>"))
    if len(names) <= 24:
        fig.update_xaxes(tickvals=list(position.values()), ticktext=names, tickangle=-40)
    else:
        fig.update_xaxes(tickmode="linear", tick0=1, dtick=max(1, len(names) // 16))
    fig.update_xaxes(title_text="activation layer, in forward order (hover for its name)")
    counts = [v[0] for values in keyed.values() for v in values.values() if v[0] > 0]
    if counts:
        ticks, text = log_ticks(min(counts), max(counts))
        fig.update_yaxes(tickvals=ticks, ticktext=text,
                         range=[math.log10(min(counts)) - 0.2, math.log10(max(counts)) + 0.1])
    fig.update_yaxes(title_text="distinct patterns (log scale)", type="log")
    fig.update_layout(barmode="group", height=400, margin=dict(t=60, b=10),
                      title="Distinct patterns per layer (each layer counted alone)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0,
                                  traceorder="normal"))
    return fig


def layer_label(name: str, call: int = 0) -> str:
    """`cells.5.conv_a.0` -> `cells 5 / conv_a 0`; a module called again gets "(call 2)"."""
    parts = str(name).split(".")
    grouped = []
    for part in parts:
        if part.isdigit() and grouped:
            grouped[-1] = f"{grouped[-1]} {part}"
        else:
            grouped.append(part)
    text = " / ".join(grouped)
    return f"{text} (call {call + 1})" if call else text
