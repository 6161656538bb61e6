"""What the safety work costs, side by side in one run (issue 37): every ratio below compares two things timed
in interleaved rounds in this one process, so the machine's noise hits both alike.

    .venv/bin/python benchmarks/bench_overhead.py [--cells 300] [--rounds 3] [--zoo resnet50] [--json out.json]

1. The runner (`runner.run`, local, 1 thread, SWAP B = 16 as the atlas scores it) against the bare work of
   building each model from its seed and running one plain train-mode forward, also on 1 thread; with the
   measured rate, the time the whole of NB201 would take on every core of this machine.
2. `swap_score` against a plain forward of the same NB201 model at the caller's default thread count, at
   B = 64 and B = 256, and the counts at 1 thread and at the default (they must be equal).
3. The app's scorer (`models.score_cell`: the check, the build and `swap_score`) on a zoo network at 224 px
   and B = 128 against that network's plain forward, at the default thread count.
Run it on a quiet machine: no atlas or other heavy job at the same time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from swap_engine import atlas, data, models, runner, spaces, swap_score  # noqa: E402


def interleaved(rounds: int, **work: Callable[[], object]) -> dict[str, float]:
    """The median seconds of each piece of work over `rounds` rounds, the pieces alternating within a round."""
    times: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(rounds):
        for name, fn in work.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def runner_against_bare(cells: int, rounds: int) -> dict:
    space = spaces.get("nb201")
    texts = [space.format(space.from_index(int(i))) for i in atlas.cell_order("nb201")[:cells]]
    settings = atlas.settings(16)
    jobs = [runner.Job("nb201", text, "swap", settings, atlas.SEED) for text in texts]
    batch = data.inputs(settings["input"], 16)
    archs = [space.parse(text) for text in texts]
    folder = Path(tempfile.mkdtemp())

    def bare() -> None:
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for arch in archs:
                torch.manual_seed(atlas.SEED)
                model = space.build(arch).train()
                with torch.no_grad():
                    model(batch.x)
        finally:
            torch.set_num_threads(previous)

    def through_runner() -> None:
        store = folder / f"store-{time.monotonic_ns()}.csv"
        summary = runner.run(jobs, store, backend="local", threads=1, progress=False)
        assert summary.failed == 0, summary.line()

    through_runner()  # first-call costs (imports, the input batch, the largest cell's size) are not the ratio's
    seconds = interleaved(rounds, bare=bare, runner=through_runner)
    ratio = seconds["runner"] / seconds["bare"]
    cores = os.cpu_count() or 1
    whole_minutes = 15625 * seconds["runner"] / cells / cores / 60
    print(f"1. runner vs bare build + forward, NB201, {cells} cells, SWAP B = 16, 1 thread, median of {rounds}")
    print(f"   bare {seconds['bare']:.2f} s   runner {seconds['runner']:.2f} s   ratio {ratio:.2f}x (target <= 1.15x)")
    print(f"   whole NB201 at this rate on {cores} cores: {whole_minutes:.1f} min (target <= 6 min)")
    return {"cells": cells, "bare_seconds": seconds["bare"], "runner_seconds": seconds["runner"], "ratio": ratio,
            "whole_nb201_minutes": whole_minutes, "cores": cores}


def swap_against_forward(rounds: int) -> list[dict]:
    space = spaces.get("nb201")
    arch = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|"
                       "avg_pool_3x3~2|")
    model = models.build(space, arch, seed=0)
    threads = torch.get_num_threads()
    rows = []
    print(f"2. swap_score vs plain forward, NB201 C = 16, train mode, {threads} threads (the default), "
          f"median of {rounds}")
    for batch_size in (64, 256):
        batch = data.inputs("cifar10", batch_size)

        def forward(batch=batch) -> None:
            model.train()
            with torch.no_grad():
                model(batch.x)

        seconds = interleaved(rounds, forward=forward, swap=lambda batch=batch: swap_score(model, batch, seed=0))
        counted = swap_score(model, batch, seed=0).raw_score
        torch.set_num_threads(1)
        alone = swap_score(model, batch, seed=0).raw_score
        torch.set_num_threads(threads)
        ratio = seconds["swap"] / seconds["forward"]
        print(f"   B = {batch_size:>3}: forward {seconds['forward']:.3f} s   swap {seconds['swap']:.3f} s   ratio "
              f"{ratio:.2f}x (target <= 1.3x)   count {counted:,.0f} at {threads} threads, {alone:,.0f} at 1")
        rows.append({"batch_size": batch_size, "threads": threads, "forward_seconds": seconds["forward"],
                     "swap_seconds": seconds["swap"], "ratio": ratio, "count": counted, "count_one_thread": alone})
    return rows


def zoo_against_forward(name: str, rounds: int) -> dict:
    space = spaces.get("zoo")
    batch = data.inputs("cifar10", 128, resolution=224)
    model = models.build(space, name, seed=0)

    def forward() -> None:
        model.train()
        with torch.no_grad():
            model(batch.x)

    seconds = interleaved(rounds, forward=forward, app=lambda: models.score_cell(space, name, batch, seed=0))
    ratio = seconds["app"] / seconds["forward"]
    print(f"3. the app's scorer (check + build + swap_score) vs plain forward, zoo {name}, 224 px, B = 128, "
          f"{torch.get_num_threads()} threads, median of {rounds}")
    print(f"   forward {seconds['forward']:.2f} s   app {seconds['app']:.2f} s   ratio {ratio:.2f}x (target <= 1.3x)")
    return {"model": name, "forward_seconds": seconds["forward"], "app_seconds": seconds["app"], "ratio": ratio}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--zoo", default="resnet50", help="the zoo network of part 3 ('' skips it)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, default threads {torch.get_num_threads()}")
    result = {"runner": runner_against_bare(args.cells, args.rounds), "swap": swap_against_forward(args.rounds)}
    if args.zoo:
        result["zoo"] = zoo_against_forward(args.zoo, args.rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
