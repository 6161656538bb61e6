"""Neighbours: every architecture one edit away from the current one, the change of a proxy against the change
of true accuracy. Does the proxy agree with the benchmark on local moves?

NB201 reads the atlas (every proxy on every cell), so nothing is scored and any atlas column or recipe can be
chosen; DARTS and NB101 neighbours are scored live with the sidebar's settings, only after a button that says
how long it will take. A click on a neighbour opens it.
"""
from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from swap_engine import data
from swap_engine import recipe as recipes
from swap_engine.columns import Column
from swap_engine.spaces import edits
from ui import cell_notes, editor, engine, links, messages, state, tables
from ui.charts.palette import op_color
from ui.export import show_chart
from ui.labels import words
from ui.tables import benchmark

OWN_RECIPE = "a recipe of your own ..."
_FOLLOWED = "_neighbours_followed"  # the measure the sidebar's batch size chose last
# edits that bring no operation, beside those that do: NB101's edge flips, DARTS' rewired inputs
CHANGE_COLORS = {"edge added": "#111111", "edge removed": "#9e9e9e", "input rewired": "#111111"}


@st.cache_resource(show_spinner="Reading the atlas ...", max_entries=1)
def atlas(name: str) -> pd.DataFrame:
    """The whole-space atlas `name` (`tables.atlas`) with its rows in benchmark-index order (shared: never modify
    it)."""
    from swap_engine import atlas as atlases

    key = atlases.spec(name).index_column
    frame = tables.atlas(name)
    cells = np.arange(frame.attrs.get("cells", len(frame)))  # a row per index, even one not measured yet
    return frame.set_index(key, drop=False).sort_index().reindex(cells)


@st.cache_data(show_spinner="Scoring every cell of the atlas with the recipe ...", max_entries=32)
def atlas_values(text: str, name: str) -> np.ndarray:
    """The recipe's (or column's) value on every cell of whole-space atlas `name`, by benchmark index; NaN where
    it is not finite."""
    values = recipes.Recipe.parse(text).score(atlas(name))
    return np.where(np.isfinite(values), values, np.nan)


def agreement(table: pd.DataFrame) -> tuple[int, int, float]:
    """(neighbours where both changes are known and nonzero, how many of them move the same way, Spearman of
    the changes over every neighbour where both are known)."""
    both = table.dropna(subset=["proxy change", "accuracy change"])
    moving = both[(both["proxy change"] != 0) & (both["accuracy change"] != 0)]
    same = int((np.sign(moving["proxy change"]) == np.sign(moving["accuracy change"])).sum())
    rho = float("nan")
    if len(both) >= 3 and both["proxy change"].nunique() > 1 and both["accuracy change"].nunique() > 1:
        rho = float(both["proxy change"].rank().corr(both["accuracy change"].rank()))
    return len(moving), same, rho


@dataclasses.dataclass(frozen=True)
class Bound:
    """SWAP's plain count at batch size `batch` cannot pass `cap` (2^B, or 3^B for ternary patterns); `larger`
    says where a larger batch size is found ("the atlas also holds B = 16, 32 and 64")."""

    batch: int
    cap: int
    larger: str = "move the sidebar's batch size up"


