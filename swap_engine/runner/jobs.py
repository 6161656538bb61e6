"""Jobs, chunks, and the code a worker runs: build the input once per chunk, then score every cell of it.

A job is one (space, architecture, proxy) under one settings mapping. Jobs sharing space and settings
form chunks; within a chunk, the jobs of one architecture share one model, built from that job's own
seed, so a score depends on nothing but its job (not on the backend, the worker, the chunk or the order).
"""
from __future__ import annotations

import dataclasses
import gc
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from swap_engine.runner.store import Record, settings_hash

INPUT_ERROR = "input: "  # prefix of the error of a job whose chunk could not build its input batch
# Setting names the worker reads; anything else in a settings mapping only tells runs apart.
INPUT_SETTINGS = ("input", "batch_size", "split", "input_seed", "resolution")


@dataclass(frozen=True)
class Job:
    """Score `arch` (canonical text) of `space` with `proxy`, the model built from `torch.manual_seed(seed)`.

    `settings`: `input`, `batch_size`, `split`, `input_seed`, `resolution` (the batch), `seed` (the
    proxies' own seed), `model_options` (for `space.build`), `proxy_options` ({proxy: {option: value}}),
    and any label that tells runs apart (e.g. how `seed` was chosen). The proxy `swap` stores every SWAP
    variant of its one capture, plus `swap_neurons`.
    """

    space: str
    arch: str
    proxy: str
    settings: dict[str, Any] = field(hash=False, compare=False)
    seed: int = 0

    @property
    def settings_key(self) -> str:
        return settings_hash(self.settings)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.space, self.arch, self.proxy, self.settings_key


@dataclass
class Chunk:
    """Jobs of one space and one settings mapping, scored by one task."""

    space: str
    settings: dict[str, Any]
    jobs: list[Job]


def chunks(jobs: Sequence[Job], size: int) -> list[Chunk]:
    """Group jobs by (space, settings) and cut each group into pieces of at most `size` architectures
    (all proxies of one architecture stay in one chunk, so its model is built once)."""
    groups: OrderedDict[tuple[str, str], list[Job]] = OrderedDict()
    for job in jobs:
        groups.setdefault((job.space, job.settings_key), []).append(job)
    result = []
    for (space, _), group in groups.items():
        by_arch: OrderedDict[tuple[str, int], list[Job]] = OrderedDict()
        for job in group:
            by_arch.setdefault((job.arch, job.seed), []).append(job)
        cells = list(by_arch.values())
        for start in range(0, len(cells), size):
            result.append(Chunk(space, group[0].settings, [j for cell in cells[start:start + size] for j in cell]))
    return result


def auto_chunk_size(n_archs: int, workers: int) -> int:
    """Enough chunks to keep every worker busy and the ETA moving (about 8 per worker), each large
    enough that per-task costs (scheduling, building the input batch) stay small."""
    return max(1, min(64, math.ceil(n_archs / max(1, 8 * workers))))


_BATCHES: OrderedDict[tuple, Any] = OrderedDict()  # a worker process keeps the last few input batches


def needs_input(chunk: Chunk) -> bool:
    """Whether a chunk reads its input batch (`params` only counts weights)."""
    return any(job.proxy != "params" for job in chunk.jobs)


def input_key(settings: dict[str, Any]) -> tuple[str, ...]:
    """What the input batch of a settings mapping depends on: chunks with equal keys share one batch."""
    return tuple(repr(settings.get(k)) for k in INPUT_SETTINGS)


def build_input(settings: dict[str, Any], device: Any = None) -> Any:
    """The input batch of a settings mapping (on the CPU unless `device`); raises what `data.inputs` raises."""
    from swap_engine import data

    return data.inputs(settings["input"], int(settings["batch_size"]), split=settings.get("split", "train"),
                       seed=settings.get("input_seed"), resolution=settings.get("resolution"), device=device)


def _batch(settings: dict[str, Any], device: Any) -> Any:
    key = (*input_key(settings), str(device))
    if key not in _BATCHES:
        _BATCHES[key] = build_input(settings, device)
        while len(_BATCHES) > 2:
            _BATCHES.popitem(last=False)
    return _BATCHES[key]


def _moved(batch: Any, device: Any) -> Any:
    """A batch built on the CPU, on `device`: the same tensors `data.inputs(..., device=device)` gives."""
    move = lambda tensor: None if tensor is None else tensor.to(device)
    return dataclasses.replace(batch, x=move(batch.x), y=move(batch.y), attention_mask=move(batch.attention_mask))


