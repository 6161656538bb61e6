"""The cell editor on Activation patterns: change an edge's operation (NB101: a node's operation or an edge of
the graph) beside the drawn cell, and see the score, patterns, per-layer counts, parameters and the true
accuracy follow at once, against the cell shown before it.

The architecture stays where the page keeps it (`state.arch_key`), so the text box, the link and every other
page follow an edit; an edit that would give an invalid cell is refused in words and changes nothing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import atlas, data, spaces
from swap_engine.spaces import edits
from ui import cell_notes, charts, engine, state, tables
from ui.charts import layers as layer_names
from ui.export import show_chart
from ui.labels import words
from ui.tables import benchmark


def _key(kind: str, space_name: str) -> str:
    return f"editor_{kind}::{space_name}"


# ---- the true accuracy ----------------------------------------------------------------------------------------

def targets(space_name: str) -> list[str]:
    """The space's ground-truth columns (empty without a table)."""
    name = spaces.get(space_name).benchmark
    return [] if name is None else data.targets(name)


def target(space_name: str) -> str | None:
    """The accuracy the editor and the neighbours read (the editor's choice; CIFAR-10 test first)."""
    options = targets(space_name)
    chosen = st.session_state.get(_key("target", space_name))
    return chosen if chosen in options else (options[0] if options else None)


@st.cache_resource(show_spinner="Loading ground truth ...", max_entries=8)
def truth_table(space_name: str, column: str) -> dict:
    """`edits.truth_key` -> true value (shared: never modify); cells the table lists twice are averaged."""
    space = spaces.get(space_name)
    table = benchmark(space.benchmark)
    known = table[["arch", column]].dropna()
    whole = tables.whole_atlas(space_name)
    index = atlas.spec(whole).index_column if whole is not None else None
    if index in table.columns:  # the table numbers its cells as the space does (NB201's index): no parsing
        return dict(zip(table.loc[known.index, index].astype(int), known[column].astype(float)))
    groups: dict = {}
    for text, value in zip(known["arch"], known[column].astype(float)):
        groups.setdefault(edits.truth_key(space_name, space.parse(text)), []).append(value)
    return {key: float(np.mean(values)) for key, values in groups.items()}


def true_value(space_name: str, arch, column: str | None) -> float | None:
    """The architecture's true accuracy, None where the table does not hold it (or is not on this machine)."""
    if column is None:
        return None
    try:
        return truth_table(space_name, column).get(edits.truth_key(space_name, arch))
    except data.MissingDataError:
        return None


# ---- the previous cell ----------------------------------------------------------------------------------------

def previous(space_name: str, canonical: str) -> str | None:
    """The cell shown before this one (by an edit, a neighbour, the text box, a sample or a table pick)."""
    s = st.session_state
    shown = s.get(_key("shown", space_name))
    if shown is not None and shown != canonical:
        s[_key("previous", space_name)] = shown
    s[_key("shown", space_name)] = canonical
    before = s.get(_key("previous", space_name))
    return before if before != canonical else None


def move_to(space_name: str, text: str) -> None:
    """Open another architecture on the page (the previous one is remembered when the page draws)."""
    st.session_state[state.arch_key(space_name)] = text


# ---- edits: each widget's callback changes the page's architecture, or says why it cannot -----------------------

def _apply(space_name: str, change, *args) -> None:
    s = st.session_state
    space = spaces.get(space_name)
    try:
        new = change(space.parse(s[state.arch_key(space_name)]), *args)
    except ValueError as err:
        s[_key("note", space_name)] = str(err)
        return
    move_to(space_name, space.format(new))


def _nb201(arch, key: str, position: int):
    return edits.nb201_set(arch, position, st.session_state[key])


def _darts(arch, key: str, cell: str, position: int, field: str):
    return edits.darts_set(arch, cell, position, **{field: st.session_state[key]})


def _nb101_op(arch, key: str, node: int):
    return edits.nb101_edited(arch, ops={node: st.session_state[key]})


def _nb101_edge(arch, slot: str):
    return edits.nb101_edited(arch, edges=sorted(set(edits.edges_of(arch)) ^ {slot}))


def _nb101_add(arch):
    return edits.nb101_edited(arch, add_node=True)


def _widget(kind, key: str, value, label: str, options, change, *args, **kwargs):
    """A widget showing the current value (set before it is drawn, so an outside change shows too); its space is
    the first part of its key."""
    st.session_state[key] = value
    return kind(label, options, key=key, on_change=_apply, args=(key.split("_")[1], change, key, *args), **kwargs)


