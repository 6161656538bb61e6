"""The Proxy lab's figures: presentation only, every number comes from ui.lab (and the library below it).

- `rank_scatter`: each cell's rank by the scorer against its rank by accuracy (`wrap`: its recipe in lines);
- `correlation_heatmap`: each proxy alone against each ground truth;
- `cost_scatter` (+ `label_offsets`): seconds per cell against Spearman, labels never overlapping;
- `map_chart`: the benchmark placed by its proxy ranks; `edge_op_heatmaps`: NB201's operations on its edges;
- `bound_bars`: SWAP's scores at or near their bound.
"""
from __future__ import annotations

import re

import numpy as np
from scipy import stats
import pandas as pd
import plotly.graph_objects as go

from swap_engine.studies.recipe_report import TARGET_LABELS
from ui.charts.axes import log_ticks, two_decimals


def map_chart(coordinates: np.ndarray, colour: np.ndarray, colour_label: str, archs: np.ndarray
              ) -> tuple[go.Figure, pd.DataFrame]:
    table = pd.DataFrame({"arch": archs, "x": coordinates[:, 0], "y": coordinates[:, 1], colour_label: colour})
    known = np.isfinite(colour)
    fig = go.Figure(go.Scattergl(
        x=table["x"], y=table["y"], mode="markers", customdata=table[["arch"]].to_numpy(),
        marker=dict(**_dots(len(table), 4, 0.6), color=np.where(known, colour, np.nan), colorscale="Viridis",
                    colorbar=dict(title="recipe" if colour_label.startswith("the recipe") else colour_label[:18])),
        hovertemplate="%{customdata[0]}<br>" + colour_label + " %{marker.color:.4g}<extra></extra>"))
    _layout(fig, f"Every cell of the atlas, placed by its proxy ranks, coloured by {colour_label}",
            "first principal component of the proxy ranks", "second principal component", 560)
    return fig, table



def _dots(cells: int, size: int, opacity: float) -> dict:
    """Small faint dots for the whole NB201 space; a 64-model zoo needs dots one can see and click."""
    if cells <= 300:
        return {"size": 9, "opacity": 0.85}
    if cells <= 2_000:
        return {"size": 6, "opacity": 0.7}
    return {"size": size, "opacity": opacity}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 460) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height, margin=dict(t=70, l=60, r=20, b=50),
                      font=dict(size=13))
    return fig


def rank_scatter(frame: pd.DataFrame, values: np.ndarray, target: str, label: str) -> tuple[go.Figure, pd.DataFrame]:
    """Every measured cell: its rank by the recipe against its rank by accuracy (WebGL, one trace)."""
    truth = frame[target].to_numpy(dtype=float)
    keep = ~np.isnan(values) & ~np.isnan(truth)
    table = pd.DataFrame({"arch": frame["arch"].to_numpy()[keep],
                          "proxy rank": stats.rankdata(values[keep]) / keep.sum() * 100,
                          "accuracy rank": stats.rankdata(truth[keep]) / keep.sum() * 100,
                          "accuracy": truth[keep]})
    fig = go.Figure(go.Scattergl(
        x=table["proxy rank"], y=table["accuracy rank"], mode="markers", customdata=table[["arch"]].to_numpy(),
        marker=dict(**_dots(len(table), 3, 0.45), color=table["accuracy"], colorscale="Viridis",
                    colorbar=dict(title=TARGET_LABELS.get(target, target)[:18])),
        hovertemplate="%{customdata[0]}<br>proxy percentile %{x:.1f}<br>accuracy percentile %{y:.1f}<extra></extra>"))
    # The recipe in small type on lines of its own, broken between terms: a long recipe ran off the chart's width.
    lines = wrap(label)
    _layout(fig, f"Rank by the recipe against rank by {TARGET_LABELS.get(target, target)} ({keep.sum():,} cells)"
                 + "".join(f"<br><sup>{line}</sup>" for line in lines),
            "rank by the proxy (percentile, 100 = best)", "rank by accuracy (percentile, 100 = best)",
            520 + 16 * len(lines))
    fig.update_layout(margin=dict(t=70 + 16 * len(lines)))
    return fig, table