def _options(proxy: str, settings: dict[str, Any], device: Any, signature: str | None = None) -> dict[str, Any]:
    """The keyword options of `proxy`'s job; `signature`: the registered proxy whose parameters say which
    common options it takes (a family job, `az`, runs its components' function)."""
    from swap_engine import proxies

    accepted = proxies.get(signature or proxy).options()
    if accepted is None:  # swap and its variants pass options on to swap_score, which takes these
        accepted = ["seed", "device", "repeats"]
    common = {"seed": settings.get("seed", 0), "device": str(device)}
    if "repeats" in settings:
        common["repeats"] = settings["repeats"]
    chosen = {k: v for k, v in common.items() if k in accepted}
    chosen.update((settings.get("proxy_options") or {}).get(proxy, {}))
    return chosen


def _score(proxy: str, model: Any, batch: Any, settings: dict[str, Any], device: Any,
           last: bool = False) -> dict[str, float]:
    """One proxy's values; `last`: no other job runs on this model after it, so SWAP need not restore it."""
    from swap_engine import proxies, swap_score
    from swap_engine.runner import faults
    from swap_engine.swap.variants import variants

    if proxy in faults.FAULTS:
        return faults.FAULTS[proxy](settings)
    if proxy == "swap":
        result = swap_score(model, batch, **_options("swap", settings, device), restore=not last)
        values = variants(result)
        if result.factor != 1.0:
            values["swap_reg"] = float(result.score)
        values["swap_neurons"] = float(result.neurons)
        return values
    if proxy == "az":  # AZ-NAS's three proxies from one pass
        from swap_engine.proxies import az

        return az.components(model, batch, **_options("az", settings, device, signature="az_expressivity"))
    return {proxy: proxies.score(proxy, model, batch, **_options(proxy, settings, device))}


def run_chunk(chunk: Chunk, device: str | None = None, threads: int | None = 1, batch: Any = None) -> list[Record]:
    """Score every job of a chunk; a job that raises becomes a failed record, the others go on.

    `threads` caps torch's intra-op threads for the chunk (one per task, so that concurrent tasks do not
    stall each other and every backend computes the same floats); None leaves torch's setting alone.
    `batch`: the chunk's input, built on the CPU by the caller (`build_input`), so that a cluster's workers
    need no data files; None builds it here.
    """
    import torch

    from swap_engine import models, spaces
    from swap_engine.device import resolve_device

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    records: list[Record] = []
    try:
        target = resolve_device(device)
        space = spaces.get(chunk.space)
        settings = chunk.settings
        key = settings_hash(settings)
        batch_error = None
        if needs_input(chunk):
            try:
                batch = _batch(settings, target) if batch is None else _moved(batch, target)
            except Exception as err:  # a bad input setting fails every job of the chunk, with its reason
                batch_error = f"{INPUT_ERROR}{type(err).__name__}: {err}"
        by_arch: OrderedDict[tuple[str, int], list[Job]] = OrderedDict()
        for job in chunk.jobs:
            by_arch.setdefault((job.arch, job.seed), []).append(job)
        for (arch, seed), jobs in by_arch.items():
            model, build_error = None, batch_error
            if build_error is None:
                try:
                    model = models.build(space, space.parse(arch), settings.get("model_options"), seed=seed,
                                         inputs=batch, device=target)
                    if target.type != "cpu":  # built on the CPU; .to() walks every module even when it stays
                        model = model.to(target)
                except Exception as err:
                    build_error = f"build: {type(err).__name__}: {err}"
            for position, job in enumerate(jobs, start=1):
                started = time.perf_counter()
                if build_error is not None:
                    records.append(Record(chunk.space, arch, job.proxy, key, {}, 0.0, build_error))
                    continue
                try:
                    values = _score(job.proxy, model, batch, settings, target, last=position == len(jobs))
                    error = ""
                except Exception as err:
                    values, error = {}, f"{type(err).__name__}: {err}"
                records.append(Record(chunk.space, arch, job.proxy, key, values,
                                      round(time.perf_counter() - started, 6), error))
            del model
    finally:
        if threads is not None:
            torch.set_num_threads(previous)
        gc.collect(1)  # the young generations: the chunk's models; a full pass costs 0.1 s with pandas and torch loaded
    return records


def cells(jobs: Iterable[Job]) -> int:
    """Distinct (space, architecture) pairs among jobs."""
    return len({(job.space, job.arch) for job in jobs})


__all__ = ["Chunk", "Job", "auto_chunk_size", "build_input", "cells", "chunks", "input_key", "needs_input",
           "run_chunk"]
