"""Real inputs and ground-truth benchmarks, offline first.

`inputs(name, B)` gives a batch to score; `benchmark(name)` a table of trained accuracies with an `arch`
column in the search space's canonical text. Files live in `data_dir()` (`SWAP_DATA`, else a per-user cache);
a missing one raises `MissingDataError` with the command that fetches it; `fetch` and `status` back the
`python -m swap_engine data` command and the app's About page.
"""
from swap_engine.data.benchmarks import benchmark, benchmark_names, targets
from swap_engine.data.files import MissingDataError, data_dir, fetch, status
from swap_engine.data.batches import Batch, input_names, inputs

__all__ = ["Batch", "MissingDataError", "benchmark", "benchmark_names", "data_dir", "fetch", "input_names",
           "inputs", "status", "targets"]