def wrap(text: str, width: int = 90) -> list[str]:
    """`text` in lines of at most `width` characters, broken after a `+` or `:` (between a recipe's terms), a
    piece longer than the width alone on its line."""
    lines, line = [], ""
    for piece in re.split(r"(?<=[+:])", text):
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return [*lines, line] if line else lines


def correlation_heatmap(matrix: pd.DataFrame, cells: pd.Series, total: int | None = None,
                        papers: pd.DataFrame | None = None) -> go.Figure:
    """`cells`: how many cells each proxy's row is read on (rows on a subset are not the whole space), out of
    `total`; `papers`: the papers' Spearman in the same rows and columns (NaN: none), said on hover.

    Rows are sorted by the first ground truth, best at the top, so the ranking of proxies reads at a glance.
    """
    matrix = matrix.loc[matrix.iloc[:, 0].sort_values(na_position="first").index]  # Plotly draws row 0 lowest
    rows = [f"{proxy} ({cells[proxy]:,} cells)" if total is None or cells[proxy] >= total
            else f"{proxy} ({cells[proxy]:,} of {total:,} cells)" for proxy in matrix.index]
    paper = (pd.DataFrame(np.nan, index=matrix.index, columns=matrix.columns) if papers is None
             else papers.reindex(index=matrix.index, columns=matrix.columns))
    said = [["" if np.isnan(v) else f"<br>paper: {v:.3f}" for v in row] for row in paper.to_numpy(dtype=float)]
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(dtype=float), x=[TARGET_LABELS.get(c, c) for c in matrix.columns],
                               y=rows, colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               text=two_decimals(matrix.to_numpy(dtype=float), "–"), texttemplate="%{text}",
                               customdata=said, colorbar=dict(title="Spearman"),
                               hovertemplate="%{y} against %{x}<br>ours: %{z:.3f}%{customdata}<extra></extra>"))
    return _layout(fig, "Each proxy alone: Spearman with each dataset and split", "ground truth", "proxy",
                   max(320, 28 * len(matrix) + 140))


COST_HEIGHT = 520
_PLOT_BOX = (900, COST_HEIGHT - 130)  # pixels of the plotting area, roughly, at the page's usual width


def cost_scatter(table: pd.DataFrame, target: str) -> go.Figure:
    """Proxies by seconds per cell and Spearman; each name in a label placed clear of the others, with a leader
    line to its point where it had to move away (dense clusters of proxies of one cost)."""
    seconds = table["seconds per cell"].to_numpy(dtype=float)
    spearman = table["spearman"].to_numpy(dtype=float)
    fig = go.Figure(go.Scatter(x=seconds, y=spearman, mode="markers", marker=dict(size=10),
                               customdata=table[["proxy"]].to_numpy(),
                               hovertemplate="%{customdata[0]}: %{x:.3g} s, Spearman %{y:.3f}<extra></extra>"))
    for name, x, y, (dx, dy) in zip(table["proxy"], seconds, spearman, label_offsets(table)):
        fig.add_annotation(x=np.log10(max(x, 1e-9)), y=y, text=name, ax=dx, ay=dy, showarrow=True, arrowhead=0,
                           arrowwidth=1, arrowcolor="#999999", font=dict(size=12), standoff=4)
    fig.update_xaxes(type="log")
    finite = seconds[np.isfinite(seconds) & (seconds > 0)]
    if len(finite):  # round ticks only, no log minor-tick labels
        ticks, labels = log_ticks(float(finite.min()), float(finite.max()))
        fig.update_xaxes(tickvals=ticks, ticktext=labels)
    return _layout(fig, f"Cost against correlation with {TARGET_LABELS.get(target, target)}",
                   "seconds per cell (log scale, measured on this machine)", "Spearman", COST_HEIGHT)