def sentence(table: pd.DataFrame, proxy: str, accuracy: str, missing: str = "", bound: Bound | None = None) -> str:
    """The agreement in words; `missing`: why there is no accuracy at all (the table is not on this machine);
    `bound`: the most the proxy can count, said when this cell or its neighbours reach it (they tie there)."""
    moving, same, rho = agreement(table)
    known = int(table["accuracy change"].notna().sum())
    capped = _capped(table, bound)
    if known < 3:
        why = missing or f"The benchmark table holds {known} of these {len(table)} neighbours"
        return (f"{why}, so their accuracy cannot be compared here: the chart shows how the proxy moves on each "
                "edit (NB201's table has every cell)." + (f" {capped}." if capped else ""))
    text = (f"Of {len(table)} neighbours, {moving} change both {proxy} and {accuracy}; they move the same way on "
            f"{same} ({same / moving:.0%})" if moving
            else f"None of the {len(table)} neighbours changes both {proxy} and {accuracy}")
    if not np.isnan(rho):
        text += f", and the Spearman correlation of the changes is {rho:.2f}"
    ties = int((table["proxy change"] == 0).sum())
    if capped:
        text += f". {capped}"
    elif ties:
        text += f". {ties} neighbour{'s' if ties > 1 else ''} score{'' if ties > 1 else 's'} the same as this cell"
    forms = int(table["same network"].sum()) if "same network" in table else 0
    if forms:
        text += (f". {forms} of them {'are' if forms > 1 else 'is'} this very network in another form (the edit "
                 "changes an edge that carries nothing to the output): the benchmark trained each form separately, "
                 f"so {'their' if forms > 1 else 'its'} accuracy change is training noise")
    missing = int(table["proxy change"].isna().sum())
    if missing:
        text += (f". {missing} ha{'ve' if missing > 1 else 's'} no value of the proxy (not finite, or not scored "
                 "yet), left out")
    best = table.loc[table["accuracy change"].idxmax()] if known else None
    if best is not None and best["accuracy change"] > 0:
        text += (f". The best move for accuracy is {best['edit']} ({best['accuracy change']:+.2f} points, proxy "
                 f"{_signed(best['proxy change'])})")
    return text + "."


def _capped(table: pd.DataFrame, bound: Bound | None) -> str:
    """Which of this cell and its neighbours sit at the bound, and what that means, in words ("" for none)."""
    if bound is None:
        return ""
    values = table["proxy"].dropna()
    current = (table["proxy"] - table["proxy change"]).dropna()
    here = bool(len(current)) and float(current.iloc[0]) >= bound.cap
    at = int((values >= bound.cap).sum())
    if not at and not here:
        return ""
    power = f"{bound.cap:,} = {'3' if bound.cap == 3 ** bound.batch else '2'}^{bound.batch}"
    if here and at == len(table):
        who = f"This cell and all {len(table)} neighbours score {power}"
    elif here:
        who = f"This cell and {at} of its neighbours score {power}" if at else f"This cell scores {power}"
    else:
        who = f"{at} neighbour{'s score' if at > 1 else ' scores'} {power}"
    return (f"{who}, the most distinct patterns {bound.batch} samples can make: SWAP is at its bound there and "
            f"cannot tell those cells apart, so they tie. A larger batch size separates them ({bound.larger})")


def _signed(value: float) -> str:
    if pd.isna(value):
        return "unknown"
    return f"{value:+,.0f}" if abs(value) >= 1000 else f"{value:+.4g}"


def figure(table: pd.DataFrame, proxy: str, accuracy: str) -> go.Figure:
    """The change of the proxy (x) against the change of accuracy (y), one colour per operation the edit brings;
    where the table lacks accuracy, the neighbours by the operation they bring instead."""
    with_truth = int(table["accuracy change"].notna().sum()) >= 3
    fig = go.Figure()
    for op, group in table.groupby("op", sort=False):
        group = group.dropna(subset=["proxy change", "accuracy change"] if with_truth else ["proxy change"])
        if group.empty:
            continue
        fig.add_trace(go.Scatter(
            x=group["proxy change"], y=group["accuracy change"] if with_truth else group["op"], mode="markers",
            name=op, customdata=group[["arch", "edit"]].to_numpy(),
            marker=dict(size=12, color=CHANGE_COLORS.get(op) or op_color(op), line=dict(color="#ffffff", width=1)),
            hovertemplate="%{customdata[1]}<br>" + proxy + " %{x:+,.4g}"
                          + ("<br>accuracy %{y:+.2f} points" if with_truth else "") + "<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#888", width=1))
    if with_truth:
        fig.add_hline(y=0, line=dict(color="#888", width=1))
        for x, y, text in ((1, 1, "both up: agree"), (0, 0, "both down: agree"),
                           (0, 1, "accuracy up, proxy down"), (1, 0, "proxy up, accuracy down")):
            fig.add_annotation(xref="x domain", yref="y domain", x=0.01 + 0.98 * x, y=0.01 + 0.98 * y, text=text,
                               showarrow=False, xanchor="right" if x else "left", yanchor="top" if y else "bottom",
                               font=dict(size=11, color="#666"))
        known = table["accuracy change"].dropna()
        low, high = min(known.min(), 0), max(known.max(), 0)
        pad = 0.12 * max(high - low, 0.5)  # room for the corner labels above and below the points
        fig.update_yaxes(range=[low - pad, high + pad])
        fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="this cell", hoverinfo="name",
                                 marker=dict(symbol="star", size=16, color="#111111")))
    fig.update_layout(
        title=f"One edit away: the change of {proxy} against the change of {accuracy}" if with_truth
        else f"One edit away: the change of {proxy}, by the operation each edit brings",
        height=540, margin=dict(l=10, r=10, t=80, b=30), legend=dict(title="the edit brings"),
        xaxis_title=f"change of {proxy} (neighbour minus this cell)",
        yaxis_title=f"change of {accuracy} (points)" if with_truth else "operation the edit brings",
        clickmode="event+select")
    return fig


