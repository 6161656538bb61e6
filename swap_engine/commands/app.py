"""`swap-explorer app [STREAMLIT OPTIONS]`: start the Streamlit app, from a checkout or an installed package."""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

from swap_engine import resources

LOCAL_ONLY, EVERY_INTERFACE = "127.0.0.1", "0.0.0.0"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "app", help="start the Streamlit app (needs the 'app' extra: pip install 'swap-explorer[app]')",
        description="Run `streamlit run` on the app shipped with this package, for this machine only (127.0.0.1). "
                    "Other options go to Streamlit, e.g. `swap-explorer app --server.port 8600`.")
    parser.add_argument("--share", action="store_true",
                        help="listen on every network interface, so other machines can open the app: anyone who "
                             "reaches the port can run scoring on this machine (see the README)")
    parser.add_argument("--print-command", action="store_true",
                        help="print the streamlit command line instead of running it")
    parser.set_defaults(func=run, pass_through=True)  # every other option goes to `streamlit run`


def config_flags(path: Path | None) -> list[str]:
    """The app's `.streamlit/config.toml` as `--section.key value` flags (Streamlit reads that file only from
    the working directory or the home folder, so an installed app passes it on the command line)."""
    if path is None:
        return []
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the settings are cosmetic (theme, telemetry); run without them
        return []
    flags = []
    for section, values in tomllib.loads(path.read_text()).items():
        if isinstance(values, dict):
            for key, value in values.items():
                text = str(value).lower() if isinstance(value, bool) else str(value)
                flags += [f"--{section}.{key}", text]
    return flags


def command(extra: list[str], share: bool = False) -> list[str]:
    """The `streamlit run` line: the app's settings, then where it listens (this machine only unless `share`:
    Streamlit's own default is every interface), then the caller's options, which win."""
    script = resources.app_dir() / "app.py"
    flags = config_flags(resources.streamlit_config())
    if "--server.address" in flags:
        del flags[flags.index("--server.address"):flags.index("--server.address") + 2]
    address = EVERY_INTERFACE if share else LOCAL_ONLY
    return [sys.executable, "-m", "streamlit", "run", str(script), *flags, "--server.address", address, *extra]


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("streamlit") is None:
        raise ValueError("the app needs Streamlit and Plotly: pip install 'swap-explorer[app]'")
    argv = command(list(getattr(args, "extra", [])), share=args.share)
    if args.print_command:
        print(" ".join(argv))
        return 0
    return subprocess.call(argv)
