"""Show text literally: Streamlit renders message bodies as Markdown, where user text is not Markdown.

An NB201 architecture such as `|nor_conv_3x3~0|+|none~1|` contains `~` pairs (strikethrough), `|` (tables),
`+` (lists); error messages carry `*`, `_`, `$` and `:name:` shortcodes. Every message that contains text
from a user, a file or an exception goes through `literal` (or `error` / `warning` / `info` here), which
backslash-escapes every ASCII punctuation character, so Markdown shows it exactly as written.
"""
from __future__ import annotations

import re
import string
from typing import Callable

import streamlit as st

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def literal(text: object) -> str:
    """`text` as Markdown that renders as exactly these characters (newlines kept)."""
    escaped = _PUNCTUATION.sub(r"\\\1", str(text))
    return escaped.replace("\n", "  \n")  # a hard line break where the text had a newline


def error(text: object, *, prefix: str = "", icon: str | None = None):
    """`st.error` with `prefix` as Markdown (our own words) followed by `text` shown literally."""
    return st.error(prefix + literal(text), icon=icon)


def warning(text: object, *, prefix: str = "", icon: str | None = None):
    return st.warning(prefix + literal(text), icon=icon)


def info(text: object, *, prefix: str = "", icon: str | None = None):
    return st.info(prefix + literal(text), icon=icon)


def exception(err: BaseException, *, prefix: str = "") -> None:
    """An exception as one readable line, literally: the library's refusals (ValueError and its kin) are written
    as sentences and shown as they are; anything else is named as unexpected, with its type."""
    error(words(err), prefix=prefix)


def words(err: BaseException) -> str:
    """An exception's message for a reader: no Python type name in front of a sentence we wrote."""
    if isinstance(err, (ValueError, LookupError, OSError)) and str(err):
        return str(err)
    return f"Something unexpected went wrong ({type(err).__name__}): {err}"


def guard(body: Callable[[], None]) -> None:
    """Run a page body; library errors become a readable message, never a traceback."""
    try:
        body()
    except Exception as err:
        from swap_engine.data import MissingDataError  # here, not at the top: pages draw before torch loads

        if isinstance(err, MissingDataError):
            show_missing(err)
        else:
            exception(err)


def show_missing(err: Exception) -> None:
    warning(err, prefix="Data missing: ")
    st.caption("Gaussian-noise and random-token inputs need no files, and the zoo's ground truth ships "
               "with torchvision.")
    st.page_link("views/about.py", label="Fetch it on the About / data page", icon=":material/download:")
