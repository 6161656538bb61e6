"""Compare two architectures side by side: score, bound, neurons, parameters, per-layer counts, patterns."""
import time

import pandas as pd
import streamlit as st

from swap_engine import spaces
from ui import charts, engine, launch, links, messages, state
from ui.export import show_chart

KEEP_PATTERNS = 128  # neurons shown per heatmap (a reproducible sample, as on the patterns page)
SIDES = ("A", "B")  # in keys and links; in words "left" and "right" (B is the batch size)
NAMES = {"A": "left", "B": "right"}
AT_ONCE_SECONDS = 5.0  # when the left one took longer, the right one waits for a click (B = 256 on NB101: 15 s)


def _key(space_name: str, side: str) -> str:
    return f"compare_{side}::{space_name}"


def _box(space_name: str, side: str) -> str:
    return f"compare_box_{side}::{space_name}"


def _typed(space_name: str, side: str) -> None:
    st.session_state[_key(space_name, side)] = st.session_state[_box(space_name, side)].strip()


def _sample(space_name: str, side: str, seed: int) -> None:
    draws = st.session_state.get("compare_draws", 0) + 1
    st.session_state["compare_draws"] = draws
    st.session_state[_key(space_name, side)] = engine.sample_archs(space_name, 1, seed * 7_919 + 17 * draws)[0]


def _swap(space_name: str) -> None:
    s = st.session_state
    s[_key(space_name, "A")], s[_key(space_name, "B")] = s[_key(space_name, "B")], s[_key(space_name, "A")]


def _defaults(settings: state.Settings) -> None:
    """A: the architecture open on the patterns page (or the first sample); B: another sample."""
    name = settings.space
    space = spaces.get(name)
    first = space.format(space.example(settings.seed))
    second = next(a for a in engine.sample_archs(name, 2, settings.seed + 1) if a != first)
    s = st.session_state
    links.control(_key(name, "A"), s.get(state.arch_key(name), first), name="compare_left")
    links.control(_key(name, "B"), second if second != s[_key(name, "A")] else first, name="compare_right")


def choose(settings: state.Settings, side: str, column) -> str:
    name = settings.space
    st.session_state[_box(name, side)] = st.session_state[_key(name, side)]
    column.text_area(f"{NAMES[side].capitalize()} architecture", key=_box(name, side), height=80, on_change=_typed,
                     args=(name, side))
    column.button("Sample another", key=f"compare_sample_{side}", on_click=_sample, args=(name, side, settings.seed),
                  icon=":material/casino:")
    return st.session_state[_key(name, side)]


def main() -> None:
    settings = state.settings()
    reg = state.regularization()
    space = spaces.get(settings.space)
    st.title("Compare two architectures")
    st.caption(f"Both scored with the sidebar's settings: {space.name}, B = {settings.batch_size} on "
               f"{state.INPUT_LABELS.get(settings.input, settings.input)}, seed {settings.seed}.")
    _defaults(settings)
    columns = st.columns(2, gap="large")
    texts = {side: choose(settings, side, column) for side, column in zip(SIDES, columns)}
    st.button("Swap left and right", key="compare_swap", on_click=_swap, args=(space.name,),
              icon=":material/swap_horiz:")

    results, archs, took = {}, {}, 0.0
    for side, column in zip(SIDES, columns):
        try:
            archs[side] = space.parse(texts[side])
        except ValueError as err:
            column.error(f"The {NAMES[side]} architecture is not a valid {space.name} architecture: {err}")
            continue
        if side == "B" and _right_waits(settings, space.format(archs[side]), took):
            return
        started = time.perf_counter()
        with st.spinner(f"Scoring the {NAMES[side]} architecture at B = {settings.batch_size} ..."):
            results[side] = engine.score(settings, space.format(archs[side]), keep_patterns=KEEP_PATTERNS)
        took = max(time.perf_counter() - started, results[side].seconds)  # a cached score: its own time
    if len(results) < 2:
        return

    summary = _summary(results, reg)
    for side, column in zip(SIDES, columns):
        r = summary.loc[side]
        other = summary.loc["B" if side == "A" else "A"]

        def delta(key: str) -> str | None:
            return None if side == "A" else f"{_compact(r[key] - other[key], sign=True)} vs left"  # noqa: B023

        top, bottom = column.columns(2), column.columns(2)
        top[0].metric("SWAP-Score" + (" (regularised)" if reg.on else ""), _compact(r["score"]), delta=delta("score"),
                      help=f"{r['score']:,.1f}")
        top[1].metric(f"bound min(N, {3 if r['ternary'] else 2}^B)", _compact(r["bound"]), help=f"{int(r['bound']):,}")
        bottom[0].metric("neurons N", _compact(r["neurons"]), delta=delta("neurons"), delta_color="off",
                         help=f"{int(r['neurons']):,}")
        bottom[1].metric("parameters", _compact(r["params"]), delta=delta("params"), delta_color="off",
                         help=f"{int(r['params']):,} parameters")
    st.caption(_verdict(summary, settings.batch_size))

    layers = {NAMES[side]: results[side].by_layer() for side in SIDES}
    show_chart(charts.compare_layers(layers), "swap_compare_layers",
               pd.concat([t.assign(architecture=side) for side, t in layers.items()], ignore_index=True))
    for side, column in zip(SIDES, st.columns(2, gap="large")):
        p = results[side].patterns
        if p is not None and len(p.values):
            fig = charts.pattern_heatmap(p.values, p.duplicated, list(p.layer))
            fig.update_layout(title=f"{NAMES[side].capitalize()}: {len(p.values)} sampled neurons; purple = pattern "
                                    "shared", height=460)
            show_chart(fig, f"swap_compare_patterns_{side}", key=f"compare_heat_{side}", container=column)
        edges = space.graph(archs[side])
        if edges:
            for i, figure in enumerate(charts.cell_graphs(edges, space.name)):
                figure.update_layout(title=f"{NAMES[side].capitalize()}: {figure.layout.title.text or 'cell'}")
                show_chart(figure, f"swap_compare_cell_{side}_{i}", pd.DataFrame(edges, columns=["from", "to", "op"]),
                           key=f"compare_cell_{side}_{i}", container=column)
    with st.expander("Side-by-side table"):
        st.dataframe(summary.rename(index=NAMES).reset_index(names="architecture"), hide_index=True)


