"""Figures export: draw a chart so that its picture (PNG at print resolution, or SVG) and its data (CSV) download.

    show_chart(fig, name, data=None, *, key=None, container=None, **plotly_kwargs) -> what st.plotly_chart returns

    fig        a plotly Figure (from ui/charts.py)
    name       file stem for the downloads, e.g. "swap_layers" -> swap_layers.png / .svg / .csv
    data       the table the chart draws, offered as CSV; None: the traces' own x / y / z values
    key        the chart's widget key (needed for on_select); the export widgets derive theirs from it
               (default: `name`, so two charts with the same name on one page need keys)
    container  where to draw (a column, an expander, ...); default: the page body
    plotly_kwargs  passed on to st.plotly_chart (on_select="rerun", selection_mode=..., ...)

How the picture gets out, offline and with no browser on the server: the camera icon in the chart's own
toolbar (plotly's modebar, shown on hover) renders the figure in the reader's browser. `image_config` sets
that icon's format and size: PNG at 3x (a 1000-px-wide figure becomes 3000 px, 10 in at 300 dpi) or SVG
(vector, any size). The "Download" popover under the chart picks the format (one choice for the whole
session) and holds the CSV button. Where the server can render figures itself (the `kaleido` package
and a Chrome it can find), the popover also offers PNG and SVG files directly, made only when clicked.
"""
from __future__ import annotations

import functools
import re
import shutil

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PNG_SCALE = 3  # 1000 px x 3 = 3000 px: 10 inches at 300 dpi
DEFAULT_WIDTH = 1000
DEFAULT_HEIGHT = 450
FORMATS = {"PNG": "png", "SVG": "svg"}
_FORMAT_KEY = "_export_image_format"  # one choice for the session, shared by every chart's popover


def image_config(name: str, fmt: str = "png", fig: go.Figure | None = None) -> dict:
    """plotly config for st.plotly_chart: the modebar's camera saves `name`.png (3x) or `name`.svg."""
    width = (fig.layout.width if fig is not None else None) or DEFAULT_WIDTH
    height = (fig.layout.height if fig is not None else None) or DEFAULT_HEIGHT
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": safe_name(name), "width": width, "height": height,
                                 "scale": PNG_SCALE if fmt == "png" else 1},
    }


def safe_name(name: str) -> str:
    """A file stem without spaces or characters that file systems dislike."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "chart"


def figure_data(fig: go.Figure) -> pd.DataFrame:
    """The values a figure draws, one row per point: trace name, x, y (and z for heatmaps)."""
    frames = []
    for i, trace in enumerate(fig.data):
        name = trace.name or f"trace {i + 1}"
        z = getattr(trace, "z", None)
        if z is not None:  # a heatmap: one row per cell
            grid = pd.DataFrame(z)
            if getattr(trace, "x", None) is not None and len(trace.x) == grid.shape[1]:
                grid.columns = list(trace.x)
            if getattr(trace, "y", None) is not None and len(trace.y) == grid.shape[0]:
                grid.index = list(trace.y)
            long = grid.stack().reset_index()
            long.columns = ["y", "x", "z"]
            frames.append(long.assign(trace=name)[["trace", "x", "y", "z"]])
            continue
        x, y = getattr(trace, "x", None), getattr(trace, "y", None)
        if x is None and y is None:
            value = getattr(trace, "value", None)  # an indicator (gauge)
            if value is not None:
                frames.append(pd.DataFrame({"trace": [name], "value": [value]}))
            continue
        n = len(x) if x is not None else len(y)
        frames.append(pd.DataFrame({"trace": [name] * n, "x": list(x) if x is not None else range(n),
                                    "y": list(y) if y is not None else [None] * n}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@functools.cache
def server_export_available() -> bool:
    """True where plotly can render images on the server: kaleido installed and a Chrome for it."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "chrome"))


def _sync_format(widget_key: str) -> None:
    st.session_state[_FORMAT_KEY] = st.session_state[widget_key]


def show_chart(fig: go.Figure, name: str, data: pd.DataFrame | None = None, *, key: str | None = None,
               container=None, **plotly_kwargs):
    """Draw `fig` with its downloads (see the module docstring); returns st.plotly_chart's value."""
    where = container if container is not None else st
    key = key or f"chart_{safe_name(name)}"
    state = st.session_state
    state.setdefault(_FORMAT_KEY, "PNG")
    fmt_key = f"{key}__format"
    state[fmt_key] = state[_FORMAT_KEY]
    config = image_config(name, FORMATS[state[_FORMAT_KEY]], fig)
    event = where.plotly_chart(fig, key=key, config=config, **plotly_kwargs)
    with where.popover("Download", icon=":material/download:", key=f"{key}__popover"):
        st.radio("The camera icon in the chart's toolbar saves", list(FORMATS), key=fmt_key, horizontal=True,
                 on_change=_sync_format, args=(fmt_key,),
                 captions=[f"{PNG_SCALE}x, print resolution", "vector, any size"])
        table = data if data is not None else figure_data(fig)
        st.download_button("Data (CSV)", table.to_csv(index=False), file_name=f"{safe_name(name)}.csv",
                           mime="text/csv", key=f"{key}__csv", on_click="ignore", icon=":material/table:")
        if server_export_available():
            for label, fmt in FORMATS.items():
                st.download_button(f"Picture ({label})", functools.partial(_render, fig, fmt),
                                   file_name=f"{safe_name(name)}.{fmt}", key=f"{key}__{fmt}", on_click="ignore",
                                   mime="image/png" if fmt == "png" else "image/svg+xml")
    return event


def _render(fig: go.Figure, fmt: str) -> bytes:
    width = fig.layout.width or DEFAULT_WIDTH
    height = fig.layout.height or DEFAULT_HEIGHT
    return fig.to_image(format=fmt, width=width, height=height, scale=PNG_SCALE if fmt == "png" else 1)
