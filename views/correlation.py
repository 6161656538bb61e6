"""Correlation with accuracy: SWAP-Score against trained accuracy, with bootstrap confidence intervals.

Where a precomputed table covers the sidebar's setting (all 15,625 NB201 cells at the default one) the
sample is read from it, nothing is rescored, and the whole space's answer is shown beside the sample's.
mu and sigma re-weight the stored raw scores (no rescoring); picking a point opens it on the patterns page.
"""
import streamlit as st

from ui import links, messages, state  # light: no engine

st.title("Correlation with accuracy")  # drawn at once; the imports below wait for the engine to load

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from swap_engine import data, recipe, spaces  # noqa: E402
from swap_engine.columns import Column  # noqa: E402
from swap_engine.studies import split  # noqa: E402
from swap_engine.studies.alone import each_alone  # noqa: E402
from ui import charts, current, engine, launch, numbers, papers, tables, ties  # noqa: E402
from ui.export import show_chart  # noqa: E402

SIGMAS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 250_000, 1_000_000,
          2_500_000, 10_000_000]
WHOLE_BOOT = 200  # bootstrap resamples for whole-space intervals (they are narrow anyway)
FIT_MIN = 10  # architectures with ground truth needed to fit mu and sigma on one half, report on the other
MODES = {"fit": "fit mu and sigma on one half, report on the other half",
         "set": "use mu and sigma as set (the sliders, shared with the sidebar)"}


def _sync_regularisation() -> None:
    """Page controls write back to the sidebar's settings, so every page regularises the same way."""
    s = st.session_state
    state.set_regularization(s["corr_reg"], s.get("corr_mu"), s.get("corr_sigma"))


def _toggled() -> None:
    """Turned on here: mu and sigma are fitted on one half by default (the sidebar's own values, from a link
    or typed there, are kept as set)."""
    st.session_state["corr_reg_mode"] = "fit"
    _sync_regularisation()


def regularisation_controls(params: pd.Series, n_known: int) -> tuple[state.Regularization, str]:
    """The regularisation as set, and how mu and sigma are chosen: "fit" (on one half of the sample, the
    numbers then reported on the other) or "set" (the sliders, shared with the sidebar)."""
    s = st.session_state
    reg = state.regularization()
    mu = reg.mu if reg.on else float(np.median(params) / 1000)
    mu_max = float(max(2 * params.max() / 1000, mu, 1.0))
    sigma = reg.sigma if reg.on else float(2 * (params / 1000).var()) if len(params) > 1 else 1.0
    s["corr_reg"], s["corr_mu"] = reg.on, float(min(mu, mu_max))
    s["corr_sigma"] = min(SIGMAS, key=lambda v: abs(np.log(v) - np.log(max(sigma, 1e-3))))
    mode = s.get("corr_reg_mode", "set") if reg.on and n_known >= FIT_MIN else "set"
    col_on, col_mu, col_sigma = st.columns([1, 2, 2])
    col_on.toggle("Regularise", key="corr_reg", on_change=_toggled,
                  help="Multiply each score by exp(-(params/1000 - mu)^2 / sigma). Turned on here, mu and sigma "
                       "are fitted on one half of these architectures and the numbers come from the other half.")
    col_mu.slider("mu (thousand parameters)", 0.0, mu_max, key="corr_mu", on_change=_sync_regularisation,
                  disabled=not reg.on or mode == "fit")
    col_sigma.select_slider("sigma", SIGMAS, key="corr_sigma", on_change=_sync_regularisation,
                            disabled=not reg.on or mode == "fit", format_func=lambda v: f"{v:,}")
    if reg.on and n_known >= FIT_MIN:
        links.control("corr_reg_mode", "set", options=list(MODES))
        mode = st.radio("mu and sigma", list(MODES), key="corr_reg_mode", format_func=MODES.get, horizontal=True,
                        help="Fitting on the same architectures the Spearman is measured on would flatter it: "
                             "the fit sees one half, the numbers below come from the other.")
    return state.regularization(), mode


