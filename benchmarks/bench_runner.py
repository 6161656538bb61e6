"""The job runner's throughput, side by side in one run: local (1 thread) vs Ray with 1 and 2 workers.

    .venv/bin/python benchmarks/bench_runner.py [--cells 200] [--rounds 2] [--batch-size 16]
        [--whole-space] [--json results.json]

Every configuration scores the same NB201 cells (SWAP, the app's default setting) into its own fresh
store; rounds are interleaved (local, ray-2, ray-1, local, ...) so machine noise hits all alike, and the
median is reported. Ray is started once, outside the timings (its start-up is printed on its own).
Each configuration's table is checked to be identical to the local one.
`--whole-space` then times SWAP over all 15,625 cells with Ray on every CPU; `--with-shards` next to it the
old route of two `score --all --shard I/2` processes run in parallel (measured one after the other).
Run it on a quiet machine: no atlas or other heavy job at the same time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from swap_engine import atlas, runner, spaces  # noqa: E402


def jobs_for(cells: int, batch_size: int) -> list[runner.Job]:
    space = spaces.get("nb201")
    order = atlas.cell_order("nb201")[:cells]
    return [runner.Job("nb201", space.format(space.from_index(int(i))), "swap", atlas.settings(batch_size), atlas.SEED)
            for i in order]


def timed(jobs: list[runner.Job], folder: Path, name: str, **options) -> tuple[float, dict]:
    store = folder / f"{name}-{time.monotonic_ns()}.csv"
    started = time.perf_counter()
    summary = runner.run(jobs, store, progress=False, **options)
    seconds = time.perf_counter() - started
    assert summary.failed == 0, f"{name}: {summary.failed} failures"
    return seconds, runner.read_values(store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="0: skip the backend comparison")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--whole-space", action="store_true", help="also time all 15,625 cells with Ray")
    parser.add_argument("--with-shards", action="store_true", help="and with two --shard processes after it")
    parser.add_argument("--keep-store", default=None, metavar="PATH",
                        help="keep the whole-space run's store there (its records can join the atlas's store)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result: dict = {}
    if args.rounds > 0:
        result = compare_backends(args)
    if args.whole_space:
        result["whole_space"] = whole_space(args.batch_size, args.with_shards, args.keep_store)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def compare_backends(args: argparse.Namespace) -> dict:
    import ray

    jobs = jobs_for(args.cells, args.batch_size)
    cpus = os.cpu_count() or 1
    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    configs = {"local, 1 thread": {"backend": "local"},
               f"ray, {min(2, cpus)} workers": {"backend": "ray", "workers": min(2, cpus)},
               "ray, 1 worker": {"backend": "ray", "workers": 1}}
    times: dict[str, list[float]] = {name: [] for name in configs}
    identical = {name: True for name in configs}
    reference = None
    with tempfile.TemporaryDirectory() as folder:
        runner.run(jobs[:4], Path(folder) / "warm.csv", progress=False, backend="ray", workers=min(2, cpus))
        for _ in range(args.rounds):
            for name, options in configs.items():
                seconds, values = timed(jobs, Path(folder), name.split(",")[0], **options)
                times[name].append(seconds)
                reference = reference if reference is not None else values
                identical[name] &= values == reference
    ray.shutdown()
    local = statistics.median(times["local, 1 thread"])
    rows = []
    print(f"NB201, {args.cells} cells, SWAP B = {args.batch_size}, median of {args.rounds} interleaved rounds; "
          f"Ray start-up {ray_start:.1f} s (not in the times)")
    print(f"{'configuration':<18} {'seconds':>8} {'cells/s':>8} {'vs local':>9}  identical to local")
    for name in configs:
        seconds = statistics.median(times[name])
        rows.append({"configuration": name, "seconds": seconds, "cells_per_second": args.cells / seconds,
                     "speedup_vs_local": local / seconds, "identical": identical[name]})
        print(f"{name:<18} {seconds:8.2f} {args.cells / seconds:8.2f} {local / seconds:8.2f}x  {identical[name]}")
    one = statistics.median(times["ray, 1 worker"])
    print(f"per-task overhead of Ray (1 worker vs local): {one / local - 1:+.1%} (target <= +10 %)")
    return {"cells": args.cells, "rounds": args.rounds, "ray_start_seconds": ray_start, "rows": rows}


def whole_space(batch_size: int, with_shards: bool, keep_store: str | None) -> dict:
    """Wall time of SWAP over all 15,625 cells: Ray on every CPU (the atlas's settings, a fresh store, Ray's
    start-up included), then (optionally) two hand-made `score --all --shard I/2` processes."""
    with tempfile.TemporaryDirectory() as folder:
        store = Path(keep_store) if keep_store else Path(folder) / "ray.csv"
        if store.exists():
            raise SystemExit(f"{store} exists: the whole-space timing needs a fresh store")
        started = time.perf_counter()
        summary = runner.run(jobs_for(15625, batch_size), store, backend="ray")
        ray_seconds = time.perf_counter() - started
        print(f"whole NB201, Ray on {os.cpu_count()} CPUs: {ray_seconds / 60:.1f} min, {summary.line()} "
              "(target <= 25 min)")
        if not with_shards:
            return {"ray_seconds": ray_seconds, "failed": summary.failed}
        base = [sys.executable, "-m", "swap_engine", "score", "--space", "nb201", "--all",
                "--batch-size", str(batch_size)]
        started = time.perf_counter()
        shards = [subprocess.Popen([*base, "--shard", f"{i}/2", "--csv", f"{folder}/shard{i}.csv", "--json"],
                                   cwd=ROOT, stdout=subprocess.DEVNULL) for i in (0, 1)]
        for shard in shards:
            if shard.wait() != 0:
                raise RuntimeError("a --shard process failed")
        shard_seconds = time.perf_counter() - started
        print(f"whole NB201, two --shard processes: {shard_seconds / 60:.1f} min; "
              f"Ray / shards = {ray_seconds / shard_seconds:.2f}")
        return {"ray_seconds": ray_seconds, "shard_seconds": shard_seconds, "failed": summary.failed}


if __name__ == "__main__":
    raise SystemExit(main())
