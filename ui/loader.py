"""The engine (torch, the search spaces, plotly), imported in a background thread once per process: started by
the first page that needs it or just after a first page that does not, so that the first page draws before
torch is loaded. `ui.state` asks it whether the engine is ready; pages wait for it through `engine()`."""
from __future__ import annotations

import threading


def _load_engine() -> None:
    from swap_engine import device, spaces  # noqa: F401  (torch, and every space module through the registry)

    spaces.names()
    device.available_devices()
    import ui.charts  # noqa: F401  (plotly, networkx)
    import ui.tables  # noqa: F401  (the library behind ui.engine: importing that later is quick)


_preload = threading.Thread(target=_load_engine, name="swap-engine-preload", daemon=True)
_preload_lock = threading.Lock()


def start_engine() -> None:
    """Begin importing the engine in the background (once per process), when a page first needs it or the
    first page is over (the Device box): the Learn page draws without competing with torch's import."""
    with _preload_lock:
        if _preload.ident is None:
            _preload.start()


def wait_for_engine() -> None:
    """Start the engine's import if nobody has, and wait until it is over."""
    start_engine()
    _preload.join()


def engine():
    """The engine modules, once the background import is over (it holds the import lock)."""
    wait_for_engine()
    from swap_engine import data, spaces
    from swap_engine import device as devices

    return data, spaces, devices


def engine_ready() -> bool:
    return _preload.ident is not None and not _preload.is_alive()
