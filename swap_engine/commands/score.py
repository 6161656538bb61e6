"""`python -m swap_engine score --space nb201 --arch '|...|'`: SWAP-Scores of chosen or sampled architectures;
`score --model FILE.py:factory` (or package.module:factory, timm:NAME, torchvision:NAME): your own network."""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from contextlib import nullcontext
from typing import Any

from swap_engine import data, models, spaces, swap_score
from swap_engine.columns import column
from swap_engine.commands._args import add_runner_arguments, mu_sigma, parse_pairs, runner_options
from swap_engine.spaces import own_network
from swap_engine.studies import placement


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score", help="SWAP-Score of architectures from a search space",
        description="Score architectures given as text (--arch, repeatable) or sampled from the space "
                    "(--sample N), or your own network (--model). Prints a table, or JSON lines with --json; "
                    "--csv writes one.")
    parser.add_argument("--space", default=None, help=f"search space: {', '.join(spaces.names())}")
    parser.add_argument("--model", default=None, metavar="SPEC",
                        help="your own network instead of a space: FILE.py:factory (runs the file's code), "
                             "package.module:factory, timm:NAME or torchvision:NAME (random weights); a factory "
                             "takes no arguments or the --model-option ones and returns an nn.Module")
    parser.add_argument("--against", default=None, metavar="ATLAS",
                        help=f"with --model: place its score among an atlas's networks (e.g. {placement.ATLAS}): "
                             "percentile, and the accuracy of the nearest in score")
    parser.add_argument("--arch", action="append", default=[], help="architecture text (repeatable)")
    parser.add_argument("--sample", type=int, default=0, metavar="N", help="score N sampled architectures")
    parser.add_argument("--all", action="store_true", help="score every architecture (enumerable spaces)")
    parser.add_argument("--shard", type=shard, default=(0, 1), metavar="I/N",
                        help="score only every N-th architecture starting at I (run N shards in parallel)")
    parser.add_argument("--seed", type=int, default=0, help="seeds sampling, re-init and dropout")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--input", default=None, help=f"input: {', '.join(data.input_names())} "
                                                      "(default: the space's own; gaussian for --model)")
    parser.add_argument("--split", default="train", help="CIFAR-10 split: train or test")
    parser.add_argument("--resolution", type=int, default=None, help="resize image inputs to this size")
    parser.add_argument("--pattern", choices=("sign", "binary"), default="sign")
    parser.add_argument("--mode", choices=("train", "eval"), default="train")
    parser.add_argument("--conv-only", action="store_true", help="only activations fed by 4-D tensors")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--reinit", choices=("gaussian",), default=None, help="re-draw weights each repeat")
    parser.add_argument("--regularize", type=mu_sigma, default=None, metavar="MU,SIGMA")
    parser.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to space.build (e.g. C=8, variant=full) or to the --model factory; "
                             "repeatable")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--json", action="store_true", help="one JSON object per architecture")
    parser.add_argument("--csv", default=None, metavar="PATH",
                        help="also write the table as CSV, row by row; architectures already in it are skipped, "
                             "so an interrupted run continues where it stopped")
    parser.add_argument("--layers", action="store_true", help="print the per-layer breakdown too")
    parser.add_argument("--store", default=None, metavar="PATH",
                        help="the job runner's result store, resumed on a rerun (--all and --backend ray use the "
                             "runner anyway; default: PATH.store of --csv, else results/runs/score-SPACE.csv)")
    add_runner_arguments(parser)
    parser.set_defaults(func=run)


def shard(text: str) -> tuple[int, int]:
    """'I/N' -> (I, N) with 0 <= I < N."""
    index, _, count = text.partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants I/N, got {text!r}") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard wants 0 <= I < N, got {text!r}")
    return index, count