@st.cache_data(show_spinner="Fitting mu and sigma on one half ...", max_entries=32)
def fitted(raw: tuple[float, ...], params: tuple[float, ...], truth: tuple[float, ...], seed: int
           ) -> tuple[float, float]:
    """mu and sigma chosen on the fitting half of `Split.halves(len(raw), seed)` only."""
    return split.fit_regularization(split.Split.halves(len(raw), seed), np.array(raw), np.array(params, dtype=float),
                                    np.array(truth))


def _use_everywhere(mu: float, sigma: float) -> None:
    state.set_regularization(True, mu, sigma)
    st.session_state["corr_reg_mode"] = "set"


def _plain(value: float) -> str:
    """945,100 rather than 9.451e+05: mu and sigma as a reader types them into the sidebar."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def hurts_words(raw: float, regularised: float, reg: state.Regularization, mode: str) -> str:
    """Why a lower Spearman with regularisation, and what to try, in words."""
    words = (f"**Regularisation hurts here**: Spearman {numbers.correlation(raw)} without it, "
             f"{numbers.correlation(regularised)} with mu = "
             f"{_plain(reg.mu)} and sigma = {_plain(reg.sigma)}. The factor keeps the scores of networks near mu "
             "thousand parameters and shrinks the others', which here reorders them away from their accuracy. ")
    if mode == "fit":
        return words + ("What ranked best on the fitting half does not carry over to this half: on this few "
                        "architectures the fit follows noise. More architectures, or no regularisation.")
    return words + "Choose \"fit mu and sigma on one half\" to let the data choose them honestly, or turn it off."


def open_on_patterns(space_name: str, arch: str) -> None:
    state.open_architecture(space_name, arch)
    st.switch_page("views/patterns.py")


def scatter(known: pd.DataFrame, target: str, mark: str | None, key: str):
    figure = charts.score_vs_target(known, "score", target)
    figure.update_layout(xaxis_title="SWAP-Score", yaxis_title=engine.column_label(target))
    mine = known[known["arch"] == mark] if mark else known.iloc[:0]
    if len(mine):
        engine.mark_point(figure, float(mine["score"].iloc[0]), float(mine[target].iloc[0]))
    return figure, bool(len(mine))


def main() -> None:
    settings = state.settings()
    space = spaces.get(settings.space)
    if space.benchmark is None:
        st.info(f"Search space {space.name} has no ground-truth table; pick another space in the sidebar.")
        return
    targets = data.targets(space.benchmark)
    links.control("corr_target", targets[0], options=targets)
    target = st.selectbox("Ground truth", targets, key="corr_target", format_func=engine.column_label)
    whole = engine.precomputed(settings)
    mark = current.arch(settings)
    if whole is not None and target in whole:
        sample = whole.dropna(subset=[target]).sample(n=min(settings.n_archs, len(whole)),
                                                       random_state=settings.seed)
        mine = whole[whole["arch"] == mark[0]].head(1)
        added = mark[0] not in set(sample["arch"]) if len(mine) else None
        table = pd.concat([mine, sample[sample["arch"] != mark[0]]]).head(len(sample)).reset_index(drop=True)
        done = True
        source = f"all {len(whole):,} of {space.name} (seed {settings.seed})"
        st.caption(f"{current.count_words(len(table), source, added)}. Their scores come from the precomputed "
                   "table for this setting "
                   f"(B = {settings.batch_size} on {settings.input_words}), so nothing is rescored.")
    else:
        rows = engine.benchmark_sample(space.benchmark, settings.n_archs, settings.seed)
        if len(rows) < settings.n_archs:
            st.caption(f"The {space.benchmark} table holds only {len(rows)} architectures; using all of them.")
        drawn = list(rows["arch"])
        bench = tables.benchmark(space.benchmark)
        mine = bench[bench["arch"] == mark[0]].head(1)
        added = mark[0] not in drawn if len(mine) else None
        archs = current.first(drawn, mark[0] if len(mine) else None)  # scored first: a stopped run marks it
        rows = pd.concat([rows, mine]) if added else rows
        source = f"the {space.benchmark} table (seed {settings.seed})"
        st.caption(f"{current.count_words(len(archs), source, added)}, "
                   f"B = {settings.batch_size} on {settings.input_words}."
                   + (" The current architecture is not in this table (no ground truth), so it is not marked."
                      if mark[0] is not None and added is None else ""))
        truth = rows[["arch", *targets]].drop_duplicates("arch")

        def live(partial: pd.DataFrame) -> None:
            known = partial.merge(truth, on="arch", how="left").dropna(subset=[target])
            if len(known):
                known = known.assign(score=known["raw_score"])
                st.plotly_chart(scatter(known, target, mark[0], "")[0], key=engine.live_key("corr_scatter"))

        ran = launch.run([(settings, arch) for arch in archs], key="correlation",
                         what=f"{len(archs)} architectures", label="Scoring benchmark architectures", draw=live)
        if ran is None:
            return
        table, done = ran
        if table.empty:
            st.info("No architecture scored yet: press Resume to start.")
            return
        table = table.merge(truth, on="arch", how="left")
    known = table.dropna(subset=[target])
    reg, mode = regularisation_controls(table["params"], len(known))
    reported = known
    if mode == "fit":
        halves = split.Split.halves(len(known), settings.seed)
        fit_rows, report_rows = halves.fit, halves.report
        reg = state.Regularization(True, *fitted(tuple(known["raw_score"]), tuple(known["params"]),
                                                 tuple(known[target]), settings.seed))
        reported = known.iloc[report_rows]
        col_words, col_use = st.columns([4, 1], vertical_alignment="center")
        col_words.caption(f"mu = {_plain(reg.mu)} and sigma = {_plain(reg.sigma)} rank {len(fit_rows)} of these "
                          f"architectures best; every number below is on the other {len(report_rows)}, which the "
                          "fit never saw.")
        col_use.button("Use them on every page", key="corr_use_fit", on_click=_use_everywhere,
                       args=(reg.mu, reg.sigma))
    table["score"] = engine.regularize(table["raw_score"], table["params"], reg)
    engine.warn_if_crushed(table["params"], reg)
    known = table.dropna(subset=[target])
    reported = known.loc[reported.index]
    if len(reported) < 3:
        st.info("Need at least 3 scored architectures with ground truth for a correlation.")
        return

    swap = engine.correlate(tuple(reported["score"]), tuple(reported[target]), settings.seed)
    params_only = engine.correlate(tuple(reported["params"].astype(float)), tuple(reported[target]), settings.seed)
    plain = engine.correlate(tuple(reported["raw_score"]), tuple(reported[target]), settings.seed) if reg.on else None
    tied = ties.words(reported, settings.batch_size)
    if np.isnan(swap.spearman):  # every score tied: one message, with the reason
        why = ties.no_spearman(reported["score"], reported[target], settings.batch_size, reported)
        st.warning(f"No rank correlation here: {why or 'the scores do not vary'}. Try another batch size: the "
                   "Batch-size sweep page shows where scores saturate.", icon=":material/equal:")
    elif tied:
        st.warning(tied, icon=":material/equal:")
    cols = st.columns(4)
    cols[0].metric("Spearman", numbers.correlation(swap.spearman),
                   help=f"95% CI {numbers.interval(*swap.spearman_ci)}")
    cols[1].metric("Kendall", numbers.correlation(swap.kendall), help=f"95% CI {numbers.interval(*swap.kendall_ci)}")
    cols[2].metric("top-10% precision", numbers.correlation(swap.top_k_precision))
    cols[3].metric("architectures", f"{swap.n:,}")
    if not done:
        st.caption("Partial results: the run was stopped before every architecture was scored.")
    name = "SWAP" + (" (regularised)" if reg.on else "")
    if plain is not None and np.isfinite([plain.spearman, swap.spearman]).all() \
            and swap.spearman < plain.spearman - 0.01:
        st.warning(hurts_words(plain.spearman, swap.spearman, reg, mode), icon=":material/trending_down:")
    rows = [_summary_row(name, swap), *([_summary_row("SWAP without regularisation", plain)] if plain else []),
            _summary_row("parameter count alone", params_only)]
    summary = pd.DataFrame(rows)
    st.dataframe(summary, hide_index=True)
    if np.isfinite(swap.spearman):
        st.markdown(interpretation(name, swap, params_only))
    if whole is not None and target in whole:
        st.markdown(whole_space_words(whole, target, reg, settings.seed, name))
    atlas_words(space.name, target, settings.seed)

    st.caption("Click a point to open that architecture on the Activation patterns page.")
    figure, marked = scatter(known, target, mark[0], "corr_scatter")
    event = show_chart(figure, "score_vs_accuracy", known, key="corr_scatter", on_select="rerun",
                       selection_mode="points")
    if marked:
        st.caption(current.caption(mark[1], "Star"))
    points = event.selection.points if event and event.selection else []
    if points:
        picked = _picked_arch(points[0], known)
        if picked is not None:
            open_on_patterns(space.name, picked)
    col_pick, col_open = st.columns([4, 1], vertical_alignment="bottom")
    pick = col_pick.selectbox("Or choose an architecture to open", known.sort_values("score")["arch"],
                              key="corr_pick")
    if col_open.button("Open on patterns page", key="corr_open"):
        open_on_patterns(space.name, pick)
    shown = table.drop(columns=[c for c in ("unique_string", "nb201_index") if c in table])
    st.dataframe(engine.readable(shown), hide_index=True)
    st.download_button("Download CSV", table.to_csv(index=False), file_name=f"swap_{space.name}_vs_{target}.csv",
                       mime="text/csv")


def interpretation(name: str, swap, params_only) -> str:
    """What the sample's numbers mean, in plain words."""
    lo, hi = swap.spearman_ci
    width = hi - lo
    words = (f"**Reading this.** On these {swap.n:,} architectures {name} ranks them with Spearman "
             f"{numbers.correlation(swap.spearman)}; the 95 % interval {numbers.interval(lo, hi)} says where the "
             "value for the whole space plausibly lies, judging from this sample alone. ")
    if width > 0.3:
        words += (f"An interval {numbers.correlation(width)} wide means the sample is too small to tell: a rerun "
                  "with another seed could give a very different number. More architectures narrow it (roughly, "
                  "four times as many halve it). ")
    else:
        words += "The interval is narrow, so another sample of this size would give a similar value. "
    p_lo, p_hi = params_only.spearman_ci
    if lo > p_hi:
        words += (f"SWAP beats the parameter count alone ({numbers.correlation(params_only.spearman)}) beyond the "
                  "intervals' overlap.")
    elif hi < p_lo:
        words += f"Here the parameter count alone ({numbers.correlation(params_only.spearman)}) ranks better than SWAP."
    else:
        words += (f"The parameter count alone gives {numbers.correlation(params_only.spearman)}; the intervals "
                  "overlap, so this "
                  "sample cannot say which ranks better.")
    return words