def _nb201_widgets(arch) -> None:
    from swap_engine.spaces.nb201 import OPS

    from swap_engine.spaces.nb201 import EDGES

    rows = {}  # one row per node an edge enters, one column per node it leaves: the cell's triangle
    for k, (source, node) in enumerate(EDGES):
        if node not in rows:
            rows[node] = st.columns(3)
        with rows[node][source]:
            _widget(st.selectbox, f"edit_nb201_{k}", arch[k], f"edge {source}→{node}", OPS, _nb201, k)


def _darts_widgets(arch, cell: str) -> None:
    """One cell's pairs, a row per node: its two operations and the nodes they read."""
    from swap_engine.spaces.darts import OPS

    def source_name(node: int) -> str:
        return {0: "input c(k-2)", 1: "input c(k-1)"}.get(node, f"node {node}")

    for position, (op, source) in enumerate(getattr(arch, cell)):
        node = 2 + position // 2
        if position % 2 == 0:
            columns = st.columns([3, 2, 3, 2])
        with columns[2 * (position % 2)]:
            _widget(st.selectbox, f"edit_darts_{cell}_{position}_op", op, f"node {node}, operation {position % 2 + 1}",
                    OPS, _darts, cell, position, "op")
        with columns[2 * (position % 2) + 1]:
            _widget(st.selectbox, f"edit_darts_{cell}_{position}_source", source, "reads",
                    list(range(node)), _darts, cell, position, "source", format_func=source_name)


def _nb101_widgets(arch) -> None:
    from swap_engine.spaces import nb101

    pruned = nb101.prune(arch)
    n = pruned.num_nodes
    if pruned != arch:
        st.caption("Shown pruned, as NB101 builds it: nodes on no path from input to output are dropped and the "
                   "others numbered as in the drawing.")
    columns = st.columns(2)
    for k in range(1, n - 1):
        with columns[(k - 1) % 2]:
            _widget(st.selectbox, f"edit_nb101_op_{k}", pruned.ops[k], f"node {k}", nb101.INTERIOR_OPS, _nb101_op, k)
    _edge_grid(pruned)
    st.button("Add a node (conv3x3, fed by the input, feeding the output)", key="edit_nb101_add",
              disabled=n >= nb101.MAX_NODES, on_click=_apply, args=("nb101", _nb101_add),
              help=f"NB101 cells have at most {nb101.MAX_NODES} nodes.")


def _edge_grid(cell) -> None:
    """The cell's adjacency matrix as ticks (a row per node an edge leaves, a column per node it enters): every
    possible edge in view, a click adds or removes one."""
    from swap_engine.spaces import nb101

    n = cell.num_nodes
    names = edits.nb101_names(n)
    st.markdown(f"**Edges** (from a row's node to a column's; at most {nb101.MAX_EDGES}, and a path from input "
                "to output must remain)")
    header = st.columns(n)
    for j in range(1, n):
        header[j].caption(names[j])
    for i in range(n - 1):
        row = st.columns(n, vertical_alignment="center")
        row[0].caption(names[i])
        for j in range(i + 1, n):
            key = f"edit_nb101_edge_{i}_{j}"
            st.session_state[key] = bool(cell.matrix[i][j])
            slot = f"{names[i]}→{names[j]}"
            row[j].checkbox(slot, key=key, label_visibility="collapsed", on_change=_apply,
                            args=("nb101", _nb101_edge, slot))


# ---- the section: the cell, its editor, and the comparison with the previous cell -------------------------------

def section(settings: state.Settings, space, arch, result, reg: state.Regularization, before: str | None) -> None:
    """The drawn cell (every space that has one), and for NB201, DARTS and NB101 the editor beside it and the
    comparison with `before`, the previous cell (`previous`)."""
    edges = space.graph(arch)
    if not edits.is_editable(space.name):
        if edges:
            figures = charts.cell_graphs(edges, space.name)
            for i, (column, figure) in enumerate(zip(st.columns(len(figures)), figures)):
                show_chart(figure, f"cell_{i + 1}", container=column)
        return
    st.subheader("Edit the cell")
    st.caption("Change an operation" + (" or an edge" if space.name == "nb101" else "") + ": the score, patterns, "
               "per-layer counts, parameters and true accuracy follow at once, and the previous cell stays for "
               "comparison.")
    note = st.session_state.pop(_key("note", space.name), None)
    if note:
        st.warning(note, icon=":material/block:")
    figures = charts.cell_graphs(edges, space.name)
    if space.name == "darts":  # a tab per cell, its drawing above its pairs (eight of them need the width)
        for i, (tab, cell) in enumerate(zip(st.tabs(["normal cell", "reduce cell"]), ("normal", "reduce"))):
            with tab:
                show_chart(figures[i], f"cell_{i + 1}")
                _darts_widgets(arch, cell)
    else:
        left, right = st.columns(2, gap="medium")
        show_chart(figures[0], "cell_1", container=left)
        with right:
            (_nb201_widgets if space.cell_edges else _nb101_widgets)(arch)  # one operation per edge: NB201's
    compare(settings, space, arch, result, reg, before)
    if before is not None:
        _layers(settings, space, arch, result, before)


