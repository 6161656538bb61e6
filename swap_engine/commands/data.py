"""`python -m swap_engine data status` and `data fetch NAME...`: see and get the data files."""
from __future__ import annotations

import argparse
import sys

from swap_engine import data
from swap_engine.data.files import GROUPS, ENV_DIR, ENV_URL_BASE


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="show or download data files (inputs and benchmarks)",
                                   description="Show or download the data files.")
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    show = sub.add_parser("status", help="each file: present, missing or corrupt, with size and path")
    show.set_defaults(func=_status)
    get = sub.add_parser("fetch", help="download files from their pinned upstream, checked by sha256",
                         description=f"Download into the data directory (${ENV_DIR}, else a per-user cache).")
    get.add_argument("names", nargs="+", metavar="NAME", help=f"one or more of: {', '.join(GROUPS)}, all")
    get.add_argument("--base-url", default=None,
                     help=f"fetch from a mirror laid out like the data directory (also ${ENV_URL_BASE})")
    get.set_defaults(func=_fetch)


def _size(n: int) -> str:
    return f"{n / 1e6:8.1f} MB"


def _status(args: argparse.Namespace) -> int:
    rows = data.status()
    print(f"data directory: {data.data_dir()}")
    width = max(len(r["file"]) for r in rows)
    for row in rows:
        print(f"{row['state']:8}  {row['file']:{width}}  {_size(row['size'])}  {row['path']}")
    missing = sorted({r["group"] for r in rows if r["state"] != "present"})
    if missing:
        print(f"to get the rest: python -m swap_engine data fetch {' '.join(missing)}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    try:
        paths = data.fetch(args.names, progress=True, base_url=args.base_url)
    except data.MissingDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"ok  {path}")
    return 0
