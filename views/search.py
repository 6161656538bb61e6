"""Search: SWAP-guided regularised evolution, watched live; stop any time, export the history."""

import streamlit as st

from ui import links, state  # light: no engine

st.title("Search")  # drawn at once; the imports below wait for the engine to load

import pandas as pd  # noqa: E402

from swap_engine import data, search, spaces  # noqa: E402
from ui import charts, engine, labels, messages, resume, search_start, tables  # noqa: E402

REFRESH_SECONDS = 0.5  # how often the live chart redraws during a search
# The search's whole-number settings: widget key, default, lowest, highest.
NUMBERS = [("search_budget", 100, 1, 100_000), ("search_population", 20, 2, 1000), ("search_sample", 5, 1, 1000),
           ("search_mutations", 1, 1, 10)]


def _target(space) -> str | None:
    if space.benchmark is None:
        return None
    try:
        targets = data.targets(space.benchmark)
        links.control("search_target", targets[0], options=targets)
        return st.selectbox("Ground truth to watch", targets, key="search_target",
                            format_func=labels.words,
                            help="Only shown beside the search: the fitness never sees it.")
    except data.MissingDataError:
        return None


def _true_values(space, target: str | None) -> dict[str, float]:
    if target is None:
        return {}
    try:
        return engine.ground_truth(space.name, target)[1]
    except data.MissingDataError as err:
        messages.show_missing(err)
        return {}


def history_table(job: dict, truth: dict[str, float], target: str | None) -> pd.DataFrame:
    table = pd.DataFrame([vars(r) for r in job["search"].history.records],
                         columns=["step", "arch", "score", "raw", "params", "seconds", "cached", "error"])
    if target is not None:
        table[target] = table["arch"].map(truth)
    # Which new architecture each step evaluated (what the budget counts); empty for a revisit.
    new = ~table["cached"].astype(bool)
    table.insert(1, "evaluation", new.cumsum().where(new).astype("Int64"))
    return table


def shown_history(table: pd.DataFrame, fitness: str = "") -> pd.DataFrame:
    """The history as a reader sees it: words for column names, no empty cells that read 'None'.

    `fitness`: the recipe that scored the cells, if not live SWAP (then there is no raw SWAP count)."""
    shown = table.assign(params=table["params"].astype("Int64"), error=table["error"].fillna(""),
                         seconds=table["seconds"].round(3))
    if not shown["error"].astype(bool).any():
        shown = shown.drop(columns="error")
    if shown["raw"].isna().all():
        shown = shown.drop(columns="raw")
    names = {c: charts_label(c) for c in shown.columns}
    if fitness:
        names["score"] = f"fitness ({fitness})"
    return shown.rename(columns=names)


def charts_label(column: str) -> str:
    return {"raw": "raw SWAP count", "params": "parameters", "seconds": "seconds", "cached": "already scored",
            "error": "failed: why", "evaluation": "new architecture no."}.get(column, engine.column_label(column))


def start(settings: state.Settings, reg: state.Regularization, options: dict,
          history: search.History | None = None) -> None:
    """A new search (or one that replays a saved `history` and continues it) becomes the page's job."""
    st.session_state["search_job"] = {
        "search": new_search(settings, reg, options, history),
        "budget": options["budget"], "running": True, "stopped_by": None, "setup": (settings, reg),
        "fitness": options.get("fitness") or "",
    }


def new_search(settings: state.Settings, reg: state.Regularization, options: dict,
               history: search.History | None = None) -> search.Search:
    space = spaces.get(settings.space)
    if options.get("fitness"):  # a proxy or recipe over the atlas (swap_engine.studies.recipe_fitness), else live SWAP
        from swap_engine.studies.recipe_fitness import RecipeFitness

        fitness = RecipeFitness(space, options["fitness"], device=settings.device)
    else:
        fitness = engine.AppFitness(settings, reg)
    return search.Search(space, fitness, population=options["population"],
                         sample_size=min(options["sample_size"], options["population"]),
                         mutations=options["mutations"], crossover=options["crossover"], seed=settings.seed,
                         history=history)


def resume_upload(settings: state.Settings, reg: state.Regularization, options: dict, upload) -> None:
    """Resume the uploaded history; one made with other settings is offered a switch to them, in words."""
    try:
        history = search.History.loads(upload.getvalue().decode("utf-8"))
        differ = resume.differences(history.settings, new_search(settings, reg, options).settings)
        if not differ:
            start(settings, reg, options, history)
    except (ValueError, UnicodeDecodeError) as err:
        messages.error(err, prefix="Cannot resume from this file: ")
        return
    if not differ:
        st.rerun()
    from swap_engine import device as devices

    missing = resume.unmet(history.settings, devices.available_devices())
    st.warning("This history was saved with other settings, and a search resumes only with its own: "
               + "; ".join(differ) + ".", icon=":material/tune:")
    if missing:
        st.caption("This machine cannot take all of them: " + "; ".join(missing) + ".")
        return
    st.button("Switch to the file's settings and resume", key="search_use_file", type="primary",
              on_click=resume.use_file_settings, args=(history.settings,),
              help="Sets the sidebar and the search options above to the file's, then replays it.")


