"""MeCo's cost, side by side in one run: maps with no fewer channels than pixels skipped (`meco.singular`) vs
every map through the eigensolver, as before round 4's stop 52.

    SWAP_DATA=../shared/data .venv/bin/python benchmarks/bench_meco.py [--rounds 3] [--threads 1]

Time: median of interleaved rounds (skipped, eigensolver, skipped, ...) after one untimed warm-up of each, on
the atlases' settings: timm's ResNet-50 at 64 x 64 and an NB201 cell at 32 x 32, the first 64 CIFAR-10 training
images. Also prints the largest difference of the two values (the eigensolver's round-off on singular maps).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swap_engine import data, models, proxies, spaces  # noqa: E402
from swap_engine.proxies import meco as meco_module  # noqa: E402

CASES = (("timm", "resnet50", 64),
         ("nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|",
          32))


def timed(model, batch, every_map: bool) -> tuple[float, float]:
    """(seconds, MeCo) with the shortcut, or with every map through the eigensolver."""
    patch = mock.patch.object(meco_module, "singular", lambda rows, observations: False) if every_map else nullcontext()
    started = time.perf_counter()
    with patch:
        value = proxies.score("meco", model, batch)
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} rounds")
    print(f"{'network':<14}{'skipped s':>11}{'eigensolver s':>15}{'ratio':>8}{'|difference|':>15}")
    for space_name, arch, resolution in CASES:
        space = spaces.get(space_name)
        batch = data.inputs("cifar10", 64, resolution=resolution)
        model = models.build(space, space.parse(arch), None, seed=0, inputs=batch, device=torch.device("cpu"))
        times: dict[bool, list[float]] = {False: [], True: []}
        values: dict[bool, float] = {}
        for round_ in range(args.rounds + 1):
            for every_map in (False, True):
                seconds, values[every_map] = timed(model, batch, every_map)
                if round_:  # the first round warms up
                    times[every_map].append(seconds)
        fast, slow = statistics.median(times[False]), statistics.median(times[True])
        name = arch if space_name == "timm" else "nb201 cell"
        print(f"{name:<14}{fast:>11.2f}{slow:>15.2f}{slow / fast:>7.1f}x{abs(values[True] - values[False]):>15.1e}")
    print("\nratio = eigensolver time / skipped time (higher: the shortcut saves more)")


if __name__ == "__main__":
    main()
