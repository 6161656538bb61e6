"""The tables a space is described by, read once and shared: its ground truth, the scores this project
precomputed for it, its size, and its parameter counts (for the sidebar's mu and sigma).

Below ui.state, which asks it for the regularisation defaults when the user ticks "Regularise"; ui.engine
(the scoring) builds on it too. Imported when first needed: it loads the library (torch).
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import swap_engine
from swap_engine import data, models, resources, spaces


@st.cache_resource(show_spinner="Loading the benchmark table ...", max_entries=4)  # up to 15,625 rows each
def benchmark(name: str) -> pd.DataFrame:
    """The ground-truth table (shared between sessions: never modify it in place)."""
    return data.benchmark(name)


# Whole-space tables this project computed itself (sample_data/README.md says how), valid for one setting. Keyed by
# the space a file covers: a file is named here, so its space is too (a literal nb201 name, beside the file's).
PRECOMPUTED = {
    "nb201": ("nb201_swap_b16.csv", "nb201_index",
              dict(batch_size=16, input="cifar10", resolution=32, seed=0, repeats=1, reinit=False, build_options="")),
}


@st.cache_resource(show_spinner="Loading the precomputed scores ...", max_entries=2)  # whole-space tables
def precomputed_table(space_name: str) -> pd.DataFrame:
    file, key, _ = PRECOMPUTED[space_name]
    scores = pd.read_csv(resources.sample_data_path(file))
    try:
        return scores.merge(benchmark(spaces.get(space_name).benchmark), on=key, how="left")
    except data.MissingDataError:
        return scores


def whole_atlas(space_name: str) -> str | None:
    """The atlas that holds every cell of the space by the space's own benchmark index (NB201's), from the atlas
    specs; None where the space has none."""
    from swap_engine import atlas as atlases

    return next((name for name in atlases.of_space(space_name) if atlases.spec(name).whole_space), None)


def atlas(name: str) -> pd.DataFrame:
    """Atlas `name` joined with its benchmark's targets (`joined`); without the ground-truth table, the atlas alone
    (`attrs["targets"]` empty). Shared between sessions: never modify it in place."""
    try:
        return joined(name)
    except data.MissingDataError:
        return _bare(name)


@st.cache_resource(show_spinner="Reading the atlas ...", max_entries=8)  # a whole atlas each
def joined(name: str) -> pd.DataFrame:
    """The app's one join of an atlas with its ground truth (`atlas.with_truth`, Suite-Zero's published `zc_`
    columns among the targets), the cells measured so far (`attrs["cells"]`: all of them); read by the Proxy lab,
    the Across-families page, Correlation's atlas panel and the neighbours. `data.MissingDataError` without the
    ground-truth table."""
    from swap_engine import atlas as atlases

    return atlases.with_truth(name, _read(name))


@st.cache_resource(show_spinner="Reading the atlas ...", max_entries=4)
def _bare(name: str) -> pd.DataFrame:
    frame = _read(name)
    frame.attrs.update(targets=[], cells=len(frame))
    return frame


def _read(name: str) -> pd.DataFrame:
    """The atlas file; NB201's whole-space atlas without its file, the project's round-1 sample tables (they hold
    every cell of the space: `recipe_study.atlas`)."""
    from swap_engine import atlas as atlases
    from swap_engine.studies import recipe_study

    chosen = atlases.spec(name)
    if chosen.whole_space:
        return recipe_study.atlas(name)
    frame = atlases.load(name)
    frame.attrs["source"] = f"the proxy atlas, {chosen.file}"
    return frame


@st.cache_data(show_spinner=False, max_entries=64)  # one number per space
def space_size(space_name: str, limit: int = 100_000) -> int | None:
    """How many architectures the space holds (None when it is not enumerable or larger than `limit`)."""
    space = spaces.get(space_name)
    size = getattr(space, "size", None)
    if isinstance(size, int):
        return size
    try:
        count = 0
        for _ in space.all():
            count += 1
            if count > limit:
                return None
        return count
    except TypeError:
        return None


@st.cache_data(show_spinner="Measuring this space's parameter counts ...", max_entries=256)  # a pair per option text
def regularization_defaults(space_name: str, build_options: str, n: int = 16) -> tuple[float, float]:
    """(mu, sigma) for a space: its median parameter count and twice the variance, both in thousands.

    With these, an architecture of median size keeps its score, one a standard deviation away keeps
    exp(-1/2) of it. Parameter counts come from a whole-space or ground-truth table where one covers the
    model options, else from `n` seeded sample architectures built here.
    """
    params = _known_params(space_name) if not build_options else None
    if params is None or len(params) < 2:
        space = spaces.get(space_name)
        kwargs = json.loads(build_options) if build_options else {}
        counted = [swap_engine.count_params(models.build(space, arch, kwargs, seed=0))
                   for arch in space.sample(min(n, space_size(space_name) or n), 0)]
        params = pd.Series(counted, dtype=float)
    thousands = params.astype(float) / 1000
    mu = float(thousands.median())
    sigma = float(2 * thousands.var()) if len(thousands) > 1 and thousands.var() > 0 else max(mu, 1.0)
    return round(mu, 1), float(f"{sigma:.3g}")


def _known_params(space_name: str) -> pd.Series | None:
    if space_name in PRECOMPUTED:
        return precomputed_table(space_name)["params"]
    name = spaces.get(space_name).benchmark
    if name is None:
        return None
    try:
        table = benchmark(name)
    except data.MissingDataError:
        return None
    return table["params"].dropna() if "params" in table else None


__all__ = ["PRECOMPUTED", "atlas", "benchmark", "joined", "precomputed_table", "regularization_defaults", "space_size",
           "whole_atlas"]
