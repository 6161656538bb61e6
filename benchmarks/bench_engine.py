"""Engine speed and memory, side by side in one run: plain forward vs `swap_score` vs the naive method.

    .venv/bin/python benchmarks/bench_engine.py [--batches 16,64,256,1024] [--rounds 5] [--device cpu]
        [--naive-max-batch 256] [--json results.json]

Time: median of interleaved rounds (forward, swap, naive, forward, ...) after one untimed warm-up round,
so machine noise hits all three alike. "Overhead" = a method's time minus the plain forward's.
Memory: the peak of live tensor bytes while each method runs (CPU: from the profiler's allocation
events; CUDA: torch.cuda.max_memory_allocated), above what was live before.
"swap extra" = swap's peak minus the plain forward's, next to the budget of ceil(B/64) * 8 bytes per
neuron (x2 ternary) plus the largest activation layer. On CUDA the table also gives swap's absolute peak
(max_memory_allocated while it runs, model and inputs included) against the device's total memory.
`--json` writes every row (times, ratios, peaks, budgets) for scripts such as benchmarks/gpu_check.sh.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swap_engine import swap_score  # noqa: E402
from swap_engine.swap.naive import naive_counts  # noqa: E402

NB201_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"
NAIVE_LIMIT_BYTES = 6 * 2 ** 30  # the naive method keeps B x N floats (twice); skip it beyond this


def build(model_name: str, batch: int, device: str):
    """(model, inputs) for one benchmark case, deterministic."""
    from swap_engine import spaces
    torch.manual_seed(0)
    if model_name == "nb201":
        space = spaces.get("nb201")
        model = space.build(space.parse(NB201_ARCH))
        x = torch.randn(batch, 3, 32, 32)
    else:  # a small GELU transformer from the FlexiBERT space, 32 tokens
        space = spaces.get("flexibert")
        model = space.build(space.parse("h128|SA-SDP-h2-ff512x1|LT-DFT-h2-ff512x1"), dropout=0.0)
        x = torch.randint(0, 30522, (batch, 32))
    return model.to(device), x.to(device)


def forward(model, x):
    with torch.no_grad():
        model(x)


def run_method(method: str, model, x, device: str):
    if method == "forward":
        forward(model, x)
    elif method == "swap":
        swap_score(model, x, device=device)
    else:
        naive_counts(model, x, layers=False)


def sync(device: str):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def neuron_facts(model, x, device):
    result = swap_score(model, x, device=device)
    largest = max(layer.neurons for layer in result.layers)
    words = math.ceil(x.shape[0] / 64) * (2 if result.ternary else 1)
    budget = result.neurons * words * 8 + largest * x.shape[0] * 4
    return result, budget


def peak_tensor_bytes(method: str, model, x, device: str) -> int:
    """Peak bytes of live tensors while one method runs, above what was live before it.

    CPU: replayed from the profiler's allocation and free events (exact, unlike resident-memory readings,
    which the C allocator's caching blurs); CUDA: torch.cuda.max_memory_allocated.
    """
    if device.startswith("cuda"):
        return cuda_peaks(method, model, x, device)[0]
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run_method(method, model, x, device)
    events = sorted((e for e in prof.events() if e.self_cpu_memory_usage), key=lambda e: e.time_range.start)
    live = peak = 0
    for event in events:
        live += event.self_cpu_memory_usage
        peak = max(peak, live)
    return peak


def cuda_peaks(method: str, model, x, device: str) -> tuple[int, int]:
    """(peak above what was live before, absolute peak) of torch.cuda.max_memory_allocated for one method."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    run_method(method, model, x, device)
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    return peak - base, peak


def device_facts(device: str) -> dict:
    facts = {"device": device, "torch": torch.__version__}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        facts.update(gpu=props.name, total_memory=props.total_memory, cuda=torch.version.cuda,
                     cudnn=torch.backends.cudnn.version())
    return facts


