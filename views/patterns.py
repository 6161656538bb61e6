"""Activation patterns of one architecture: the score first, then tabs for the matrix SWAP counts beside its bound,
the per-layer picture, the cell (and its editor) and its neighbours. Or your own network (`ui.own_network`): a
timm or torchvision name, or a file while the app listens on this machine alone, placed among timm-in1k's."""
from functools import partial

import streamlit as st

from ui import state  # light: no engine

st.title("Activation patterns")  # drawn at once; the imports below wait for the engine to load

import pandas as pd  # noqa: E402

import dataclasses  # noqa: E402
import math  # noqa: E402

from swap_engine import data, spaces  # noqa: E402
from swap_engine.spaces import edits  # noqa: E402
from ui import cell_notes, charts, editor, engine, fetch, launch, messages, neighbours, own_network  # noqa: E402
from ui.charts import layers as layer_names  # noqa: E402
from ui.export import show_chart  # noqa: E402

KEEP_PATTERNS = 192  # neurons shown in the heatmap: enough to see structure, few enough to read
TAB_KEY = "patterns_tab"  # the open tab: only it is drawn, and it stays open across edits and moves
CELL_TABS = ("Edit the cell", "The cell")


def _box_key(space_name: str) -> str:
    return f"arch_box::{space_name}"


def _use_typed(space_name: str) -> None:
    st.session_state[state.arch_key(space_name)] = st.session_state[_box_key(space_name)].strip()


def _sample_next(space_name: str, seed: int) -> None:
    draws = st.session_state.get("arch_draws", 0) + 1
    st.session_state["arch_draws"] = draws
    st.session_state[state.arch_key(space_name)] = engine.sample_archs(space_name, 1, seed * 100_003 + draws)[0]


def _pick(space_name: str, table_key: str, archs: list[str]) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows:
        st.session_state[state.arch_key(space_name)] = archs[rows[0]]


def choose_arch(settings: state.Settings):
    """Text box (type or paste), a Sample button, or a pick from a table; returns the chosen text and the
    container for the table."""
    name = settings.space
    key = state.arch_key(name)
    if key not in st.session_state:
        space = spaces.get(name)
        st.session_state[key] = space.format(space.example(settings.seed))
    st.session_state[_box_key(name)] = st.session_state[key]
    col_text, col_button = st.columns([5, 1], vertical_alignment="bottom")
    col_text.text_area("Architecture (type or paste its string)", key=_box_key(name), height=80,
                       on_change=_use_typed, args=(name,))
    col_button.button("Sample another", on_click=_sample_next, args=(name, settings.seed),
                      icon=":material/casino:")
    box = st.container()  # filled by `pick_table` after the charts: the table loads ground truth
    return st.session_state[key], box


def pick_table(settings: state.Settings, box) -> None:
    """The "Pick from a table" expander, under the text box, drawn last (the first view's charts come first)."""
    with box.expander("Pick from a table"):
        table = _pick_table(settings)
        archs = table["arch"].tolist()
        st.dataframe(engine.readable(table), key="arch_table",
                     on_select=partial(_pick, settings.space, "arch_table", archs),
                     selection_mode="single-row", hide_index=True, height=260)


def _pick_table(settings: state.Settings) -> pd.DataFrame:
    space = spaces.get(settings.space)
    if space.benchmark is not None:
        try:
            return engine.benchmark_sample(space.benchmark, 500, settings.seed)
        except Exception as err:  # missing ground truth still leaves sampled archs to pick from
            st.caption("Ground truth unavailable (" + messages.literal(err) + "); showing sampled architectures "
                       "instead.")
    return pd.DataFrame({"arch": engine.sample_archs(settings.space, max(settings.n_archs, 20), settings.seed)})


def _number(value: float, compact: bool = False) -> str:
    """Whole numbers without decimals; with `compact`, thousands and millions as K and M."""
    if compact and abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    if compact and abs(value) >= 1e4:
        return f"{value / 1e3:,.1f} K"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def main() -> None:
    st.caption("Each neuron's signs over the B samples of the batch form its pattern; the SWAP-Score counts "
               "the distinct patterns over all layers.")
    settings = state.settings()
    if own_network.choose_source():
        state.update_url()
        show_own(settings)
        return
    space = spaces.get(settings.space)
    text, box = choose_arch(settings)
    state.update_url()  # the link now names this architecture
    try:
        show(settings, space, text)
    finally:
        pick_table(settings, box)


