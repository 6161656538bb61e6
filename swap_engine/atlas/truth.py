"""An atlas joined with its benchmark's ground truth: the one join every study and page reads.

    frame = atlas.with_truth("nb101-500")   # the atlas's measured cells, its targets, Suite-Zero's zc_ columns
    frame.attrs                             # targets, cells (the atlas's cells in all), atlas

NB201 joins on its benchmark index; every other benchmark on the space's canonical architecture text, several
runs of one architecture averaged. A missing ground-truth table raises `data.MissingDataError`, a missing atlas
file `FileNotFoundError`.
"""
from __future__ import annotations

import pandas as pd

from swap_engine.atlas.specs import spec


def with_truth(name: str, frame: pd.DataFrame | None = None, *, published: bool = True,
               measured_only: bool = True) -> pd.DataFrame:
    """Atlas `name` (or `frame`, a table of its cells: the file's by default) joined with its benchmark's targets.

    `published`: also NAS-Bench-Suite-Zero's own values (`zc_<proxy>` columns) where the benchmark ships them,
    listed among the targets. `measured_only`: keep the cells with at least one measured proxy.
    `attrs`: the frame's own, with `targets`, `cells` (the atlas's cells in all) and `atlas`.
    """
    from swap_engine import data, spaces
    from swap_engine.atlas.table import load
    from swap_engine.recipe import proxy_columns

    chosen = spec(name)
    table = load(name) if frame is None else frame
    truth = data.benchmark(chosen.benchmark)
    targets = [t for t in data.targets(chosen.benchmark) if t in truth.columns]
    zc = [c for c in truth.columns if c.startswith("zc_")] if published else []
    key = chosen.index_column
    if key in truth.columns and key in table.columns:
        joined = table.merge(truth[[key, *targets, *zc]], on=key, how="left")
    else:
        space = spaces.get(chosen.space)
        truth = truth.assign(arch=[space.format(space.parse(a)) for a in truth["arch"]])
        means = truth.groupby("arch", sort=False)[[*targets, *zc]].mean()
        joined = table.join(means, on="arch")
    joined.attrs = {**table.attrs, "targets": [*targets, *zc], "cells": len(table), "atlas": name}
    if not measured_only:
        return joined
    scores = proxy_columns(joined)
    measured = joined[scores].notna().any(axis=1) if scores else pd.Series(False, index=joined.index)
    out = joined[measured].reset_index(drop=True)
    out.attrs = dict(joined.attrs)
    return out