def label_offsets(table: pd.DataFrame) -> list[tuple[int, int]]:
    """Pixel offsets (label centre from its point) so that no two labels' boxes meet and none covers a point:
    the nearest free place on rings around the point, tried in order of crowding (crowded points first)."""
    x = np.log10(np.clip(table["seconds per cell"].to_numpy(dtype=float), 1e-9, None))
    y = table["spearman"].to_numpy(dtype=float)
    px = (x - x.min()) / max(float(np.ptp(x)), 1e-9) * _PLOT_BOX[0]
    py = (y.max() - y) / max(float(np.ptp(y)), 1e-9) * _PLOT_BOX[1]  # pixels grow downwards
    widths = np.array([7.0 * len(str(n)) + 6 for n in table["proxy"]])
    placed: list[tuple[float, float, float, float]] = []
    points = [(a - 6, b - 6, a + 6, b + 6) for a, b in zip(px, py)]
    offsets: list[tuple[int, int]] = [(0, -18)] * len(x)
    crowd = [-sum(1 for j in range(len(x)) if abs(px[j] - px[i]) < 120 and abs(py[j] - py[i]) < 40)
             for i in range(len(x))]
    for i in np.argsort(crowd, kind="stable"):
        for dx, dy in _rings(widths[i]):
            box = (px[i] + dx - widths[i] / 2, py[i] + dy - 8, px[i] + dx + widths[i] / 2, py[i] + dy + 8)
            if not any(_overlap(box, other) for other in placed + points):
                break
        placed.append(box)
        offsets[i] = (int(dx), int(dy))
    return offsets


