"""The Proxy lab's data and charts: the atlas read once (cached), every statistic cached by its inputs.

The page (views/lab.py) only lays out widgets; every number here is computed over the whole NB201 atlas
from cached arrays, so a widget change redraws in well under a second once the bootstrap of that choice
has been computed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from scipy import stats

from swap_engine import analysis, data
from swap_engine import recipe as recipes
from swap_engine.studies import recipe_study
from swap_engine.studies.recipe_report import TARGET_LABELS
from ui.charts import two_decimals

NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
OP_LABELS = {"none": "none (zero)", "skip_connect": "skip", "nor_conv_1x1": "conv 1x1", "nor_conv_3x3": "conv 3x3",
             "avg_pool_3x3": "avg pool 3x3"}
# NB201 string order: |a~0|+|b~0|c~1|+|d~0|e~1|f~2|  -> edges into node 1, 2, 2, 3, 3, 3
NB201_EDGES = ["0→1", "0→2", "1→2", "0→3", "1→3", "2→3"]


def benchmarks() -> list[str]:
    """The atlases this installation ships, NB201 first (the lab's benchmark selector)."""
    from swap_engine import atlas as atlases

    return atlases.available() or ["nb201"]


@st.cache_resource(show_spinner="Reading the atlas ...", max_entries=8)
def atlas(name: str = "nb201") -> pd.DataFrame:
    """An atlas joined with its benchmark's ground truth where the table is here (shared: never modify it).
    NB201 keeps every cell; another benchmark's atlas keeps the cells measured so far (`attrs["cells"]`: all)."""
    if name != "nb201":
        from swap_engine import atlas as atlases
        from swap_engine.studies import families

        try:
            frame = families.frame(name)
        except data.MissingDataError:
            frame = atlases.load(name)
            frame.attrs.update(targets=[], cells=len(frame))
        attrs = {**frame.attrs, "targets": [t for t in frame.attrs.get("targets", []) if not t.startswith("zc_")],
                 "source": f"the proxy atlas, {atlases.spec(name).file}"}
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith("zc_")])  # Suite-Zero's: Across families
        frame.attrs = attrs
        return frame
    frame = recipe_study.atlas("nb201")
    try:
        return recipe_study.with_targets(frame)
    except data.MissingDataError:
        frame.attrs["targets"] = []
        return frame


def targets(frame: pd.DataFrame) -> list[str]:
    return [t for t in frame.attrs.get("targets", []) if t in frame.columns and frame[t].notna().any()]


@st.cache_data(show_spinner=False, max_entries=256)
def scores(text: str, name: str = "nb201", rule: str = "last") -> np.ndarray:
    """The recipe's score for every cell under one rule for -inf (`recipes.NON_FINITE`); NaN where a column it
    reads is missing."""
    recipe = recipes.Recipe.parse(text)
    frame = recipes.with_non_finite(atlas(name), recipe.columns(), rule)
    return recipes.ordered(recipe.score(frame), rule)


@st.cache_data(show_spinner="Bootstrapping confidence intervals ...", max_entries=256)
def correlation(text: str, target: str, top_k: float, n_boot: int, seed: int = 0, name: str = "nb201",
                rule: str = "last") -> analysis.Correlation:
    return analysis.correlate(scores(text, name, rule), atlas(name)[target].to_numpy(dtype=float), n_boot=n_boot,
                              seed=seed, top_k=top_k)


@st.cache_data(show_spinner=False, max_entries=256)
def best_of_budget(text: str, target: str, name: str = "nb201", rule: str = "last") -> tuple[float, float, float]:
    """(recipe, random, oracle): the expected target of the best-scored of `SEARCH_BUDGET` random cells.

    What a search with this recipe as fitness and that budget is after; random search with a perfect
    fitness (the target itself) is the oracle, a random cell's mean the floor.
    """
    truth = atlas(name)[target].to_numpy(dtype=float)
    values = scores(text, name, rule)
    known = ~(np.isnan(values) | np.isnan(truth))
    if known.sum() < recipes.SEARCH_BUDGET:
        return np.nan, np.nan, np.nan
    return (recipes.expected_best_of(values[known], truth[known]), float(truth[known].mean()),
            recipes.expected_best_of(truth[known], truth[known]))