def fmt_bytes(n: float) -> str:
    return f"{n / 2 ** 20:8.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="16,64,256,1024")
    parser.add_argument("--models", default="nb201,transformer")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--naive-max-batch", type=int, default=None, metavar="B",
                        help="run the naive method only up to this batch size (its NumPy unique is slow)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write all rows as JSON")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 keeps timings sane when other processes load the machine: "
                             "OpenMP threads that lose their core wait for each other)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    facts = device_facts(args.device)
    print(f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"rounds {args.rounds}" + (f", {facts['gpu']}, {fmt_bytes(facts['total_memory']).strip()}, "
                                     f"CUDA {facts['cuda']}" if "gpu" in facts else ""))
    header = (f"{'model':<12}{'B':>6}{'N':>10}{'forward s':>11}{'swap s':>9}{'naive s':>9}{'swap/fwd':>9}"
              f"{'ovh ratio':>10}{'counts equal':>13}")
    print(header)
    memory_rows = []
    rows: list[dict] = []
    for name in args.models.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            model, x = build(name, batch, args.device)
            model.train()
            result, budget = neuron_facts(model, x, args.device)
            naive_ok = result.neurons * batch * 4 * 2 <= NAIVE_LIMIT_BYTES
            naive_ok = naive_ok and (args.naive_max_batch is None or batch <= args.naive_max_batch)
            methods = ["forward", "swap"] + (["naive"] if naive_ok else [])
            times = {m: [] for m in methods}
            for round_ in range(args.rounds + 1):
                for method in methods:
                    sync(args.device)
                    start = time.perf_counter()
                    run_method(method, model, x, args.device)
                    sync(args.device)
                    if round_:  # round 0 warms up
                        times[method].append(time.perf_counter() - start)
            med = {m: statistics.median(t) for m, t in times.items()}
            equal = "-"
            if naive_ok:
                equal = "yes" if naive_counts(model, x, layers=False)[0] == result.counts[0] else "NO"
            over_swap = med["swap"] - med["forward"]
            ratio = (med["naive"] - med["forward"]) / max(over_swap, 1e-9) if naive_ok else float("nan")
            naive_s = f"{med['naive']:9.3f}" if naive_ok else f"{'skipped':>9}"
            print(f"{name:<12}{batch:>6}{result.neurons:>10}{med['forward']:>11.3f}{med['swap']:>9.3f}{naive_s}"
                  f"{med['swap'] / med['forward']:>9.2f}{ratio:>10.1f}{equal:>13}", flush=True)
            row = {"model": name, "batch": batch, "neurons": result.neurons, "ternary": result.ternary,
                   **{f"{m}_s": med[m] for m in methods}, "swap_over_forward": med["swap"] / med["forward"],
                   "overhead_ratio": ratio if naive_ok else None, "counts_equal": equal, "budget_bytes": budget}
            if not args.no_memory:
                peaks = {m: peak_tensor_bytes(m, model, x, args.device) for m in methods}
                memory_rows.append((name, batch, budget, peaks))
                row.update({f"{m}_peak_bytes": peak for m, peak in peaks.items()},
                           swap_extra_over_budget=max(0, peaks["swap"] - peaks["forward"]) / budget)
                if args.device.startswith("cuda"):
                    row["swap_absolute_peak_bytes"] = cuda_peaks("swap", model, x, args.device)[1]
            rows.append(row)
            del model, x
            if args.device.startswith("cuda"):
                torch.cuda.empty_cache()
    if memory_rows:
        print("\npeak memory of live tensors while each method runs")
        print(f"{'model':<12}{'B':>6}{'forward':>13}{'swap':>13}{'naive':>13}{'swap extra':>13}{'budget':>13}"
              f"{'extra/budget':>13}")
        for (name, batch, budget, peak), row in zip(memory_rows, rows, strict=True):
            naive = fmt_bytes(peak["naive"]) if "naive" in peak else f"{'skipped':>12}"
            extra = max(0, peak["swap"] - peak["forward"])
            absolute = ""
            if "swap_absolute_peak_bytes" in row:
                absolute = (f"   swap peak {fmt_bytes(row['swap_absolute_peak_bytes']).strip()} of "
                            f"{fmt_bytes(facts['total_memory']).strip()}")
            print(f"{name:<12}{batch:>6}{fmt_bytes(peak['forward']):>13}{fmt_bytes(peak['swap']):>13}{naive:>13}"
                  f"{fmt_bytes(extra):>13}{fmt_bytes(budget):>13}{extra / budget:>13.2f}{absolute}")
    print("\nratios: swap/fwd = swap_score time / plain forward time; ovh ratio = naive overhead / swap overhead")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({**facts, "threads": torch.get_num_threads(), "rounds": args.rounds, "rows": rows},
                      handle, indent=1)


if __name__ == "__main__":
    main()
