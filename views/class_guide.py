"""Guided class: the app as a lesson in three steps, each a preset link with a teacher's note, and the bridge the
pages leave out: why more distinct patterns tend to mean a network that trains well, shown on two real cells.
"""
import streamlit as st

from ui import messages

st.title("Guided class")  # drawn at once; the bridge below waits for the whole-space table
st.markdown(
    "A class of about half an hour in three steps: from a toy network small enough to count by hand, to one real "
    "cell, to the whole search space. Each step opens a page already set up for it, **in a new tab**, so this "
    "page stays open to come back to; copy that tab's address to hand the same view to the class.")

from swap_engine import spaces  # noqa: E402
from ui import charts, labels, lesson, numbers  # noqa: E402

WHY = (
    "**Why should more distinct patterns mean a network that trains well?** A neuron's pattern says on which "
    "inputs it fires. Neurons that share a pattern carve the inputs the same way, so together they act like one: "
    "the network behaves like a smaller one. Neurons with different patterns split the inputs in different ways, "
    "so before any training the network already tells many inputs apart, and it can express more different "
    "functions; training has more to start from. A bigger network has more neurons and so, all else equal, more "
    "patterns: to see SWAP's own part, compare networks of exactly the same size.")


def step(number: int, chosen: lesson.Step) -> None:
    st.subheader(f"Step {number}. {chosen.title}")
    st.markdown(chosen.task)
    st.link_button(chosen.label, chosen.link, icon=":material/open_in_new:")
    st.caption(f":material/co_present: **Teacher's notes.** {chosen.notes}")


def cell(column, title: str, row, target: str, key: str) -> None:
    """One of the bridge's two cells: its drawing, score and accuracy."""
    space = spaces.get(lesson.SPACE)
    with column:
        st.markdown(f"**{title}**")
        left, right = st.columns(2)
        left.metric("SWAP-Score", numbers.count(row["raw_score"]))
        right.metric(labels.words(target), f"{row[target]:.2f}")
        for i, figure in enumerate(charts.cell_graphs(space.graph(space.parse(row["arch"])), space.name)):
            figure.update_layout(height=260, margin=dict(t=40, b=10))
            st.plotly_chart(figure, key=f"class_{key}_{i}")
        st.code(row["arch"], language=None, wrap_lines=True)


def bridge() -> None:
    st.subheader("The bridge: more distinct patterns, better training?")
    st.markdown(WHY)
    found = lesson.bridge()
    target = labels.words(found.target).removesuffix(" (%)")  # in a sentence; the metrics keep the unit
    st.markdown(f"The most common size in NB201 is **{found.params:,} parameters**, shared by "
                f"{found.cells:,} cells with a known {target}. Two of them, one from low in their SWAP ranking "
                "(10th percentile) and one from high (90th):")
    low, high = st.columns(2)
    cell(low, "Fewer distinct patterns", found.low, found.target, "low")
    cell(high, "More distinct patterns", found.high, found.target, "high")
    st.markdown(
        f"Same size, {numbers.count(found.high['raw_score'] - found.low['raw_score'])} more distinct patterns, and "
        f"{found.high[found.target] - found.low[found.target]:+.2f} percentage points of {target}. Two cells prove "
        f"nothing, so over all {found.cells:,} cells of this size: Spearman between SWAP-Score and accuracy is "
        f"**{numbers.correlation(found.spearman)}**, and the median {target} is {found.high_median:.2f} for the "
        f"fifth with the highest scores against {found.low_median:.2f} for the fifth with the lowest. A tendency, "
        "not a law: step 3 measures how strong it is over the whole space.")
    st.link_button("Open both cells on Compare two architectures", found.compare_link,
                   icon=":material/open_in_new:")
    st.caption(":material/co_present: **Teacher's notes.** Cover the accuracies and ask which cell trains "
               "better; then show that the parameter count cannot decide it, since both have the same.")


def main() -> None:
    first, second, third = lesson.steps()
    step(1, first)
    step(2, second)
    st.divider()
    messages.guard(bridge)  # without the ground-truth table: a fetch button, and step 3 still shows
    st.divider()
    step(3, third)


messages.guard(main)
