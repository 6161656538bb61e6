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
    t = np.linspace(-span, span, 2)
    for (wa, wb), bias, name, color in zip(w1, b1, layer1, colors):
        if wa == 0 and wb == 0:
            continue  # no line: the neuron fires everywhere (bias > 0) or nowhere
        if abs(wb) >= abs(wa):
            xs, ys = t, -(wa * t + bias) / wb
        else:
            xs, ys = -(wb * t + bias) / wa, t
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{name} = 0", line=dict(color=color, width=2.5),
                                 hoverinfo="name"))
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


def toy_count_steps(steps: pd.DataFrame, batch_size: int) -> go.Figure:
    """Distinct patterns counted so far as the neurons are visited one by one, against N and 2^B."""
    n = len(steps)
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
    fig.update_xaxes(title_text="neurons visited", tickvals=list(x), range=[0.5, n + 0.5])
    fig.update_yaxes(title_text="distinct patterns", rangemode="tozero", dtick=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=50, b=10), title="The count, one neuron at a time",
                      legend=dict(orientation="h", y=-0.25))
    return fig
