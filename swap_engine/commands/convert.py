"""`swap-explorer convert --space nb201 TEXT`: one architecture in every notation the field uses.

NB201: the benchmark's arch string, NASLib's op-index tuple and the benchmark index; DARTS: the `Genotype(...)`
text and NASLib's compact NB301 form; NB101: NASLib's encoding (our own text) and the benchmark's module hash.
Any of a space's notations is accepted as input (`space.parse` reads them all).
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from swap_engine import spaces


def forms(space_name: str, arch: Any) -> dict[str, str]:
    """Every notation of `arch` this project knows for its space, by name; the first is the canonical text."""
    from swap_engine.spaces.darts import DartsSpace
    from swap_engine.spaces.nb201 import NB201Space

    space = spaces.get(space_name)
    found = {"text": space.format(arch)}
    if isinstance(space, NB201Space):
        found = {"nb201": found["text"], "naslib": str(tuple(space.naslib_indices(arch))),
                 "index": str(space.index(arch))}
    elif isinstance(space, DartsSpace):
        found = {"genotype": found["text"]}
        try:
            found["naslib"] = space.compact(arch)
        except ValueError:  # e.g. a `none` op or a concat other than 2..5: NB301's compact form cannot say it
            pass
    elif space_name == "nb101":
        from swap_engine.spaces.nb101 import graph_hash

        found = {"naslib": found["text"], "hash": graph_hash(arch)}
    return found


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert", help="print an architecture in the other notations (NB201 string / NASLib tuple / index, ...)",
        description="Parse an architecture in any notation its space accepts and print every notation: "
                    "nb201: nb201 string, naslib op-index tuple, benchmark index; darts: genotype, naslib "
                    "compact (NB301); nb101: naslib encoding, module hash.")
    parser.add_argument("--space", required=True, help=f"search space: {', '.join(spaces.names())}")
    parser.add_argument("arch", nargs="+", metavar="ARCH", help="architecture text (one or more)")
    parser.add_argument("--to", default=None, metavar="FORM", help="print only this notation, one per line")
    parser.add_argument("--json", action="store_true", help="one JSON object per architecture")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    space = spaces.get(args.space)
    for position, text in enumerate(args.arch):
        found = forms(args.space, space.parse(text))
        if args.to is not None:
            if args.to not in found:
                raise ValueError(f"{args.space} has no notation {args.to!r} for this architecture; "
                                 f"known: {', '.join(found)}")
            print(found[args.to])
        elif args.json:
            print(json.dumps(found))
        else:
            if position:
                print()
            width = max(len(name) for name in found)
            for name, value in found.items():
                print(f"{name:<{width}}  {value}")
    return 0