def _right_waits(settings: state.Settings, text: str, left_seconds: float) -> bool:
    """True, with a button that says how long, when the left one was slow and the right one not asked for:
    a slow pair must not run half a minute on its own when the page opens."""
    s = st.session_state
    token = hash((settings, text))
    if left_seconds <= AT_ONCE_SECONDS or s.get("compare_right_asked") == token:
        return False
    if st.button(f"Score the right architecture too (about {launch.duration(left_seconds)})", type="primary",
                 key="compare_right_go", icon=":material/play_arrow:"):
        s["compare_right_asked"] = token
        return False
    st.caption(f"The left one took {left_seconds:.0f} s at B = {settings.batch_size}; the right one is scored when "
               "you press the button.")
    return True


def _summary(results: dict, reg: state.Regularization) -> pd.DataFrame:
    rows = {}
    for side, r in results.items():
        rows[side] = {"score": float(engine.regularize(r.raw_score, r.params, reg)), "raw score": r.raw_score,
                      "bound": r.bound, "neurons": r.neurons, "params": r.params, "layers": len(r.layers),
                      "ternary": r.ternary, "seconds": round(r.seconds, 3)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _verdict(summary: pd.DataFrame, batch_size: int) -> str:
    """Which scores higher, in words; a ratio only between two scores that mean something (a score of 0 or 1,
    one pattern or none, makes any ratio meaningless); which one is capped, and by what."""
    a, b = summary.loc["A"], summary.loc["B"]
    if a["score"] == b["score"]:
        text = f"The left and right architectures score the same ({_compact(a['score'])})"
    else:
        high, low = ("A", "B") if a["score"] > b["score"] else ("B", "A")
        top, bottom = summary.loc[high], summary.loc[low]
        text = (f"The {NAMES[high]} architecture scores higher: {_compact(top['score'])} against "
                f"{_compact(bottom['score'])}")
        if bottom["raw score"] <= 1:
            text += (f" (the {NAMES[low]} one has {'no pattern' if bottom['raw score'] < 1 else 'a single pattern'} "
                     "over the batch, so a ratio would say nothing)")
        elif bottom["score"] > 0:
            text += f", {top['score'] / bottom['score']:,.2f} times as high"
    for side in SIDES:
        r = summary.loc[side]
        if r["raw score"] < 0.98 * r["bound"]:
            continue
        if r["bound"] < r["neurons"]:
            text += (f". The {NAMES[side]} one is at its bound: {batch_size} samples allow at most {int(r['bound']):,} "
                     "patterns, so a larger batch size would separate its neurons further")
        else:
            text += (f". The {NAMES[side]} one has nearly one pattern per neuron ({int(r['neurons']):,} neurons): its "
                     "score measures its size; a smaller batch size separates architectures better")
    return text + ". SWAP predicts the higher-scoring one to train better; it is a ranking hint, not a guarantee."


def _compact(value: float, sign: bool = False) -> str:
    """48,323 -> "48.3 K", 1,234,567 -> "1.23 M"; whole numbers below 10,000 as they are."""
    plus = "+" if sign and value > 0 else ""
    size = abs(value)
    if size >= 1e6:
        return f"{plus}{value / 1e6:,.2f} M"
    if size >= 1e4:
        return f"{plus}{value / 1e3:,.1f} K"
    return f"{plus}{value:,.0f}" if float(value).is_integer() else f"{plus}{value:,.1f}"


messages.guard(main)
