"""`python -m swap_engine kshot`: what k labels of a benchmark buy, against what none buy.

k architectures of the benchmark are labelled (a seeded draw, repeated); a predictor (boosted trees, extra trees
and two ridge regressions on the atlas's label-free columns and the architectures' encoding) and the recipe chooser
each learn from those k alone and are scored on every other architecture. Beside them, the best label-free rule
measured here (AZ-NAS's, VKDNW's, the recipe chosen on the other benchmarks) on the same benchmark. It reads the
atlases in sample_data/ and scores nothing."""
from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    from swap_engine.studies import families

    parser = subparsers.add_parser("kshot", help="a predictor and the recipe chooser from k labels, beside zero-shot",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("--benchmark", required=True, metavar="TASK",
                        help="one of: " + ", ".join(t.name for t in families.TASKS))
    parser.add_argument("--target", default=None,
                        help="the accuracy scored (default: the benchmark's test accuracy, or its only one)")
    parser.add_argument("--k", type=int, required=True, help="labelled architectures per draw")
    parser.add_argument("--draws", type=int, default=10, help="seeded draws of the k (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-recipe", action="store_true", help="skip the recipe chooser (the slower learner)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from swap_engine.studies import families, protocols

    chosen = families.task(args.benchmark)
    if args.target is not None and args.target != chosen.report:
        raise ValueError(f"{chosen.name} is scored on {chosen.report}; other targets are other tasks: "
                         + ", ".join(t.name for t in families.TASKS if t.atlas == chosen.atlas))
    if args.draws < 1:
        raise ValueError(f"--draws must be at least 1, got {args.draws}")
    result = protocols.kshot(chosen.name, args.k, args.draws, seed=args.seed, recipes=not args.no_recipe).as_dict()
    if args.json:
        print(json.dumps(result))
        return 0
    predictor, recipe = result["predictor"], result["recipe"]
    print(f"{chosen.label}, k = {args.k} labels, {args.draws} draws, Spearman on the other architectures "
          f"({result['target']}):")
    print(f"  predictor (trees and ridge regressions on the proxies): {predictor['spearman_mean']:.3f} "
          f"± {predictor['spearman_sd']:.3f}")
    if recipe:
        print(f"  recipe chosen on the k:                           {recipe['spearman_mean']:.3f} "
              f"± {recipe['spearman_sd']:.3f}")
    zero = result["zero_shot"]
    if zero["best"]:
        print(f"  zero-shot, no label read ({zero['best']}, on all): {zero['spearman']:.3f}")
    return 0
