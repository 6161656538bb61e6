"""The job runner: score many (space, architecture, proxy, settings) jobs on a backend into a store.

    summary = runner.run(jobs, "results/nb201.csv", backend="ray")

Backends: `local` (this process, no extra dependency) and `ray` (a local Ray started with this machine's
CPUs and GPUs, or an existing cluster at `address`, joined by `cluster.join`). On Ray the driver builds each
input batch once and hands it to the tasks through the object store, so a cluster's nodes need the package
and Ray but no data files. Jobs already in the store are skipped, so an
interrupted run continues where it stopped; results stream into the store chunk by chunk as they
arrive. A job that raises is stored with its message and counted in the summary; it does not stop the
others. An input batch that cannot be built (missing data, a bad input name) stops the run with that
message instead: every job would fail alike. Scores do not depend on the backend, the number of workers
or the chunk size.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from swap_engine.runner.jobs import (_BATCHES, INPUT_ERROR, Chunk, Job, auto_chunk_size, build_input, cells, chunks,
                                     input_key, needs_input, run_chunk)
from swap_engine.runner.store import Record, Store, read_values, settings_hash

BACKENDS = ("local", "ray")
RAY_INSTALL = "pip install 'swap-explorer[ray]'  (or: pip install -r requirements-ray.txt)"


class RunnerError(ValueError):
    """A backend that cannot start (Ray missing, no cluster at the address): the message says what to do."""


@dataclass(frozen=True)
class Summary:
    """What a run did: `done` jobs now stored (of them `failed` with an error), `skipped` already stored."""

    total: int
    skipped: int
    done: int
    failed: int
    cells: int
    seconds: float
    backend: str

    @property
    def cells_per_second(self) -> float:
        return self.cells / self.seconds if self.seconds > 0 else float("nan")

    def line(self) -> str:
        rate = f"{self.cells_per_second:.2f} cells/s" if self.cells else "nothing to do"
        return (f"{self.done} jobs on {self.cells} cells in {self.seconds:.1f} s ({rate}, {self.backend}); "
                f"{self.skipped} already stored; {self.failed} failed")


def run(jobs: Sequence[Job], store: Store | str | os.PathLike, *, backend: str = "local",
        address: str | None = None, workers: int | None = None, chunk_size: int | None = None,
        gpus_per_task: float = 0.0, device: str | None = None, threads: int | None = 1,
        retry_failed: bool = False, progress: bool = True, max_retries: int = 3) -> Summary:
    """Run the jobs not yet in `store` and append their records; returns a summary.

    `workers`: tasks in flight at once (default: the CPUs of this machine or of the cluster);
    `chunk_size`: architectures per task (default: `auto_chunk_size`); `gpus_per_task`: the share of a GPU
    each Ray task asks for (0.25 lets four small networks share one); `threads`: torch threads per task;
    `retry_failed`: run again the jobs stored as failed; `max_retries`: Ray's retries of a task whose worker
    died (its finished records are only written once the retry returns, so none is lost or doubled).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise ValueError("--address needs --backend ray")
    store = store if isinstance(store, Store) else Store(store)
    stored = store.keys(include_failed=not retry_failed)
    todo = [job for job in _unique(jobs) if job.key not in stored]
    skipped = len(jobs) - len(todo)
    started = time.perf_counter()
    done = failed = 0
    if todo:
        from tqdm import tqdm

        with session(backend, address=address, workers=workers):  # Ray is up (or refused) before the bar shows
            bar = tqdm(total=len(todo), disable=not progress, unit="job", desc=f"{backend} run", file=sys.stderr,
                       dynamic_ncols=True)
            try:
                if backend == "local":
                    stream = _local(todo, chunk_size or auto_chunk_size(cells(todo), 1), device, threads)
                else:
                    stream = _ray(todo, workers=workers, chunk_size=chunk_size, gpus_per_task=gpus_per_task,
                                  device=device, threads=threads, max_retries=max_retries)
                for records in stream:
                    broken = next((r for r in records if r.error.startswith(INPUT_ERROR)), None)
                    if broken is not None:  # every job would fail alike: stop, and store none of them
                        raise RunnerError(_input_failure(broken.error[len(INPUT_ERROR):]))
                    store.append(records)
                    done += len(records)
                    failed += sum(r.failed for r in records)
                    bar.update(len(records))
                    bar.set_postfix(failed=failed, refresh=False)
            finally:
                bar.close()
    summary = Summary(total=len(jobs), skipped=skipped, done=done, failed=failed, cells=cells(todo),
                      seconds=time.perf_counter() - started, backend=backend)
    return summary


def _input_failure(reason: str) -> str:
    return f"the input batch could not be built, so no job can run: {reason}"


def _unique(jobs: Sequence[Job]) -> list[Job]:
    seen: set[tuple[str, str, str, str]] = set()
    unique = []
    for job in jobs:
        if job.key not in seen:
            seen.add(job.key)
            unique.append(job)
    return unique


