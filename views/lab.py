"""Proxy lab: every proxy of the NB201 atlas on the whole space, compared and combined live.

Pick a ground truth, any proxies and an aggregation; the recipe's Spearman, Kendall and top-k precision
come with bootstrap intervals, over every cell the atlas covers, next to what a search of 100 cells with it
can expect. Picking a cell opens it on the
Activation patterns page.
"""
import numpy as np
import pandas as pd
import streamlit as st

from swap_engine import spaces
from swap_engine import recipe as recipes
from swap_engine.studies import recipe_study
from ui import lab, messages, state
from ui.export import show_chart

DATASETS = {"CIFAR-10": "cifar10", "CIFAR-100": "cifar100", "ImageNet16-120": "imagenet16"}
AGGREGATIONS = {"log_rank": "sum of log ranks (AZ-NAS)", "mean_rank": "mean of normalised ranks",
                "single": "first proxy alone"}
DEFAULT_PROXIES = ["swap_b16", "params"]
MY_CHOICE = "(the choices above)"


def open_on_patterns(arch: str) -> None:
    st.session_state[state.arch_key("nb201")] = arch
    st.switch_page("views/patterns.py")


def build_recipe(chosen: list[str], method: str, regularize) -> recipes.Recipe:
    terms = tuple(recipes.Term(c, regularize=regularize if regularize is not None and c.startswith("swap") else None)
                  for c in (chosen[:1] if method == "single" else chosen))
    return recipes.Recipe(terms, "log_rank" if method == "single" else method)


def controls(frame: pd.DataFrame) -> tuple[str, recipes.Recipe, float, int]:
    columns = recipes.proxy_columns(frame)
    col_data, col_split, col_k, col_boot = st.columns([2, 1, 2, 1])
    dataset = col_data.selectbox("Ground truth", list(DATASETS), key="lab_dataset")
    split = col_split.radio("Split", ["test", "valid"], key="lab_split", horizontal=True)
    target = f"{DATASETS[dataset]}_{split}_acc_pct"
    top_k = col_k.slider("top-k precision: best fraction", 0.01, 0.5, 0.10, 0.01, key="lab_topk")
    n_boot = col_boot.selectbox("Bootstrap resamples", [0, 100, 200, 500], index=1, key="lab_boot",
                                help="95 % percentile intervals; 0 shows point estimates only")
    col_proxies, col_agg = st.columns([3, 2])
    chosen = col_proxies.multiselect("Proxies and variants (atlas columns)", columns,
                                     default=[c for c in DEFAULT_PROXIES if c in columns], key="lab_proxies")
    method = col_agg.selectbox("Aggregation", list(AGGREGATIONS), format_func=AGGREGATIONS.get, key="lab_method")
    col_reg, col_rule, col_mu, col_sigma = st.columns([2, 2, 1, 1])
    regularise = col_reg.toggle("Regularise SWAP by size", key="lab_reg",
                                help="Every SWAP column x exp(-(params/1000 - mu)^2 / sigma), before ranking: "
                                     "the paper's penalty on cells far from a parameter count mu")
    rule = col_rule.radio("mu and sigma", ["max", "median", "custom"], key="lab_rule", horizontal=True,
                          disabled=not regularise,
                          help="max / median: mu = the largest / median parameter count of the space (thousands), "
                               "sigma = 2 x their variance; chosen without any accuracy")
    mu = col_mu.number_input("mu", value=1000.0, key="lab_mu", disabled=not (regularise and rule == "custom"))
    sigma = col_sigma.number_input("sigma", value=1e6, min_value=1e-3, key="lab_sigma",
                                   disabled=not (regularise and rule == "custom"))
    named = recipes.named_recipes(frame)
    col_named, col_typed = st.columns([2, 3])
    col_named.selectbox("Or start from a known recipe", [MY_CHOICE, *named], key="lab_named",
                        on_change=lambda: st.session_state.update(lab_text=named.get(st.session_state.lab_named, "")),
                        help="AZ-NAS: the field's best published zero-shot ranking of NB201, its proxies measured "
                             "here under the atlas's settings; the project's recipes come from the study in "
                             "docs/results.md")
    typed = col_typed.text_input("Or type a recipe (overrides the choices above)", key="lab_text",
                                 placeholder="log_rank:2*swap_b16+params+naswot_b64   or   swap_b16@reg=max")
    if typed.strip():
        recipe = recipes.Recipe.parse(typed)
    else:
        if not chosen:
            raise ValueError("choose at least one proxy")
        reg = None if not regularise else (rule if rule != "custom" else (float(mu), float(sigma)))
        recipe = build_recipe(chosen, method, reg)
    return target, recipe, top_k, int(n_boot)


