"""One way to write the numbers that pages compare: correlations to 3 decimals, counts with thousands separators,
a count too long to read (2^64) as the power it is. Issue 32 met 0.7203, -0.009321 and 1.84e+19 on two pages.
"""
from __future__ import annotations

import math

BIG = 10**12  # a count from here on is written as a power where it is one (2^64), else in scientific form


def correlation(value: float, missing: str = "undefined") -> str:
    """Spearman, Kendall and their bounds: 0.720, -0.009; `missing` where there is no number."""
    if value is None or not math.isfinite(value):
        return missing
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def interval(low: float, high: float, missing: str = "undefined") -> str:
    """A 95 % interval as the correlations are written: "0.612 to 0.801"."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return missing
    return f"{correlation(low)} to {correlation(high)}"


def count(value: float, missing: str = "") -> str:
    """A whole count (a score, a bound, neurons): 65,536; a mean keeps one decimal (15,234.5); past `BIG`,
    scientific (1.8e+19) so a column never runs to twenty digits."""
    if value is None or not math.isfinite(value):
        return missing
    if abs(value) >= BIG:
        return f"{value:.2g}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def power(base: int, exponent: int) -> str:
    """base^exponent as a reader takes it in: 256 = 2^8 written out, 2^64 kept as the power."""
    value = base**exponent
    return f"{value:,}" if value < BIG else f"{base}^{exponent}"


__all__ = ["BIG", "correlation", "count", "interval", "power"]