def _local(jobs: list[Job], chunk_size: int, device: str | None, threads: int | None) -> Iterator[list[Record]]:
    _BATCHES.clear()  # in this process the inputs may have changed since the last run (tests patch them)
    for chunk in chunks(jobs, chunk_size):
        yield run_chunk(chunk, device, threads)


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RunnerError(f"the ray backend needs Ray, which is not installed; install it with: {RAY_INSTALL}") \
            from None
    return ray


def check_address(address: str, timeout: float = 3.0) -> None:
    """Fail within `timeout` seconds when nothing listens at HOST:PORT (Ray itself would wait much longer)."""
    host, sep, port = address.rpartition(":")
    if address.startswith("ray://"):
        host, sep, port = address[len("ray://"):].rpartition(":")
    if not sep or not port.isdigit():
        raise RunnerError(f"--address wants HOST:PORT (e.g. 10.0.0.5:6379), got {address!r}")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as err:
        raise RunnerError(f"no Ray cluster answers at {address} ({err.strerror or err}); start one there with "
                          f"`ray start --head --port {port}`, or leave out --address to start a local Ray") \
            from None


@contextlib.contextmanager
def session(backend: str = "local", *, address: str | None = None, workers: int | None = None) -> Iterator[None]:
    """Keep one Ray up across several `run` calls (a command that runs in rounds starts it once)."""
    if backend != "ray":
        yield
        return
    started_here = _start_ray(address, workers)
    try:
        yield
    finally:
        if started_here:
            _import_ray().shutdown()


def _start_ray(address: str | None, workers: int | None) -> bool:
    """Connect to the cluster at `address`, or start a local Ray; False when one is already up."""
    ray = _import_ray()
    if ray.is_initialized():
        if address is not None:
            check_address(address)  # with Ray up already, a wrong address is still an error, not ignored
        return False
    # ray.init replaces the driver's SIGTERM handler with one that exits at once; keep the caller's (the CLI
    # turns SIGTERM into KeyboardInterrupt, to stop as Ctrl-C does and say how to resume).
    own_handler = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    if address is not None:
        from swap_engine.runner import cluster

        cluster.join(ray, address)
    else:
        import torch

        ray.init(num_cpus=workers or os.cpu_count() or 1,
                 num_gpus=torch.cuda.device_count() if torch.cuda.is_available() else 0,
                 include_dashboard=False, log_to_driver=False)
    if callable(own_handler):
        signal.signal(signal.SIGTERM, own_handler)
    return True


def _ray(jobs: list[Job], *, workers: int | None, chunk_size: int | None, gpus_per_task: float,
         device: str | None, threads: int | None, max_retries: int) -> Iterator[list[Record]]:
    """The jobs as Ray tasks on the Ray this process is connected to (`session`), results as they finish."""
    ray = _import_ray()
    slots = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    size = chunk_size or auto_chunk_size(cells(jobs), slots)
    task = ray.remote(run_chunk).options(num_cpus=1, num_gpus=gpus_per_task, max_retries=max_retries,
                                         retry_exceptions=False)
    inputs: dict[tuple[str, ...], Any] = {}

    def submit(chunk: Chunk) -> Any:
        """The chunk as a task, with its input batch from the object store: workers need no data files."""
        batch = None
        if needs_input(chunk):
            key = input_key(chunk.settings)
            if key not in inputs:  # built and stored once per input, shared by every task that reads it
                try:
                    inputs[key] = ray.put(build_input(chunk.settings))
                except Exception as err:
                    raise RunnerError(_input_failure(f"{type(err).__name__}: {err}")) from None
            batch = inputs[key]
        return task.remote(chunk, device, threads, batch)

    pending = deque(chunks(jobs, size))
    in_flight: dict[Any, Chunk] = {}

    def fill(count: int) -> None:
        for _ in range(min(count, len(pending))):
            chunk = pending.popleft()
            in_flight[submit(chunk)] = chunk

    fill(slots)
    while in_flight:  # one task per worker in flight: progress flows, memory stays flat
        ready, _ = ray.wait(list(in_flight), num_returns=1)
        chunk = in_flight.pop(ready[0])
        try:
            records = ray.get(ready[0])
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError) as err:
            records = []
            if len(chunk.jobs) > 1:  # one job killed the process, and Ray's retries with it: find which
                pending.extendleft(Chunk(chunk.space, chunk.settings, [job]) for job in reversed(chunk.jobs))
            else:
                cause = ("killed for memory" if isinstance(err, ray.exceptions.OutOfMemoryError)
                         else "died (an abort in native code?)")
                records = [_crashed(job, cause, max_retries + 1) for job in chunk.jobs]
        if records:
            yield records
        fill(1)


def _crashed(job: Job, cause: str, tries: int) -> Record:
    """The record of a job whose worker process died each time it ran (an abort in native code, or killed for
    memory): failed with the reason, so the run goes on and `--retry-failed` tries it again."""
    return Record(job.space, job.arch, job.proxy, job.settings_key, {}, 0.0,
                  f"WorkerCrashed: the worker process scoring this job alone {cause}, on each of {tries} tries")


__all__ = ["BACKENDS", "Chunk", "Job", "Record", "RunnerError", "Store", "Summary", "check_address",
           "chunks", "ray_available", "read_values", "run", "run_chunk", "session", "settings_hash"]
