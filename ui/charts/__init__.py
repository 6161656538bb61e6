"""Plotly figures for the pages: presentation only, every number comes from the engine.

Every figure has a title and axis titles in words (`words` turns column names into them), log axes show
only round ticks (1, 2, 5 x 10^k, written 20 K / 1.5 M) and never minor-tick clutter, and legends follow
the order of the data. Pages draw them through ui.export.show_chart, which adds the PNG / SVG / CSV downloads.

- `patterns`: one architecture's sign matrix, distinct patterns per layer, the bound gauge, two side by side;
- `cells`: a cell's operations as a graph;
- `palette`: one colour per operation, the same in every chart and cell;
- `distributions`: many architectures: score spreads, against size and accuracy, the batch sweep, a search;
- `toy`: the Learn page's toy network;
- `axes`: the round log ticks, compact numbers and heatmap cell labels they share.

Light: plotly and networkx, no engine (the Learn page draws before torch has loaded).
"""
from ui.charts.axes import compact, log_ticks, two_decimals
from ui.charts.cells import ABSENT_OPS, JOIN_OPS, cell_graph, cell_graphs
from ui.charts.palette import op_color
from ui.charts.distributions import (batch_sweep, score_distribution, score_vs_params, score_vs_target,
                                     search_progress, whole_space_histogram)
from ui.charts.patterns import (PATTERN_COLORS, bound_gauge, compare_layers, layer_bars, layer_label,
                                pattern_heatmap, sorted_pattern_order)
from ui.charts.toy import (SHARED_COLORS, UNIQUE_COLOR, pattern_colors, toy_count_steps, toy_input_plane,
                           toy_network_diagram, toy_sign_matrix)

__all__ = ["ABSENT_OPS", "JOIN_OPS", "PATTERN_COLORS", "SHARED_COLORS", "UNIQUE_COLOR", "batch_sweep", "bound_gauge",
           "cell_graph", "cell_graphs", "compact", "compare_layers", "layer_bars", "layer_label", "log_ticks",
           "op_color", "pattern_colors", "pattern_heatmap", "score_distribution", "score_vs_params", "score_vs_target",
           "search_progress", "sorted_pattern_order", "toy_count_steps", "toy_input_plane", "toy_network_diagram",
           "toy_sign_matrix", "two_decimals", "whole_space_histogram"]