def without_files(settings: state.Settings, space, err: Exception) -> state.Settings:
    """The same settings on an input that needs no file (a fresh install has no CIFAR-10), said in words, with
    the button that fetches the missing one; the error again when the input needs no file already."""
    fallback = "gaussian" if space.input_spec.kind == "image" else "random-tokens"
    if settings.input == fallback:
        raise err
    st.info(f"{settings.input_words} are not on this machine, so this view "
            f"scores on {state.INPUT_LABELS[fallback]}, which needs no file. Fetch them to see the sidebar's "
            "input (scores on noise differ from scores on images).", icon=":material/cloud_off:")
    fetch.offer(err, key="patterns_fetch")
    resolution = settings.resolution or (16 if space.input_spec.kind == "image" else None)  # cifar10-16's size
    return dataclasses.replace(settings, input=fallback, resolution=resolution)


def show(settings: state.Settings, space, text: str) -> None:
    reg = state.regularization()
    try:
        arch = space.parse(text)
    except ValueError as err:
        messages.error(err, prefix=f"Not a valid {space.name} architecture: ")
        return
    canonical = space.format(arch)
    try:
        result = _score(settings, canonical)
    except data.MissingDataError as err:
        settings = without_files(settings, space, err)
        result = _score(settings, canonical)
    if result is None:
        return
    before = editor.previous(space.name, canonical)  # the cell shown before this one, for the editor
    _metrics(result, reg)
    note = cell_notes.ignores_input(space.name, arch, result.raw_score)
    if note:
        st.info(note, icon=":material/block:")

    edges = space.graph(arch)
    labels = _tab_labels(space, edges)
    _keep_choices(space.name, labels)
    tabs = dict(zip(labels, st.tabs(labels, key=TAB_KEY, on_change="rerun")))
    _result_tabs(tabs, result, layer_names.named(result.by_layer(), space.name, edges))
    cell = next((tabs[label] for label in CELL_TABS if label in tabs), None)
    if cell is not None and cell.open:
        with cell:
            editor.section(settings, space, arch, result, reg, before)  # NB201, DARTS, NB101: its editor too
    if "Neighbours" in tabs and tabs["Neighbours"].open:
        with tabs["Neighbours"]:
            neighbours.section(settings, space, arch, result, reg)


def _result_tabs(tabs: dict, result, layers) -> None:
    """The Patterns and Per layer tabs, drawn only when open (a cell's and your own network's alike)."""
    if tabs["Patterns"].open:
        with tabs["Patterns"]:
            _patterns_tab(result, layers)
    if tabs["Per layer"].open:
        with tabs["Per layer"]:
            _layers_tab(layers)


def show_own(settings: state.Settings) -> None:
    """Your own network: the score and its parts, the matrix and the layers as for a cell, then its placement
    among a benchmark's networks. A network that cannot load or be scored is one message, and nothing else."""
    try:
        own = own_network.choose(settings)
        if own is None or not own_network.ready(own):
            return
        with st.spinner(f"Scoring {own.spec} on {own_network.described(own)} ..."):
            result = own_network.score(own, KEEP_PATTERNS)
    except ValueError as err:  # the library's refusals, in words (a missing file, no module returned, ...)
        messages.error(err, prefix="This network cannot be scored: ")
        return
    reg = state.regularization()
    _metrics(result, state.Regularization(False, math.nan, math.nan))
    st.caption(f"{messages.literal(own.spec)}, random weights from seed {own.seed}, on "
               f"{own_network.described(own)}." + (" Regularisation by parameter count is left off: its mu and "
                                                  "sigma describe the sidebar's search space." if reg.on else ""))
    labels = ["Patterns", "Per layer"]
    tabs = dict(zip(labels, st.tabs(labels, key="own_tab", on_change="rerun")))
    _result_tabs(tabs, result, layer_names.named(result.by_layer(), "own"))
    own_network.placement_section(own, result)


