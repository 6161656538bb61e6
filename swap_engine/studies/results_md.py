"""docs/results.md is written by several studies: each owns one block between its own two markers."""
from __future__ import annotations

from pathlib import Path

GENERATED = "\n## Generated table"  # new blocks go above the correlation study's table, at the end


def replace_block(path: str | Path, block: str, begin: str, end: str, heading: str = "") -> None:
    """Put `block` (which starts with `begin` and ends with `end`) in place of the file's block between those
    markers, keeping everything else; where there is none yet, add `heading` and the block above the generated
    table (or at the end)."""
    target = Path(path)
    text = target.read_text(encoding="utf-8") if target.exists() else "# Results\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + block + rest.split(end, 1)[1]
    elif GENERATED in text:
        head, tail = text.split(GENERATED, 1)
        text = head.rstrip() + "\n\n" + heading + block + "\n" + GENERATED + tail
    else:
        text = text.rstrip("\n") + "\n\n" + heading + block + "\n"
    target.write_text(text, encoding="utf-8")


__all__ = ["GENERATED", "replace_block"]
