"""`python -m swap_engine search`: SWAP-NAS (regularised evolution with SWAP as fitness) on a search space.

Prints the best architecture (a full DARTS `Genotype(...)` on `--space darts`) and, where the space has a
ground-truth table, its true accuracy. `--history FILE` saves every step and resumes from it.
`--evidence FILE` instead runs the NB201 comparison with random search and writes a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from swap_engine import search as evolution
from swap_engine import spaces
from swap_engine.commands._args import mu_sigma
from swap_engine.studies import search_evidence

DEFAULT_BUDGET = 500


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="find an architecture by regularised evolution with SWAP as fitness (SWAP-NAS)",
        description="Regularised (aging) evolution with the SWAP-Score as fitness. The budget counts distinct "
                    "architectures scored; a repeated one reuses its score and is free.")
    parser.add_argument("--space", default="nb201", help="search space name (default nb201)")
    parser.add_argument("--budget", type=int, default=None,
                        help=f"evaluations (default {DEFAULT_BUDGET} when --seconds is not given either)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--sample-size", type=int, default=5, help="tournament size (default 5)")
    parser.add_argument("--mutations", type=int, default=1, help="mutations per child (default 1)")
    parser.add_argument("--crossover", action="store_true",
                        help="recombine the two best of each tournament (where the space supports it)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--input", default=None, help="input batch name (default: the space's own)")
    parser.add_argument("--regularize", type=mu_sigma, default=None, metavar="MU,SIGMA",
                        help="multiply SWAP by exp(-(params/1000 - MU)^2 / SIGMA); one number sets both "
                             "(--evidence compares plain SWAP with regularised, default "
                             "{:.10g},{:.10g})".format(*search_evidence.NB201_REGULARIZE))
    parser.add_argument("--target", default=None,
                        help="ground-truth column or shorthand (cifar10-test, cifar100-test, imagenet16-test)")
    parser.add_argument("--history", type=Path, default=None, metavar="FILE",
                        help="JSON-lines history: resumed from when it exists, every new step appended")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--evidence", type=Path, default=None, metavar="FILE",
                        help="run the NB201 SWAP-NAS vs random search comparison and write it as Markdown")
    parser.add_argument("--seeds", type=int, default=10, help="searches per method for --evidence (default 10)")
    parser.add_argument("--fitness", default=None, metavar="RECIPE",
                        help="any atlas proxy or recipe as fitness instead of live SWAP, e.g. naswot_b64 or "
                             "'log_rank:swap_b16+params' (looked up in the atlas, computed where it lacks the "
                             "cell); with --evidence, a comma-separated list, each compared with random search")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.evidence is not None:
        return _evidence(args) if args.fitness is None else _recipe_evidence(args)
    from swap_engine import data

    space = spaces.get(args.space)
    if args.fitness is not None:
        from swap_engine.studies import recipe_fitness as recipes

        fitness = recipes.resolve(space, args.fitness, device=args.device)
    else:
        batch = data.inputs(args.input or space.input_spec.default_input, args.batch_size, device=args.device)
        fitness = evolution.swap_fitness(space, batch, regularize=args.regularize, device=args.device)
    history = _load(args.history)
    search = evolution.Search(space, fitness, population=args.population, sample_size=args.sample_size,
                              mutations=args.mutations, crossover=args.crossover, seed=args.seed, history=history)
    if args.crossover and not search.crossover:
        print(f"note: search space {space.name!r} has no crossover; searching by mutation only", file=sys.stderr)
    truth = _ground_truth(space, args.target)
    budget = args.budget if args.budget is not None or args.seconds is not None else DEFAULT_BUDGET
    saved = len(history.records) if history else 0
    if args.history is not None and history is None:
        args.history.write_text(evolution.History(search.settings).dumps())
    progress = _Progress(search, budget, args.history, saved)
    try:
        result = search.run(budget, args.seconds, callback=progress)
    except KeyboardInterrupt:
        if search.best is not None:
            print(f"interrupted after {search.evaluations} evaluations; best so far: {search.best.arch}"
                  + (f"; resume with --history {args.history}" if args.history else ""), file=sys.stderr)
        return 130
    _report(result, truth, args.json)
    return 0


class _Progress:
    """Appends each new step to the history file and reports improvements (and every 25th evaluation)."""

    def __init__(self, search: evolution.Search, budget: int | None, path: Path | None, saved: int) -> None:
        self.search, self.budget, self.path, self.saved = search, budget, path, saved
        self.best = float("-inf")

    def __call__(self, record: evolution.Record) -> None:
        if self.path is not None and record.step >= self.saved:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(record.to_json() + "\n")
        done = self.search.evaluations
        improved = record.score > self.best
        self.best = max(self.best, record.score)
        if improved or (not record.cached and done % 25 == 0):
            of = f"/{self.budget}" if self.budget else ""
            print(f"[{done}{of}] best {self.best:.6g}  {self.search.best.arch}", file=sys.stderr)


def _load(path: Path | None) -> evolution.History | None:
    if path is None or not path.exists() or path.stat().st_size == 0:
        return None
    return evolution.History.loads(path.read_text(encoding="utf-8"))


def _ground_truth(space, target: str | None) -> tuple[str, dict[str, float]] | None:
    """The target column and its values, or None (with a note) when the space has none here."""
    if space.benchmark is None:
        if target is not None:
            raise ValueError(f"--target {target}: search space {space.name!r} has no ground-truth table")
        return None
    from swap_engine.data import MissingDataError

    try:
        return evolution.ground_truth(space, target)
    except MissingDataError as err:
        print(f"note: no true accuracy for the result: {err}", file=sys.stderr)
        return None


def _report(result: evolution.SearchResult, truth: tuple[str, dict[str, float]] | None, as_json: bool) -> None:
    best = result.best
    out = {"best_arch": best.arch, "best_score": best.score, "evaluations": result.evaluations,
           "steps": len(result.history.records), "seconds": round(result.seconds, 3), "stopped": result.stopped,
           "best_raw_score": best.raw, "best_params": best.params}
    if truth is not None:
        column, values = truth
        if best.arch in values:
            accuracy = values[best.arch]
            out.update(true_accuracy=accuracy, target=column, optimum=max(values.values()),
                       rank=1 + sum(v > accuracy for v in values.values()), of=len(values))
        else:
            print(f"note: the best architecture is not in the ground-truth table ({len(values)} archs)",
                  file=sys.stderr)
    if as_json:
        print(json.dumps(out))
        return
    print(f"best architecture: {best.arch}")
    params = f", {best.params:,} params" if best.params is not None else ""
    print(f"score: {best.score:.6g} (raw {best.raw:.6g}{params})" if best.raw is not None
          else f"score: {best.score:.6g}")
    print(f"evaluations: {result.evaluations} distinct in {out['steps']} steps, {result.seconds:.1f} s, "
          f"stopped by {result.stopped}")
    if "true_accuracy" in out:
        print(f"true {out['target']}: {out['true_accuracy']:.2f} (optimum {out['optimum']:.2f}, "
              f"rank {out['rank']} of {out['of']})")


def _evidence(args: argparse.Namespace) -> int:
    if args.space != "nb201":
        raise ValueError(f"--evidence compares against NB201's ground truth; got --space {args.space}")
    budget = args.budget or 100
    text = search_evidence.search_evidence(seeds=args.seeds, budget=budget, population=args.population,
                                           sample_size=args.sample_size, mutations=args.mutations,
                                           batch_size=args.batch_size,
                                           regularize=args.regularize or search_evidence.NB201_REGULARIZE,
                                           progress=lambda line: print(line, file=sys.stderr))
    args.evidence.parent.mkdir(parents=True, exist_ok=True)
    args.evidence.write_text(text, encoding="utf-8")
    print(f"wrote {args.evidence}", file=sys.stderr)
    return 0


def _recipe_evidence(args: argparse.Namespace) -> int:
    """`--evidence FILE --fitness A,B,...`: each recipe (atlas lookups) against random search, same budget."""
    import shlex

    if args.space != "nb201":
        raise ValueError(f"--evidence compares against NB201's ground truth; got --space {args.space}")
    budget = args.budget or 100
    names = [name.strip() for name in args.fitness.split(",") if name.strip()]
    command = shlex.join(["python", "-m", "swap_engine", "search", "--evidence", str(args.evidence),
                          "--fitness", ",".join(names), "--seeds", str(args.seeds), "--budget", str(budget),
                          "--population", str(args.population), "--sample-size", str(args.sample_size),
                          "--mutations", str(args.mutations)])
    text = search_evidence.evidence(names, seeds=args.seeds, budget=budget, population=args.population,
                                    sample_size=args.sample_size, mutations=args.mutations, command=command,
                                    progress=lambda line: print(line, file=sys.stderr))
    args.evidence.parent.mkdir(parents=True, exist_ok=True)
    args.evidence.write_text(text, encoding="utf-8")
    print(f"wrote {args.evidence}", file=sys.stderr)
    return 0
