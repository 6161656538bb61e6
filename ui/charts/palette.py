"""One colour per operation, the same on every page and in every cell (Compare's two sides, DARTS' normal and
reduce cells): colours were once handed out in order of appearance, so skip_connect changed colour between
cells. Each space's operations are listed here once; kindred operations share a hue across spaces (a 3x3
convolution is blue, skip orange, average pooling purple), and within a space no two share a colour.
"""
from __future__ import annotations

import zlib

NONE_COLOR = "#b0b0b0"  # an edge that carries nothing (NB201's and DARTS' `none`)

# Keyed by space name: the charts are light (no library import), so NB201's and the others' operations are
# written here, not read from `swap_engine.spaces` (a literal nb201 name, one of the 3 left in ui/ and views/).
BY_SPACE: dict[str, dict[str, str]] = {
    "nb201": {"none": NONE_COLOR, "skip_connect": "#ff7f0e", "nor_conv_1x1": "#2ca02c",
              "nor_conv_3x3": "#1f77b4", "avg_pool_3x3": "#9467bd"},
    "darts": {"none": NONE_COLOR, "max_pool_3x3": "#8c564b", "avg_pool_3x3": "#9467bd",
              "skip_connect": "#ff7f0e", "sep_conv_3x3": "#1f77b4", "sep_conv_5x5": "#17becf",
              "dil_conv_3x3": "#d62728", "dil_conv_5x5": "#e377c2"},
    "nb101": {"conv3x3-bn-relu": "#1f77b4", "conv1x1-bn-relu": "#2ca02c", "maxpool3x3": "#8c564b"},
    "flexibert": {"SA-SDP": "#1f77b4", "SA-WMA": "#17becf", "LT-DFT": "#2ca02c", "LT-DCT": "#bcbd22",
                  "DSC-5": "#d62728", "DSC-9": "#e377c2"},
}
# Operation names are shared between spaces only where they mean the same operation (skip_connect,
# avg_pool_3x3, none), and there they have the same colour, so one lookup by name serves every chart.
OP_COLORS: dict[str, str] = {op: color for ops in BY_SPACE.values() for op, color in ops.items()}
_SPARE = ("#7f7f7f", "#bcbd22", "#17becf", "#e377c2", "#8c564b", "#d62728", "#9467bd", "#2ca02c")


def op_color(op: str) -> str:
    """The operation's colour; an operation no space lists gets a spare colour chosen by its name, so it too
    keeps one colour everywhere."""
    return OP_COLORS.get(op) or _SPARE[zlib.crc32(str(op).encode()) % len(_SPARE)]


__all__ = ["BY_SPACE", "NONE_COLOR", "OP_COLORS", "op_color"]
