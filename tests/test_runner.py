"""The job runner's store (torn, corrupt and repeated records) and its local backend."""
from __future__ import annotations

import math

import pytest

from swap_engine import runner, spaces
from swap_engine.runner import Record, Store
from swap_engine.runner.jobs import auto_chunk_size, chunks
from tests.runner_helpers import TINY, tiny_archs, tiny_jobs


def record(arch: str, value: float = 1.0, error: str = "") -> Record:
    return Record("nb201", arch, "swap", "abc", {} if error else {"swap": value, "swap_stage3": math.nan},
                  0.5, error)


def test_store_round_trip_keeps_values_nan_and_errors_exactly(tmp_path):
    store = Store(tmp_path / "s.csv")
    assert store.append([record("a", 3.25), record("b", error='bad "arch"\nline two')]) == 2
    got = {r.arch: r for r in Store(tmp_path / "s.csv").records()}
    assert got["a"].values["swap"] == 3.25 and math.isnan(got["a"].values["swap_stage3"])
    assert got["b"].failed and got["b"].error == 'bad "arch"\nline two'
    assert (tmp_path / "s.csv").read_text().count("\n") == 3  # header + one line per record


def test_a_record_written_twice_is_kept_once(tmp_path):
    store = Store(tmp_path / "s.csv")
    store.append([record("a", 1.0)])
    assert store.append([record("a", 2.0)]) == 0
    assert Store(tmp_path / "s.csv").append([record("a", 2.0)]) == 0
    with open(tmp_path / "s.csv", "a") as handle:  # a duplicate that got in anyway (two writers)
        handle.write((tmp_path / "s.csv").read_text().splitlines(keepends=True)[1])
    assert [r.values["swap"] for r in store.records()] == [1.0]


def test_a_torn_last_record_is_dropped_and_cut_before_the_next_append(tmp_path):
    path = tmp_path / "s.csv"
    Store(path).append([record("a"), record("b")])
    text = path.read_text()
    path.write_text(text[: len(text) - 7])  # killed mid-write: half of b's line, no newline
    assert [r.arch for r in Store(path).records()] == ["a"]
    Store(path).append([record("c")])
    assert [r.arch for r in Store(path).records()] == ["a", "c"]
    assert all(line.count(",") >= 7 for line in path.read_text().splitlines())


def test_a_corrupt_record_fails_its_checksum(tmp_path):
    path = tmp_path / "s.csv"
    Store(path).append([record("a", 1.0), record("b", 2.0)])
    path.write_text(path.read_text().replace('"swap"": 2.0', '"swap"": 9.0'))
    assert [r.arch for r in Store(path).records()] == ["a"]


def test_a_later_success_supersedes_a_failure(tmp_path):
    store = Store(tmp_path / "s.csv")
    store.append([record("a", error="boom")])
    assert store.keys(include_failed=False) == set()
    assert store.append([record("a", 4.0)]) == 1
    assert [r.values["swap"] for r in Store(tmp_path / "s.csv").records()] == [4.0]


def test_chunks_keep_an_architectures_jobs_together():
    jobs = tiny_jobs(5, proxies=("swap", "params", "naswot"))
    pieces = chunks(jobs, 2)
    assert [len({j.arch for j in c.jobs}) for c in pieces] == [2, 2, 1]
    assert sum(len(c.jobs) for c in pieces) == 15
    assert auto_chunk_size(15625, 2) == 64 and auto_chunk_size(10, 2) == 1