@st.cache_data(show_spinner=False, max_entries=64)
def spearman_matrix(columns: tuple[str, ...], target_columns: tuple[str, ...], name: str = "nb201",
                    rule: str = "last") -> tuple[pd.DataFrame, pd.Series]:
    """Spearman of each column alone with each target under the rule for -inf, and the cells each column is
    read on (finite, or ranked last)."""
    frame = atlas(name)
    out = pd.DataFrame(index=list(columns), columns=list(target_columns), dtype=float)
    cells = pd.Series(0, index=list(columns), dtype=int)
    for column in columns:
        x = recipes.ordered(frame[column].to_numpy(dtype=float), rule)
        cells[column] = int(np.isfinite(x).sum())
        for target in target_columns:
            out.loc[column, target] = recipes.spearman(x, frame[target].to_numpy(dtype=float))
    return out, cells


def missing_counts(frame: pd.DataFrame, columns: list[str]) -> dict[str, int]:
    """Cells by why a recipe over `columns` can or cannot read them: `inf` (some column is -inf or +inf),
    `not computable` (measured, but the proxy has no value there), `not measured` (no job ran yet), `read`."""
    values = frame[columns].to_numpy(dtype=float)
    infinite = np.isinf(values).any(axis=1)
    missing = np.isnan(values)
    measured = np.ones_like(missing)
    for j, column in enumerate(columns):
        cost = recipe_study.cost_column(column)
        if cost in frame.columns:
            measured[:, j] = frame[cost].notna().to_numpy()
        else:  # no timing column (filled from an earlier table): a value is the only sign of a measurement
            measured[:, j] = ~missing[:, j]
    not_measured = (missing & ~measured).any(axis=1)
    not_computable = (missing & measured).any(axis=1) & ~not_measured
    total = frame.attrs.get("cells", len(frame))
    outside = total - len(frame)  # cells of the benchmark not in this frame (not measured at all)
    return {"read": int((~infinite & ~not_measured & ~not_computable).sum()), "inf": int((infinite & ~not_measured
            & ~not_computable).sum()), "not computable": int(not_computable.sum()),
            "not measured": int(not_measured.sum()) + outside}


def missing_words(counts: dict[str, int], rule: str) -> str:
    """The counts in words: "15,424 read, 201 -inf (ranked last), 0 not computable, 0 not measured"."""
    inf = "ranked last" if rule == "last" else "dropped"
    return (f"{counts['read']:,} cells read, {counts['inf']:,} -inf ({inf}), {counts['not computable']:,} not "
            f"computable, {counts['not measured']:,} not measured")


@st.cache_resource(show_spinner=False, max_entries=8)
def space(name: str):
    from swap_engine import spaces

    return spaces.get(name)


def score_live(name: str, job) -> dict[str, float]:
    """One runner job of atlas `name` for a cell outside it, computed here (the atlas's own settings), as columns."""
    from swap_engine import atlas as atlases
    from swap_engine.runner.jobs import Chunk, run_chunk

    records = run_chunk(Chunk(job.space, job.settings, [job]))
    failed = [r.error for r in records if r.failed]
    if failed:
        raise ValueError(f"{job.proxy} could not be computed for this architecture: {failed[0]}")
    return atlases.columns_of(name, records)


@st.cache_resource(show_spinner=False, max_entries=16)
def _fitness(name: str, text: str):
    from swap_engine.studies.recipe_fitness import RecipeFitness

    return RecipeFitness(space(atlas_space(name)), text, atlas(name), live=False)


def atlas_space(name: str) -> str:
    from swap_engine import atlas as atlases

    return atlases.spec(name).space


def rank_live(name: str, text: str, values: dict[str, float]) -> float:
    """A live cell's recipe score, each term ranked among the atlas's values (the same scale as the atlas's)."""
    return _fitness(name, text).combine(values)


@st.cache_data(show_spinner="Laying out the map ...", max_entries=8)
def space_map(name: str) -> tuple[np.ndarray, list[str]]:
    """Every cell of the atlas in two dimensions: the first two principal components of its proxy ranks (each
    column fully measured on the cells, ranked and centred; SWAP variants included), so that cells the proxies
    see alike sit together. Label-free. Returns (n x 2 coordinates, the columns used)."""
    frame = atlas(name)
    columns = [c for c in recipes.proxy_columns(frame) if frame[c].notna().all()]
    if len(columns) < 2:
        return np.full((len(frame), 2), np.nan), columns
    ranks = np.column_stack([stats.rankdata(recipes.ordered(frame[c].to_numpy(dtype=float), "last")) / len(frame)
                             for c in columns])
    centred = ranks - ranks.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T, columns


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


