"""A cell's wiring: its operations as a graph, one figure per cell type."""
from __future__ import annotations

import re

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from ui.charts.palette import NONE_COLOR, op_color


ABSENT_OPS = {"none", "zero", "Zero"}  # an edge with this op carries nothing: drawn dashed and grey
JOIN_OPS = {"concat", "add"}  # how a cell joins its nodes into the output: drawn thin, not labelled


NODE_OP_SPACES = {"nb101"}  # spaces whose graph() labels each edge with the op of the node it enters
# DARTS' arcs (data units, one unit between nodes): height per unit of span, a lift for every other midpoint
# (two arcs of one span side by side would put their labels level) and for a second edge of the same pair
SPAN, STAGGER, PARALLEL = 0.6, 0.3, 0.45


def cell_graphs(edges: list[tuple[str, str, str]], space: str | None = None) -> list[go.Figure]:
    """One drawing per cell: node names like "normal/3" and "reduce/3" (DARTS) split into two cells."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for a, b, op in edges:
        prefix, _, _ = str(b).rpartition("/")
        groups.setdefault(prefix, []).append((a, b, op))
    if len(groups) == 1:
        return [cell_graph(edges, space=space)]
    figures = []
    for prefix, group in groups.items():
        strip = lambda node: str(node).removeprefix(f"{prefix}/")  # noqa: E731, B023 - labels inside one cell
        figures.append(cell_graph([(strip(a), strip(b), op) for a, b, op in group], title=f"{prefix} cell",
                                  space=space))
    return figures


def _node_text(node: str) -> str:
    """`c_{k-1}` -> c with subscript k-1 (plotly has no LaTeX in text)."""
    match = re.fullmatch(r"(\w+?)_\{(.+)\}", node)
    return f"{match.group(1)}<sub>{match.group(2)}</sub>" if match else node


def _layered(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Nodes in topological columns (NB201, NB101, FlexiBERT)."""
    if not nx.is_directed_acyclic_graph(graph):
        return {n: (float(x), float(y)) for n, (x, y) in nx.spring_layout(graph, seed=0).items()}
    for depth, layer in enumerate(nx.topological_generations(graph)):
        for node in sorted(layer):
            graph.nodes[node]["depth"] = depth
    return {n: (float(x), float(y)) for n, (x, y) in nx.multipartite_layout(graph, subset_key="depth").items()}