def _score(settings: state.Settings, canonical: str):
    """The result with its pattern sample, at once when expected to be quick, else after the button that says
    how long (None until then)."""
    if not launch.one(settings, [canonical], key="patterns", what="this architecture"):
        return None
    with st.spinner(launch.scoring_label(settings, canonical)):
        result = engine.score(settings, canonical, keep_patterns=KEEP_PATTERNS)
    launch.remember(settings, canonical, result.seconds)
    return result


def _metrics(result, reg: state.Regularization) -> None:
    """The score and what it is made of, one row; a note when it sits at its bound."""
    raw = result.raw_score
    base = f"{3 if result.ternary else 2}^B"
    final = engine.regularize(raw, result.params, reg)
    cols = st.columns(6)
    cols[0].metric("SWAP-Score" + (" (regularised)" if reg.on else ""), _number(final))
    cols[1].metric(f"bound min(N, {base})", f"{result.bound:,}",
                   help="Ternary patterns (GELU, SiLU, Hardswish: signs -1/0/+1) allow 3^B; ReLU's 0/1 allow 2^B.")
    cols[2].metric("neurons N", f"{result.neurons:,}")
    cols[3].metric("batch size B", result.batch_size)
    cols[4].metric("parameters", _number(result.params, compact=True), help=f"{result.params:,} parameters")
    cols[5].metric("seconds", f"{result.seconds:.2f}")
    if reg.on:
        st.caption(f"raw score {raw:,.1f} x factor {final / raw if raw else 0:.3g} "
                   f"(mu = {reg.mu:g}, sigma = {reg.sigma:g})")
        engine.warn_if_crushed(result.params, reg)
    if result.bound and raw >= 0.98 * result.bound:
        if result.bound < result.neurons:
            st.info(f"The score is at its bound {base}: the batch is too small to tell these neurons apart, "
                    "so architectures get equal scores. A larger batch separates them.")
        else:
            st.info("The score is at N: almost every neuron has its own pattern, so the score measures "
                    "network size rather than expressivity. A smaller batch separates architectures better.")


def _tab_labels(space, edges) -> list[str]:
    """Patterns first (the page's answer); the cell and its neighbours where the space has them."""
    labels = ["Patterns", "Per layer"]
    if edits.is_editable(space.name):
        return labels + ["Edit the cell", "Neighbours"]
    return labels + (["The cell"] if edges else [])


def _keep_choices(space_name: str, labels: list[str]) -> None:
    """Only the open tab is drawn, and Streamlit forgets a widget that was not drawn: the choices made in the
    other tabs are kept by hand. A tab this space lacks (Neighbours, after a switch to the zoo) opens Patterns."""
    s = st.session_state
    if s.get(TAB_KEY) not in labels:
        s.pop(TAB_KEY, None)
    for key in ("neighbours_measure", "neighbours_recipe", f"editor_target::{space_name}"):
        if key in s:
            s[key] = s[key]


def _patterns_tab(result, layers: pd.DataFrame) -> None:
    left, right = st.columns([1, 2])
    base = f"{3 if result.ternary else 2}^B"
    gauge = charts.bound_gauge(result.raw_score, result.bound)
    gauge.update_traces(title_text=f"SWAP-Score out of its bound min(N, {base}) = {result.bound:,}")
    show_chart(gauge, "swap_score_gauge", container=left)
    p = result.patterns
    if p is not None and len(p.values):
        heat = charts.pattern_heatmap(p.values, p.duplicated, layer_names.sample_names(layers, list(p.layer)))
        show_chart(heat, "activation_patterns", container=right)


def _layers_tab(layers: pd.DataFrame) -> None:
    if not layers.empty:
        show_chart(charts.layer_bars(layers), "distinct_patterns_per_layer", layers)
    with st.expander("Per-layer table"):
        st.dataframe(layers.drop(columns=["call"]), hide_index=True)
        st.download_button("Download CSV", layers.to_csv(index=False), file_name="swap_layers.csv",
                           mime="text/csv")


messages.guard(main)