def draw(job: dict, truth: dict, target: str | None, boxes: dict) -> None:
    """Fill the placeholders: best so far, the live chart, and the best cell (redrawn as the search runs)."""
    table = history_table(job, truth, target)
    if table.empty:
        return
    draws = st.session_state["search_draws"] = st.session_state.get("search_draws", 0) + 1  # unique chart keys
    best = job["search"].best
    failures = job["search"].failures
    with boxes["best"].container():
        cols = st.columns(4)
        cols[0].metric("evaluations", f"{job['search'].evaluations} / {job['budget']}",
                       help="New architectures scored: what the budget counts. A revisit costs nothing.")
        recipe = job.get("fitness", "")
        shown = "none yet" if best is None else f"{best.score:.4g}" if recipe else _score_text(best.score)
        cols[1].metric("best fitness" if recipe else "best score", shown,
                       help=f"{recipe}: higher is better" if recipe else None)
        if target is not None and best is not None and best.arch in truth:
            cols[2].metric(f"its true {engine.column_label(target)}", f"{truth[best.arch]:.2f}")
        cols[3].metric("failed evaluations", len(failures),
                       help="Architectures that could not be scored: recorded with their error and skipped.")
        if best is not None:
            st.code(best.arch, language=None)
        st.caption(steps_words(table))
    if best is None:
        return
    # against new architectures, as the metric and the budget count them (a revisit adds nothing new)
    figure = charts.search_progress(table[table["evaluation"].notna()], "score", target,
                                    score_label="fitness" if job.get("fitness") else None)
    boxes["chart"].plotly_chart(figure, key=f"search_chart_{draws}")
    space = job["search"].space
    edges = space.graph(space.parse(best.arch))
    if edges:
        with boxes["cell"].container():
            st.subheader("Best architecture so far")
            figures = charts.cell_graphs(edges, space.name)
            for i, (column, figure) in enumerate(zip(st.columns(len(figures)), figures)):
                column.plotly_chart(figure, key=f"search_cell_{draws}_{i}")


def _score_text(score: float) -> str:
    """A SWAP count as the whole number it is; a regularised score to one decimal."""
    return f"{score:,.0f}" if float(score).is_integer() else f"{score:,.1f}"


def steps_words(table: pd.DataFrame) -> str:
    """The history's steps, new architectures and revisits, in words (the table, chart and CSV say the same)."""
    revisits = int(table["evaluation"].isna().sum())
    new = len(table) - revisits
    if not revisits:
        return f"{len(table)} steps, each a new architecture."
    again = (f"{revisits} revisits of architectures evaluated before, which cost" if revisits > 1
             else "1 revisit of an architecture evaluated before, which costs")
    return (f"{len(table)} steps: {new} new architectures evaluated (the budget counts these; the chart shows "
            f"them) and {again} nothing (\"already scored\" in the table and the CSV).")


def start_words(settings: state.Settings, options: dict) -> tuple[tuple[str, str], bool]:
    """(the start button's label, a caption saying where its time comes from) and whether the search is refused:
    a model over the memory limit (or a bad option) is said here, before the start, not in every evaluation."""
    budget = options["budget"]
    if options.get("fitness"):
        return (f"Start new search ({budget:,} look-ups, a few seconds)",
                "The fitness is read from the atlas; a cell outside it is scored live, which takes longer."), False
    refused = search_start.refusal(settings)
    if refused:
        messages.error(refused, prefix="**This search cannot start**: every evaluation would fail. ")
        return ("Start new search", "Change the model options, the batch or the resolution in the sidebar."), True
    seconds, source = search_start.estimate(settings, budget, options["population"])
    return (search_start.label(seconds), source), False


