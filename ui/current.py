"""The current architecture, which every page that scores many marks: the one open on Activation patterns,
or the one that page opens with when none was chosen (so a direct link marks it too).

It is scored first, so a run stopped early still marks it, and it counts among the sidebar's number of
architectures on every page (Score distribution and Correlation said 30 and 31 when one page added it).
"""
from __future__ import annotations

import streamlit as st

from ui.state import Settings, arch_key


def arch(settings: Settings) -> tuple[str | None, bool]:
    """(canonical text, chosen): chosen is False for the patterns page's default; None for text that does not
    parse (the patterns page says why)."""
    from swap_engine import spaces

    space = spaces.get(settings.space)
    text = st.session_state.get(arch_key(settings.space))
    if not text:
        return space.format(space.example(settings.seed)), False
    try:
        return space.format(space.parse(text)), True
    except ValueError:
        return None, True


def first(archs: list[str], current: str | None) -> list[str]:
    """As many architectures as `archs`, the current one first: it takes the last drawn one's place when the
    sample lacks it, so every page shows as many as the sidebar asks for."""
    if current is None or not archs:
        return list(archs)
    return [current, *(a for a in archs if a != current)][:len(archs)]


def count_words(n: int, source: str, added: bool | None) -> str:
    """"30 architectures: the current one and 29 drawn from ..."; `added` False: the sample held the current
    one already; None: there is none to mark."""
    if added:
        return f"{n} architectures: the current one and {n - 1} drawn from {source}"
    return f"{n} architectures drawn from {source}" + (", the current one among them" if added is False else "")


def caption(chosen: bool, marks: str) -> str:
    """What the chart's mark is, in words."""
    if chosen:
        return f"{marks}: the architecture open on the Activation patterns page."
    return (f"{marks}: the architecture the Activation patterns page opens with (none was chosen there yet); "
            "pick another there, or from the chart, to mark it instead.")
