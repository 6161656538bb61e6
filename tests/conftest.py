"""Test-wide setup: real data from ../shared/data unless SWAP_DATA says otherwise (CI sets it too)."""
import os
from pathlib import Path

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if "SWAP_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["SWAP_DATA"] = str(_SHARED)
