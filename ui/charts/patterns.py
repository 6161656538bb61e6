"""One architecture's activation patterns: the sign matrix, distinct patterns per layer, the bound gauge,
and two architectures' layers side by side."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts.axes import compact, log_ticks


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
    """Per hooked call: neurons vs distinct patterns within that layer (log y, round ticks only).

    A zoo network has up to ~200 layers named up to ~55 characters, so the x axis names every k-th layer by
    the tail of its name, written upright (slanted labels ran into each other), and hover names each in full."""
    names = [layer_label(row.name, row.call) for row in layers.itertuples()]
    xs = list(range(1, len(names) + 1))
    hover = "%{customdata}<br>%{y:,} "
    fig = go.Figure([go.Bar(x=xs, y=layers["neurons"], name="neurons", marker_color="#1f4e9c", customdata=names,
                            hovertemplate=hover + "neurons<extra></extra>"),
                     go.Bar(x=xs, y=layers["distinct"], name="distinct patterns", marker_color="#8fb9ef",
                            customdata=names, hovertemplate=hover + "distinct patterns<extra></extra>")])
    top = float(max(layers["neurons"].max(), 1)) if len(layers) else 1.0
    low = float(max(layers["distinct"].min(), 1)) if len(layers) else 1.0
    ticks, text = log_ticks(low, top)
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=text, title_text="count (log scale)",
                     range=[math.log10(low) - 0.2, math.log10(top) + 0.15])
    step, labels = layer_ticks(names)
    fig.update_xaxes(tickvals=xs[::step], ticktext=labels[::step], tickangle=-90, tickfont=dict(size=11),
                     automargin=True, title_text="activation layer, in forward order" +
                     (f" (one in {step} named; hover names each)" if step > 1 else ""))
    longest = max((len(label) for label in labels), default=0)
    fig.update_layout(barmode="group", height=330 + 6 * longest, margin=dict(t=70, b=10),
                      title="Per layer: neurons and distinct patterns (each layer counted alone)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0,
                                  traceorder="normal"))
    return fig


TICK_CHARS = 26  # a tick label's most characters: upright text about 160 px tall at 11 px
MAX_TICKS = 40  # upright 11 px labels need about 14 px each: 40 fit a half-page chart (about 560 px of plot)


def layer_ticks(names: list[str]) -> tuple[int, list[str]]:
    """The step between named ticks, and every name shortened for a tick: a leading group that most names
    share is dropped (`features / `, `trunk_output / `), then a long name keeps its tail, the most specific part."""
    step = max(1, math.ceil(len(names) / MAX_TICKS))
    heads = pd.Series([name.split(" / ")[0] for name in names if " / " in name], dtype=object)
    common = heads.mode().iloc[0] if len(heads) and heads.value_counts().iloc[0] > len(names) / 2 else None
    labels = []
    for name in names:
        if common is not None and name.startswith(common + " / "):
            name = name[len(common) + 3:]
        if len(name) > TICK_CHARS:
            tail = name[-(TICK_CHARS - 1):]
            name = "…" + (tail[tail.index(" / ") + 1:] if " / " in tail else tail)
        labels.append(name)
    return step, labels


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
    step, labels = layer_ticks(names)
    fig.update_xaxes(tickvals=list(position.values())[::step], ticktext=labels[::step], tickangle=-90,
                     tickfont=dict(size=11), automargin=True,
                     title_text="activation layer, in forward order (hover for its name)")
    counts = [v[0] for values in keyed.values() for v in values.values() if v[0] > 0]
    if counts:
        ticks, text = log_ticks(min(counts), max(counts))
        fig.update_yaxes(tickvals=ticks, ticktext=text,
                         range=[math.log10(min(counts)) - 0.2, math.log10(max(counts)) + 0.1])
    fig.update_yaxes(title_text="distinct patterns (log scale)", type="log")
    fig.update_layout(barmode="group", height=310 + 6 * max((len(label) for label in labels), default=0),
                      margin=dict(t=60, b=10), title="Distinct patterns per layer (each layer counted alone)",
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


__all__ = ["PATTERN_COLORS", "bound_gauge", "compare_layers", "layer_bars", "layer_label", "layer_ticks",
           "pattern_heatmap", "sorted_pattern_order"]
