"""SWAP-NAS: regularised (aging) evolution with a zero-cost fitness, seeded, recorded and resumable.

    result = evolve(space, swap_fitness(space, batch), budget=100, seed=0)
    result.best.arch, result.history.dumps()

- `evolution`: `Search` (one step at a time, for a UI), `evolve`, `random_search` (the baseline), `Score`;
- `history`: `Record`, `History` (the saved, resumable format);
- `fitness`: `swap_fitness`, the SWAP-Score computed live;
- `truth`: `ground_truth`, `resolve_target` (what a found architecture is really worth).

A recipe over the atlas as fitness, and the evidence that search helps, are in `swap_engine.studies`.
"""
from swap_engine.search.evolution import STALL_LIMIT, Fitness, Score, Search, SearchResult, evolve, random_search
from swap_engine.search.fitness import SwapFitness, swap_fitness
from swap_engine.search.history import HISTORY_FORMAT, History, Record
from swap_engine.search.truth import ground_truth, resolve_target

__all__ = ["HISTORY_FORMAT", "STALL_LIMIT", "Fitness", "History", "Record", "Score", "Search", "SearchResult",
           "SwapFitness", "evolve", "ground_truth", "random_search", "resolve_target", "swap_fitness"]
