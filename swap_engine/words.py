"""Text a user typed, quoted back in error messages: short, and with look-alike characters named.

A 20,000-character paste must not come back whole in a red box, and `∼` (U+223C, TILDE OPERATOR) looks like
`~` but is not one; every parser and option check says so in the same words through these helpers.
"""
from __future__ import annotations

import unicodedata
from typing import Any

QUOTE_CHARS = 60  # at most this many characters of a user's text are repeated in a message
MAX_TEXT = 10_000  # no architecture's text is longer; anything longer is refused before parsing

# Characters that keyboards, word processors and web pages put where ASCII was meant.
_MEANT = {"\u223c": "~", "\u02dc": "~", "\u2053": "~", "\u301c": "~", "\u2212": "-", "\u2010": "-",
          "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
          "\u201c": '"', "\u201d": '"', "\u2502": "|", "\u01c0": "|", "\u00a0": " ", "\u200b": ""}


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """`repr` of a value, cut to about `limit` characters with the full length said ("... (20,000 characters)")."""
    text = value if isinstance(value, str) else _safe_repr(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else text
    head = repr(text[:limit]) if isinstance(value, str) else text[:limit]
    return f"{head}... ({len(text):,} characters)"


def character(char: str) -> str:
    """A character in words with its code point: "'∼' (U+223C TILDE OPERATOR)"."""
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def check_text(text: Any, what: str) -> str:
    """`text` without surrounding white space when it is a string a parser can read; else a `ValueError` in
    words, quoting it short.

    Refuses non-strings, text over `MAX_TEXT` characters and any character outside printable ASCII (the first
    one named with its code point, and the ASCII character it looks like where there is one); `what` names
    the input ("nb201 architecture").
    """
    if not isinstance(text, str):
        raise ValueError(f"{what}: expected text, got {type(text).__name__} {quote(text)}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{what}: {quote(text)} is longer than any architecture (at most {MAX_TEXT:,} characters)")
    text = text.strip()
    for position, char in enumerate(text):
        if " " <= char <= "~" or char in "\t\n\r":
            continue
        meant = _MEANT.get(char, unicodedata.normalize("NFKC", char))
        hint = ("; delete it" if not meant
                else f"; did you mean {meant!r}?" if meant.isascii() and meant.isprintable() else "")
        raise ValueError(f"{what}: character {position + 1} of {quote(text)} is {character(char)}, "
                         f"which is not plain ASCII{hint}")
    return text


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a user's object whose repr fails still gets a message
        return f"<{type(value).__name__}>"


__all__ = ["MAX_TEXT", "QUOTE_CHARS", "character", "check_text", "quote"]