def _in_a_row(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """DARTS: c(k-2), c(k-1), the intermediate nodes in order, then the output, on one line. Every edge runs
    forward as an arc, so the nodes never move when an edge is rewired, and arcs with nearby midpoints differ in
    span and so in height: their labels, at the tops, stay apart (the topological layout crowded c(k-1))."""
    def rank(node: str) -> tuple[int, float, str]:
        if node.startswith("c_"):
            return (0, float(node != "c_{k-2}"), node)  # c(k-2) before c(k-1)
        return (1, float(node), node) if node.isdigit() else (2, 0.0, node)
    return {node: (float(i), 0.0) for i, node in enumerate(sorted(graph.nodes, key=rank))}


def _curve(x0: float, y0: float, x1: float, y1: float, cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    """A quadratic Bezier from (x0, y0) to (x1, y1) with control point (cx, cy), 31 points (t = 0.5 at 15)."""
    t = np.linspace(0, 1, 31)
    return ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1)


def cell_graph(edges: list[tuple[str, str, str]], title: str = "Cell", space: str | None = None) -> go.Figure:
    """Draw a cell from (from, to, op) edges, each edge labelled with its op.

    `none` edges (they carry nothing) are dashed and grey with no label; edges that join nodes into the
    output (concat / add) are thin and unlabelled; every other edge is a curve in its op's colour with the
    op written on it, labels placed along the curves clear of each other, of the nodes and of other edges.
    DARTS draws its nodes in a row (`_in_a_row`); NB101, whose ops belong to nodes, writes each op once on its
    node (one label per incoming edge stacked two "maxpool3x3" on one node)."""
    graph = nx.MultiDiGraph()
    graph.add_edges_from((str(a), str(b), {"op": op}) for a, b, op in edges)
    arcs = space == "darts"
    pos = _in_a_row(graph) if arcs else _layered(graph)
    depth = nx.get_node_attributes(graph, "depth")
    on_nodes = space in NODE_OP_SPACES
    node_op = {str(b): op for _, b, op in edges if on_nodes and op not in JOIN_OPS}
    real_ops = [op for op in dict.fromkeys(op for _, _, op in edges) if op not in ABSENT_OPS | JOIN_OPS]
    colors = {op: op_color(op) for op in real_ops}  # one colour per operation on every page and cell
    xs_all, ys_all = zip(*pos.values()) if pos else ((0.0,), (0.0,))
    span_x = max(max(xs_all) - min(xs_all), 1e-6)
    span_y = max(max(ys_all) - min(ys_all), 0.5)
    fig = go.Figure()
    styles: dict[str, tuple] = {}  # legend entry -> (group, op, line style): operations, then joins, then none
    extent_x, extent_y = list(xs_all), list(ys_all)
    seen: dict[tuple[str, str], int] = {}
    skips = 0
    labels, curves = [], []
    for a, b, op in ((str(a), str(b), op) for a, b, op in edges):
        k = seen.get((a, b), 0)
        seen[(a, b)] = k + 1
        (x0, y0), (x1, y1) = pos[a], pos[b]
        absent, join = op in ABSENT_OPS, op in JOIN_OPS
        if arcs:  # ops arc above the row, higher for longer spans and for a second edge of the same pair
            top = -0.3 * (x1 - x0) if join else SPAN * (x1 - x0) + STAGGER * (int((x0 + x1) / 2) % 2) + PARALLEL * k
            curve_x, curve_y = _curve(x0, y0, x1, y1, (x0 + x1) / 2, 2 * top)
        else:  # edges that skip layers arc (alternately above and below) and parallel edges bend apart
            gap = depth[b] - depth[a] if a in depth and b in depth else 1
            bend = 0.28 * k * (1 if k % 2 else -1)
            if gap > 1:
                skips += 1
                bend += 0.22 * (gap - 1) * (1 if skips % 2 else -1)
            mx, my = (x0 + x1) / 2 - bend * (y1 - y0), (y0 + y1) / 2 + bend * (x1 - x0)
            # control point past (mx, my), so that the curve's own bulge is about the bend asked for
            curve_x, curve_y = _curve(x0, y0, x1, y1, (x0 + x1) / 2 + 1.6 * (mx - (x0 + x1) / 2),
                                      (y0 + y1) / 2 + 1.6 * (my - (y0 + y1) / 2))
        color = (NONE_COLOR if absent else "#9e9e9e" if join else "#555555" if on_nodes else colors[op])
        legend = f"{op} (no connection)" if absent else "edge" if on_nodes and not join else op
        style = dict(color=color, width=1.5 if absent or join else 2 if on_nodes else 3,
                     dash="dash" if absent else "dot" if join else "solid")
        styles.setdefault(legend, (3 if absent else 2 if join else 1, op, style))
        fig.add_trace(go.Scatter(x=curve_x, y=curve_y, mode="lines", name=legend, legendgroup=legend,
                                 showlegend=False, hoverinfo="text", text=f"{a} -> {b}: {op}", line=style))
        extent_x += [float(curve_x.min()), float(curve_x.max())]
        extent_y += [float(curve_y.min()), float(curve_y.max())]
        curves.append((curve_x, curve_y))
        if absent:
            continue  # nothing flows: no arrow, no label
        # the arrow head: from a point shortly before the end of the curve to the target node
        fig.add_annotation(x=x1, y=y1, ax=float(curve_x[-4]), ay=float(curve_y[-4]), xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=1.5,
                           arrowcolor=color, standoff=13 if arcs else 9, text="")
        if not join and not on_nodes:
            labels.append((op, color, curve_x, curve_y, len(curves) - 1))
    pad_x, pad_y = 0.06 * span_x, 0.12 * max(span_y, max(extent_y) - min(extent_y))
    x_range = [min(extent_x) - pad_x, max(extent_x) + pad_x]
    y_range = [min(extent_y) - pad_y - (0.25 if arcs else 0), max(extent_y) + 2 * pad_y]
    # data units per pixel, to keep labels apart: the plot is 480-600 x 330 px inside margins and legend
    # (two cells side by side in a wide page); the narrower guess keeps labels apart in both
    ux, uy = (x_range[1] - x_range[0]) / 480, (y_range[1] - y_range[0]) / 330
    node_size = 13 if arcs else 10  # half a node's marker in px (a label keeps 3 px more from it)
    placed = [(x, y, (node_size + 3) * ux, (node_size + 3) * uy) for x, y in pos.values()]
    # the shortest edges first: they have the least room along them
    for op, color, curve_x, curve_y, own in sorted(labels, key=lambda label: abs(label[2][-1] - label[2][0])):
        x, y = _label_spot(op, curve_x, curve_y, placed, [c for i, c in enumerate(curves) if i != own], ux, uy)
        placed.append((x, y, label_half_width(op) * ux, LABEL_HALF_HEIGHT * uy))
        fig.add_annotation(x=x, y=y, text=op, showarrow=False, font=dict(size=10, color=color),
                           bgcolor="rgba(255,255,255,0.9)", borderpad=1)
    names = list(graph.nodes)
    for name in names if on_nodes else ():  # the op written once, under its node
        if name in node_op:
            fig.add_annotation(x=pos[name][0], y=pos[name][1], yshift=-17, text=node_op[name], showarrow=False,
                               font=dict(size=10, color=colors[node_op[name]]), bgcolor="rgba(255,255,255,0.9)",
                               borderpad=1)
    fill = [colors[node_op[n]] if n in node_op else "#ffffff" for n in names]
    fig.add_trace(go.Scatter(x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text",
                             text=[_node_text(n) for n in names],
                             textposition="middle center" if arcs else "top center",
                             textfont=dict(size=11 if arcs else 12, color="#222"), hoverinfo="text",
                             hovertext=[f"{n}: {node_op[n]}" if n in node_op else n for n in names],
                             marker=dict(size=2 * node_size + 2 if arcs else 14, color=fill,
                                         line=dict(color="#333", width=2)), showlegend=False))
    for op in real_ops if on_nodes else ():
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=op,
                                 marker=dict(size=11, color=colors[op], line=dict(color="#333", width=1))))
    for legend, (_, _, style) in sorted(styles.items(), key=lambda item: item[1][:2]):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=legend, legendgroup=legend, line=style))
    fig.update_xaxes(visible=False, range=x_range)
    fig.update_yaxes(visible=False, range=y_range)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), title=title, plot_bgcolor="#ffffff",
                      legend=dict(orientation="h", y=-0.02, traceorder="normal"))
    return fig


