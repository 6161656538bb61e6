"""The Learn page's toy network: its sign matrix, its diagram, its input plane and the count step by step."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go


SHARED_COLORS = ["#e6550d", "#31a354", "#756bb1", "#d6616b", "#3182bd", "#8c6d31", "#e7969c"]
UNIQUE_COLOR = "#525252"  # a pattern that only one neuron has


def pattern_colors(group: list[str]) -> list[str]:
    """One colour per neuron: patterns shared by several neurons get a colour each, unique ones dark grey."""
    shared = [g for g in dict.fromkeys(group) if group.count(g) > 1]
    return [SHARED_COLORS[shared.index(g) % len(SHARED_COLORS)] if g in shared else UNIQUE_COLOR for g in group]


def toy_sign_matrix(signs: np.ndarray, neurons: list[str], group: list[str]) -> go.Figure:
    """Neurons (rows) x samples: a 1 is a filled cell in the colour of the neuron's pattern, a 0 is empty,
    so identical patterns show as identical rows of the same colour; the pattern's name (P1, P2, ...) on the right."""
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


__all__ = ["SHARED_COLORS", "UNIQUE_COLOR", "pattern_colors", "toy_count_steps", "toy_input_plane",
           "toy_network_diagram", "toy_sign_matrix"]
