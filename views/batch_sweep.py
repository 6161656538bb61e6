"""Batch-size sweep: the same architectures at B = 2, 4, ...; where the score saturates at N, ranking dies."""
import dataclasses
import streamlit as st

from ui import links, messages, state  # light: no engine

st.title("Batch-size sweep")  # drawn at once; the imports below wait for the engine to load

import pandas as pd  # noqa: E402

from swap_engine import data, spaces  # noqa: E402
from ui import charts, engine, launch, numbers, ties  # noqa: E402
from ui.export import show_chart  # noqa: E402


def shown_summary(summary: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The summary as a reader takes it in, and its column formats (`ui.numbers`' one style: counts with
    thousands separators, 2^64 as the power it is, correlations to 3 decimals), with how many scores sit at the
    bound and, where Spearman is missing, why."""
    base = f"{ties.base(table)}^B"
    rows = []
    for row in summary.to_dict("records"):
        b = int(row["batch_size"])
        shown = {"batch size B": b, "architectures": int(row["archs"]),
                 "mean SWAP-Score": round(row["mean_score"], 1), "mean neurons N": round(row["mean_neurons"], 1),
                 f"mean bound min(N, {base})": round(row["mean_bound"], 1),
                 base: numbers.power(ties.base(table), b),
                 f"at {base}": f"{int(row['at_bound'])} of {int(row['archs'])}"}
        if "spearman_note" in summary:
            note = row.get("spearman_note") or ""
            shown["Spearman"] = numbers.correlation(row.get("spearman", float("nan")), missing=f"none: {_short(note)}")
            shown["Spearman 95% CI"] = numbers.interval(row.get("spearman_lo", float("nan")),
                                                        row.get("spearman_hi", float("nan")), missing="")
        rows.append(shown)
    formats: dict = {c: st.column_config.NumberColumn(c, format="localized")
                     for c in ("mean SWAP-Score", "mean neurons N", f"mean bound min(N, {base})")}
    formats["Spearman"] = st.column_config.Column(
        "Spearman", help="none: all tied = every score of that batch size is the same (at the bound where "
                         f"\"at {base}\" counts them all), so there is no ranking to compare; none: too few = "
                         "fewer than 3 with ground truth")
    return pd.DataFrame(rows), formats


def _short(note: str) -> str:
    """A reason for no Spearman that fits a table cell; the warning above and the chart's hover say it in full."""
    return "all tied" if "tie" in note else "too few" if note.startswith("only") else note or "not measured"


def sweep_archs(settings: state.Settings, n: int) -> tuple[list[str], pd.DataFrame | None, str | None]:
    """Architectures from the ground-truth table when it is here (so Spearman can be drawn), else sampled."""
    space = spaces.get(settings.space)
    if space.benchmark is not None:
        try:
            rows = engine.benchmark_sample(space.benchmark, n, settings.seed)
            return rows["arch"].tolist(), rows, data.targets(space.benchmark)[0]
        except data.MissingDataError as err:
            messages.show_missing(err)
            st.caption("Sweeping sampled architectures without ground truth instead.")
    return engine.sample_archs(settings.space, n, settings.seed), None, None


def summarise(table: pd.DataFrame, truth: pd.DataFrame | None, target: str | None, seed: int,
              n_boot: int = 1000) -> pd.DataFrame:
    rows = []
    for b, group in table.groupby("batch_size"):
        base = 3 if group["ternary"].any() else 2
        row = {"batch_size": b, "archs": len(group), "mean_score": group["raw_score"].mean(),
               "mean_neurons": group["neurons"].mean(), "mean_bound": group["bound"].mean(),
               "pattern_bound": float(base) ** b, "at_bound": ties.at_bound(group, int(b))}
        if truth is not None and target is not None:
            known = group.merge(truth[["arch", target]], on="arch").dropna(subset=[target])
            row["spearman_note"] = ties.no_spearman(known["raw_score"], known[target], int(b), group)
            if not row["spearman_note"]:
                c = engine.correlate(tuple(known["raw_score"]), tuple(known[target]), seed, n_boot=n_boot)
                row.update(spearman=c.spearman, spearman_lo=c.spearman_ci[0], spearman_hi=c.spearman_ci[1])
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    settings = state.settings()
    col_n, col_top = st.columns(2)
    links.control("sweep_n", max(3, min(settings.n_archs, 20)), ok=lambda v: 3 <= v <= 1000,
                  rule="must be a whole number from 3 to 1000")
    links.control("sweep_max", max(settings.batch_size, 64), options=state.BATCH_SIZES[2:])
    n = col_n.number_input("Architectures in the sweep", 3, 1000, key="sweep_n")
    top = col_top.select_slider("Largest batch size", state.BATCH_SIZES[2:], key="sweep_max",
                                help="Past B = 64 most NB201 neurons get a pattern of their own.")
    sizes = [2**i for i in range(1, top.bit_length()) if 2**i <= top]
    st.caption(f"B = {', '.join(map(str, sizes))}; {settings.input_words}; raw "
               "SWAP counts. Each architecture keeps its weights across the batch sizes: only B moves.")
    archs, truth, target = sweep_archs(settings, engine.clamp_archs(settings.space, int(n)))
    # Architecture by architecture across every B, so a stopped run still shows whole curves.
    jobs = [(dataclasses.replace(settings, batch_size=b), arch) for arch in archs for b in sizes]

    def live(partial: pd.DataFrame) -> None:
        st.plotly_chart(charts.batch_sweep(summarise(partial, truth, target, settings.seed, n_boot=100), target),
                        key=engine.live_key("sweep_chart"))

    ran = launch.run(jobs, key="sweep", what=f"{len(archs)} architectures at {len(sizes)} batch sizes",
                     label="Scoring across batch sizes", draw=live)
    if ran is None:
        return
    table, _ = ran
    if table.empty:
        st.info("No architecture scored yet: press Resume to start.")
        return
    summary = summarise(table, truth, target, settings.seed)
    show_chart(charts.batch_sweep(summary, target), "batch_size_sweep", summary, key="sweep_chart")
    st.caption("When the mean score meets the mean neuron count N, almost every neuron has its own pattern: "
               "the score then measures network size, not expressivity.")
    tied = summary[summary["at_bound"] >= 2]
    if len(tied):
        st.warning("**Ties at the bound.** " + "; ".join(
            f"B = {int(r.batch_size)}: {int(r.at_bound)} of {int(r.archs)} scores sit at "
            f"{ties.bound_text(table, int(r.batch_size))}" for r in tied.itertuples())
            + ". The batch cannot tell those networks apart, so they tie and SWAP cannot order them; where every "
            "score ties, Spearman is undefined and the table says so.", icon=":material/equal:")
    shown, formats = shown_summary(summary, table)
    st.dataframe(shown, hide_index=True, column_config=formats, key="sweep_summary")
    st.download_button("Download summary CSV", summary.to_csv(index=False), file_name="swap_batch_sweep.csv",
                       mime="text/csv")
    with st.expander("Every score"):
        st.dataframe(engine.readable(table), hide_index=True)


messages.guard(main)
