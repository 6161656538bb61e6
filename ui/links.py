"""A page's own controls in its shareable link: a Correlation view on CIFAR-100 reopens on CIFAR-100.

The sidebar's settings have their own query parameters (`ui.state`). A page declares each control it shares
with `control(key, default)` before drawing the widget (which then takes no default of its own): the
control starts from the link's value when the session was opened with one, else from `default`, and its
value goes into the link whenever it differs from `default`. A link applies once; after that the widgets rule.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import streamlit as st

# Every page control a link may carry, by page (its URL path: app.py's file name) with the page's title, so a
# control of another page in a link is said, not silently kept. The sidebar says "not a setting" of any other.
PAGES: dict[str, tuple[str, frozenset[str]]] = {
    "correlation": ("Correlation with accuracy", frozenset({"corr_target", "corr_reg_mode"})),
    "distribution": ("Score distribution", frozenset({"dist_kind", "dist_split"})),
    "batch_sweep": ("Batch-size sweep", frozenset({"sweep_n", "sweep_max"})),
    "compare": ("Compare two architectures", frozenset({"compare_left", "compare_right"})),
    "search": ("Search", frozenset({"search_target", "search_budget", "search_population", "search_sample",
                                    "search_mutations", "search_crossover", "search_fitness"})),
    "lab": ("Proxy lab", frozenset({"lab_atlas", "lab_dataset", "lab_split", "lab_target", "lab_topk", "lab_boot",
                                    "lab_proxies", "lab_method", "lab_non_finite", "lab_reg", "lab_rule", "lab_mu",
                                    "lab_sigma", "lab_text", "lab_cells", "lab_labels"})),
    "families": ("Across families", frozenset({"families_proxies", "families_from", "families_to", "families_loo",
                                               "families_metric", "families_boot"})),
    "learn": ("Learn SWAP", frozenset({"learn_b"})),
    "patterns": ("Activation patterns", frozenset({"neighbours_measure", "neighbours_recipe"})),
}
NAMES = frozenset().union(*(names for _, names in PAGES.values()))
DEFAULT_PAGE = "learn"  # app.py's default page, whose URL path Streamlit reports as ""
NOTES = "_url_notes"  # query parameters of the opening link that were ignored, said once in the sidebar
_OPENED = "_link_opened"  # page parameters of the link this session opened with, not yet applied
_SHOWN = "_link_shown"  # parameter -> (widget key, default) of the controls the page declared
_PAGE = "_link_page"  # the page those controls belong to
BOOL = {"1": True, "true": True, "0": False, "false": False}  # link text of a switch


def begin(page: str) -> None:
    """Before the sidebar: keep the opening link's page parameters (the sidebar rewrites the URL) once per
    session, and forget the controls of the page before when `page` is another one."""
    s = st.session_state
    if _OPENED not in s:
        s[_OPENED] = {name: st.query_params[name] for name in st.query_params if name in NAMES}
        here = page or DEFAULT_PAGE
        for name in [name for name in s[_OPENED] if name not in PAGES.get(here, ("", ()))[1]]:
            s.setdefault(NOTES, []).append(f"{name}={s[_OPENED].pop(name)[:40]!r} ignored: it belongs to the "
                                           f"{owner(name)} page, not this one")
    if s.get(_PAGE) != page:
        s[_PAGE], s[_SHOWN] = page, {}


def control(key: str, default: Any, *, name: str | None = None, options: Iterable[Any] | None = None,
            ok: Callable[[Any], bool] | None = None, rule: str = "") -> None:
    """Declare widget `key` as a shared control (link parameter `name`, default `key`); set its starting value.

    The link's text is read as `default`'s type (a list: comma-separated). A value that does not parse, is
    not among `options` or fails `ok` is ignored with `rule` said in words under the page's title.
    """
    name = name or key
    if name not in NAMES:
        raise KeyError(f"{name!r} is not in ui.links.NAMES")
    s = st.session_state
    s.setdefault(_SHOWN, {})[name] = (key, default)
    allowed = list(options) if options is not None else None
    if key in s and (allowed is None or _within(s[key], allowed)):
        return  # the widget rules (a value the options lost, e.g. after another space, starts over)
    value = default
    text = s.get(_OPENED, {}).pop(name, None)
    if text is not None:
        try:
            parsed = _parse(text, default)
            if allowed is not None and not _within(parsed, allowed):
                raise ValueError(rule or "not one of the choices here")
            if ok is not None and not ok(parsed):
                raise ValueError(rule or "out of range")
            value = parsed
        except (TypeError, ValueError, KeyError) as err:
            st.caption(f"The link's {name}={text[:40]!r} was ignored: {err}.")
    s[key] = value


def owner(name: str) -> str:
    """The title of the page whose control link parameter `name` is."""
    return next(title for title, names in PAGES.values() if name in names)


def wanted() -> dict[str, str]:
    """The link parameters of this run's page controls whose values differ from their defaults."""
    s = st.session_state
    found = {}
    for name, (key, default) in s.get(_SHOWN, {}).items():
        if key in s and s[key] != default and s[key] is not None:
            found[name] = text(s[key])
    return found


def text(value: Any) -> str:
    """A value as link text (what `control` and the sidebar parse back)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _within(value: Any, allowed: list) -> bool:
    return all(v in allowed for v in value) if isinstance(value, (list, tuple)) else value in allowed


def _parse(text: str, default: Any) -> Any:
    if isinstance(default, bool):
        return BOOL[text.lower()]
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, (list, tuple)):
        return [part for part in text.split(",") if part]
    return text
