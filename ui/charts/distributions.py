"""Many architectures at once: score distributions, scores against size and accuracy, the batch-size sweep
and a search's progress."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts.axes import compact, log_ticks
from ui.labels import words


def _category_order(values: pd.Series) -> list:
    """Categories in natural order: numbers numerically (2 before 10), the rest alphabetically."""
    unique = list(dict.fromkeys(values.dropna()))
    try:
        return sorted(unique, key=lambda v: float(v))
    except (TypeError, ValueError):
        return sorted(unique, key=str)


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
                                 mode="lines+markers", error_y=error, line=dict(color="#2ca02c"),
                                 hovertemplate="B = %{x}: Spearman %{y:.3f}<extra></extra>"), secondary_y=True)
    if "spearman_note" in summary and summary["spearman_note"].astype(bool).any():
        blank = summary[summary["spearman_note"].astype(bool)]
        # where Spearman is undefined, the chart says so at the line's height of zero rather than leave a gap
        fig.add_trace(go.Scatter(x=blank["batch_size"], y=[0.0] * len(blank), mode="markers+text",
                                 name="no Spearman (hover: why)", text=["tied" if "tie" in n else "none"
                                                                        for n in blank["spearman_note"]],
                                 textposition="top center", marker=dict(symbol="x-open", size=10, color="#2ca02c"),
                                 customdata=blank["spearman_note"], hovertemplate="B = %{x}: no Spearman, "
                                 "%{customdata}<extra></extra>"), secondary_y=True)
    if any(trace.yaxis == "y2" for trace in fig.data):
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


__all__ = ["batch_sweep", "score_distribution", "score_vs_params", "score_vs_target", "search_progress",
           "whole_space_histogram"]
