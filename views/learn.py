"""Learn SWAP: a toy network small enough to see whole, its sign matrix, and the count built step by step.

The numbers come from swap_engine.toy: NumPy draws the page at once, then the real engine and the naive
reference score the same toy (that waits for PyTorch) and the page says whether all three agree.
"""
import streamlit as st

st.title("Learn SWAP")  # drawn at once, and the introduction with it
st.markdown(
    "SWAP scores an untrained network in one forward pass. Feed it a small batch of inputs, and write "
    "down for every neuron whether it **fired** (output above zero) on each input. That row of 1s and 0s "
    "is the neuron's **activation pattern**. The **SWAP-Score** is the number of *different* patterns "
    "among all neurons. A network whose neurons react to the inputs in many different ways scores high, "
    "and such networks tend to train well. Below is a network small enough to see whole.")
st.caption("This page has its own toy network; the sidebar's settings apply to the other pages.")

import copy  # noqa: E402

import pandas as pd  # noqa: E402

from swap_engine import toy  # noqa: E402
from ui import charts, links, messages, state  # noqa: E402
from ui.export import show_chart  # noqa: E402

PAPER = "https://arxiv.org/abs/2403.04161"
WEIGHTS = toy.weight_names()
WEIGHT_LABELS = [label for *_, label in WEIGHTS]


def _state() -> dict:
    s = st.session_state
    s.setdefault("learn_weights", copy.deepcopy(toy.DEFAULT_WEIGHTS))
    s.setdefault("learn_batch", copy.deepcopy(toy.DEFAULT_BATCH))
    links.control("learn_b", 4, ok=lambda v: 1 <= v <= toy.MAX_SAMPLES,
                  rule=f"must be a whole number from 1 to {toy.MAX_SAMPLES}")
    s.setdefault("learn_editor_version", 0)
    s.setdefault("learn_draws", 0)
    s.setdefault("learn_weight", "h2: bias")  # lowering it splits h2 from h1
    s.setdefault("learn_weight_value", _weight_value(s["learn_weight"]))
    return s


def _weight_value(label: str) -> float:
    tensor, row, col, _ = WEIGHTS[WEIGHT_LABELS.index(label)]
    values = st.session_state["learn_weights"][tensor]
    return float(values[row] if col is None else values[row][col])


def _show_weight() -> None:
    st.session_state["learn_weight_value"] = _weight_value(st.session_state["learn_weight"])


def _set_weight() -> None:
    s = st.session_state
    tensor, row, col, _ = WEIGHTS[WEIGHT_LABELS.index(s["learn_weight"])]
    if col is None:
        s["learn_weights"][tensor][row] = float(s["learn_weight_value"])
    else:
        s["learn_weights"][tensor][row][col] = float(s["learn_weight_value"])


def _reset_weights() -> None:
    st.session_state["learn_weights"] = copy.deepcopy(toy.DEFAULT_WEIGHTS)
    _show_weight()


def _new_batch(points: list[list[float]]) -> None:
    st.session_state["learn_batch"] = points
    st.session_state["learn_editor_version"] += 1  # a fresh editor, without the old batch's edits


def _random_batch() -> None:
    st.session_state["learn_draws"] += 1
    _new_batch(toy.random_batch(st.session_state["learn_draws"]))


def _edit_batch(editor_key: str) -> None:
    edits = st.session_state[editor_key].get("edited_rows", {})
    batch = copy.deepcopy(st.session_state["learn_batch"])
    for row, change in edits.items():
        for column, value in change.items():
            if value is not None:
                batch[int(row)][toy.INPUTS.index(column)] = float(value)
    _new_batch(batch)


def controls(s) -> None:
    with st.container():
        st.subheader("Change the batch")
        st.slider("Samples in the batch (B)", 1, toy.MAX_SAMPLES, key="learn_b",
                  help="Each neuron's pattern has one entry per sample.")
        b1, b2 = st.columns(2)
        b1.button("Draw a random batch", key="learn_random", on_click=_random_batch, icon=":material/casino:")
        b2.button("Back to the first batch", key="learn_default_batch", on_click=_new_batch,
                  args=(copy.deepcopy(toy.DEFAULT_BATCH),))
        editor_key = f"learn_editor_{s['learn_editor_version']}"
        table = pd.DataFrame(s["learn_batch"][: s["learn_b"]], columns=list(toy.INPUTS),
                             index=[f"s{i + 1}" for i in range(s["learn_b"])])
        st.caption("Or type new coordinates for a sample:")
        st.data_editor(table, key=editor_key, on_change=_edit_batch, args=(editor_key,), num_rows="fixed",
                       column_config={x: st.column_config.NumberColumn(x, min_value=-2.5, max_value=2.5,
                                                                       step=0.1, format="%.1f")
                                      for x in toy.INPUTS})
    with st.container():
        st.subheader("Change a weight")
        st.selectbox("Weight", WEIGHT_LABELS, key="learn_weight", on_change=_show_weight)
        st.slider("Value", -2.0, 2.0, step=0.1, key="learn_weight_value", on_change=_set_weight)
        st.button("Reset all weights", key="learn_reset_weights", on_click=_reset_weights)
        st.caption("Try: lower **h2: bias** to -0.5 and h2 stops copying h1; raise **g3: bias** to 0.5 and "
                   "g3 fires on every sample; with **B = 2** the batch cannot tell 7 neurons apart.")


