"""Small runner jobs for the tests: tiny NB201 networks on Gaussian inputs (no data files needed)."""
from __future__ import annotations

from swap_engine import runner, spaces

TINY = {"C": 2, "N": 1}


def tiny_settings(batch_size: int = 8, **extra) -> dict:
    return {"input": "gaussian", "batch_size": batch_size, "split": "train", "input_seed": None,
            "resolution": 8, "seed": 0, "model_options": TINY, "proxy_options": {}, **extra}


def tiny_archs(n: int) -> list[str]:
    space = spaces.get("nb201")
    return [space.format(space.from_index(i)) for i in range(0, 15625, 15625 // n)][:n]


def tiny_jobs(n: int, proxies=("swap", "params"), **extra) -> list[runner.Job]:
    settings = tiny_settings(**extra)
    return [runner.Job("nb201", arch, proxy, settings, seed) for seed, arch in enumerate(tiny_archs(n))
            for proxy in proxies]
