"""The Ray backend for real: a local Ray (2 CPUs, no dashboard) started here and stopped after, worker and
driver deaths, failing jobs, an address with no cluster behind it or no Ray at it, and where the driver finds
its token. A cluster started apart with `ray start` is tested in test_runner_cluster.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swap_engine import cli, runner
from swap_engine.runner import Store, cluster
from tests.runner_helpers import tiny_jobs

ray = pytest.importorskip("ray", reason="the Ray backend needs `pip install -r requirements-ray.txt`")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_gives_bit_identical_results_for_any_workers_and_chunks(local_ray, tmp_path):
    jobs = tiny_jobs(8, proxies=("swap", "params", "naswot"))
    runner.run(jobs, tmp_path / "local.csv", progress=False)
    two = runner.run(jobs, tmp_path / "ray2.csv", backend="ray", workers=2, chunk_size=1, progress=False)
    runner.run(jobs, tmp_path / "ray1.csv", backend="ray", workers=1, chunk_size=3, progress=False)
    assert (two.done, two.failed, two.backend) == (24, 0, "ray")
    local = runner.read_values(tmp_path / "local.csv")
    assert len(local) == 24
    assert runner.read_values(tmp_path / "ray2.csv") == local == runner.read_values(tmp_path / "ray1.csv")


def test_a_worker_that_dies_mid_task_is_retried_and_no_row_is_doubled(local_ray, tmp_path):
    marker = tmp_path / "killed-once"
    jobs = tiny_jobs(4, proxies=("swap", "fault-kill-once"), fault_marker=str(marker))
    summary = runner.run(jobs, tmp_path / "s.csv", backend="ray", workers=2, chunk_size=2, progress=False)
    assert marker.exists()  # a worker really died
    assert (summary.done, summary.failed) == (8, 0)
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert len(lines) == 1 + 8  # header and each job once
    assert {r.key for r in Store(tmp_path / "s.csv").records()} == {j.key for j in jobs}


def test_a_job_that_kills_its_worker_every_time_fails_alone_and_the_run_goes_on(local_ray, tmp_path):
    jobs = tiny_jobs(3, proxies=("params",)) + tiny_jobs(1, proxies=("fault-kill-always",))
    summary = runner.run(jobs, tmp_path / "s.csv", backend="ray", workers=2, chunk_size=4, max_retries=1,
                         progress=False)
    assert (summary.done, summary.failed) == (4, 1)
    failed = Store(tmp_path / "s.csv").failures()
    assert [r.proxy for r in failed] == ["fault-kill-always"] and "on each of 2 tries" in failed[0].error
    assert {r.key for r in Store(tmp_path / "s.csv").records()} == {j.key for j in jobs}


def test_a_job_that_raises_on_ray_is_recorded_and_counted(local_ray, tmp_path):
    jobs = tiny_jobs(3, proxies=("params", "fault-raise"))
    summary = runner.run(jobs, tmp_path / "s.csv", backend="ray", workers=2, chunk_size=1, progress=False)
    assert (summary.done, summary.failed) == (6, 3)
    assert all("injected failure" in r.error for r in Store(tmp_path / "s.csv").failures())
    assert "3 failed" in summary.line()


def test_an_address_with_no_cluster_fails_within_seconds(capsys):
    started = time.perf_counter()
    code = cli.main(["score", "--space", "nb201", "--sample", "1", "--input", "gaussian", "--backend", "ray",
                     "--address", "127.0.0.1:9"])
    assert code == 2 and time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "no Ray cluster answers at 127.0.0.1:9" in err and "Traceback" not in err
    with pytest.raises(runner.RunnerError, match="HOST:PORT"):
        runner.check_address("nowhere")


def test_the_token_is_found_where_ray_looks_for_it(monkeypatch, tmp_path):
    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cluster.token_source() is None
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("abc")
    assert cluster.token_source() == str(tmp_path / ".ray" / "auth_token")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", "/elsewhere")
    assert cluster.token_source() == "RAY_AUTH_TOKEN_PATH=/elsewhere"
    monkeypatch.setenv("RAY_AUTH_TOKEN", "abc")
    assert cluster.token_source() == "RAY_AUTH_TOKEN"  # Ray's order: the variable, its path, the file


def test_the_memory_limit_travels_with_a_job_to_a_clusters_workers(monkeypatch):
    """A cluster's workers do not inherit the driver's environment; --memory-limit is passed in the job's
    runtime_env (tried by hand on a two-node cluster: `atlas --memory-limit 100KB` fails on its workers)."""
    monkeypatch.delenv("SWAP_MEMORY_LIMIT", raising=False)
    assert cluster.worker_environment() == {}
    monkeypatch.setenv("SWAP_MEMORY_LIMIT", "2GB")
    assert cluster.worker_environment() == {"SWAP_MEMORY_LIMIT": "2GB"}


def test_a_port_that_is_not_ray_fails_within_seconds(monkeypatch):
    """Something listens but never answers as a GCS: refused in words after the probe's time, not Ray's 40 s."""
    monkeypatch.setattr(cluster, "PROBE_SECONDS", 1.0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        started = time.perf_counter()
        with pytest.raises(runner.RunnerError, match="does not answer as a Ray cluster"):
            cluster.probe(ray, address)
        assert time.perf_counter() - started < 5


def wait_for_records(process: subprocess.Popen, store: Path, count: int, timeout: float = 240) -> None:
    """Until the running command has stored `count` records (or ended, or `timeout` passed)."""
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if store.exists() and store.read_text().count("\n") >= 1 + count:
            return
        time.sleep(0.2)


@pytest.mark.slow
def test_a_killed_driver_reruns_to_the_same_table(tmp_path):
    """SIGKILL the CLI (and the local Ray it started) mid-run; the same command finishes the table."""
    store, table = tmp_path / "store.csv", tmp_path / "table.csv"
    command = [sys.executable, "-m", "swap_engine", "score", "--space", "nb201", "--sample", "40", "--seed", "3",
               "--input", "gaussian", "--resolution", "16", "--batch-size", "16", "--model-option", "C=8",
               "--model-option", "N=2", "--backend", "ray", "--workers", "1", "--chunk-size", "1",
               "--store", str(store), "--csv", str(table)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_records(process, store, 6)
        assert process.poll() is None, "the run ended before it could be killed"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    stored = len(list(Store(store).records()))
    assert 6 <= stored < 80 and not table.exists()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=400)
    uninterrupted = tmp_path / "again.csv"
    local = [part for part in command if part not in ("ray",)]
    local[local.index("--backend") + 1:local.index("--backend") + 1] = ["local"]
    local[local.index("--store") + 1] = str(tmp_path / "local-store.csv")
    local[local.index("--csv") + 1] = str(uninterrupted)
    subprocess.run(local, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=400)
    resumed, fresh = table.read_text().splitlines(), uninterrupted.read_text().splitlines()
    assert len(resumed) == 41
    strip = [line.rsplit(",", 2)[0] for line in resumed]  # all but the seconds and error columns
    assert strip == [line.rsplit(",", 2)[0] for line in fresh]


def test_study_runs_on_ray_like_on_local(local_ray, tmp_path, capsys):
    common = ["study", "--space", "nb201", "--target", "cifar10-test", "--proxies", "swap,params", "--n", "4",
              "--batch-size", "8", "--input", "gaussian", "--resolution", "8", "--model-option", "C=2",
              "--model-option", "N=1", "--n-boot", "20", "--no-plots"]
    assert cli.main([*common, "--out", str(tmp_path / "ray"), "--backend", "ray", "--workers", "2"]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "local")]) == 0
    capsys.readouterr()
    on_ray, local = ((tmp_path / name / "scores.csv").read_text().splitlines() for name in ("ray", "local"))
    assert len(on_ray) == 5
    assert [line.rsplit(",", 1)[0] for line in on_ray] == [line.rsplit(",", 1)[0] for line in local]


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_sigterm_stops_a_run_like_ctrl_c_and_says_how_to_resume(tmp_path, backend):
    """`kill PID` on a background run: it stops within seconds through its cleanup (Ray shut down, so no
    worker is left computing beside the next run) and keeps what it finished."""
    store = tmp_path / "store.csv"
    command = [sys.executable, "-m", "swap_engine", "score", "--space", "nb201", "--sample", "200", "--seed", "3",
               "--input", "gaussian", "--resolution", "16", "--batch-size", "16", "--model-option", "C=8",
               "--model-option", "N=2", "--backend", backend, "--workers", "1", "--chunk-size", "1",
               "--store", str(store), "--csv", str(tmp_path / "table.csv")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        wait_for_records(process, store, 2)
        assert process.poll() is None, "the run ended before it could be stopped"
        process.send_signal(signal.SIGTERM)
        stopped = time.time()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130 and time.time() - stopped < 30
    assert "run the same command again to resume" in err and "Traceback" not in err
    assert 2 <= len(list(Store(store).records())) < 200