def main() -> None:
    s = _state()
    batch = s["learn_batch"][: s["learn_b"]]
    weights = s["learn_weights"]
    result = toy.explain(weights, batch)
    neurons = list(toy.NEURONS)
    colors = charts.pattern_colors(result.group)
    sign_table = pd.DataFrame(result.signs, index=neurons, columns=[f"s{i + 1}" for i in range(result.batch_size)])
    sign_table = sign_table.rename_axis("neuron").reset_index().assign(pattern=result.group)

    left, right = st.columns([1, 1], gap="medium")
    with left:
        show_chart(charts.toy_network_diagram(weights, list(toy.INPUTS), list(toy.LAYER1), list(toy.LAYER2),
                                              result.group, result.patterns), "swap_toy_network",
                   _weight_table(weights))
    with right:
        show_chart(charts.toy_sign_matrix(result.signs, neurons, result.group), "swap_toy_sign_matrix", sign_table)

    cols = st.columns(5)
    cols[0].metric("neurons N", result.neurons)
    cols[1].metric("samples B", result.batch_size)
    cols[2].metric("possible patterns 2^B", f"{2 ** result.batch_size:,}")
    cols[3].metric("bound min(N, 2^B)", result.bound)
    cols[4].metric("SWAP-Score", result.distinct, help="Distinct patterns, counted step by step below.")
    show_check(weights, batch, result)

    st.divider()
    col_controls, col_plane = st.columns([1, 1], gap="large")
    with col_controls:
        controls(s)
    with col_plane:
        show_chart(charts.toy_input_plane(result.batch, weights["w1"], weights["b1"], list(toy.LAYER1), colors[:4]),
                   "swap_toy_input_plane", pd.DataFrame(result.batch, columns=list(toy.INPUTS),
                                                        index=[f"s{i + 1}" for i in range(result.batch_size)])
                   .rename_axis("sample").reset_index())
        st.caption("A layer-1 neuron fires on the side of its line that the arrow points to, so its pattern lists "
                   "the samples on that side. Layer 2 mixes layer 1's outputs, so its neurons have no single line.")

    st.divider()
    st.header("The count, step by step")
    st.markdown(
        "Go through the neurons in order and keep a list of the patterns met so far. A neuron whose pattern is "
        "already on the list adds nothing; a new pattern adds one. Layers are not counted separately: a "
        "neuron in layer 2 that repeats a pattern from layer 1 counts once (on the first batch, g3 repeats h3). "
        "Each new pattern gets the next name, P1, P2, ..., the names in the sign matrix above.")
    step = st.slider("Steps to show", 1, result.neurons, result.neurons, key="learn_step",
                     help="Walk through the count one neuron at a time.")
    shown = result.steps.head(step)
    last = shown.iloc[-1]
    verdict = ("a new pattern, so the count goes up to" if last["what happens"].startswith("new")
               else f"already seen ({last['what happens'].removeprefix('as ').removesuffix(': skip')} has it), "
                    "so the count stays at")
    st.markdown(f"**Step {step}:** neuron **{last['neuron']}** has the pattern `{last['pattern']}`: "
                f"{verdict} **{last['distinct so far']}**.")
    col_table, col_chart = st.columns([5, 3])
    col_table.dataframe(shown, hide_index=True, key="learn_steps")
    with col_chart:
        show_chart(charts.toy_count_steps(shown, result.batch_size, total=result.neurons), "swap_toy_count",
                   result.steps)

    st.header("Why the score has a ceiling: min(N, 2^B)")
    st.markdown(
        f"There cannot be more distinct patterns than neurons, so the score is at most N = {result.neurons}. "
        f"A pattern is a row of B = {result.batch_size} entries, each 0 or 1, so only 2^B = "
        f"{2 ** result.batch_size} different rows exist. The score is at most the smaller of the two: "
        f"{result.bound} here. With a tiny batch the ceiling is 2^B and many networks hit it, so they cannot be "
        "told apart; real uses take B = 16 to 64, where 2^B is huge and the ceiling is N. (Networks with GELU "
        "or SiLU also produce negative outputs; then each entry is -1, 0 or +1 and the ceiling is 3^B.)")
    st.markdown(
        "In a real network every number an activation layer outputs is a neuron: a convolution layer with 16 "
        "channels on a 32 x 32 image has 16 x 32 x 32 = 16,384 of them. The engine keeps only the signs, packed "
        "as bits, and counts distinct patterns without ever storing the activations.")
    st.page_link("views/patterns.py", label="See the patterns of a real architecture", icon=":material/grid_on:")

    relatives()
    glossary()
    st.markdown(f"**The paper.** Yameng Peng, Andy Song, Haytham M. Fayek, Vic Ciesielski, Xiaojun Chang: "
                f"*SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS*, ICLR 2024. "
                f"[arXiv:2403.04161]({PAPER}).")