def whole_space_words(whole: pd.DataFrame, target: str, reg: state.Regularization, seed: int, name: str) -> str:
    known = whole.dropna(subset=[target])
    score = engine.regularize(known["raw_score"], known["params"], reg)
    swap = engine.correlate(tuple(score), tuple(known[target]), seed, n_boot=WHOLE_BOOT)
    params_only = engine.correlate(tuple(known["params"].astype(float)), tuple(known[target]), seed,
                                   n_boot=WHOLE_BOOT)
    return (f"**What the whole space says.** Over all {swap.n:,} architectures, {name} has Spearman "
            f"{numbers.correlation(swap.spearman)} (95 % CI {numbers.interval(*swap.spearman_ci)}) against "
            f"{engine.column_label(target)}, and the parameter count alone "
            f"{numbers.correlation(params_only.spearman)}. "
            "That is the answer the sample above estimates.")


def atlas_names(space_name: str) -> list[str]:
    """The atlases of this space's benchmark that this installation ships, from the atlas specs (DARTS: the full
    network's and the SWAP authors' proxy network's)."""
    from swap_engine import atlas

    space = spaces.get(space_name)
    here = set(atlas.available())
    return [name for name in atlas.of_space(space.name, space.benchmark) if name in here]


def atlas_words(space_name: str, target: str, seed: int) -> None:
    """Other zero-cost proxies over the whole space, from each proxy atlas of the space installed here."""
    from swap_engine import atlas

    found = {name: atlas_correlations(name, target, seed) for name in atlas_names(space_name)}
    shown = {name: rows for name, rows in found.items() if rows is not None and len(rows)}
    if shown:
        with st.expander("Every proxy over the whole space (proxy atlas)"):
            for name, rows in shown.items():
                if len(shown) > 1:
                    st.caption(atlas.spec(name).title)
                st.dataframe(rows, hide_index=True, column_config={
                    c: st.column_config.NumberColumn(c, format="%.3f") for c in ("Spearman", "Kendall")})
    for name in shown:
        newest = atlas_newest(name, target)
        if newest is None or newest.empty:
            continue
        st.markdown("**The newest label-free proxies and rules, ours beside the papers'**"
                    + (f" ({atlas.spec(name).title})" if len(shown) > 1 else ""))
        st.dataframe(papers.shown(newest), hide_index=True, key=f"correlation_newest_{name}")
        st.caption(f"MeCo, L-SWAG and VKDNW alone and the fixed rules AZ-NAS and VKDNW_agg, over every cell of the "
                   f"benchmark this atlas measures, with {engine.column_label(target)}; a blank: not measured here "
                   "yet, or no paper gives one. None reads a label. " + papers.notes(newest))


