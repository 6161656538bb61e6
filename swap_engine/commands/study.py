"""`python -m swap_engine study --space nb201 --target cifar10-test --proxies swap,naswot ...`.

Scores benchmark architectures with proxies (resumable), writes scores.csv, correlations.csv and one
scatter plot per proxy under --out, and prints the correlation table.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from swap_engine import analysis
from swap_engine.studies import correlation as study
from swap_engine.data import suite_zero
from swap_engine.commands._args import add_runner_arguments, parse_pairs, runner_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "study", help="correlate proxies with benchmark accuracy (resumable)",
        description="Score n benchmark architectures with each proxy on one fixed input batch, then report "
                    "Spearman and Kendall (bootstrap 95%% CIs) against the target. Rerunning the same "
                    "command continues an interrupted study.")
    parser.add_argument("--space", required=True, help="search space name (e.g. nb201, darts, flexibert)")
    parser.add_argument("--benchmark", default=None,
                        help="ground-truth table (default: the space's own; darts also has nb301-500)")
    parser.add_argument("--target", default=None,
                        help="benchmark column or shorthand (cifar10-test = cifar10_test_acc_pct); a "
                             "comma-separated list reports each (the first one is sampled on; the others may "
                             "be any numeric column, e.g. zc_synflow); "
                             "default: the benchmark's main target")
    parser.add_argument("--proxies", default="swap", help="comma-separated proxy names (default: swap)")
    parser.add_argument("--n", type=int, default=1000, help="architectures to sample from the benchmark")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--input", default=None, help="input name (default: the space's default input)")
    parser.add_argument("--split", default="train", help="input split (CIFAR-10: train or test)")
    parser.add_argument("--input-seed", type=int, default=None,
                        help="draw the batch at random with this seed (default: the first items in order)")
    parser.add_argument("--resolution", type=int, default=None, help="resize image inputs")
    parser.add_argument("--repeats", type=int, default=1, help="repeats for swap (and zen)")
    parser.add_argument("--seed", type=int, default=0, help="seeds sampling, proxies and bootstrap")
    parser.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to space.build (e.g. C=8, variant=swap-proxy); repeatable")
    parser.add_argument("--proxy-option", action="append", default=[], metavar="PROXY.KEY=VALUE",
                        help="passed to one proxy (e.g. swap.reinit=gaussian, swap.conv_only=True); repeatable")
    parser.add_argument("--regularize", default=None, metavar="MU,SIGMA|auto",
                        help="also report swap_reg = swap * exp(-(params/1000 - MU)^2 / SIGMA); 'auto' fits "
                             "MU,SIGMA on a random half of the archs and reports on the other half")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    parser.add_argument("--out", required=True, help="folder for scores.csv, study.json, correlations.csv, plots")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="printed table format")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the CIs")
    parser.add_argument("--results-md", default=None, metavar="PATH",
                        help="regenerate this study's rows in the results table of PATH (e.g. docs/results.md)")
    parser.add_argument("--no-plots", action="store_true", help="skip the scatter plots")
    parser.add_argument("--export", nargs=2, default=None, metavar=("FORMAT", "FILE"),
                        help="also write the scores for other tools; FORMAT: suite-zero (NAS-Bench-Suite-Zero's "
                             "JSON with NASLib's arch keys; cells already in FILE are kept)")
    parser.add_argument("--published", default=None, metavar="SUITE_ZERO_JSON",
                        help="also report the proxies of this Suite-Zero file on the same architectures, "
                             "labelled '(published)'")
    add_runner_arguments(parser)
    parser.set_defaults(func=run)


def parse_proxy_options(items: list[str]) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {}
    for key, value in parse_pairs(items, "--proxy-option").items():
        proxy, dot, option = key.partition(".")
        if not dot or not option:
            raise ValueError(f"--proxy-option {key!r} must look like PROXY.KEY=VALUE")
        options.setdefault(proxy, {})[option] = value
    return options


def parse_regularize(text: str | None) -> tuple[float, float] | str | None:
    if text is None or text == "auto":
        return text
    parts = text.split(",")
    try:
        mu, sigma = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--regularize {text!r} must be two numbers MU,SIGMA or 'auto'") from None
    if sigma <= 0:
        raise ValueError(f"--regularize sigma must be positive, got {sigma}")
    return mu, sigma


def run(args: argparse.Namespace) -> int:
    from swap_engine import data, spaces

    space = spaces.get(args.space)
    benchmark = study.benchmark_of(args.space, args.benchmark)
    wanted = (args.target or data.targets(benchmark)[0]).split(",")
    target = study.resolve_target(benchmark, wanted[0].strip())
    others = [study.resolve_target(benchmark, t.strip(), any_column=True) for t in wanted[1:]]
    names = tuple(p.strip() for p in args.proxies.split(",") if p.strip())
    if not names:
        raise ValueError("--proxies is empty")
    proxy_options = parse_proxy_options(args.proxy_option)
    unknown = sorted(set(proxy_options) - set(names))
    if unknown:
        raise ValueError(f"--proxy-option for proxies not in --proxies: {', '.join(unknown)}")
    regularize = parse_regularize(args.regularize)
    settings = study.StudySettings(
        space=args.space, target=target, proxies=names, n=args.n, batch_size=args.batch_size,
        input=args.input or space.input_spec.default_input, split=args.split, input_seed=args.input_seed,
        resolution=args.resolution, repeats=args.repeats, seed=args.seed,
        model_options=parse_pairs(args.model_option, "--model-option"), proxy_options=proxy_options,
        benchmark=args.benchmark)
    scores = study.run(settings, args.out, device=args.device, progress=True, **runner_options(args))
    targets = {target: scores["target"].to_numpy(dtype=float)}
    if others:
        targets.update(study.extra_targets(scores, data.benchmark(benchmark), others))
    table = analysis.correlations(scores, names, targets=targets, regularize=regularize, n_boot=args.n_boot,
                                  seed=args.seed)
    table.to_csv(f"{args.out}/{study.CORRELATIONS}", index=False)
    if not args.no_plots:
        study.write_plots(scores, table, settings, args.out)
    command = settings.command(args.out, regularize, others)
    if args.results_md:
        study.update_results_md(args.results_md, table, settings, command)
    print(f"{settings.space} / {settings.target}: {len(scores)} architectures; {command}", file=sys.stderr)
    if args.export:
        _export(args.export, scores, settings, data.benchmark(benchmark))
    if args.published:
        table = pd.concat([table, suite_zero.published_correlations(
            scores, args.published, settings.space, targets, n_boot=args.n_boot, seed=args.seed)], ignore_index=True)
    print(study.format_table(table, args.format))
    return 0


def _export(export: list[str], scores, settings: study.StudySettings, benchmark) -> None:
    fmt, path = export
    if fmt != "suite-zero":
        raise ValueError(f"--export format {fmt!r} is not known; known: suite-zero")
    written = suite_zero.export_study(path, scores, settings.space, settings.proxies, settings.target, benchmark)
    print(f"wrote {len(scores)} architectures in Suite-Zero layout to {written}", file=sys.stderr)