def summary(recipe: recipes.Recipe, target: str, top_k: float, n_boot: int, frame: pd.DataFrame) -> None:
    c = lab.correlation(recipe.text(), target, top_k, n_boot)
    measured = int(np.isfinite(lab.scores(recipe.text())).sum())

    def ci(lo: float, hi: float) -> str | None:
        return None if np.isnan(lo) else f"95 % CI {lo:.3f} .. {hi:.3f}"

    cols = st.columns(5)
    cols[0].metric("Spearman", f"{c.spearman:.3f}", help=ci(*c.spearman_ci))
    cols[1].metric("Kendall", f"{c.kendall:.3f}", help=ci(*c.kendall_ci))
    cols[2].metric(f"top-{top_k:.0%} precision", f"{c.top_k_precision:.2f}")
    budget = recipes.SEARCH_BUDGET
    best, floor, oracle = lab.best_of_budget(recipe.text(), target)
    cols[3].metric(f"best of {budget} random cells", "–" if np.isnan(best) else f"{best:.2f} %",
                   help=f"What a search with this recipe as fitness and a budget of {budget} is after: the "
                        f"{lab.TARGET_LABELS.get(target, target)} of the best-scored of {budget} random cells, "
                        f"in expectation (exact, not drawn). A random cell: {floor:.2f} %; the same draw ranked "
                        f"by the accuracy itself: {oracle:.2f} %. A recipe can rank well overall (Spearman) and "
                        "still pick poor top cells, or the reverse.")
    cols[4].metric("cells", f"{c.n:,}")
    if n_boot:
        st.caption(f"`{recipe.text()}` against {lab.TARGET_LABELS.get(target, target)}: Spearman "
                   f"{c.spearman:.3f} [{c.spearman_ci[0]:.3f}, {c.spearman_ci[1]:.3f}], Kendall {c.kendall:.3f} "
                   f"[{c.kendall_ci[0]:.3f}, {c.kendall_ci[1]:.3f}] ({n_boot} bootstrap resamples of the cells).")
    if measured < len(frame):
        st.info(f"The atlas measures this recipe on {measured:,} of {len(frame):,} cells (the rest of its columns "
                "are still being computed): the numbers above are over those cells. Score any other cell live "
                "at the bottom of the page.")


def scatter(recipe: recipes.Recipe, target: str, frame: pd.DataFrame) -> None:
    fig, table = lab.rank_scatter(frame, lab.scores(recipe.text()), target, recipe.text())
    st.caption("Click a cell (or box-select one) to open it on the Activation patterns page.")
    event = show_chart(fig, "lab_rank_scatter", table, key="lab_scatter", on_select="rerun",
                       selection_mode=("points", "box"))
    points = event.selection.points if event and event.selection else []
    if points:
        custom = points[0].get("customdata")
        arch = custom[0] if custom else table["arch"].iloc[points[0]["point_index"]]
        open_on_patterns(arch)


def heatmap_and_cost(frame: pd.DataFrame, target: str) -> None:
    columns = tuple(recipes.proxy_columns(frame))
    target_columns = tuple(lab.targets(frame))
    matrix = lab.spearman_matrix(columns, target_columns)
    cells = frame[list(columns)].notna().sum()
    show_chart(lab.correlation_heatmap(matrix, cells), "lab_proxy_dataset_heatmap",
               matrix.assign(cells=cells).reset_index(names="proxy"), key="lab_heatmap")
    costs = [{"proxy": c, "seconds per cell": float(np.nanmean(frame[cost])), "spearman": float(matrix.loc[c, target])}
             for c in columns for cost in [recipe_study.cost_column(c)]
             if cost in frame.columns and frame[cost].notna().any()
             and (cost == f"{c}_seconds" or not c.startswith("swap"))]  # one point per SWAP pass, not per variant
    if costs:
        table = pd.DataFrame(costs)
        show_chart(lab.cost_scatter(table, target), "lab_cost_vs_correlation", table, key="lab_cost")
    else:
        st.info("This atlas has no timing columns yet, so cost against correlation cannot be drawn.")


