"""Device choice: CUDA, then Apple's MPS, then the CPU."""
from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """Devices usable on this machine, best first (what the app's sidebar offers)."""
    found = []
    if torch.cuda.is_available():
        found += [f"cuda:{i}" if i else "cuda" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """`None` picks the best available device; a named one must exist here."""
    if device is None:
        return torch.device(available_devices()[0])
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} asked for, but CUDA is not available here; "
                         f"available: {', '.join(available_devices())}")
    if chosen.type == "mps" and "mps" not in available_devices():
        raise ValueError(f"device 'mps' asked for, but it is not available here; "
                         f"available: {', '.join(available_devices())}")
    return chosen