def _table(rows: list[dict], current: float, accuracy: float | None) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["edit", "op", "arch", "proxy", "accuracy", "same network"])
    table["proxy change"] = table["proxy"] - current
    table["accuracy change"] = table["accuracy"] - (np.nan if accuracy is None else accuracy)
    return table


def _follow_sidebar(default: str) -> None:
    """While the measure is the one the sidebar's batch size chose, it follows that batch size (SWAP at B = 16
    became SWAP at B = 8 when the sidebar moved); a measure picked on purpose stays."""
    s = st.session_state
    last = s.get(_FOLLOWED)
    if last is not None and last != default and s.get("neighbours_measure") == last:
        s["neighbours_measure"] = default
    s[_FOLLOWED] = default


def _bound(text: str, frame_columns: list[str]) -> Bound | None:
    """The bound of SWAP's plain count when the measure is one (`swap_b8`: 2^8), with the atlas's larger B."""
    if text not in frame_columns:
        return None
    column = Column.parse(text)
    if column.proxy != "swap" or column.variant is not None or column.batch is None:
        return None
    larger = sorted(c.batch for c in map(Column.parse, frame_columns)
                    if c.proxy == "swap" and c.variant is None and c.batch and c.batch > column.batch)
    where = ("the atlas also holds SWAP at B = " + ", ".join(map(str, larger)) + ": choose one above") if larger \
        else "move the sidebar's batch size up"
    return Bound(column.batch, 2 ** column.batch, where)


def _measure(frame: pd.DataFrame, frame_columns: list[str], batch_size: int) -> tuple[str, str]:
    """(recipe text, its name in words) chosen on the page: an atlas column, a named recipe or one typed."""
    named = recipes.named_recipes(frame)
    wanted = Column("swap", None, batch_size).name
    default = wanted if wanted in frame_columns else "swap_b16"
    _follow_sidebar(default)
    options = frame_columns + list(named) + [OWN_RECIPE]
    links.control("neighbours_measure", default, options=options)
    choice = st.selectbox("Proxy or recipe (any column of the atlas)", options, key="neighbours_measure",
                          format_func=lambda option: column_words(option) if option in frame_columns else option,
                          help="Atlas columns are scored at the atlas's settings (NB201 at C = 16, N = 5, CIFAR-10 "
                               "at 32 px, seed 0), not the sidebar's. A recipe combines columns by their ranks "
                               "over all 15,625 cells.")
    if choice == OWN_RECIPE:
        links.control("neighbours_recipe", "log_rank:swap_b16+params")
        text = st.text_input("Recipe", key="neighbours_recipe",
                             help="e.g. 'log_rank:swap_b16+params', 'mean_rank:2*swap_b32+naswot_b64', "
                                  "'swap_b16@reg=median'").strip()
        return text, f"`{text}`"
    if choice in named:
        return named[choice], f"the recipe `{named[choice]}`"
    return choice, column_words(choice)


def column_words(column: str) -> str:
    """`swap_b16` -> "SWAP (B = 16)", `swap_layersum_b32` -> "SWAP layersum (B = 32)", `params` -> "parameters"."""
    parsed = Column.parse(column)
    return parsed.words() if parsed.batch is not None else words(column)


