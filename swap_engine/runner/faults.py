"""Fault-injection jobs, for testing the runner against real failures (Ray retries, error records).

They are proxies of the runner only (not in the proxy registry), selected by name in a `Job`:
- `fault-raise`: raises, as an architecture that fails to score would;
- `fault-kill-once`: kills its own worker process the first time it runs (it leaves the file named by the
  setting `fault_marker`, so the retry finds it and succeeds), as a crashed or OOM-killed worker would;
- `fault-kill-always`: kills its own worker process every time it runs, as an abort in native code does (torch
  2.14's CPU convolution backward on channels-last maps of under 8 channels), so retries cannot get past it;
- `fault-sleep`: waits `fault_sleep` seconds, a slow job (so a test can kill the driver mid-run).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable


def _raise(settings: dict[str, Any]) -> dict[str, float]:
    raise RuntimeError("injected failure (fault-raise)")


def _kill_once(settings: dict[str, Any]) -> dict[str, float]:
    marker = Path(settings["fault_marker"])
    try:
        with open(marker, "x") as handle:  # atomic: exactly one attempt creates it
            handle.write(str(os.getpid()))
    except FileExistsError:
        return {"fault-kill-once": 1.0}
    os._exit(1)  # the worker dies mid-task, without cleanup


def _kill_always(settings: dict[str, Any]) -> dict[str, float]:
    os._exit(1)


def _sleep(settings: dict[str, Any]) -> dict[str, float]:
    time.sleep(float(settings["fault_sleep"]))
    return {"fault-sleep": float(settings["fault_sleep"])}


FAULTS: dict[str, Callable[[dict[str, Any]], dict[str, float]]] = {
    "fault-raise": _raise, "fault-kill-once": _kill_once, "fault-kill-always": _kill_always,
    "fault-sleep": _sleep}
