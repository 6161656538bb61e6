"""`swap-explorer lab --atlas nb201 --target cifar10_test_acc_pct --recipe 'log_rank:swap_b16+params'`.

Prints what the Proxy lab shows for one recipe on one benchmark's atlas, computed by the same function
(`studies.reading.read`): Spearman and Kendall with bootstrap intervals, top-k precision, the expected best of
100 random cells, the cells read, and with --versus the paired test of two recipes. The lab's "copy as command"
writes this line. It reads the atlas and scores nothing.
"""
from __future__ import annotations

import argparse
import json

from swap_engine.recipe import NON_FINITE, SEARCH_BUDGET


def register(subparsers) -> None:
    from swap_engine.studies.reading import CELLS

    parser = subparsers.add_parser("lab", help="a recipe's Spearman, Kendall and top-k on a benchmark's atlas, as "
                                               "the Proxy lab shows them", description=__doc__.split("\n\n")[1])
    parser.add_argument("--atlas", default="nb201", help="the benchmark's atlas (default nb201)")
    parser.add_argument("--recipe", required=True, help="a recipe, e.g. 'log_rank:swap_b16+params' or 'swap_b16'")
    parser.add_argument("--target", default=None,
                        help="the ground-truth column (default: the benchmark's first, e.g. cifar10_test_acc_pct)")
    parser.add_argument("--cells", choices=list(CELLS), default="all",
                        help="all measured cells (default), or the families study's reporting / fitting half")
    parser.add_argument("--non-finite", choices=list(NON_FINITE), default="last",
                        help="a score of -inf: ranked last (default) or the cell dropped")
    parser.add_argument("--top-k", type=float, default=0.1, help="the best fraction of top-k precision (0.1)")
    parser.add_argument("--n-boot", type=int, default=100, help="bootstrap resamples for the intervals (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resamples (the lab's: 0)")
    parser.add_argument("--versus", default=None, metavar="RECIPE",
                        help="a second recipe: the difference of Spearman (first minus this), paired bootstrap")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from swap_engine.recipe import Recipe
    from swap_engine.studies import reading
    from swap_engine.studies.recipe_report import TARGET_LABELS

    if not 0.01 <= args.top_k <= 0.5:
        raise ValueError(f"--top-k must be a fraction from 0.01 to 0.5, got {args.top_k}")
    if args.n_boot < 0:
        raise ValueError(f"--n-boot must be >= 0, got {args.n_boot}")
    frame = reading.atlas_frame(args.atlas)
    target = args.target or next(iter(frame.attrs.get("targets", [])), None)
    if target is None:
        raise ValueError(f"the atlas {args.atlas} has no ground truth on this machine")
    recipe = Recipe.parse(args.recipe)
    versus = Recipe.parse(args.versus) if args.versus else None
    found = reading.read(frame, recipe, target, cells=args.cells, rule=args.non_finite, top_k=args.top_k,
                         n_boot=args.n_boot, seed=args.seed, versus=versus)
    c = found.correlation
    best, floor, oracle = found.best_of
    if args.json:
        out = {"atlas": args.atlas, "target": target, "recipe": recipe.text(), "cells": c.n, "spearman": c.spearman,
               "spearman_ci": list(c.spearman_ci), "kendall": c.kendall, "kendall_ci": list(c.kendall_ci),
               "top_k_precision": c.top_k_precision, "best_of_budget": best, "random": floor, "oracle": oracle}
        if found.versus is not None:
            out["versus"] = {"recipe": versus.text(), **vars(found.versus)}
        print(json.dumps(out, default=float))
        return 0
    unit = " %" if target.endswith("_pct") else ""
    print(f"{recipe.text()} against {TARGET_LABELS.get(target, target)} on {args.atlas}, "
          f"{reading.CELLS[args.cells]} ({c.n:,} cells; -inf: {NON_FINITE[args.non_finite]})")
    print(f"Spearman {c.spearman:.3f}{_interval(*c.spearman_ci)}")
    print(f"Kendall {c.kendall:.3f}{_interval(*c.kendall_ci)}")
    print(f"top-{args.top_k:.0%} precision {c.top_k_precision:.2f}")
    if best == best:
        print(f"best of {SEARCH_BUDGET} random cells {best:.2f}{unit} (a random cell {floor:.2f}{unit}, ranked by "
              f"the accuracy itself {oracle:.2f}{unit})")
    if found.versus is not None:
        print(found.versus.words(f"A ({recipe.text()})", f"B ({versus.text()})"))
    return 0


def _interval(low: float, high: float) -> str:
    return "" if low != low else f" [{low:.3f}, {high:.3f}]"  # NaN: no resamples