@st.cache_data(show_spinner="Correlating the proxy atlas ...", max_entries=8)
def atlas_correlations(atlas_name: str, target: str, seed: int) -> pd.DataFrame | None:
    """Each proxy of atlas `atlas_name` alone: Spearman and Kendall with `target` over the cells where both are
    finite (no bootstrap; `studies.alone`): computed once per setting, since a whole atlas is about a hundred
    columns of 15,625 cells and the page reruns on every click. `seed`: part of the setting, no draw uses it."""
    try:
        frame = tables.atlas(atlas_name)
    except data.MissingDataError:  # the atlas's own table is not here: the page works without the panel
        return None
    if target not in frame.attrs.get("targets", ()) or target not in frame:
        return None
    table = each_alone(frame, [target], rule=recipe.NonFinite.DROP, kendall=True)
    table = table[table["cells"] >= 3]
    rows = [{"proxy": f"{parsed.stem} at B = {parsed.batch}" if parsed.batch is not None else parsed.stem,
             "architectures": int(cells), "Spearman": round(rho, 3), "Kendall": round(tau, 3)}
            for parsed, cells, rho, tau in zip(map(Column.parse, table["column"]), table["cells"], table["spearman"],
                                               table["kendall"])]
    return pd.DataFrame(rows).sort_values("Spearman", ascending=False) if rows else None