def favoured_ops(recipe: recipes.Recipe, target: str, frame: pd.DataFrame) -> None:
    values = lab.scores(recipe.text())
    truth = frame[target].to_numpy(dtype=float)
    both = ~np.isnan(values) & ~np.isnan(truth)
    fraction = 0.05
    by_proxy = frame["arch"].to_numpy()[lab.top_cells(np.where(both, values, np.nan), fraction)]
    by_truth = frame["arch"].to_numpy()[lab.top_cells(np.where(both, truth, np.nan), fraction)]
    shares = lab.edge_op_share(pd.Series(by_proxy)), lab.edge_op_share(pd.Series(by_truth))
    table = pd.concat({"proxy": shares[0], "accuracy": shares[1]}).reset_index(names=["top set", "operation"])
    show_chart(lab.edge_op_heatmaps(*shares, recipe.text(), fraction), "lab_edge_op", table, key="lab_edge_op")
    overlap = len(np.intersect1d(by_proxy, by_truth)) / max(len(by_truth), 1)
    st.caption(f"{len(by_proxy):,} cells in each top set; {overlap:.0%} of the accuracy's top set is in the "
               "proxy's. Positive differences: what the proxy favours beyond what accuracy rewards.")


def bounds(frame: pd.DataFrame) -> None:
    table = lab.at_bound(frame)
    if table.empty:
        st.info("No SWAP column in the atlas yet.")
        return
    show_chart(lab.bound_bars(table), "lab_swap_bound", table, key="lab_bound")
    st.caption("N is the number of neurons SWAP counts. Scores close to the bound all but tie, so the proxy "
               "cannot order those cells: at B = 8 almost every cell is there. A larger batch lifts the bound "
               "(2^B) until it is N itself.")


def live_cell(recipe: recipes.Recipe, frame: pd.DataFrame) -> None:
    from swap_engine.studies.recipe_fitness import RecipeFitness

    st.subheader("One cell, looked up or scored live")
    space = spaces.get("nb201")
    text = st.text_input("NB201 cell", key="lab_cell", placeholder=frame["arch"].iloc[0])
    if not text.strip():
        return
    arch = space.parse(text.strip())
    canonical = space.format(arch)
    row = frame[frame["arch"] == canonical]
    known = {c: float(row[c].iloc[0]) for c in recipe.columns() if not row.empty and np.isfinite(row[c].iloc[0])}
    missing = [c for c in recipe.columns() if c not in known]
    if not missing:
        st.success("In the atlas: " + ", ".join(f"{c} = {v:,.6g}" for c, v in known.items()))
    else:
        st.warning(f"The atlas lacks {', '.join(missing)} for this cell.")
        if st.button("Score it live", key="lab_score_live"):
            fitness = _fitness(recipe.text())
            with st.status("Scoring live ...", expanded=True) as status:
                bar = st.progress(0.0)
                values = {}
                for i, column in enumerate(recipe.columns()):
                    single = RecipeFitness(space, column, fitness.frame)
                    values[column] = single.measure(arch)[column]
                    bar.progress((i + 1) / len(recipe.columns()), text=f"{column} = {values[column]:,.6g}")
                status.update(label="Scored live", state="complete")
            st.metric("recipe score (ranked against the atlas)", f"{fitness.combine(values):.4g}")
    if st.button("Open on the Activation patterns page", key="lab_open_cell"):
        open_on_patterns(canonical)


@st.cache_resource(show_spinner=False, max_entries=16)
def _fitness(text: str):
    from swap_engine.studies.recipe_fitness import RecipeFitness

    return RecipeFitness(spaces.get("nb201"), text, lab.atlas())


def main() -> None:
    st.title("Proxy lab")
    frame = lab.atlas()
    source = frame.attrs.get("source", "?")
    st.caption(f"Every NB201 cell ({len(frame):,}) from {source}; settings: first CIFAR-10 training "
               "images, train mode, every model built from torch.manual_seed(0).")
    if not lab.targets(frame):
        st.warning("The NB201 ground-truth table is not on this machine; fetch it on the About / data page.")
        return
    if state.settings().space != "nb201":
        st.caption("The lab shows NB201 whatever the sidebar's space; cells open on the patterns page as NB201.")
    target, recipe, top_k, n_boot = controls(frame)
    summary(recipe, target, top_k, n_boot, frame)
    scatter(recipe, target, frame)
    st.subheader("All proxies, all datasets")
    heatmap_and_cost(frame, target)
    st.subheader("What the recipe favours")
    favoured_ops(recipe, target, frame)
    st.subheader("SWAP at its bound")
    bounds(frame)
    live_cell(recipe, frame)
    with st.expander("Coverage of the atlas"):
        coverage = pd.DataFrame({"column": recipes.proxy_columns(frame)})
        coverage["cells measured"] = [int(frame[c].notna().sum()) for c in coverage["column"]]
        st.dataframe(coverage, hide_index=True)


messages.guard(main)
