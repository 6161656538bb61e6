"""A Ray cluster started apart from the CLI, as the README tells a user to: a head and a second node, each its
own `ray start` process group with one CPU and its own temp folder, the head's token made by
`ray get-auth-token --generate`, and no SWAP_DATA on either node (their HOME is empty too, so no data cache).
The CLI joins it with --address; `score`, `atlas` and `study` must give the local backend's tables, and a
second node killed mid-run (kill -9 of its raylet) must cost nothing. Every process started here is stopped
by its process group at the end: `ray stop` would also stop other Ray instances on the machine.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from swap_engine import cli, data
from swap_engine.runner import Store

pytest.importorskip("ray", reason="the Ray backend needs `pip install -r requirements-ray.txt`")
pytestmark = pytest.mark.cluster
ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))  # the ray command of the interpreter running the tests
RAY_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")
TINY = ["--model-option", "C=2", "--model-option", "N=1", "--resolution", "8"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrubbed(home: Path, **extra: str) -> dict[str, str]:
    """This environment without data or Ray settings, HOME in `home`: what a fresh cluster node has."""
    env = {k: v for k, v in os.environ.items() if k != "SWAP_DATA" and k not in RAY_VARIABLES}
    return {**env, "HOME": str(home), "PYTHONPATH": str(ROOT), **extra}


class Cluster:
    """The process groups of the nodes started here, and how to reach the head."""

    def __init__(self, root: Path) -> None:
        self.root, self.home, self.groups = root, root / "home", []
        self.home.mkdir()
        self.address = f"127.0.0.1:{free_port()}"
        self.head = self.node = 0  # their process groups, once started

    def start(self, name: str, *arguments: str, **extra: str) -> int:
        """`ray start ...` in a new process group; returns the group, which its daemons keep after it exits."""
        log = open(self.root / f"{name}.log", "w")
        process = subprocess.Popen([RAY, "start", *arguments, "--num-cpus", "1", "--temp-dir",
                                    str(self.root / name), "--disable-usage-stats", "--object-store-memory",
                                    str(100 * 2**20), "--dashboard-agent-listen-port", str(free_port())],
                                   env=scrubbed(self.home, **extra), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.groups.append(process.pid)
        if process.wait(timeout=60) != 0:
            raise RuntimeError(f"ray start of the {name} failed: {(self.root / f'{name}.log').read_text()[-2000:]}")
        return process.pid

    def raylet(self, group: int) -> int:
        return next(pid for pid, args in _processes() if "raylet/raylet" in args[0] and _group_of(pid) == group)

    def stop(self) -> None:
        for group in self.groups:
            _kill_group(group)
        assert not any(_group_alive(group) for group in self.groups), "a node's process outlived the test"


def _processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((int(entry.name), (entry / "cmdline").read_bytes().decode().split("\0")))
            except OSError:  # ended meanwhile
                continue
    return found


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _kill_group(group: int) -> None:
    """SIGTERM the group, then SIGKILL what is left after a few seconds (GCS and raylet may ignore SIGTERM)."""
    for sig, grace in ((signal.SIGTERM, 0.5), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + grace
        while time.time() < deadline:
            if not _group_alive(group):
                return
            time.sleep(0.1)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        data.inputs("cifar10", 1)
        data.benchmark("nb201")
    except data.MissingDataError as err:
        pytest.skip(f"the driver's data is missing: {err}")
    built = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        subprocess.run([RAY, "get-auth-token", "--generate"], env=scrubbed(built.home), check=True,
                       capture_output=True, timeout=60)
        built.head = built.start("head", "--head", "--port", built.address.rpartition(":")[2], "--dashboard-port",
                                 str(free_port()), "--include-dashboard", "false")
        built.node = built.start("node", "--address", built.address, RAY_AUTH_MODE="token")
        yield built
    finally:
        built.stop()


def driver(cluster: Cluster, *arguments: str, home: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The CLI as a user on the head runs it: the token in ~/.ray, SWAP_DATA for the driver alone."""
    env = scrubbed(home or cluster.home, SWAP_DATA=os.environ["SWAP_DATA"])
    return [sys.executable, "-m", "swap_engine", *arguments, "--backend", "ray", "--address", cluster.address], env


def run_driver(cluster: Cluster, *arguments: str, home: Path | None = None) -> subprocess.CompletedProcess:
    command, env = driver(cluster, *arguments, home=home)
    return subprocess.run(command, cwd=cluster.root, env=env, capture_output=True, text=True, timeout=240)


