"""Soak: one session drives the app through a few hundred varied views, and the process's memory stays bounded.

Why: the server grew from 1.2 to 2.5 GB over an hour of varied use (issue #27); every cache now has a bound,
and this checks that they hold. A warm-up round opens every kind of view once (loading each atlas, table
and model the views need), then `SWAP_SOAK_ROUNDS` rounds (default 16, 260 views) vary pages, spaces,
batch sizes, seeds, architectures, benchmarks, recipes and targets, each view cheap (NB201 at C=4, N=1 on
8x8 images, precomputed tables, no long scoring runs). Resident memory (VmRSS, after `gc.collect()`) may
grow by at most `BOUND_MB` = 300 MB from the warm-up to the end: measured here (2 cores), 1317 -> 1364 MB
(+47 MB) over the default 260 views and 1316 -> 1398 MB (+82 MB, flat from the 500th on) over 975 views
(60 rounds), so the margin covers the allocator's noise and slower machines, not a leak.
"""
from __future__ import annotations

import ast
import gc
import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import ROOT, assert_clean
from ui import loader

DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
ROUNDS = int(os.environ.get("SWAP_SOAK_ROUNDS", "16"))
BOUND_MB = 300
TINY = {"space": "nb201", "build_options": '{"C": 4, "N": 1}', "resolution": 8, "batch_size": 16, "n_archs": 5,
        "seed": 0, "input": "cifar10", "regularize": False}
# The setting NB201's precomputed whole-space table covers: Correlation and Distribution read it, score nothing.
PRECOMPUTED = {**TINY, "build_options": "", "resolution": 32, "n_archs": 30}
DARTS_TINY = {**TINY, "space": "darts", "build_options": ""}  # the default: the SWAP authors' 1-cell proxy
NB101_TINY = {**TINY, "space": "nb101", "build_options": '{"stem_channels": 8, "stacks": 1, "cells_per_stack": 1}'}
ATLASES = ("nb201", "darts-1k-proxynet", "nb101-500", "flexibert-500", "zoo")
RECIPES = ("log_rank:swap_b16+params", "swap_b16", "swap_b32@reg=max", "mean_rank:swap_b32+params", "params")

pytestmark = pytest.mark.skipif(
    not (DATA / "cifar10" / "train_first10000.npz").exists() or not (DATA / "nb201" / "nats_bench.csv").exists(),
    reason=f"the soak opens every page on real CIFAR-10 images and NB201 ground truth; not found under {DATA}")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def _unbounded(path: Path) -> list[str]:
    """Cached functions in `path` without a bound: st.cache_* with no max_entries, lru_cache with no maxsize,
    functools.cache on a function that takes arguments (one with none holds a single value)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            keywords = {k.arg: k.value for k in call.keywords} if call else {}
            if name in ("cache_data", "cache_resource") and "max_entries" not in keywords:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
            elif name == "lru_cache" and (call is None or (not call.args and "maxsize" not in keywords)
                                          or any(isinstance(v, ast.Constant) and v.value is None
                                                 for v in [*call.args[:1], keywords.get("maxsize")])):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
            elif name == "cache" and (node.args.args or node.args.kwonlyargs or node.args.vararg):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return found


def test_every_cache_has_a_bound():
    files = [p for folder in ("ui", "views", "swap_engine") for p in sorted((ROOT / folder).rglob("*.py"))]
    assert [hit for path in files for hit in _unbounded(path)] == []


def rss_mb() -> float:
    """This process's resident memory in MB, after a full collection."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource  # no /proc: the peak, which can only overstate growth

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def views(r: int) -> list[tuple[str, dict]]:
    """Round `r`'s views: (page, session state to set first); settings vary with `r` so caches keep filling."""
    seed, batch = r % 7, (4, 8, 16)[r % 3]
    tiny = {**TINY, "seed": seed, "batch_size": batch}
    from swap_engine import spaces

    nb201 = spaces.get("nb201")
    a, b = (nb201.format(nb201.from_index((r * 7_919 + k * 104_729) % nb201.size)) for k in (1, 2))
    chosen = [
        ("patterns", {**tiny, "arch::nb201": a}),
        ("patterns", {**tiny, "arch::nb201": b, "batch_size": (8, 16, 4)[r % 3]}),
        ("compare", {**tiny, "compare_A::nb201": a, "compare_B::nb201": b}),
        ("patterns", {**DARTS_TINY, "seed": seed, "batch_size": batch}),
        ("patterns", {**NB101_TINY, "seed": seed, "batch_size": batch}),
        ("learn", {"learn_b": 1 + r % 6}),
        ("lab", {"space": "nb201", "lab_boot": 0, "lab_atlas": ATLASES[r % len(ATLASES)],
                 "lab_text": RECIPES[r % len(RECIPES)]}),
        ("lab", {"space": "nb201", "lab_boot": 0, "lab_atlas": "nb201", "lab_split": ("test", "valid")[r % 2],
                 "lab_method": ("log_rank", "mean_rank")[r % 2], "lab_text": RECIPES[(r + 1) % len(RECIPES)]}),
        ("families", {}),
        ("distribution", {**PRECOMPUTED, "n_archs": 20 + 7 * (r % 8), "dist_kind": ("histogram", "violin")[r % 2]}),
        ("distribution", {**tiny, "n_archs": 3 + r % 4}),  # not precomputed: the start button, nothing scored
        ("about", {}),
        ("patterns", {**tiny, "seed": 100 + r}),  # a seed never seen before: a new score every round
        ("compare", {**tiny, "batch_size": 4, "compare_A::nb201": b, "compare_B::nb201": a}),
        ("learn", {"learn_b": 6 - r % 6}),
        ("patterns", {**tiny, "batch_size": (32, 64, 128, 256)[r % 4], "arch::nb201": b}),
    ]
    if r % 4 == 0:  # about 5 s a view (its whole-space statements), so every fourth round
        chosen.append(("correlation", {**PRECOMPUTED, "n_archs": 20 + 5 * (r % 9),
                                       "corr_target": ("cifar10_test_acc_pct", "cifar100_test_acc_pct")[r % 8 // 4]}))
    return chosen


SECONDS: dict[str, float] = {}  # page -> seconds spent, for SWAP_SOAK_VERBOSE


def show(at: AppTest, page: str, state: dict) -> None:
    started = time.perf_counter()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(f"views/{page}.py")
    at.run()
    assert_clean(at)
    SECONDS[page] = SECONDS.get(page, 0.0) + time.perf_counter() - started


def test_memory_stays_bounded_over_a_few_hundred_views():
    loader.wait_for_engine()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    for page, state in views(0):  # warm-up: every atlas, table and model kind loaded once
        show(at, page, state)
    for atlas in ATLASES:
        show(at, "lab", {"lab_atlas": atlas})
    before, started, shown = rss_mb(), time.perf_counter(), 0
    for r in range(1, ROUNDS + 1):
        for page, state in views(r):
            show(at, page, state)
            shown += 1
        if os.environ.get("SWAP_SOAK_VERBOSE"):
            print(f"round {r}: {shown} views, {rss_mb():.0f} MB, {time.perf_counter() - started:.0f} s; "
                  + ", ".join(f"{page} {seconds:.0f} s" for page, seconds in SECONDS.items()), flush=True)
    after = rss_mb()
    print(f"soak: {shown} views in {time.perf_counter() - started:.0f} s; RSS {before:.0f} -> {after:.0f} MB")
    assert after - before < BOUND_MB, f"RSS grew from {before:.0f} to {after:.0f} MB over {shown} views"
