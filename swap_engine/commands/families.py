"""`python -m swap_engine families`: proxies and recipes across every benchmark's atlas, honestly.

For each benchmark (each NB201 dataset apart) a recipe is chosen on a seeded half of its measured cells with
its validation (or only) accuracy and reported unchanged on the other half; one recipe per benchmark is chosen
leave-one-benchmark-out, on the other benchmarks' labels only; every chosen recipe is read on every other
benchmark (the transfer matrix); and every proxy alone, with NAS-Bench-Suite-Zero's published values where it
ships them. It reads the atlases in sample_data/ and scores nothing.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path


def register(subparsers) -> None:
    from swap_engine.studies import families

    parser = subparsers.add_parser(
        "families", help="each benchmark's recipe, leave-one-benchmark-out and transfer, from the atlases",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("--tasks", default=None, metavar="LIST",
                        help="comma-separated tasks (default: all): " + ", ".join(t.name for t in families.TASKS))
    parser.add_argument("--seed", type=int, default=0, help="seed of the halves and the bootstrap")
    parser.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples for the intervals (default 500)")
    parser.add_argument("--max-terms", type=_terms, default="auto",
                        help="most proxies in one recipe, or auto (default): 3, 5 or 7, as an inner split of the "
                             "fitting half says")
    parser.add_argument("--weigh", choices=families.WEIGHINGS, default="benchmark",
                        help="a leave-one-out fit's mean over the other benchmarks: each benchmark once (default), or "
                             "each search space once (DARTS-1k and NB301-500 half each)")
    parser.add_argument("--results-md", type=Path, default=None, metavar="FILE",
                        help="regenerate the families block of this Markdown file (e.g. docs/results.md)")
    parser.add_argument("--recipes-json", type=Path, default=None, metavar="FILE",
                        help="write every task's recipe and its leave-one-out recipe (sample_data/recipes.json)")
    parser.add_argument("--json", action="store_true", help="print the recipes and held-out numbers as JSON")
    parser.set_defaults(func=_run)


def _terms(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 or auto, got {text!r}")
    return int(text)


def _run(args: argparse.Namespace) -> int:
    from swap_engine.studies import families, published_agreement

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    for name in tasks or []:
        families.task(name)  # an unknown name fails before any work
    if args.n_boot < 0:
        raise ValueError(f"--n-boot must be >= 0, got {args.n_boot}")
    parts = ["python", "-m", "swap_engine", "families", "--seed", str(args.seed), "--n-boot", str(args.n_boot)]
    if tasks:
        parts += ["--tasks", ",".join(tasks)]
    if args.max_terms != "auto":
        parts += ["--max-terms", str(args.max_terms)]
    if args.weigh != "benchmark":
        parts += ["--weigh", args.weigh]
    report = families.study(tasks, seed=args.seed, n_boot=args.n_boot, max_terms=args.max_terms, weigh=args.weigh,
                            progress=lambda line: print(line, file=sys.stderr))
    if args.results_md is not None:
        families.update_results_md(args.results_md, report, shlex.join([*parts, "--results-md", str(args.results_md)]))
        published_agreement.update_results_md(args.results_md, seed=args.seed)
    if args.recipes_json is not None:
        families.write_recipes(args.recipes_json, report)
    if args.json:
        rows = [{"task": r.task, "kind": kind, "recipe": r.recipe, "fit": r.fit, "cells": r.cells,
                 "held_out_spearman": None if r.held_out is None else r.held_out.spearman}
                for kind, found in (("own", report.own), ("loo", report.loo)) for r in found]
        print(json.dumps({"rows": rows, "skipped": report.skipped}, indent=2))
    else:
        print(families.markdown(report, shlex.join(parts)))
    return 0