def run(args: argparse.Namespace) -> int:
    if args.model is not None:
        return _run_model(args)
    if args.space is None:
        raise ValueError("give --space (a search space) or --model (your own network)")
    if args.against:
        raise ValueError("--against places one network of your own: use it with --model")
    space = spaces.get(args.space)
    archs = [space.parse(text) for text in args.arch] + (space.sample(args.sample, args.seed) if args.sample else [])
    if args.all and space.size is None:
        raise ValueError(f"search space {space.name!r} cannot be enumerated: use --sample N or --arch TEXT")
    archs += list(space.all()) if args.all else []
    archs = archs[args.shard[0]::args.shard[1]]
    if not archs:
        raise ValueError("nothing to score: give --arch TEXT, --sample N or --all")
    batch = data.inputs(args.input or space.input_spec.default_input, args.batch_size, split=args.split,
                        resolution=args.resolution)
    build_options = models.check(space, archs[0], parse_pairs(args.model_option, "--model-option"), inputs=batch,
                                 device=args.device)  # one message now rather than a failed record per cell
    if args.all or args.backend != "local" or args.store:
        return _run_jobs(args, space, archs, build_options)
    done = _already_scored(args.csv)
    if not args.json:
        print(f"{'score':>14} {'neurons':>10} {'params':>10} {'time':>8}  arch")
    writer = None
    with open(args.csv, "a", newline="") if args.csv else nullcontext() as handle:
        for arch in archs:
            text = space.format(arch)
            if text in done:
                continue
            result = models.score_cell(space, arch, batch, options=build_options, seed=args.seed, device=args.device,
                                       pattern=args.pattern, conv_only=args.conv_only, mode=args.mode,
                                       repeats=args.repeats, reinit=args.reinit, regularize=args.regularize)
            row = {"arch": text, **result.summary()}
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(f"{row['score']:14.1f} {row['neurons']:>10} {row['params']:>10} {row['seconds']:7.2f}s  "
                      f"{text}", flush=True)
            if args.layers:
                print(result.by_layer().to_string(index=False), file=sys.stderr if args.json else sys.stdout)
            if handle is not None:
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    if not done and handle.tell() == 0:
                        writer.writeheader()
                writer.writerow(row)
                handle.flush()
    return 0


def _run_model(args: argparse.Namespace) -> int:
    """Your own network: named, loaded, checked on the batch and its comparison atlas read before anything is
    printed or written, so a refusal leaves nothing half-done."""
    extra = [flag for flag, given in (("--space", args.space), ("--arch", args.arch), ("--sample", args.sample),
                                      ("--all", args.all), ("--shard", args.shard != (0, 1)), ("--store", args.store),
                                      ("--backend", args.backend != "local")) if given]
    if extra:
        raise ValueError(f"--model scores one network of your own; {', '.join(extra)} apply to --space")
    network = own_network.resolve(args.model, parse_pairs(args.model_option, "--model-option"))
    compared = column("swap", args.batch_size)
    reference = placement.reference(args.against, compared) if args.against else None
    batch = data.inputs(args.input or network.input_spec.default_input, args.batch_size, split=args.split,
                        resolution=args.resolution or network.input_spec.resolution)
    model = models.load(network, inputs=batch, seed=args.seed, device=args.device, mode=args.mode)
    result = swap_score(model, batch, seed=args.seed, device=args.device, pattern=args.pattern,
                        conv_only=args.conv_only, mode=args.mode, repeats=args.repeats, reinit=args.reinit,
                        regularize=args.regularize)
    row = {"model": args.model, **result.summary()}
    found = placement.place(result.raw_score, compared, reference) if reference is not None else None
    note = _unlike(found.measured, args.input or network.input_spec.default_input, batch) if found else ""
    if args.csv:
        temporary = f"{args.csv}.tmp"
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            writer.writeheader()
            writer.writerow(row)
        os.replace(temporary, args.csv)
    if args.json:
        print(json.dumps({**row, **({"against": {**found.as_dict(), "note": note}} if found else {})}), flush=True)
    else:
        print(f"{'score':>14} {'neurons':>10} {'params':>10} {'time':>8}  model")
        print(f"{row['score']:14.1f} {row['neurons']:>10} {row['params']:>10} {row['seconds']:7.2f}s  {args.model}")
        for line in ([*found.words(), *([note] if note else [])] if found else []):
            print(line)
    if args.layers:
        print(result.by_layer().to_string(index=False), file=sys.stderr if args.json else sys.stdout)
    return 0


