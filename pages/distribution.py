"""Score distribution: score many sampled architectures live, then look at the spread and what drives it."""
import streamlit as st

from swap_engine import spaces
from ui import charts, engine, state


def main() -> None:
    settings = state.settings()
    reg = state.regularization()
    space = spaces.get(settings.space)
    st.title("Score distribution")
    st.caption(f"{settings.n_archs} architectures sampled from {space.name} (seed {settings.seed}), "
               f"B = {settings.batch_size} on {settings.input}. Results are kept per setting.")
    whole_space(settings, reg)
    archs = engine.sample_archs(settings.space, settings.n_archs, settings.seed)
    table, _ = engine.run_jobs([(settings, arch) for arch in archs], key="distribution",
                               label="Scoring sampled architectures")
    if table.empty:
        st.info("No architecture scored yet: press Resume to start.")
        return
    score = "score (regularised)" if reg.on else "score"
    table[score] = engine.regularize(table["raw_score"], table["params"], reg)
    properties = engine.property_columns(table)

    col_kind, col_split = st.columns(2)
    kind = col_kind.radio("Chart", ["histogram", "violin"], horizontal=True, key="dist_kind")
    split = col_split.selectbox("Split by", ["(none)", *properties], key="dist_split",
                                help="A property of each architecture, from the search space.")
    split = None if split == "(none)" else split
    shown = table.assign(**{split: table[split].astype(str)}) if split else table
    st.plotly_chart(charts.score_distribution(shown, score, kind, split), key="dist_chart")
    st.plotly_chart(charts.score_vs_params(shown, score, split), key="dist_params")
    st.dataframe(table, hide_index=True)  # its toolbar offers the CSV download
    st.download_button("Download CSV", table.to_csv(index=False), file_name=f"swap_{space.name}_scores.csv",
                       mime="text/csv")


def whole_space(settings, reg) -> None:
    """For the default setting a table of every architecture's score ships with the app: show it at once."""
    table = engine.precomputed(settings)
    if table is None:
        return
    score = "score (regularised)" if reg.on else "score"
    table = table.assign(**{score: engine.regularize(table["raw_score"], table["params"], reg)})
    with st.expander(f"The whole space: all {len(table):,} architectures, precomputed for this setting",
                     expanded=True):
        st.plotly_chart(charts.whole_space_histogram(table, score), key="dist_whole")
        targets = [c for c in table.columns if c.endswith("_acc_pct")]
        if targets:
            rows = []
            for target in targets:
                result = engine.correlate(tuple(table[score]), tuple(table[target]), settings.seed, n_boot=100)
                rows.append({"target": target, "Spearman": result.spearman, "Kendall": result.kendall,
                             "top-10 % precision": result.top_k_precision})
            st.dataframe(rows, hide_index=True)
        st.caption("Computed by this project with `python -m swap_engine score --space nb201 --all` "
                   "(see sample_data/README.md).")


engine.guard(main)
