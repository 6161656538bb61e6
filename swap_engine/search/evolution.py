"""SWAP-NAS: regularised (aging) evolution with a zero-cost fitness, seeded, recorded and resumable.

Regularised evolution (Real et al. 2019): start from a random population; at each step draw `sample_size`
members at random, mutate the best of them into a child, add the child and remove the *oldest* member.
Age, not fitness, decides who dies, which keeps the search exploring.

Three choices the papers leave open, made here:
- The budget counts **evaluations**: distinct architectures whose fitness was computed. A child that was
  already scored is not scored again (its recorded score is reused, it still joins the population and
  the history, marked `cached`), so it costs nothing and does not count. Random search with the same
  budget therefore scores the same number of distinct architectures.
- A search is resumed by **replaying** its history: the same seeded decisions are taken again and each
  recorded step supplies its score instead of a fitness call, so a resumed search continues exactly as
  the uninterrupted one would have. This works because the fitness is a function of the architecture
  (`swap_fitness` fixes the weight initialisation per architecture).
- A fitness call that raises (a model that cannot be built or scored) is a **failed evaluation**: it is
  recorded with its error and a NaN score, counts towards the budget (it was tried), never joins the
  population and is never the best. The search goes on; a resumed search replays it like any other step.
- A run also stops ("exhausted") after `STALL_LIMIT` steps in a row that only revisit known architectures:
  the population has collapsed or the space is used up, and no budget in evaluations could be reached.
"""
from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from swap_engine.search.history import History, Record, jsonable
from swap_engine.spaces.base import SearchSpace

STALL_LIMIT = 1000


@dataclass(frozen=True)
class Score:
    """What a fitness may return instead of a bare float: the score and what it was made of."""

    value: float
    raw: float | None = None  # e.g. the SWAP count before regularisation
    params: int | None = None


@dataclass(frozen=True)
class SearchResult:
    best: Record
    history: History
    evaluations: int  # distinct architectures scored, resumed ones included
    seconds: float  # wall-clock time of this run (not of a resumed history's earlier runs)
    stopped: str  # "budget", "time" or "exhausted"


Fitness = Callable[[Any], "float | Score"]


class Search:
    """A regularised evolution that advances one step at a time (`step()`), so a UI can draw and stop it.

    `history`: a saved `History` of the same search to resume from (its settings must match).
    `crossover=True` recombines the two best of each tournament with `space.crossover(a, b, rng)`; a space
    without that method searches by mutation only, and `crossover` reads False.
    """

    def __init__(self, space: SearchSpace, fitness: Fitness, *, population: int = 20, sample_size: int = 5,
                 mutations: int = 1, crossover: bool = False, seed: int = 0,
                 history: History | None = None) -> None:
        if population < 2:
            raise ValueError(f"population must be at least 2, got {population}")
        if not 1 <= sample_size <= population:
            raise ValueError(f"sample_size must be between 1 and population ({population}), got {sample_size}")
        if mutations < 1:
            raise ValueError(f"mutations must be at least 1, got {mutations}")
        self.space = space
        self.fitness = fitness
        self.population = population
        self.sample_size = sample_size
        self.mutations = mutations
        self.crossover = bool(crossover and callable(getattr(space, "crossover", None)))
        self.seed = seed
        self.history = History(self.settings)
        self._replay = _check_resumable(history, self.settings) if history is not None else []
        self._rng = random.Random(seed)
        self._initial = list(space.sample(population, seed))
        self._alive: deque[tuple[Any, float]] = deque()
        self._scored: dict[str, Record] = {}
        self._best: Record | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """What determines the search's steps; a history resumes only a search with equal settings."""
        return jsonable({"space": self.space.name, "seed": self.seed, "population": self.population,
                          "sample_size": self.sample_size, "mutations": self.mutations,
                          "crossover": self.crossover, "fitness": getattr(self.fitness, "settings", None)})

    @property
    def evaluations(self) -> int:
        """Distinct architectures scored so far (what a budget counts)."""
        return len(self._scored)

    @property
    def best(self) -> Record | None:
        """The highest-scoring step so far (the earliest on ties); None before the first step."""
        return self._best

    def step(self) -> Record:
        """Propose and score one architecture: the initial population first, then one child per step."""
        step = len(self.history.records)
        arch = self._initial[step] if step < len(self._initial) else self._child()
        record = self._score(arch, step)
        if not record.failed:  # a failed evaluation is recorded but never becomes a parent or the best
            self._alive.append((arch, record.score))
            if len(self._alive) > self.population:
                self._alive.popleft()
            if self._best is None or record.score > self._best.score:
                self._best = record
        self.history.records.append(record)
        return record

    @property
    def failures(self) -> list[Record]:
        """The failed evaluations so far (each once, not its cached repeats)."""
        return [r for r in self.history.records if r.failed and not r.cached]

    def run(self, budget: int | None = None, seconds: float | None = None,
            callback: Callable[[Record], None] | None = None) -> SearchResult:
        """Step until `budget` evaluations (resumed ones included) or `seconds` of this run have passed."""
        if budget is None and seconds is None:
            raise ValueError("give a budget in evaluations, in seconds, or both")
        if budget is not None and budget < 1:
            raise ValueError(f"budget must be at least 1 evaluation, got {budget}")
        if seconds is not None and seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        start = time.perf_counter()
        stall = 0
        while True:
            if budget is not None and self.evaluations >= budget:
                stopped = "budget"
                break
            if seconds is not None and self.history.records and time.perf_counter() - start >= seconds:
                stopped = "time"
                break
            if stall >= STALL_LIMIT:
                stopped = "exhausted"
                break
            record = self.step()
            stall = stall + 1 if record.cached else 0
            if callback is not None:
                callback(record)
        return SearchResult(self.best, self.history, self.evaluations, time.perf_counter() - start, stopped)

    def _child(self) -> Any:
        if not self._alive:  # every evaluation so far failed: try a fresh random architecture
            return self.space.sample(1, self._rng.randrange(2**31))[0]
        tournament = self._rng.sample(list(self._alive), min(self.sample_size, len(self._alive)))
        ranked = sorted(tournament, key=lambda member: member[1], reverse=True)  # stable: ties keep draw order
        child = ranked[0][0]
        if self.crossover and len(ranked) > 1:
            child = self.space.crossover(child, ranked[1][0], self._rng)  # type: ignore[attr-defined]
        for _ in range(self.mutations):
            child = self.space.mutate(child, self._rng)
        return child

    def _score(self, arch: Any, step: int) -> Record:
        text = self.space.format(arch)
        if step < len(self._replay):
            record = self._replay[step]
            if record.arch != text:
                raise ValueError(f"history does not match this search at step {step}: it recorded {record.arch}, "
                                 f"the search proposed {text} (was the space or its code changed?)")
            self._scored.setdefault(text, record)
            return record
        known = self._scored.get(text)
        if known is not None:
            return Record(step, text, known.score, known.raw, known.params, 0.0, cached=True, error=known.error)
        record = _evaluate(self.fitness, arch, text, step)
        self._scored[text] = record
        return record