def _from_atlas(settings: state.Settings, space, arch, found: list[edits.Neighbour], column: str | None,
                atlas_name: str):
    frame = atlas(atlas_name)
    columns = list(recipes.proxy_columns(frame))
    text, name = _measure(frame, columns, settings.batch_size)
    try:
        values = atlas_values(text, atlas_name)
    except ValueError as err:
        messages.error(err, prefix="Not a recipe the atlas can score: ")
        return None
    rows = [{"edit": n.edit, "op": n.op, "arch": space.format(n.arch), "proxy": values[space.index(n.arch)],
             "accuracy": editor.true_value(space.name, n.arch, column),
             "same network": cell_notes.same_network(space.name, arch, n.arch)} for n in found]
    table = _table(rows, values[space.index(arch)], editor.true_value(space.name, arch, column))
    st.caption(f"Read from the atlas ({len(found)} neighbours, nothing scored): {name} at the atlas's settings.")
    return table, name, _bound(text, columns)


def _live(settings: state.Settings, space, arch, found: list[edits.Neighbour], column: str | None, result,
          reg: state.Regularization):
    """The neighbours scored with the sidebar's settings, after a click that says how long it takes."""
    texts = [space.format(n.arch) for n in found]
    run_id = (space.format(arch), repr(dataclasses.replace(settings, n_archs=0)))
    if st.session_state.get("neighbours_go") != run_id:
        seconds = max(result.seconds, 0.05) * len(found)
        when = f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"
        st.caption(f"This cell's {len(found)} neighbours are in no atlas of {space.name}, so they are scored live "
                   f"with the sidebar's settings, one by one ({when}: this cell took {result.seconds:.2f} s).")
        if st.button(f"Score the {len(found)} neighbours ({when})", key="neighbours_start",
                     icon=":material/play_arrow:"):
            st.session_state["neighbours_go"] = run_id
            st.rerun()
        return None
    scored, _ = engine.run_jobs([(settings, text) for text in texts], key="neighbours",
                                label="Scoring the neighbours")
    by_arch = {} if scored.empty else dict(zip(scored["arch"],
                                               engine.regularize(scored["raw_score"], scored["params"], reg)))
    rows = [{"edit": n.edit, "op": n.op, "arch": text, "proxy": by_arch.get(text, np.nan),
             "accuracy": editor.true_value(space.name, n.arch, column), "same network": False}
            for n, text in zip(found, texts)]
    current = float(engine.regularize(result.raw_score, result.params, reg))
    name = "the SWAP-Score" + (" (regularised)" if reg.on else "")
    cap = (3 if result.ternary else 2) ** settings.batch_size
    bound = Bound(settings.batch_size, cap) if not reg.on and cap < result.neurons else None
    return _table(rows, current, editor.true_value(space.name, arch, column)), name, bound


def _missing_table(space) -> str:
    """Why no neighbour has an accuracy when the space's table is not on this machine; empty otherwise."""
    try:
        benchmark(space.benchmark)
    except data.MissingDataError:
        return f"The {space.benchmark} ground-truth table is not on this machine (the About page fetches it)"
    return ""


def section(settings: state.Settings, space, arch, result, reg: state.Regularization) -> None:
    """The neighbours chart, its sentence, and a click that moves to a neighbour."""
    if not edits.is_editable(space.name):
        return
    st.subheader("Neighbours: one edit away")
    found = edits.neighbours(space.name, arch)
    column = editor.target(space.name)
    accuracy = words(column).removesuffix(" (%)") if column else "true accuracy"
    atlas_name = tables.whole_atlas(space.name)
    answer = (_from_atlas(settings, space, arch, found, column, atlas_name) if atlas_name is not None
              else _live(settings, space, arch, found, column, result, reg))
    if answer is None:
        return
    table, proxy, bound = answer
    proxy_words = proxy.replace("`", "")
    st.markdown(messages.literal(sentence(table, proxy_words, accuracy, _missing_table(space), bound)))
    st.caption("Click a neighbour to move there (this cell becomes the previous one).")
    key = f"neighbours_{zlib.crc32(space.format(arch).encode())}"  # a new chart per cell: no stale selection
    event = show_chart(figure(table, proxy_words, accuracy), "neighbours", table.drop(columns=["op"]), key=key,
                       on_select="rerun", selection_mode=("points",))
    points = event.selection.points if event and event.selection else []
    if points and points[0].get("customdata"):
        editor.move_to(space.name, points[0]["customdata"][0])
        st.rerun()


__all__ = ["Bound", "agreement", "atlas", "atlas_values", "column_words", "figure", "section", "sentence"]
