"""`swap-explorer groups --columns swap_b16,params`: a proxy's Spearman within each kind of timm-in1k architecture.

Reads the timm-in1k atlas (sample_data/, or `atlas --space timm-in1k` to compute it) and prints, for each column,
Spearman with ImageNet top-1 within CNNs, vision transformers, MLPs and hybrids and over all of them, with 95 %
bootstrap intervals. A column may also name a published fixed rule (AZ-NAS, VKDNW_agg), read from the atlas's
columns over the architectures that have all of them. It scores nothing.
"""
from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("groups", help="a proxy's Spearman within each kind of timm-in1k architecture",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("--columns", default="swap_b16,params",
                        help="comma-separated atlas columns or fixed rules (AZ-NAS, VKDNW_agg)")
    parser.add_argument("--target", default="imagenet_top1_acc_pct", help="the accuracy (default ImageNet top-1)")
    parser.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples (default 500)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from swap_engine import atlas, recipe
    from swap_engine.studies import groups, reading

    frame = atlas.with_truth("timm-in1k")
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    rules = {"AZ-NAS": recipe.AZ_NAS, "VKDNW_agg": recipe.VKDNW_AGG}
    for name in set(columns) & set(rules):
        chosen = recipe.Recipe.parse(rules[name])
        if all(c in frame.columns for c in chosen.columns()):
            frame[name] = reading.scores(frame, chosen)
    missing = [c for c in [*columns, args.target] if c not in frame.columns]
    if missing:
        raise ValueError(f"the timm-in1k atlas has no {', '.join(missing)}; it has "
                         + ", ".join(c for c in frame.columns if c != "arch"))
    table = groups.by_kind(frame, columns, args.target, n_boot=args.n_boot)
    if args.json:
        print(json.dumps(table.to_dict(orient="records")))
    else:
        print(groups.markdown(table, f"python -m swap_engine groups --columns {','.join(columns)}"))
    return 0
