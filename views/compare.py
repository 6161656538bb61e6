"""Compare two architectures side by side: score, bound, neurons, parameters, trained accuracy, per-layer counts,
patterns; a pair expected to take more than a few seconds waits for a button that says how long."""
import pandas as pd
import streamlit as st

from swap_engine import spaces
from ui import cell_notes, charts, editor, engine, launch, links, messages, state
from ui.charts import layers as layer_names
from ui.export import show_chart
from ui.labels import words

KEEP_PATTERNS = 128  # neurons shown per heatmap (a reproducible sample, as on the patterns page)
SIDES = ("A", "B")  # in keys and links; in words "left" and "right" (B is the batch size)
NAMES = {"A": "left", "B": "right"}


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
               f"{settings.input_words}, seed {settings.seed}.")
    _defaults(settings)
    columns = st.columns(2, gap="large")
    texts = {side: choose(settings, side, column) for side, column in zip(SIDES, columns)}
    st.button("Swap left and right", key="compare_swap", on_click=_swap, args=(space.name,),
              icon=":material/swap_horiz:")

    archs = {}
    for side, column in zip(SIDES, columns):
        try:
            archs[side] = space.parse(texts[side])
        except ValueError as err:
            column.error(f"The {NAMES[side]} architecture is not a valid {space.name} architecture: {err}")
    if len(archs) < 2:
        return
    canonical = {side: space.format(arch) for side, arch in archs.items()}
    if not launch.one(settings, list(dict.fromkeys(canonical.values())), key="compare", what="both architectures"):
        return
    results = {}
    for side in SIDES:
        with st.spinner(f"Scoring the {NAMES[side]} architecture at B = {settings.batch_size} ..."):
            results[side] = engine.score(settings, canonical[side], keep_patterns=KEEP_PATTERNS)
        launch.remember(settings, canonical[side], results[side].seconds)

    column_name = editor.target(space.name)
    summary = _summary(results, reg, {side: editor.true_value(space.name, archs[side], column_name) for side in SIDES})
    for side, column in zip(SIDES, columns):
        _side_metrics(column, summary, side, reg, words(column_name).removesuffix(" (%)") if column_name else None)
    st.caption(_verdict(summary, settings.batch_size))
    for side in SIDES:
        note = cell_notes.ignores_input(space.name, archs[side], results[side].raw_score, f"The {NAMES[side]} cell's")
        if note:
            st.info(note, icon=":material/block:")
    if cell_notes.same_network(space.name, archs["A"], archs["B"]):
        accuracies = tuple(None if pd.isna(summary.loc[side, "accuracy"]) else summary.loc[side, "accuracy"]
                           for side in SIDES)
        scores = (summary.loc["A", "score"], summary.loc["B", "score"])
        st.info(cell_notes.same_network_words("The left and right cells", accuracies, scores),
                icon=":material/join_inner:")

    named = {NAMES[side]: layer_names.named(results[side].by_layer(), space.name, space.graph(archs[side]))
             for side in SIDES}
    show_chart(charts.compare_layers(named), "swap_compare_layers",
               pd.concat([t.assign(architecture=side) for side, t in named.items()], ignore_index=True))
    for side, column in zip(SIDES, st.columns(2, gap="large")):
        p = results[side].patterns
        if p is not None and len(p.values):
            rows = layer_names.sample_names(named[NAMES[side]], list(p.layer))
            fig = charts.pattern_heatmap(p.values, p.duplicated, rows)
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


def _side_metrics(column, summary: pd.DataFrame, side: str, reg: state.Regularization, accuracy: str | None) -> None:
    """One side's numbers; the right one's changes from the left, "no change" without arrow or colour."""
    r, other = summary.loc[side], summary.loc["A"]

    def delta(key: str, digits: int = 0, unit: str = "") -> dict:
        if side == "A" or pd.isna(r[key]) or pd.isna(other[key]):
            return {}
        change = r[key] - other[key]
        if round(change, digits) == 0:
            return {"delta": "no change", "delta_color": "off", "delta_arrow": "off"}
        text = f"{change:+.{digits}f}" if digits else _compact(change, sign=True)
        return {"delta": f"{text}{unit} vs left"}

    top, bottom = column.columns(2), column.columns(2)
    top[0].metric("SWAP-Score" + (" (regularised)" if reg.on else ""), _compact(r["score"]), **delta("score"),
                  help=f"{r['score']:,.1f}")
    top[1].metric(f"bound min(N, {3 if r['ternary'] else 2}^B)", _compact(r["bound"]), help=f"{int(r['bound']):,}")
    bottom[0].metric("neurons N", _compact(r["neurons"]), **{"delta_color": "off", **delta("neurons")},
                     help=f"{int(r['neurons']):,}")
    bottom[1].metric("parameters", _compact(r["params"]), **{"delta_color": "off", **delta("params")},
                     help=f"{int(r['params']):,} parameters")
    if accuracy is not None:
        column.metric(f"{accuracy} (trained, from the benchmark)",
                      "–" if pd.isna(r["accuracy"]) else f"{r['accuracy']:.2f} %", **delta("accuracy", 2, " points"),
                      help=None if not pd.isna(r["accuracy"]) else "The benchmark's table does not hold this cell.")


def _summary(results: dict, reg: state.Regularization, accuracies: dict) -> pd.DataFrame:
    rows = {}
    for side, r in results.items():
        rows[side] = {"score": float(engine.regularize(r.raw_score, r.params, reg)), "raw score": r.raw_score,
                      "bound": r.bound, "neurons": r.neurons, "params": r.params, "layers": len(r.layers),
                      "ternary": r.ternary, "seconds": round(r.seconds, 3),
                      "accuracy": float("nan") if accuracies[side] is None else accuracies[side]}
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
        elif bottom["score"] > 0 and top["score"] / bottom["score"] < 1.01:  # "1.00 times as high" says nothing
            text += f", {100 * (top['score'] / bottom['score'] - 1):.1f} % higher"
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
    return text + ". SWAP predicts the higher-scoring one to train better; it is a ranking hint, not a guarantee" + \
        _benchmark_says(summary) + "."


def _benchmark_says(summary: pd.DataFrame) -> str:
    """Whether the benchmark's trained accuracies agree with the scores' order, where both are known and differ."""
    a, b = summary.loc["A"], summary.loc["B"]
    if a["score"] == b["score"] or pd.isna(a["accuracy"]) or pd.isna(b["accuracy"]) or a["accuracy"] == b["accuracy"]:
        return ""
    better, worse = ("A", "B") if a["accuracy"] > b["accuracy"] else ("B", "A")
    high = "A" if a["score"] > b["score"] else "B"
    trained = f"{summary.loc[better, 'accuracy']:.2f} % against {summary.loc[worse, 'accuracy']:.2f} %"
    if better == high:
        return f". Here the benchmark agrees: the {NAMES[better]} one trained better ({trained})"
    return (f". Here the benchmark disagrees: the {NAMES[better]} one trained better ({trained}), a pair the "
            "scores order wrongly (with Kendall's tau from the Correlation page, about (1 - tau) / 2 of all pairs are)")


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
