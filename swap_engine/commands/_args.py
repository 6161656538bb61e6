"""Argument types shared by several commands."""
from __future__ import annotations

import argparse
import ast
from typing import Any


def mu_sigma(text: str) -> tuple[float, float]:
    """'MU,SIGMA' (or one number for mu = sigma, as the paper reports them) -> (mu, sigma)."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--regularize wants MU,SIGMA numbers, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or values[1] <= 0:
        raise argparse.ArgumentTypeError(f"--regularize wants MU,SIGMA with SIGMA > 0, got {text!r}")
    return values[0], values[1]


def parse_value(text: str) -> Any:
    """A Python literal (int, float, bool, tuple, ...) when it is one, else the text itself. Never eval."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_pairs(items: list[str], flag: str) -> dict[str, Any]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {item!r} must look like KEY=VALUE")
        pairs[key.strip()] = parse_value(value.strip())
    return pairs
