"""The Guided class's material: three steps, each a preset link to a page with a teacher's note, and the bridge
between them: two cells of the same size whose SWAP-Scores differ a lot, with their trained accuracies.

The presets are query strings the pages already read (`ui.url`, `ui.links`), so a link opened in a new tab (a new
session) shows exactly the preset. The bridge is computed from the whole-space table the Correlation page reads
at its default setting (`tables.PRECOMPUTED`), never typed in: the commonest parameter count, its cells ranked by
score, the cells at the 10th and 90th percentile of score, and what the whole group says (Spearman, medians).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from swap_engine import analysis, data, spaces
from ui import choices, links, tables

SPACE = choices.PREFERRED_SPACE  # the space whose every cell has a precomputed score and a trained accuracy
GOOD_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def preset() -> dict[str, str]:
    """The sidebar settings of the precomputed whole-space table, as link parameters."""
    chosen = tables.PRECOMPUTED[SPACE][2]
    return {"space": SPACE, "batch_size": str(chosen["batch_size"]), "input": chosen["input"]}


@dataclass(frozen=True)
class Step:
    """One step of the class: a page opened with `query`, what the class does there, and the teacher's note."""

    title: str
    page: str  # views/<page>.py, which is also the page's URL path
    label: str  # the link's words
    query: dict[str, str] = field(hash=False)
    task: str
    notes: str

    @property
    def link(self) -> str:
        """The preset as a link relative to this page (so it works under any base URL); the default page has the
        root URL, and Streamlit answers its file name with "Page not found"."""
        return f"{'./' if self.page == links.DEFAULT_PAGE else self.page}?{urlencode(self.query)}"


def steps() -> list[Step]:
    """The class in three steps."""
    return [
        Step("The toy network and the bound", "learn", "Open Learn SWAP with a batch of 2", {"learn_b": "2"},
             "Seven neurons see a batch of only two samples, so each pattern is two 0s and 1s: there are "
             "2^2 = 4 possible patterns for 7 neurons, and the score cannot pass 4. Move the batch slider to 3, "
             "then 4, and watch the score and the bound min(N, 2^B) rise.",
             "Ask for a guess of the score before the slider moves; the point to land is that a small batch "
             "caps the count, so networks stop being told apart (the ties later pages warn about)."),
        Step("One cell, its edits and its neighbours", "patterns", "Open one NB201 cell on Activation patterns",
             {**preset(), "arch": GOOD_CELL},
             "A real cell of NB201 (every edge but one a 3x3 convolution): its pattern matrix, the distinct "
             "patterns layer by layer, and the score against its bound. In the editing tab, change one edge (to "
             "none or a pooling) and see the score move; the neighbours tab lists every cell one edit away and "
             "shows whether SWAP and accuracy move together.",
             "The cell nearly reaches 2^16 = 65,536, the bound of step 1 at work. Let pairs of students each make "
             "one edit and report the new score: most edits that cut a convolution lower it, which sets up the "
             "question the bridge answers."),
        Step("The whole space and the correlation", "correlation", "Open Correlation with accuracy",
             {**preset(), "n_archs": "100"},
             "A hundred cells drawn from the 15,625 of NB201, their SWAP-Scores against trained accuracy, with "
             "Spearman and its 95 % interval; below, what the whole space says, and the parameter count alone "
             "for comparison.",
             "Stress the interval before the point value: a sample of 100 estimates the whole space's Spearman, "
             "and the parameter count is the baseline any zero-cost score must beat."),
    ]


@dataclass(frozen=True)
class Bridge:
    """Two cells with the same parameter count, and what every cell of that count says."""

    params: int
    cells: int  # cells with this parameter count and a known accuracy
    target: str
    low: pd.Series  # arch, raw_score, accuracy of the cell at the 10th percentile of score
    high: pd.Series  # the same at the 90th percentile
    spearman: float  # SWAP against accuracy over all `cells`
    low_median: float  # median accuracy of the fifth of the cells with the lowest scores
    high_median: float  # of the fifth with the highest

    @property
    def compare_link(self) -> str:
        """Both cells side by side on Compare, at the precomputed setting."""
        return "compare?" + urlencode({**preset(), "compare_left": self.low["arch"],
                                       "compare_right": self.high["arch"]})


@st.cache_data(show_spinner="Finding two cells of the same size ...", max_entries=4)
def bridge(target: str | None = None) -> Bridge:
    """The bridge for `target` (default: the benchmark's first target, the Correlation page's default)."""
    table = tables.precomputed_table(SPACE)
    target = target or data.targets(spaces.get(SPACE).benchmark)[0]
    known = table.dropna(subset=[target, "raw_score"])
    size = int(known.groupby("params").size().idxmax())  # most cells share it: the fairest like-for-like
    group = known[known["params"] == size].sort_values(["raw_score", "arch"]).reset_index(drop=True)
    n = len(group)
    fifth = max(n // 5, 1)
    low, high = (group.iloc[round(q * (n - 1))][["arch", "raw_score", target]] for q in (0.1, 0.9))
    rho = analysis.correlate(group["raw_score"], group[target], n_boot=0).spearman
    return Bridge(size, n, target, low, high, rho, float(group[target].head(fifth).median()),
                  float(group[target].tail(fifth).median()))


__all__ = ["GOOD_CELL", "SPACE", "Bridge", "Step", "bridge", "preset", "steps"]
