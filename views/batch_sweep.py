"""Batch-size sweep: the same architectures at B = 2, 4, ...; where the score saturates at N, ranking dies."""
import dataclasses
import streamlit as st

from ui import links, messages, state  # light: no engine

st.title("Batch-size sweep")  # drawn at once; the imports below wait for the engine to load

import pandas as pd  # noqa: E402

from swap_engine import data, spaces  # noqa: E402
from ui import charts, engine, launch  # noqa: E402
from ui.export import show_chart  # noqa: E402


SUMMARY_WORDS = {"batch_size": "batch size B", "archs": "architectures", "mean_score": "mean SWAP-Score",
                 "mean_neurons": "mean neurons N", "mean_bound": "mean bound min(N, 2^B)",
                 "pattern_bound": "2^B (3^B ternary)", "spearman": "Spearman", "spearman_lo": "Spearman 95% CI low",
                 "spearman_hi": "Spearman 95% CI high"}


def bound_words(table: pd.DataFrame) -> dict[str, str]:
    """Column words with the pattern base these networks have: 3^B for GELU-like (ternary) ones, else 2^B."""
    base = "3^B" if table["ternary"].any() else "2^B"
    return {**SUMMARY_WORDS, "mean_bound": f"mean bound min(N, {base})", "pattern_bound": base}


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
               "pattern_bound": float(base) ** b}
        if truth is not None and target is not None:
            known = group.merge(truth[["arch", target]], on="arch").dropna(subset=[target])
            if len(known) >= 3:
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
    st.caption(f"B = {', '.join(map(str, sizes))}; {settings.input} inputs; raw SWAP counts.")
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
    st.dataframe(engine.readable(summary.rename(columns=bound_words(table))), hide_index=True)
    st.download_button("Download summary CSV", summary.to_csv(index=False), file_name="swap_batch_sweep.csv",
                       mime="text/csv")
    with st.expander("Every score"):
        st.dataframe(engine.readable(table), hide_index=True)


messages.guard(main)