def _unlike(measured: dict[str, Any], input_name: str, batch: Any) -> str:
    """A warning in words when the atlas scored its networks on another input, size or seed than this score."""
    size = int(batch.x.shape[-1]) if getattr(batch, "x", None) is not None and batch.x.dim() == 4 else None
    mine = {"input": input_name, "resolution": size}
    theirs = {"input": measured.get("input"), "resolution": measured.get("resolution") or 32}
    if not measured or mine == theirs:
        return ""
    return (f"note: the atlas scored {theirs['input']} images at {theirs['resolution']}x{theirs['resolution']}, "
            f"this score {mine['input']} at {mine['resolution']}x{mine['resolution']}: scores on other inputs "
            "compare only loosely")


def _run_jobs(args: argparse.Namespace, space: Any, archs: list, build_options: dict[str, Any]) -> int:
    """Whole spaces go through the job runner (local or Ray): resumable, streamed into a store, and the
    table of every scored architecture written to --csv at the end (variants and params included)."""
    from swap_engine import runner

    swap_options = {"pattern": args.pattern, "conv_only": args.conv_only, "mode": args.mode,
                    "repeats": args.repeats, "reinit": args.reinit, "seed": args.seed,
                    "regularize": list(args.regularize) if args.regularize else None}
    settings = {"input": args.input or space.input_spec.default_input, "batch_size": args.batch_size,
                "split": args.split, "input_seed": None, "resolution": args.resolution, "seed": args.seed,
                "model_options": build_options, "proxy_options": {"swap": swap_options},
                "seeding": "torch.manual_seed(seed) for every model"}
    texts = [space.format(arch) for arch in archs]
    jobs = [runner.Job(space.name, text, proxy, settings, args.seed) for text in texts for proxy in ("swap", "params")]
    store_path = args.store or (f"{args.csv}.store" if args.csv else f"results/runs/score-{space.name}.csv")
    summary = runner.run(jobs, store_path, device=args.device, progress=not args.json, **runner_options(args))
    key = runner.settings_hash(settings)
    found = {(r.arch, r.proxy): r for r in runner.Store(store_path).records() if r.settings == key}
    rows = []
    for text in texts:
        swap, params = found.get((text, "swap")), found.get((text, "params"))
        values = dict(swap.values) if swap is not None else {}
        row = {"arch": text, "score": values.pop("swap_reg", values.get("swap", math.nan)),
               "raw_score": values.pop("swap", math.nan), "neurons": values.pop("swap_neurons", math.nan),
               "params": params.values.get("params", math.nan) if params is not None else math.nan,
               **values, "seconds": swap.seconds if swap is not None else math.nan,
               "error": (swap.error if swap is not None else "") or (params.error if params is not None else "")}
        rows.append(row)
        if args.json:
            print(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}),
                  flush=True)
    if args.csv:
        import pandas as pd

        temporary = f"{args.csv}.tmp"
        pd.DataFrame(rows).to_csv(temporary, index=False)
        os.replace(temporary, args.csv)
    print(summary.line(), file=sys.stderr)
    failed = [r for r in rows if r["error"]]
    if failed:
        print(f"{len(failed)} architecture(s) failed, e.g. {failed[0]['arch']}: {failed[0]['error']}", file=sys.stderr)
    return 0


def _already_scored(path: str | None) -> set[str]:
    if not path or not os.path.exists(path):
        return set()
    with open(path, newline="") as handle:
        return {row["arch"] for row in csv.DictReader(handle)}