def test_local_run_resumes_and_results_do_not_depend_on_chunking(tmp_path):
    jobs = tiny_jobs(6)
    first = runner.run(jobs[:6], tmp_path / "a.csv", chunk_size=1, progress=False)
    assert (first.done, first.failed, first.skipped, first.cells) == (6, 0, 0, 3)
    rest = runner.run(jobs, tmp_path / "a.csv", chunk_size=4, progress=False)
    assert (rest.done, rest.skipped) == (6, 6)
    runner.run(jobs, tmp_path / "b.csv", chunk_size=5, progress=False)
    assert runner.read_values(tmp_path / "a.csv") == runner.read_values(tmp_path / "b.csv")
    values = runner.read_values(tmp_path / "a.csv")
    swap = [v for k, v in values.items() if k[2] == "swap"]
    assert len(swap) == 6 and all({"swap", "swap_layersum", "swap_satfree", "swap_neurons"} <= set(v) for v in swap)
    assert "cells/s" in rest.line() and "6 already stored" in rest.line()


def test_a_job_that_raises_is_recorded_and_the_others_go_on(tmp_path):
    jobs = tiny_jobs(3, proxies=("swap", "fault-raise"))
    broken = runner.Job("nb201", "|nor_conv_9x9~0|+|+|", "swap", jobs[0].settings, 0)
    summary = runner.run([*jobs, broken], tmp_path / "s.csv", progress=False)
    assert (summary.done, summary.failed) == (7, 4)
    failures = {(r.arch, r.proxy): r.error for r in Store(tmp_path / "s.csv").failures()}
    assert failures[(broken.arch, "swap")].startswith("build: ValueError")
    assert all("injected failure" in e for (a, p), e in failures.items() if p == "fault-raise")
    assert len(runner.read_values(tmp_path / "s.csv")) == 3
    again = runner.run([*jobs, broken], tmp_path / "s.csv", progress=False)
    assert again.done == 0  # failures are stored too; retry_failed runs them again
    assert runner.run([*jobs, broken], tmp_path / "s.csv", progress=False, retry_failed=True).done == 4


def test_bad_backend_options_are_clear():
    with pytest.raises(ValueError, match="unknown backend"):
        runner.run([], "x.csv", backend="slurm")
    with pytest.raises(ValueError, match="--address needs --backend ray"):
        runner.run([], "x.csv", address="127.0.0.1:6379")


def test_a_missing_ray_names_the_install_command(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert not runner.ray_available()
    with pytest.raises(runner.RunnerError, match=r"pip install 'swap-explorer\[ray\]'"):
        runner.run(tiny_jobs(1), tmp_path / "s.csv", backend="ray", progress=False)


def test_an_input_that_cannot_be_built_stops_the_run_and_stores_nothing(tmp_path):
    jobs = tiny_jobs(3, input="no-such-input")
    with pytest.raises(runner.RunnerError, match="input batch could not be built.*unknown input 'no-such-input'"):
        runner.run(jobs, tmp_path / "s.csv", progress=False)
    assert list(Store(tmp_path / "s.csv").records()) == []


def test_swap_leaves_the_model_as_built_for_the_proxies_after_it():
    """SWAP skips restoring a model only when no job runs on it afterwards: the order of proxies changes nothing."""
    from swap_engine.runner.jobs import Chunk, run_chunk

    def values(proxies):
        jobs = tiny_jobs(2, proxies=proxies)
        records = run_chunk(Chunk("nb201", jobs[0].settings, jobs), threads=1)
        return {(r.arch, r.proxy): r.values for r in records}

    assert values(("swap", "naswot")) == values(("naswot", "swap")) == {**values(("swap",)), **values(("naswot",))}


def test_restore_false_leaves_batchnorm_statistics_as_the_pass_left_them():
    import torch

    from swap_engine import swap_score

    space = spaces.get("nb201")
    model = space.build(space.parse(tiny_archs(1)[0]), **TINY)
    x = torch.randn(8, 3, 8, 8)
    before = {name: t.clone() for name, t in model.named_buffers()}
    swap_score(model, x, device="cpu")
    assert all(torch.equal(before[name], t) for name, t in model.named_buffers())
    swap_score(model, x, device="cpu", restore=False)
    assert not all(torch.equal(before[name], t) for name, t in model.named_buffers())