def change(value: float, unit: str = "", digits: int = 0) -> dict:
    """`st.metric`'s delta arguments for a change: signed ("+12 points vs previous"), or, for no change at all,
    "no change" without arrow or colour (a green "↑ +0" reads as a gain)."""
    if round(value, digits) == 0:
        return {"delta": "no change", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": f"{value:+,.{digits}f}{unit} vs previous"}


def compare(settings: state.Settings, space, arch, result, reg: state.Regularization, before: str | None) -> None:
    """This cell's score, true accuracy and parameters, each with its change from the previous cell."""
    column = target(space.name)
    score = float(engine.regularize(result.raw_score, result.params, reg))
    accuracy = true_value(space.name, arch, column)
    old = old_score = old_accuracy = None
    if before is not None:
        with st.spinner("Scoring the previous cell ..."):
            old = engine.score(settings, before)
        old_score = float(engine.regularize(old.raw_score, old.params, reg))
        old_accuracy = true_value(space.name, space.parse(before), column)
    options = targets(space.name)
    cols = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
    if len(options) > 1:
        cols[3].selectbox("True accuracy from the benchmark", options, key=_key("target", space.name),
                          format_func=words)
    cols[0].metric("SWAP-Score" + (" (regularised)" if reg.on else ""), f"{score:,.0f}",
                   **({} if old_score is None else change(score - old_score)))
    cols[1].metric(words(column).removesuffix(" (%)") if column else "true accuracy",
                   "–" if accuracy is None else f"{accuracy:.2f} %",
                   **({} if accuracy is None or old_accuracy is None
                      else change(accuracy - old_accuracy, " points", 2)),
                   help=None if accuracy is not None else _why_no_accuracy(space, column))
    cols[2].metric("parameters", f"{result.params:,}",
                   **({} if old is None else {"delta_color": "off", **change(result.params - old.params)}))
    if before is None or old is None:
        st.caption("Edit the cell to keep this one as the previous cell for comparison.")
        return
    acc = "accuracy not in the table" if old_accuracy is None else f"accuracy {old_accuracy:.2f} %"
    st.caption(f"Previous cell: score {old_score:,.0f}, {acc}, {old.params:,} parameters.")
    if cell_notes.same_network(space.name, arch, space.parse(before)):
        note = cell_notes.same_network_words("This cell and the previous one", (accuracy, old_accuracy),
                                             (score, old_score))
        st.info(note, icon=":material/join_inner:")
    cols[3].button("Back to the previous cell", key="editor_back", icon=":material/undo:",
                   on_click=move_to, args=(space.name, before))


def _why_no_accuracy(space, column: str | None) -> str:
    if column is None:
        return f"{space.name} has no ground-truth table."
    try:
        size = len(benchmark(space.benchmark))
    except data.MissingDataError:
        return f"The {space.benchmark} table is not on this machine (the About page fetches it)."
    return f"The {space.benchmark} table holds {size:,} trained cells; this one is not among them."


def _layers(settings: state.Settings, space, arch, result, before: str) -> None:
    with st.expander("Per-layer distinct patterns: this cell and the previous one"):
        old = engine.score(settings, before)
        layers = {"this cell": layer_names.named(result.by_layer(), space.name, space.graph(arch)),
                  "previous cell": layer_names.named(old.by_layer(), space.name, space.graph(space.parse(before)))}
        table = pd.concat([t.assign(cell=name) for name, t in layers.items()], ignore_index=True)
        show_chart(charts.compare_layers(layers), "editor_layers", table, key="editor_layers")


__all__ = ["change", "compare", "move_to", "previous", "section", "target", "targets", "true_value", "truth_table"]