def show_check(weights: dict, batch: list, result: toy.ToyExplanation) -> None:
    if not state.engine_ready():  # a cold server: the app reruns once the engine has loaded (ui.state)
        st.info("Checking the count with the engine: it is loading ...", icon=":material/hourglass_top:")
        return
    check = toy.check(weights, batch)
    if check.agrees(result):
        st.success(f"The engine agrees: `swap_score` on this toy gives {check.engine_score:g} and the naive "
                   f"reference (keep every activation, sort, count) gives {check.naive_score}.",
                   icon=":material/check_circle:")
    else:
        st.error(f"Mismatch: step-by-step {result.distinct}, engine {check.engine_score:g}, "
                 f"naive {check.naive_score}. Please report this.")


def _weight_table(weights: dict) -> pd.DataFrame:
    rows = []
    for tensor, row, col, label in WEIGHTS:
        value = weights[tensor][row] if col is None else weights[tensor][row][col]
        rows.append({"parameter": label, "value": value})
    return pd.DataFrame(rows)


# Networks named net 1 .. net 5, not A .. E: "B" is the batch size on this page.
EXAMPLE = pd.DataFrame({"architecture": [f"net {i}" for i in range(1, 6)], "SWAP-Score": [120, 340, 280, 90, 400],
                        "accuracy after training (%)": [71.0, 88.5, 90.1, 65.2, 91.3]})


def relatives() -> None:
    st.header("A close relative: L-SWAG")
    st.markdown(
        "L-SWAG (CVPR 2025) keeps SWAP's count and multiplies it by a second number read from gradients. "
        "What each reads, as this project computes them (`swap_engine/proxies/lswag.py` says every choice the "
        "paper leaves open):")
    st.table(pd.DataFrame({
        "": ["what it counts", "which layers", "what it needs", "passes", "NB201, 100 cells (Spearman)"],
        "SWAP": ["distinct sign patterns over the batch, among all activation neurons", "every activation",
                 "inputs only, no labels", "one forward", "0.75 (the same count, whole network)"],
        "L-SWAG": ["the same count (Psi), times Lambda: per layer, the log of how much each weight's gradient "
                   "agrees across two halves of the batch (ZiCo without its mean), summed",
                   "a band of the network's depth (here the whole network: the paper's bands could not be read)",
                   "inputs and class labels (a cross-entropy loss)", "a forward and a backward per half, then a "
                   "forward for Psi", "0.82 (Lambda alone 0.81)"]}).set_index(""))
    st.caption("Measured here on 100 seeded NB201 cells, the first 32 CIFAR-10 training images, CIFAR-10 test "
               "accuracy. L-SWAG reads the labels of the batch, never the accuracy of any network: it is still "
               "zero-shot, but it needs a labelled batch, which SWAP does not.")


def glossary() -> None:
    from swap_engine import analysis  # scipy: imported after the charts, which do not need it

    st.header("Words used on the other pages")
    st.markdown(
        "A score is useful if it puts architectures in the same order as their accuracy after training. Three "
        "numbers measure that order:\n"
        "- **Spearman's rho**: rank the architectures by score and, separately, by accuracy, then see how well "
        "the two rankings line up. 1 means the same order, 0 no relation, -1 the reverse order.\n"
        "- **Kendall's tau**: take every pair of architectures and ask whether the score puts the pair in the "
        "right order. tau is (pairs in the right order - pairs in the wrong order) / all pairs. It is usually "
        "smaller than Spearman's rho for the same data.\n"
        "- **Top-k precision**: of the truly best k% of architectures (by accuracy), the fraction that the "
        "score also puts in its own best k%. It asks what a search cares about: does the score find the best?\n"
        "- **Confidence interval (CI)**: the range the number would likely fall in with another sample of "
        "architectures. A wide interval means too few architectures to be sure.")
    c = analysis.correlate(EXAMPLE["SWAP-Score"], EXAMPLE["accuracy after training (%)"], n_boot=0, top_k=0.4)
    col_table, col_text = st.columns([2, 3])
    col_table.dataframe(EXAMPLE, hide_index=True, key="learn_example")
    col_text.markdown(
        f"An example with five architectures. The score gets the order right except that it swaps net 2 and "
        f"net 3. "
        f"Spearman's rho = **{c.spearman:.2f}**. Of the 10 pairs, 9 are in the right order and 1 is not, so "
        f"Kendall's tau = (9 - 1) / 10 = **{c.kendall:.2f}**. The true best 40% (2 of 5) are net 5 and net 3; "
        f"the score's best two are net 5 and net 2, so top-40% precision = **{c.top_k_precision:.2f}**.")


messages.guard(main)