def evolve(space: SearchSpace, fitness: Fitness, *, budget: int | None = None, seconds: float | None = None,
           population: int = 20, sample_size: int = 5, mutations: int = 1, crossover: bool = False,
           seed: int = 0, history: History | None = None,
           callback: Callable[[Record], None] | None = None) -> SearchResult:
    """Run a regularised evolution to a budget in evaluations and/or seconds (see `Search`)."""
    search = Search(space, fitness, population=population, sample_size=sample_size, mutations=mutations,
                    crossover=crossover, seed=seed, history=history)
    return search.run(budget, seconds, callback)


def random_search(space: SearchSpace, fitness: Fitness, budget: int, *, seed: int = 0) -> SearchResult:
    """The baseline: score `budget` distinct random architectures, the best by the same fitness wins."""
    if budget < 1:
        raise ValueError(f"budget must be at least 1 evaluation, got {budget}")
    start = time.perf_counter()
    history = History(jsonable({"space": space.name, "seed": seed, "method": "random",
                                 "fitness": getattr(fitness, "settings", None)}))
    for step, arch in enumerate(space.sample(budget, seed)):
        history.records.append(_evaluate(fitness, arch, space.format(arch), step))
    scored = [r for r in history.records if not r.failed]
    if not scored:
        raise ValueError(f"every one of the {budget} evaluations failed; the first: {history.records[0].error}")
    best = max(scored, key=lambda r: r.score)
    return SearchResult(best, history, len(history.records), time.perf_counter() - start, "budget")


def _evaluate(fitness: Fitness, arch: Any, text: str, step: int) -> Record:
    """One fitness call; an exception (or a non-finite value) becomes a failed record, not a lost search."""
    start = time.perf_counter()
    try:
        result = fitness(arch)
        score = result if isinstance(result, Score) else Score(float(result))
        if not math.isfinite(score.value):
            raise ValueError(f"fitness returned {score.value} for {text}; it must be a finite number")
    except Exception as err:  # noqa: BLE001 - any failing model is recorded and skipped
        return Record(step, text, math.nan, None, None, time.perf_counter() - start,
                      error=f"{type(err).__name__}: {err}")
    return Record(step, text, float(score.value), score.raw, score.params, time.perf_counter() - start)


def _check_resumable(history: History, settings: dict[str, Any]) -> list[Record]:
    if history.settings != settings:
        differ = sorted(k for k in set(history.settings) | set(settings)
                        if history.settings.get(k) != settings.get(k))
        raise ValueError(f"the history was made with different settings ({', '.join(differ)}): "
                         + "; ".join(f"{k}: history {history.settings.get(k)!r}, now {settings.get(k)!r}"
                                     for k in differ))
    return list(history.records)


__all__ = ["STALL_LIMIT", "Fitness", "Score", "Search", "SearchResult", "evolve", "random_search"]
