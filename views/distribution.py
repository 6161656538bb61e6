"""Score distribution: score many sampled architectures live, then look at the spread and what drives it."""
import streamlit as st

from ui import links, messages, state  # light: no engine

st.title("Score distribution")  # drawn at once; the imports below wait for the engine to load

import pandas as pd  # noqa: E402

from swap_engine import spaces  # noqa: E402
from ui import charts, current, engine, launch, ties  # noqa: E402
from ui.export import show_chart  # noqa: E402

MAX_SPLIT_GROUPS = 12  # a property with more distinct values than this is not a useful split


def split_choices(table: pd.DataFrame, properties: list[str]) -> list[str]:
    """Properties that divide these architectures into 2 .. MAX_SPLIT_GROUPS groups (others mean nothing)."""
    return [p for p in properties if 2 <= table[p].nunique() <= MAX_SPLIT_GROUPS]


def draw(table: pd.DataFrame, reg: state.Regularization, mark: tuple[str | None, bool], live: bool = False) -> None:
    """Histogram (or violin) and score vs parameters, with the current architecture (`current.arch`) marked."""
    if table.empty:
        return
    score = "score (regularised)" if reg.on else "score"
    table = table.assign(**{score: engine.regularize(table["raw_score"], table["params"], reg)})
    split = None
    if not live:
        col_kind, col_split = st.columns(2)
        links.control("dist_kind", "histogram", options=["histogram", "violin"])
        kind = col_kind.radio("Chart", ["histogram", "violin"], horizontal=True, key="dist_kind")
        choices = split_choices(table, engine.property_columns(table))
        links.control("dist_split", "(none)", options=["(none)", *choices])
        split = col_split.selectbox("Split by", ["(none)", *choices], key="dist_split",
                                    format_func=lambda c: c if c == "(none)" else engine.column_label(c),
                                    help="A property of each architecture, from the search space (only those "
                                         "that divide these architectures into a few groups).")
        split = None if split == "(none)" else split
    else:
        kind = st.session_state.get("dist_kind", "histogram")
    shown = table.assign(**{split: table[split].astype(str)}) if split else table
    histogram = charts.score_distribution(shown, score, kind, split)
    versus = charts.score_vs_params(shown, score, split)
    mine = table[table["arch"] == mark[0]] if mark[0] else table.iloc[:0]
    if len(mine):
        value, params = float(mine[score].iloc[0]), float(mine["params"].iloc[0])
        if kind == "histogram":
            engine.mark_value(histogram, value)
        engine.mark_point(versus, params, value)
    suffix = engine.live_key("") if live else ""
    if live:  # redrawn every second while the run goes: no export widgets yet
        st.plotly_chart(histogram, key=f"dist_chart{suffix}")
        st.plotly_chart(versus, key=f"dist_params{suffix}")
    else:
        show_chart(histogram, "score_distribution", table, key="dist_chart")
        show_chart(versus, "score_vs_params", table, key="dist_params")
    if len(mine):
        st.caption(current.caption(mark[1], "Dashed line and star"))


def main() -> None:
    settings = state.settings()
    reg = state.regularization()
    space = spaces.get(settings.space)
    n = engine.clamp_archs(space.name, settings.n_archs)
    mark = current.arch(settings)
    sample = engine.sample_archs(settings.space, n, settings.seed)
    archs = current.first(sample, mark[0])  # scored first, so a stopped run still marks it
    added = None if mark[0] is None else mark[0] not in sample
    st.caption(f"{current.count_words(len(archs), f'{space.name} (seed {settings.seed})', added)}, "
               f"B = {settings.batch_size} on {settings.input_words}. "
               "Results are kept per setting.")
    whole_space(settings, reg, mark)
    table = precomputed_rows(settings, archs)
    if table is None:
        ran = launch.run([(settings, arch) for arch in archs], key="distribution",
                         what=f"{len(archs)} architectures", label="Scoring sampled architectures",
                         draw=lambda partial: draw(partial, reg, mark, live=True))
        if ran is None:
            return
        table, _ = ran
    else:
        st.caption("Their scores come from the precomputed table for this setting, so nothing is rescored.")
    if table.empty:
        st.info("No architecture scored yet: press Resume to start.")
        return
    tied = ties.words(table, settings.batch_size)
    if tied:
        st.warning(tied, icon=":material/equal:")
    engine.warn_if_crushed(table["params"], reg)
    draw(table, reg, mark)
    score = "score (regularised)" if reg.on else "score"
    table[score] = engine.regularize(table["raw_score"], table["params"], reg)
    st.dataframe(engine.readable(table), hide_index=True)  # its toolbar offers the CSV
    st.download_button("Download CSV", table.to_csv(index=False), file_name=f"swap_{space.name}_scores.csv",
                       mime="text/csv")


def precomputed_rows(settings: state.Settings, archs: list[str]) -> pd.DataFrame | None:
    """The sample's scores from the whole-space table of this setting, when it has every one of them (a
    precomputed result shows at once), with the space's properties to split by."""
    whole = engine.precomputed(settings)
    if whole is None or "arch" not in whole:
        return None
    rows = whole.drop_duplicates("arch").set_index("arch").reindex(archs)
    if rows["raw_score"].isna().any():
        return None
    space = spaces.get(settings.space)
    table = pd.DataFrame({"arch": archs, "batch_size": settings.batch_size, "raw_score": rows["raw_score"].to_numpy(),
                          "params": rows["params"].to_numpy(), "neurons": rows["neurons"].to_numpy()})
    properties = pd.DataFrame([space.properties(space.parse(arch)) for arch in archs])
    return pd.concat([table, properties.rename(columns=lambda c: c if c not in table else f"prop_{c}")], axis=1)


def whole_space(settings, reg, mark: tuple[str | None, bool]) -> None:
    """For the default setting a table of every architecture's score ships with the app: show it at once."""
    table = engine.precomputed(settings)
    if table is None:
        return
    score = "score (regularised)" if reg.on else "score"
    table = table.assign(**{score: engine.regularize(table["raw_score"], table["params"], reg)})
    with st.expander(f"The whole space: all {len(table):,} architectures, precomputed for this setting",
                     expanded=True):
        engine.warn_if_crushed(table["params"], reg)
        figure = charts.whole_space_histogram(table, score)
        mine = table.loc[table["arch"] == mark[0], score] if mark[0] is not None and "arch" in table else []
        if len(mine):
            engine.mark_value(figure, float(mine.iloc[0]))
        show_chart(figure, "score_distribution_whole_space", table, key="dist_whole")
        if len(mine):
            st.caption(current.caption(mark[1], "Dashed line"))
        targets = [c for c in table.columns if c.endswith("_acc_pct")]
        if targets:
            rows = []
            for target in targets:
                result = engine.correlate(tuple(table[score]), tuple(table[target]), settings.seed, n_boot=100)
                rows.append({"accuracy": engine.column_label(target), "Spearman": round(result.spearman, 3),
                             "Kendall": round(result.kendall, 3),
                             "top-10 % precision": round(result.top_k_precision, 3)})
            st.dataframe(rows, hide_index=True, column_config={  # ui.numbers' style: 3 decimals
                c: st.column_config.NumberColumn(c, format="%.3f")
                for c in ("Spearman", "Kendall", "top-10 % precision")})
        st.caption("Computed by this project with `python -m swap_engine score --space nb201 --all` "
                   "(see sample_data/README.md).")


messages.guard(main)
