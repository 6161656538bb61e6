"""`swap-explorer COMMAND ...` (or `python -m swap_engine COMMAND ...`): each module in `swap_engine/commands/`
adds one command.

A command module (name not starting with "_") defines `register(subparsers)`, which adds its parser and sets
`func` (args -> exit code).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
import threading
from typing import Iterator

from swap_engine import __version__, commands

PROG = "swap-explorer"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog,
                                     description="SWAP-Score engine: score, study and search architectures.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # shared helpers, not commands
            continue
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    for command in sub.choices.values():  # every command builds models (the app through its server)
        command.add_argument("--memory-limit", default=None, metavar="SIZE",
                             help="the most memory one model may take, e.g. 8GB or 50%% (default: a quarter of "
                                  "this machine's RAM, or of the GPU's memory on CUDA); sets SWAP_MEMORY_LIMIT")
    return parser


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    parser = build_parser(prog)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "pass_through", False):  # only `app` hands unknown options on (to Streamlit)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command as typed, for the files that name it
    try:
        if args.memory_limit is not None:
            _set_memory_limit(args.memory_limit)
        with _terminate_as_interrupt():
            return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:  # bad input or a missing file: one clear line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = ("; every finished result is in the store: run the same command again to resume"
                if getattr(args, "resumable", False) else "")
        print(f"interrupted{hint}", file=sys.stderr)
        return 130


def _set_memory_limit(text: str) -> None:
    """Checked now, and passed on by the environment: to this process, the app's server and Ray's workers."""
    from swap_engine import models

    models.parse_size(text, 1)
    os.environ[models.MEMORY_ENV] = text


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill PID`, the usual way to stop a job in the background, where Ctrl-C's SIGINT is
    ignored) stops a command as Ctrl-C does: through its `finally` blocks, so Ray is shut down and no
    worker lingers to compete with the next run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def console() -> None:
    """Entry point of the `swap-explorer` console command."""
    sys.exit(main())
