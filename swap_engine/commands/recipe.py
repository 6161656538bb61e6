"""`python -m swap_engine recipe`: choose a proxy recipe on half of NB201, report it on the other half.

The recipe (which atlas columns, weights, label-free regularisation, aggregation) is chosen on a seeded
random half of the NB201 cells with CIFAR-10 validation accuracy only, then reported unchanged on the other
half against every NB201 target, next to each proxy alone on all cells, a recipe chosen for search (by the
expected validation accuracy of the best-scored of 100 random cells) and, with --transfer, applied
unchanged to DARTS-1k and NB101-500 (the recipe's columns scored there through the job runner, resumable).
Without --transfer it reads the atlas (swap_engine.atlas, else sample_data) and scores nothing.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from swap_engine.commands._args import add_runner_arguments, runner_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "recipe", help="choose a proxy combination on half of NB201 (CIFAR-10 valid), report it on the other half",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("--seed", type=int, default=0, help="seed of the random halves and the bootstrap")
    parser.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples for the intervals (default 500)")
    parser.add_argument("--max-terms", type=int, default=5, help="most proxies in one recipe (default 5)")
    parser.add_argument("--min-coverage", type=float, default=0.95,
                        help="a column is a candidate when it covers this fraction of the fitting half")
    parser.add_argument("--results-md", type=Path, default=None, metavar="FILE",
                        help="regenerate the recipe block of this Markdown file (e.g. docs/results.md)")
    parser.add_argument("--subset", default=None, metavar="COLUMN",
                        help="only the cells where this atlas column is measured (e.g. naswot_b64 while the atlas "
                             "is partial: a seeded uniform sample of the space)")
    parser.add_argument("--transfer", default="", metavar="LIST",
                        help="benchmarks to apply the chosen recipe to, unchanged: darts-1k, nb101-500, with "
                             "':N' for N seeded cells (e.g. darts-1k,nb101-500:100)")
    parser.add_argument("--transfer-store", default=None, metavar="DIR",
                        help="folder of the transfer runs' stores (default: results/transfer)")
    parser.add_argument("--device", default=None, help="for --transfer: cpu, cuda, mps (default: the best available)")
    parser.add_argument("--recipes-json", type=Path, default=None, metavar="FILE",
                        help="write the chosen recipes here, for the Proxy lab's starting points (the repository "
                             "keeps sample_data/nb201_recipes.json)")
    parser.add_argument("--json", action="store_true", help="print the chosen recipe and held-out rows as JSON")
    add_runner_arguments(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from swap_engine.studies import recipe_study, transfer

    transfers = transfer.parse(args.transfer)
    options = runner_options(args)
    if args.n_boot < 0:
        raise ValueError(f"--n-boot must be >= 0, got {args.n_boot}")
    parts = ["python", "-m", "swap_engine", "recipe", "--seed", str(args.seed), "--n-boot", str(args.n_boot)]
    if args.max_terms != 5:
        parts += ["--max-terms", str(args.max_terms)]
    if args.min_coverage != 0.95:
        parts += ["--min-coverage", str(args.min_coverage)]
    if args.subset is not None:
        parts += ["--subset", args.subset]
    if args.transfer:
        parts += ["--transfer", args.transfer]
    if args.results_md is not None:
        parts += ["--results-md", str(args.results_md)]
    if args.recipes_json is not None:
        parts += ["--recipes-json", str(args.recipes_json)]
    report = recipe_study.study(seed=args.seed, n_boot=args.n_boot, max_terms=args.max_terms,
                                min_coverage=args.min_coverage, command=shlex.join(parts), subset=args.subset,
                                progress=lambda line: print(line, file=sys.stderr), transfers=transfers,
                                transfer_store=args.transfer_store,
                                runner_options={**options, "device": args.device})
    if args.json:
        print(json.dumps({"recipe": report.choice.recipe.text(), "fit_spearman": report.choice.fit,
                          "source": report.source, "held_out": report.held_out, "single": report.single,
                          "transfer": report.transfer,
                          "whole_space": None if report.whole is None else {
                              "recipe": report.whole.choice.recipe.text(), "cells": report.whole.n_cells,
                              "fit_spearman": report.whole.choice.fit, "held_out": report.whole.held_out},
                          "search": None if report.search is None else {
                              "recipe": report.search.choice.recipe.text(), "objective": report.search.choice.objective,
                              "fit": report.search.choice.fit, "rows": report.search.rows}},
                         default=float))
    else:
        print(report.markdown())
    if args.results_md is not None:
        recipe_study.update_results_md(args.results_md, report)
        print(f"updated {args.results_md}", file=sys.stderr)
    if args.recipes_json is not None:
        chosen = {"command": report.command, "ranking": report.choice.recipe.text(),
                  "whole_space": None if report.whole is None else report.whole.choice.recipe.text(),
                  "search": None if report.search is None else report.search.choice.recipe.text()}
        args.recipes_json.write_text(json.dumps(chosen, indent=1) + "\n")
        print(f"wrote {args.recipes_json}", file=sys.stderr)
    return 0