def _rings(width: float):
    side = width / 2 + 10
    for r in (1, 2, 3, 4, 5):
        yield from ((0, -18 * r), (0, 18 * r), (side + 20 * (r - 1), 0), (-side - 20 * (r - 1), 0),
                    (side, -18 * r), (-side, -18 * r), (side, 18 * r), (-side, 18 * r))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def edge_op_heatmaps(by_proxy: pd.DataFrame, by_accuracy: pd.DataFrame, label: str, fraction: float) -> go.Figure:
    from plotly.subplots import make_subplots

    pct = f"{fraction:.0%}"
    label = label if len(label) <= 28 else "the recipe"  # a long recipe ran across the other panels' titles
    fig = make_subplots(rows=1, cols=3, subplot_titles=[f"top {pct} by {label}", f"top {pct} by accuracy",
                                                        "difference (proxy - accuracy)"], horizontal_spacing=0.12)
    for col, (matrix, scale, mid) in enumerate([(by_proxy, "Blues", None), (by_accuracy, "Blues", None),
                                                (by_proxy - by_accuracy, "RdBu", 0)], start=1):
        fig.add_trace(go.Heatmap(z=matrix.to_numpy(), x=list(matrix.columns), y=list(matrix.index), colorscale=scale,
                                 zmid=mid, zmin=0 if mid is None else None, zmax=100 if mid is None else None,
                                 text=np.round(matrix.to_numpy(), 0), texttemplate="%{text}", showscale=col == 3,
                                 hovertemplate="edge %{x}, %{y}: %{z:.1f} %<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title_text="edge (from node → to node)", row=1, col=col)
    fig.update_yaxes(title_text="operation", row=1, col=1)
    fig.update_layout(title="Which operation sits on which edge (% of the cells in each top set)", height=420,
                      margin=dict(t=90, l=60, r=20, b=50), font=dict(size=13))
    return fig


def bound_bars(table: pd.DataFrame) -> go.Figure:
    """`table`: `at_bound`'s (batch size, cells measured, then one share per nearness to the bound)."""
    labels = [f"B = {b} ({n:,} cells)" for b, n in zip(table["batch size"], table["cells measured"])]
    shares = [c for c in table.columns if c not in ("batch size", "cells measured")]
    fig = go.Figure([go.Bar(name=name, x=labels, y=100 * table[name], textposition="outside",
                            text=[f"{100 * v:.1f} %" for v in table[name]]) for name in shares])
    fig.update_yaxes(range=[0, 110])
    _layout(fig, "SWAP: share of cells whose score reached its bound min(N, 2^B), or came close",
            "batch size", "cells (%)", 440)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                      margin=dict(t=100, l=60, r=20, b=50))
    return fig


def learning_curve(entry: dict, label: str, *, chosen: int | None = None, anchors: list | None = None) -> go.Figure:
    """Spearman on the unlabelled architectures against k (log axis) for each learner, a band of ± one sd over
    the draws; the best label-free rule and proxy as flat lines (k = 0: no label read), and the ceiling.
    `chosen`: a k to mark; `anchors`: published rankings with labels (`studies.published.WithLabels`), drawn
    at their label count where they give one and a Spearman."""
    fig = go.Figure()
    runs = entry["kshot"]
    ks = [run["k"] for run in runs]
    styles = {"predictor": ("predictor: trees and ridge regressions on the proxies and the cell", "#1f77b4"),
              "recipe": ("recipe chosen on the k", "#ff7f0e")}
    for learner, (name, colour) in styles.items():
        points = [(run["k"], run[learner]) for run in runs if run.get(learner)]
        if not points:
            continue
        k = [p[0] for p in points]
        mean = np.array([p[1]["spearman_mean"] for p in points])
        sd = np.array([p[1]["spearman_sd"] for p in points])
        fig.add_trace(go.Scatter(x=k + k[::-1], y=list(mean + sd) + list((mean - sd)[::-1]), fill="toself",
                                 mode="lines", line=dict(width=0), fillcolor=colour, opacity=0.2, hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=k, y=mean, mode="lines+markers", name=name, line=dict(color=colour),
                                 hovertemplate="k = %{x}: %{y:.3f}<extra>" + name + "</extra>"))
    zero = pd.DataFrame(entry["zero_shot"])
    flat = []
    if len(zero):
        for kind, dash, words in (("rule", "dash", "best label-free rule"), ("proxy", "dot", "best proxy alone")):
            rows = zero[zero["kind"] == kind]
            if len(rows):
                best = rows.loc[rows["spearman"].idxmax()]
                total = entry.get("n")
                share = f", on {int(best['n']):,} of {total:,} cells" if total and best.get("n", total) < total else ""
                flat.append((float(best["spearman"]), dash, f"{words}: {best['rule']}{share}"))
    if entry.get("ceiling"):
        flat.append((float(entry["ceiling"]["spearman"]), "solid", "ceiling: a second training run"))
    for value, dash, words in flat:
        fig.add_trace(go.Scatter(x=[min(ks), max(ks)] if ks else [10, 1000], y=[value, value], mode="lines",
                                 name=f"{words} ({value:.3f})", line=dict(color="#555555", dash=dash, width=1.5),
                                 hovertemplate=f"{words}: {value:.3f}<extra></extra>"))
    drawn = [row for row in anchors or [] if row.labels is not None and row.metric == "spearman"]
    for row in drawn:
        where = ", the paper's cells" if row.cells else ""
        fig.add_trace(go.Scatter(x=[row.labels], y=[row.value], mode="markers", name=f"published: {row.words()}{where}",
                                 marker=dict(symbol="diamond", size=10, color="#555555"),
                                 hovertemplate=f"{row.words()}{where}<extra>{row.source[:60]}</extra>"))
    if chosen:
        fig.add_vline(x=chosen, line=dict(color="#d62728", width=1, dash="dot"))
    _layout(fig, f"What k labels buy on {label} (Spearman on the architectures outside the k)",
            "labelled architectures k (log scale)", "Spearman with the true accuracy", height=440)
    fig.update_xaxes(type="log", tickvals=ks, ticktext=[f"{k:,}" for k in ks])
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return fig
