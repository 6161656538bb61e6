"""Joining an existing Ray cluster: reachability, Ray's token authentication, and failures said in words.

Why this is more than `ray.init(address=...)`: a cluster started with `ray start --head` uses token
authentication whenever a token exists where Ray looks for one (Ray 2.59+ makes one for every local
`ray.init()`, and 2.61 turns authentication on for all clusters), but a driver given an explicit address
keeps authentication off unless `RAY_AUTH_MODE=token` is set, and then retries for 20 s before a traceback.
Here the driver uses a token when it has one, as Ray does for a cluster it finds by itself, and each way of
failing is answered within seconds with what failed and the command that fixes it.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any, Iterator

from swap_engine.runner import RunnerError, check_address

AUTH_MODE = "RAY_AUTH_MODE"
TOKEN_VARIABLE = "RAY_AUTH_TOKEN"
TOKEN_PATH_VARIABLE = "RAY_AUTH_TOKEN_PATH"
PROBE_SECONDS = 10.0  # a GCS answers in well under a second; something else at the port never does
JOIN_BUDGET = "RAY_gcs_server_port_wait_time_s"  # Ray's own budget, in seconds, for reaching the GCS in ray.init
JOIN_SECONDS = "5"
COPY_TOKEN = ("run `ray get-auth-token` on the head node and save what it prints as ~/.ray/auth_token on this "
              "machine (or set RAY_AUTH_TOKEN to it)")


def token_source() -> str | None:
    """Where this machine's Ray token comes from, in Ray's order of precedence, or None when it has none."""
    if os.environ.get(TOKEN_VARIABLE):
        return TOKEN_VARIABLE
    if os.environ.get(TOKEN_PATH_VARIABLE):
        return f"{TOKEN_PATH_VARIABLE}={os.environ[TOKEN_PATH_VARIABLE]}"
    default = Path.home() / ".ray" / "auth_token"
    return str(default) if default.is_file() and default.stat().st_size > 0 else None


def use_token_if_present(ray: Any) -> None:
    """Turn token authentication on for this process when the user left `RAY_AUTH_MODE` unset and a token
    exists; a cluster without authentication accepts a driver that sends one, so this never locks one out."""
    if os.environ.get(AUTH_MODE) is None and token_source() is not None:
        os.environ[AUTH_MODE] = "token"
        ray._raylet.Config.initialize("")  # Ray reads its configuration on import: have it read the mode again


def probe(ray: Any, address: str) -> None:
    """Ask the cluster's GCS for its id, once, within `PROBE_SECONDS`; a refusal becomes a `RunnerError`."""
    outcome: dict[str, BaseException | None] = {}

    def ask() -> None:
        try:
            ray._raylet.GcsClient(address=address)
            outcome["error"] = None
        except Exception as err:  # classified below, in the caller's thread
            outcome["error"] = err

    with _quiet_stderr():  # Ray's C++ client logs each refused attempt itself; the message below says it once
        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        asker.join(PROBE_SECONDS)
    if "error" not in outcome:
        raise RunnerError(f"something listens at {address} but does not answer as a Ray cluster within "
                           f"{PROBE_SECONDS:.0f} s; check the address (`ray start --head` prints it) and that "
                           f"this machine's Ray is the cluster's version (`ray --version` on both)")
    error = outcome["error"]
    if error is None:
        return
    if isinstance(error, getattr(ray.exceptions, "AuthenticationError", ())):  # Ray < 2.52 has no tokens
        raise RunnerError(_auth_message(address)) from None
    raise RunnerError(f"the Ray cluster at {address} could not be reached ({_first_line(error)}); check that "
                       f"this machine's Ray is the cluster's version (`ray --version` on both)") from None


def _auth_message(address: str) -> str:
    mode, source = os.environ.get(AUTH_MODE), token_source()
    if mode is not None and mode.lower() != "token":
        return (f"the Ray cluster at {address} uses token authentication, and {AUTH_MODE}={mode} here turns it "
                f"off: unset {AUTH_MODE}, then {COPY_TOKEN}")
    if source is None:
        return f"the Ray cluster at {address} uses token authentication and this machine has no token: {COPY_TOKEN}"
    return (f"the Ray cluster at {address} refused this machine's token (from {source}), so it is not the "
            f"head's: {COPY_TOKEN}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block (C++ logging bypasses sys.stderr)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def worker_environment() -> dict[str, str]:
    """The driver's settings that tasks read from the environment (`--memory-limit`): a local Ray's workers
    inherit them, but a cluster's are started by their own node, so they travel with the job."""
    from swap_engine.models import MEMORY_ENV

    return {name: os.environ[name] for name in (MEMORY_ENV,) if name in os.environ}


def join(ray: Any, address: str) -> None:
    """Connect this process to the cluster at `address` as its driver, or raise a `RunnerError` in words."""
    check_address(address)
    use_token_if_present(ray)
    if not address.startswith("ray://"):  # Ray Client's port speaks another protocol than the GCS
        probe(ray, address)
    budget = os.environ.get(JOIN_BUDGET)
    os.environ[JOIN_BUDGET] = budget or JOIN_SECONDS  # not Ray's 20 s of retries should the head go meanwhile
    try:
        passed = worker_environment()
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": passed} if passed else None)
    except Exception as err:  # anything after a good probe: a version mismatch, the head going down
        raise RunnerError(f"could not join the Ray cluster at {address}: {_first_line(err)}") from None
    finally:
        if budget is None:
            del os.environ[JOIN_BUDGET]


__all__ = ["join", "probe", "token_source", "use_token_if_present", "worker_environment"]
