"""A cell's wiring: its operations as a graph, one figure per cell type."""
from __future__ import annotations

import re

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from ui.charts.palette import NONE_COLOR, op_color


ABSENT_OPS = {"none", "zero", "Zero"}  # an edge with this op carries nothing: drawn dashed and grey
JOIN_OPS = {"concat", "add"}  # how a cell joins its nodes into the output: drawn thin, not labelled


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
    colors = {op: op_color(op) for op in real_ops}  # one colour per operation on every page and cell
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
        color = NONE_COLOR if absent else "#9e9e9e" if join else colors[op]
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


__all__ = ["ABSENT_OPS", "JOIN_OPS", "cell_graph", "cell_graphs"]
