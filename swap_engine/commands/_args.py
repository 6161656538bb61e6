"""Argument types shared by several commands."""
from __future__ import annotations

import argparse
import ast
from typing import Any


def mu_sigma(text: str) -> tuple[float, float]:
    """'MU,SIGMA' (or one number for mu = sigma, as the paper reports them) -> (mu, sigma)."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--regularize wants MU,SIGMA numbers, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or values[1] <= 0:
        raise argparse.ArgumentTypeError(f"--regularize wants MU,SIGMA with SIGMA > 0, got {text!r}")
    return values[0], values[1]


def parse_value(text: str) -> Any:
    """A Python literal (int, float, bool, tuple, ...) when it is one, else the text itself. Never eval."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_pairs(items: list[str], flag: str) -> dict[str, Any]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {item!r} must look like KEY=VALUE")
        pairs[key.strip()] = parse_value(value.strip())
    return pairs


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The job runner's options (`swap_engine.runner.run`), the same for every command that uses it."""
    group = parser.add_argument_group("job runner")
    group.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="local: in this process (default); ray: a local Ray with this machine's CPUs and "
                            "GPUs, or the cluster at --address")
    group.add_argument("--address", default=None, metavar="HOST:PORT",
                       help="an existing Ray cluster (--backend ray), joined with this machine's Ray token "
                            "(~/.ray/auth_token or RAY_AUTH_TOKEN); its nodes need no data files")
    group.add_argument("--workers", type=int, default=None, help="tasks at once (default: all CPUs)")
    group.add_argument("--chunk-size", type=int, default=None, help="architectures per task (default: automatic)")
    group.add_argument("--gpus-per-task", type=float, default=0.0,
                       help="share of a GPU per Ray task (e.g. 0.25: four networks share one GPU)")
    group.add_argument("--threads", type=int, default=1, help="torch threads per task (default 1)")
    group.add_argument("--retry-failed", action="store_true", help="run again the jobs stored as failed")
    parser.set_defaults(resumable=True)  # an interrupted run keeps its finished results: say so (cli.main)


def runner_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for `swap_engine.runner.run` from the parsed runner options."""
    for name in ("workers", "chunk_size", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.gpus_per_task < 0:
        raise ValueError(f"--gpus-per-task must not be negative, got {args.gpus_per_task}")
    return {"backend": args.backend, "address": args.address, "workers": args.workers,
            "chunk_size": args.chunk_size, "gpus_per_task": args.gpus_per_task, "threads": args.threads,
            "retry_failed": args.retry_failed}