def edge_op_share(archs: pd.Series) -> pd.DataFrame:
    """For NB201 cell strings: share of cells (in %) with each op on each of the 6 edges (ops x edges)."""
    counts = np.zeros((len(NB201_OPS), len(NB201_EDGES)))
    for arch in archs:
        ops = [token.split("~")[0] for token in arch.replace("+", "").split("|") if token]
        for edge, op in enumerate(ops):
            counts[NB201_OPS.index(op), edge] += 1
    share = 100 * counts / max(len(archs), 1)
    return pd.DataFrame(share, index=[OP_LABELS[o] for o in NB201_OPS], columns=NB201_EDGES)


def top_cells(values: np.ndarray, fraction: float) -> np.ndarray:
    """Row positions of the best `fraction` of the measured values (highest first)."""
    known = np.flatnonzero(~np.isnan(values))
    k = max(1, int(round(fraction * known.size)))
    return known[np.argsort(-values[known], kind="stable")[:k]]


NEAR_BOUND = {"at the bound": 1.0, "within 1 %": 0.99, "within 5 %": 0.95}


def at_bound(frame: pd.DataFrame) -> pd.DataFrame:
    """Per SWAP batch size in the atlas: cells measured, and the shares whose score reached min(N, 2^B) or
    came within 1 % / 5 % of it (cells near the bound all but tie, so SWAP cannot order them)."""
    rows = []
    for column in recipes.proxy_columns(frame):
        proxy, batch = _split(column)
        if proxy != "swap" or batch is None:
            continue
        values = frame[column].to_numpy(dtype=float)
        neurons = frame.get(f"swap_neurons_b{batch}")
        bound = np.full(values.shape, 2.0 ** batch)
        if neurons is not None:
            n = neurons.to_numpy(dtype=float)
            bound = np.where(np.isnan(n), bound, np.minimum(n, bound))
        known = ~np.isnan(values)
        row: dict[str, float] = {"batch size": batch, "cells measured": int(known.sum())}
        for name, fraction in NEAR_BOUND.items():
            row[name] = float(np.mean(values[known] >= fraction * bound[known])) if known.any() else np.nan
        rows.append(row)
    columns = ["batch size", "cells measured", *NEAR_BOUND]
    return pd.DataFrame(rows, columns=columns).sort_values("batch size")


def _split(column: str) -> tuple[str, int | None]:
    head, _, tail = column.rpartition("_b")
    return (head, int(tail)) if tail.isdigit() else (column, None)


# --- charts ---------------------------------------------------------------------------------------------

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
    # The recipe on a line of its own, in small type: a long recipe ran off the chart's width.
    _layout(fig, f"Rank by the recipe against rank by {TARGET_LABELS.get(target, target)} ({keep.sum():,} cells)"
                 f"<br><sup>{label}</sup>",
            "rank by the proxy (percentile, 100 = best)", "rank by accuracy (percentile, 100 = best)", 520)
    return fig, table


def correlation_heatmap(matrix: pd.DataFrame, cells: pd.Series) -> go.Figure:
    """`cells`: how many cells each proxy's row is read on (rows on a subset are not the whole space).

    Rows are sorted by the first ground truth, best at the top, so the ranking of proxies reads at a glance.
    """
    matrix = matrix.loc[matrix.iloc[:, 0].sort_values(na_position="first").index]  # Plotly draws row 0 lowest
    rows = [f"{proxy} ({cells[proxy]:,} cells)" for proxy in matrix.index]
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(dtype=float), x=[TARGET_LABELS.get(c, c) for c in matrix.columns],
                               y=rows, colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               text=two_decimals(matrix.to_numpy(dtype=float), "–"), texttemplate="%{text}",
                               colorbar=dict(title="Spearman")))
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
        from ui.charts import log_ticks

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
    labels = [f"B = {b} ({n:,} cells)" for b, n in zip(table["batch size"], table["cells measured"])]
    fig = go.Figure([go.Bar(name=name, x=labels, y=100 * table[name], textposition="outside",
                            text=[f"{100 * v:.1f} %" for v in table[name]]) for name in NEAR_BOUND])
    fig.update_yaxes(range=[0, 110])
    _layout(fig, "SWAP: share of cells whose score reached its bound min(N, 2^B), or came close",
            "batch size", "cells (%)", 440)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                      margin=dict(t=100, l=60, r=20, b=50))
    return fig
