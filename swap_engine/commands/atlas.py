"""`python -m swap_engine atlas --space nb201 [--backend ray]`: every proxy on every cell of a benchmark, into
sample_data/ (`--space` names an atlas: nb201, darts-1k, darts-1k-proxynet, nb301-500, nb101-500,
flexibert-500, zoo).

Cells are scored in a seeded random order, in rounds; after each round the table is rebuilt from the
runner's store and written to the atlas file, so a run stopped at any point leaves a usable atlas (a
uniform random sample of the space) and a rerun continues where it stopped.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from swap_engine.commands._args import add_runner_arguments, runner_options


def register(subparsers) -> None:
    from swap_engine import atlas

    parser = subparsers.add_parser(
        "atlas", help="compute the proxy atlas of a search space (resumable)",
        description="Score every architecture of a benchmark with every atlas proxy through the job runner. "
                    "Atlases: " + "; ".join(f"{s.name}: {s.title}" for s in atlas.SPECS.values()) + ". "
                    "Groups: " + "; ".join(f"{g.name}: {g.description}" for g in atlas.GROUPS.values()))
    parser.add_argument("--space", default="nb201", metavar="ATLAS", choices=list(atlas.SPECS),
                        help=f"the benchmark's atlas ({', '.join(atlas.SPECS)})")
    parser.add_argument("--groups", default="first", help="comma-separated proxy groups (default: first)")
    parser.add_argument("--only", default=None, metavar="LIST",
                        help="comma-separated proxies or settings of those groups, e.g. swap_b8,flops "
                             "(default: all of them)")
    parser.add_argument("--cells", type=int, default=None, metavar="N",
                        help="only the first N cells of the seeded random order (default: all)")
    parser.add_argument("--round", type=int, default=200, metavar="N",
                        help="cells per round; the atlas file is rewritten after each (default 200)")
    parser.add_argument("--store", default=None, metavar="PATH",
                        help="the runner's store (default: results/atlas/SPACE.csv)")
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="the atlas file (default: the package's sample_data/ file)")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--build-only", action="store_true", help="only rebuild the atlas file from the store")
    add_runner_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from swap_engine import atlas, runner

    store = runner.Store(args.store or f"results/atlas/{args.space}.csv")
    out = Path(args.out) if args.out else atlas.path(args.space)
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    args.only_list = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else None
    atlas.jobs(args.space, groups, cells=[], only=args.only_list)  # a bad name fails before any work
    if args.round < 1:
        raise ValueError(f"--round must be at least 1, got {args.round}")
    order = atlas.cell_order(args.space)[: args.cells]
    options = runner_options(args)
    if out.exists():  # a fresh checkout has the committed atlas but not the store it came from
        seeded = store.append(atlas.records(atlas.load_file(out), args.space))
        if seeded:
            print(f"{seeded} results taken from {out} into {store.path}", file=sys.stderr)
    started = time.perf_counter()
    rounds = 0 if args.build_only else math.ceil(len(order) / args.round)
    with runner.session(options["backend"], address=options["address"], workers=options["workers"]):
        done, failed = _rounds(args, store, out, groups, order, rounds, options, started)
    table = atlas.build(args.space, store)
    atlas.save(table, out)
    coverage = atlas.coverage(table)
    print(f"{out}: {len(table)} cells; {done} jobs run, {failed} failed, in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    print((coverage * len(table)).round().astype(int).rename("cells").to_string())
    return 0


def _rounds(args: argparse.Namespace, store, out: Path, groups: list[str], order, rounds: int, options: dict,
            started: float) -> tuple[int, int]:
    from swap_engine import atlas, runner

    done = failed = 0
    for number in range(rounds):
        cells = order[number * args.round:(number + 1) * args.round]
        jobs = atlas.jobs(args.space, groups, cells, only=args.only_list)
        summary = runner.run(jobs, store, device=args.device, **options)
        done, failed = done + summary.done, failed + summary.failed
        if summary.done:
            atlas.save(atlas.build(args.space, store), out)
            elapsed = time.perf_counter() - started
            print(f"round {number + 1}/{rounds}: {summary.line()}; {elapsed / 60:.1f} min so far", file=sys.stderr)
    return done, failed