def main() -> None:
    settings = state.settings()
    reg = state.regularization()
    space = spaces.get(settings.space)
    st.caption("Regularised (aging) evolution: each child mutates the fittest of a random sample of the "
               "population, and the oldest member leaves. Default fitness: the live SWAP-Score"
               + (f", regularised with mu = {reg.mu:g}, sigma = {reg.sigma:g}" if reg.on else "")
               + f"; B = {settings.batch_size} on {settings.input_words}, seed {settings.seed}.")
    cols = st.columns(5)
    for key, default, low, high in NUMBERS:
        links.control(key, default, ok=lambda v, low=low, high=high: low <= v <= high,
                      rule=f"must be a whole number from {low} to {high:,}")
    links.control("search_crossover", False)
    options = {
        "budget": int(cols[0].number_input("Budget (evaluations)", 1, 100_000, key="search_budget")),
        "population": int(cols[1].number_input("Population", 2, 1000, key="search_population")),
        "sample_size": int(cols[2].number_input("Sample size", 1, 1000, key="search_sample")),
        "mutations": int(cols[3].number_input("Mutations per child", 1, 10, key="search_mutations")),
        "crossover": cols[4].checkbox("Crossover of the two best", key="search_crossover"),
    }
    if tables.whole_atlas(space.name) is not None:  # an atlas of every cell (NB201's) to look fitness up in
        links.control("search_fitness", "")
        options["fitness"] = st.text_input(
            "Fitness: a proxy or recipe from the atlas (empty: live SWAP with the sidebar's settings)",
            key="search_fitness", placeholder="log_rank:swap_b16+params   or   naswot_b64",
            help="Looked up in the NB201 atlas where it covers the cell, scored live otherwise; see the Proxy "
                 "lab for what each recipe ranks like. docs/search_results.md compares fitnesses over 10 seeds: "
                 "the recipe chosen for search in docs/results.md (for the validation accuracy of its top cells, "
                 "not for its Spearman) did best, plain `swap_b16` worse than random search (its best cells all "
                 "but tie at the bound).").strip()
    target = _target(space)
    job = st.session_state.get("search_job")
    if job is not None and job["search"].space.name != space.name:
        job = None
    words, refused = start_words(settings, options)
    b_start, b_stop, b_resume, _ = st.columns([3, 1, 1, 2], vertical_alignment="bottom")
    if b_start.button(words[0], type="primary", key="search_start", disabled=refused):
        start(settings, reg, options)
        job = st.session_state["search_job"]
    running = job is not None and job["running"]
    if b_stop.button("Stop", key="search_stop", disabled=not running):
        job["running"] = False
        st.rerun()  # redraw the buttons in their new state
    can_resume = job is not None and not running and job["search"].evaluations < options["budget"]
    if b_resume.button("Resume", key="search_resume", disabled=not can_resume):
        job["budget"], job["running"] = options["budget"], True
        st.rerun()
    st.caption(words[1])
    with st.expander("Resume a saved search"):
        upload = st.file_uploader("History JSONL (from this page's export)", type=["jsonl", "json", "txt"],
                                  key="search_upload")
        st.caption("Set the same space, sidebar settings and search options as when it was saved; the search "
                   "replays the history, then continues to the budget.")
        resuming = st.session_state.pop("search_resume_file", False) and upload is not None
        if st.button("Resume from this history", key="search_load", disabled=upload is None or refused) or resuming:
            resume_upload(settings, reg, options, upload)
    if job is None:
        st.info("Set a budget and press Start.")
        return
    if job["setup"] != (settings, reg):
        st.caption("The sidebar settings changed since this search started; it keeps its own settings. "
                   "Start a new search to use the new ones.")

    truth = _true_values(space, target)
    progress_box = st.empty()
    boxes = {"best": st.empty(), "chart": st.empty(), "cell": st.empty()}
    if running:
        progress = progress_box.progress(0.0, text="Searching ...")
        while job["running"]:
            result = job["search"].run(budget=job["budget"], seconds=REFRESH_SECONDS)
            done = job["search"].evaluations
            progress.progress(min(done / job["budget"], 1.0), text=f"Searching: {done} / {job['budget']} evaluations")
            draw(job, truth, target, boxes)
            if result.stopped != "time":
                job["running"], job["stopped_by"] = False, result.stopped
        st.rerun()  # redraw as finished (Stop disabled); the search keeps its state
    draw(job, truth, target, boxes)
    if job["stopped_by"] == "exhausted":
        st.warning("The search kept revisiting known architectures and stopped before its budget.")
    table = history_table(job, truth, target)
    failures = job["search"].failures
    if failures:
        first = failures[0]
        messages.warning(f"{first.arch}: {first.error}",
                         prefix=f"{len(failures)} evaluation(s) failed and were skipped (recorded in the history "
                                "with their error, never used as parents); the first: ")
    reg = job["setup"][1]
    engine.warn_if_crushed(table["params"].dropna(), reg)
    st.dataframe(shown_history(table, job.get("fitness", "")), hide_index=True)
    col_csv, col_jsonl, _ = st.columns([1, 1, 3])
    col_csv.download_button("History CSV", table.to_csv(index=False), file_name="swap_search_history.csv",
                            mime="text/csv")
    col_jsonl.download_button("History JSONL (resumable)", job["search"].history.dumps(),
                              file_name="swap_search_history.jsonl", mime="application/x-ndjson")


messages.guard(main)