def test_a_driver_without_the_heads_token_is_told_how_to_get_it_within_seconds(cluster, tmp_path):
    started = time.perf_counter()
    result = run_driver(cluster, "score", "--space", "nb201", "--sample", "1", "--input", "gaussian",
                        "--store", str(tmp_path / "s.csv"), home=tmp_path)
    assert result.returncode == 2 and time.perf_counter() - started < 20
    assert "uses token authentication and this machine has no token" in result.stderr
    assert "ray get-auth-token" in result.stderr and "Traceback" not in result.stderr
    assert "Failed to get cluster ID" not in result.stderr  # Ray's retry lines are not shown


def test_atlas_on_the_cluster_gives_the_local_table(cluster, tmp_path):
    common = ["atlas", "--space", "nb201", "--cells", "2", "--only", "swap_b8,params,flops"]
    result = run_driver(cluster, *common, "--out", str(tmp_path / "ray.parquet"), "--store", str(tmp_path / "ray.csv"),
                        "--memory-limit", "4GB")  # a limit travels in the job's runtime_env; jobs still run with one
    assert result.returncode == 0, result.stderr[-3000:]
    assert cli.main([*common, "--out", str(tmp_path / "local.parquet"), "--store", str(tmp_path / "local.csv")]) == 0
    on_ray, local = (pd.read_parquet(tmp_path / f"{name}.parquet") for name in ("ray", "local"))
    values = [c for c in local.columns if not c.endswith("_seconds")]  # a row per cell of the space, 2 scored
    assert local[["swap_b8", "flops"]].notna().sum().tolist() == [2, 2]
    pd.testing.assert_frame_equal(on_ray[values], local[values])


def test_study_on_the_cluster_gives_the_local_table(cluster, tmp_path):
    common = ["study", "--space", "nb201", "--target", "cifar10-test", "--proxies", "swap,naswot", "--n", "6",
              "--batch-size", "8", *TINY, "--n-boot", "20", "--no-plots"]
    result = run_driver(cluster, *common, "--out", str(tmp_path / "ray"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert cli.main([*common, "--out", str(tmp_path / "local")]) == 0
    on_ray, local = ((tmp_path / name / "scores.csv").read_text().splitlines() for name in ("ray", "local"))
    assert len(local) == 7
    assert [line.rsplit(",", 1)[0] for line in on_ray] == [line.rsplit(",", 1)[0] for line in local]


def test_score_loses_nothing_when_the_second_node_dies_mid_run(cluster, tmp_path):
    """kill -9 of the second node's raylet while it scores: its tasks are retried on the head, no record is
    lost or doubled, and the table is the local backend's."""
    common = ["score", "--space", "nb201", "--sample", "12", "--seed", "3", "--batch-size", "8", *TINY,
              "--chunk-size", "1"]
    store = tmp_path / "ray.csv"
    command, env = driver(cluster, *common, "--workers", "2", "--store", str(store), "--csv", str(tmp_path / "ray"))
    process = subprocess.Popen(command, cwd=cluster.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        raylet = cluster.raylet(cluster.node)
        deadline = time.time() + 120
        while time.time() < deadline and process.poll() is None and not _scoring_under(raylet):
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before the second node scored"
        os.kill(raylet, signal.SIGKILL)
        _, err = process.communicate(timeout=180)
    finally:
        _kill_group(process.pid)
    assert process.returncode == 0, err[-3000:]
    assert cli.main([*common, "--store", str(tmp_path / "local.csv"), "--csv", str(tmp_path / "local")]) == 0
    on_ray, local = ((tmp_path / name).read_text().splitlines() for name in ("ray", "local"))
    assert len(local) == 13
    strip = lambda lines: [line.rsplit(",", 2)[0] for line in lines]  # all but the seconds and error columns
    assert strip(on_ray) == strip(local)
    assert len(store.read_text().splitlines()) == 1 + 24 and not Store(store).failures()  # each job once, done


def _scoring_under(raylet: int) -> bool:
    """Whether a worker of this raylet is running a task (Ray names the process after the task it runs)."""
    for pid, args in _processes():
        if args[0].startswith("ray::run_chunk"):
            try:
                if int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1]) == raylet:
                    return True
            except (OSError, IndexError, ValueError):
                continue
    return False
