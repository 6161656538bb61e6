"""`python -m swap_engine protocols`: every benchmark under three protocols, each compared with its own kind.

Zero-shot (no label of the benchmark read: fixed rules and each proxy alone, with 95 % intervals), k labels
(a predictor and the recipe chooser fitted on k seeded architectures, scored on all the others, for k from 10
to 1,000 up to 60 % of the benchmark) and the ceiling (a second training run, where the benchmark has one). It
reads the atlases in sample_data/ and scores nothing; the whole study takes about half an hour on one core.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from pathlib import Path


def register(subparsers) -> None:
    from swap_engine.studies import families, protocols

    parser = subparsers.add_parser("protocols", help="zero-shot, k labels and the ceiling on every benchmark",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("--tasks", default=None, metavar="LIST",
                        help="comma-separated tasks (default: all): " + ", ".join(t.name for t in families.TASKS))
    parser.add_argument("--ks", default=",".join(map(str, protocols.KS)), metavar="LIST",
                        help="label counts (default: %(default)s)")
    parser.add_argument("--draws", type=int, default=20, help="draws of the k outside NB201 (default 20)")
    parser.add_argument("--nb201-draws", type=int, default=10, help="draws of the k on NB201 (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples (default 500)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="tasks studied at once, each in its own process (default 1; the numbers are the same)")
    parser.add_argument("--results-md", type=Path, default=None, metavar="FILE",
                        help="regenerate the protocols block of this Markdown file (e.g. docs/results.md)")
    parser.add_argument("--json-out", type=Path, default=None, metavar="FILE",
                        help="write the numbers as JSON (sample_data/protocols.json: the Proxy lab draws them); "
                             "with --tasks, the file's other tasks are kept")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from swap_engine.studies import families, protocols

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    for name in tasks or []:
        families.task(name)
    if tasks and args.results_md and not args.json_out:
        raise ValueError("--tasks with --results-md needs --json-out too: the results block holds every task, and "
                         "the other tasks' numbers come from that file")
    try:
        ks = tuple(int(k) for k in args.ks.split(","))
    except ValueError:
        raise ValueError(f"--ks must be whole numbers separated by commas, got {args.ks!r}") from None
    found = protocols.study(tasks, ks=ks, draws=args.draws, nb201_draws=args.nb201_draws, seed=args.seed,
                            n_boot=args.n_boot, jobs=args.jobs,
                            progress=lambda text: print(text, file=sys.stderr, flush=True))
    command = ("python -m swap_engine protocols " + " ".join(shlex.quote(a) for a in args.argv[1:])).strip()
    results = protocols.as_json(found, command)
    if tasks and args.json_out and args.json_out.exists():  # a rerun of some tasks keeps the others' numbers
        results = protocols.merged(json.loads(args.json_out.read_text()), results)
    # The block's command: the one most tasks came from (on a tie, the earlier run's); a task rerun alone names its own.
    used = Counter(part.get("command", command) for part in results.values())
    shown = max(used, key=lambda c: (used[c], c != command))
    print(protocols.markdown(results, shown))
    if args.results_md:
        protocols.update_results_md(args.results_md, results, shown)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=1) + "\n")
    return 0