@st.cache_data(show_spinner=False, max_entries=8)
def atlas_newest(atlas_name: str, target: str) -> pd.DataFrame | None:
    """The newest proxies and fixed rules on atlas `atlas_name`, ours beside the papers' (`ui.papers.table`, -inf
    ranked last as the studies read it); None where the atlas or the target is not here."""
    from swap_engine import atlas

    try:
        frame = tables.atlas(atlas_name)
    except data.MissingDataError:
        return None
    if target not in frame:
        return None
    return papers.table(frame, atlas.spec(atlas_name).benchmark, target, recipe.NonFinite.LAST)


def _summary_row(name: str, c) -> dict:
    """One proxy's numbers as text in `ui.numbers`' one format (0.720; "undefined" where scores all tie)."""
    return {"proxy": name, "Spearman": numbers.correlation(c.spearman),
            "Spearman 95% CI": numbers.interval(*c.spearman_ci, missing="undefined (equal scores)"),
            "Kendall": numbers.correlation(c.kendall),
            "Kendall 95% CI": numbers.interval(*c.kendall_ci, missing="undefined (equal scores)"),
            "top-10% precision": numbers.correlation(c.top_k_precision), "architectures": c.n}


def _picked_arch(point: dict, table: pd.DataFrame) -> str | None:
    custom = point.get("customdata")
    if custom:
        return custom[0]
    if point.get("curve_number", 0) != 0:  # the current-architecture star
        return None
    return table["arch"].iloc[point["point_index"]]


messages.guard(main)
