"""Correlation with accuracy: SWAP-Score against trained accuracy, with bootstrap confidence intervals.

mu and sigma re-weight the stored raw scores (no rescoring); picking a point opens it on the patterns page.
"""
import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import data, spaces
from ui import charts, engine, state

SIGMAS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 1_000_000]


def _sync_regularisation() -> None:
    """Page sliders write back to the sidebar's settings, so every page regularises the same way."""
    s = st.session_state
    s["regularize"], s["mu"], s["sigma"] = s["corr_reg"], float(s["corr_mu"]), float(s["corr_sigma"])


def regularisation_controls(params: pd.Series) -> state.Regularization:
    s = st.session_state
    mu_max = float(max(2 * params.max() / 1000, s["mu"], 1.0))
    s["corr_reg"], s["corr_mu"] = s["regularize"], float(s["mu"])
    s["corr_sigma"] = min(SIGMAS, key=lambda v: abs(np.log(v) - np.log(max(s["sigma"], 1e-3))))
    col_on, col_mu, col_sigma = st.columns([1, 2, 2])
    col_on.toggle("Regularise", key="corr_reg", on_change=_sync_regularisation)
    col_mu.slider("mu (thousand parameters)", 0.0, mu_max, key="corr_mu", on_change=_sync_regularisation,
                  disabled=not s["regularize"])
    col_sigma.select_slider("sigma", SIGMAS, key="corr_sigma", on_change=_sync_regularisation,
                            disabled=not s["regularize"])
    return state.regularization()


def open_on_patterns(space_name: str, arch: str) -> None:
    st.session_state[state.arch_key(space_name)] = arch
    st.switch_page("pages/patterns.py")


def main() -> None:
    settings = state.settings()
    space = spaces.get(settings.space)
    st.title("Correlation with accuracy")
    if space.benchmark is None:
        st.info(f"Search space {space.name} has no ground-truth table; pick another space in the sidebar.")
        return
    targets = data.targets(space.benchmark)
    rows = engine.benchmark_sample(space.benchmark, settings.n_archs, settings.seed)
    st.caption(f"{len(rows)} architectures drawn from the {space.benchmark} table (seed {settings.seed}), "
               f"B = {settings.batch_size} on {settings.input}.")
    target = st.selectbox("Ground truth", targets, key="corr_target")
    table, done = engine.run_jobs([(settings, arch) for arch in rows["arch"]], key="correlation",
                                  label="Scoring benchmark architectures")
    if table.empty:
        st.info("No architecture scored yet: press Resume to start.")
        return
    table = table.merge(rows[["arch", *targets]], on="arch", how="left")
    reg = regularisation_controls(table["params"])
    table["score"] = engine.regularize(table["raw_score"], table["params"], reg)
    known = table.dropna(subset=[target])
    if len(known) < 3:
        st.info("Need at least 3 scored architectures with ground truth for a correlation.")
        return

    swap = engine.correlate(tuple(known["score"]), tuple(known[target]), settings.seed)
    params_only = engine.correlate(tuple(known["params"].astype(float)), tuple(known[target]), settings.seed)
    if np.isnan(swap.spearman):
        st.warning("Every architecture got the same score (at its bound?), so rank correlation is undefined. "
                   "Try another batch size: the Batch-size sweep page shows where scores saturate.")
    cols = st.columns(4)
    cols[0].metric("Spearman", f"{swap.spearman:.3f}", help=f"95% CI {swap.spearman_ci[0]:.3f} .. "
                   f"{swap.spearman_ci[1]:.3f}")
    cols[1].metric("Kendall", f"{swap.kendall:.3f}", help=f"95% CI {swap.kendall_ci[0]:.3f} .. "
                   f"{swap.kendall_ci[1]:.3f}")
    cols[2].metric("top-10% precision", f"{swap.top_k_precision:.2f}")
    cols[3].metric("architectures", swap.n)
    if not done:
        st.caption("Partial results: the run was stopped before every architecture was scored.")
    summary = pd.DataFrame([_summary_row("SWAP" + (" (regularised)" if reg.on else ""), swap),
                            _summary_row("parameter count alone", params_only)])
    st.dataframe(summary, hide_index=True)

    st.caption("Click a point to open that architecture on the Activation patterns page.")
    event = st.plotly_chart(charts.score_vs_target(known, "score", target), key="corr_scatter",
                            on_select="rerun", selection_mode="points")
    points = event.selection.points if event and event.selection else []
    if points:
        open_on_patterns(space.name, _picked_arch(points[0], known))
    col_pick, col_open = st.columns([4, 1], vertical_alignment="bottom")
    pick = col_pick.selectbox("Or choose an architecture to open", known.sort_values("score")["arch"],
                              key="corr_pick")
    if col_open.button("Open on patterns page", key="corr_open"):
        open_on_patterns(space.name, pick)
    st.dataframe(table, hide_index=True)
    st.download_button("Download CSV", table.to_csv(index=False), file_name=f"swap_{space.name}_vs_{target}.csv",
                       mime="text/csv")


def _summary_row(name: str, c) -> dict:
    return {"proxy": name, "spearman": c.spearman, "spearman_lo": c.spearman_ci[0], "spearman_hi": c.spearman_ci[1],
            "kendall": c.kendall, "kendall_lo": c.kendall_ci[0], "kendall_hi": c.kendall_ci[1],
            "top_10pct_precision": c.top_k_precision, "n": c.n}


def _picked_arch(point: dict, table: pd.DataFrame) -> str:
    custom = point.get("customdata")
    if custom:
        return custom[0]
    return table["arch"].iloc[point["point_index"]]


engine.guard(main)