LABEL_HALF_HEIGHT = 8  # px: a 10 px label with its background


def label_half_width(op: str) -> float:
    """Half a label's width in px: about 6 px per character at 10 px, plus its background's padding."""
    return (len(op) * 6 + 8) / 2


def _label_spot(op: str, curve_x: np.ndarray, curve_y: np.ndarray, placed: list, others: list,
                ux: float, uy: float) -> tuple[float, float]:
    """The point along the curve, from its middle outwards, where the label covers the least of the labels
    and nodes already placed (first) and of the other edges (then); where every such point is taken, the
    label moves off its curve by one label's height (it still touches the curve), rarely by two."""
    w, h = label_half_width(op) * ux, LABEL_HALF_HEIGHT * uy
    best = None
    for shift in (0, 2 * h, -2 * h, 4 * h):
        for i in (15, 12, 18, 10, 20, 8, 22, 6, 24, 4, 26):
            x, y = float(curve_x[i]), float(curve_y[i]) + shift
            cover = sum(max(0, min(x + w, px_ + pw) - max(x - w, px_ - pw)) *
                        max(0, min(y + h, py_ + ph) - max(y - h, py_ - ph)) for px_, py_, pw, ph in placed)
            crossed = sum(int(np.any((abs(cx - x) < w) & (abs(cy - y) < h))) for cx, cy in others)
            key = (cover, crossed)
            if best is None or key < best[0]:
                best = (key, x, y)
            if key == (0, 0):
                return x, y
        if best[0][0] == 0:
            break
    return best[1], best[2]


__all__ = ["ABSENT_OPS", "JOIN_OPS", "LABEL_HALF_HEIGHT", "NODE_OP_SPACES", "cell_graph", "cell_graphs",
           "label_half_width"]
