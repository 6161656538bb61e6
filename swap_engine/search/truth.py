"""What a search found, judged against ground truth: the benchmark column and each architecture's true value."""
from __future__ import annotations

from swap_engine.spaces.base import SearchSpace

def resolve_target(columns: list[str], target: str | None) -> str:
    """A ground-truth column from its name or an unambiguous prefix with dashes: `cifar10-test` means
    `cifar10_test_acc_pct`. None picks the CIFAR-10 test accuracy when the table has it, else its first target.
    """
    if not columns:
        raise ValueError("the ground-truth table has no target columns")
    if target is None:
        return "cifar10_test_acc_pct" if "cifar10_test_acc_pct" in columns else columns[0]
    prefix = target.replace("-", "_")
    matches = [c for c in columns if c == prefix or c.startswith(prefix + "_")]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{c} ({c.rsplit('_', 2)[0].replace('_', '-')})" if c.count("_") >= 3 else c
                      for c in columns)
    raise ValueError(f"{'ambiguous' if matches else 'unknown'} target {target!r}; known: {known}")


def ground_truth(space: SearchSpace, target: str | None = None) -> tuple[str, dict[str, float]]:
    """(target column, arch text -> true value) from the space's benchmark table.

    `ValueError` when the space has none; `swap_engine.data.MissingDataError` (a `ValueError` that says how
    to fetch it) when the table is not on this machine.
    """
    if space.benchmark is None:
        raise ValueError(f"search space {space.name!r} has no ground-truth table")
    from swap_engine import data

    column = resolve_target(data.targets(space.benchmark), target)
    table = data.benchmark(space.benchmark)
    known = table[["arch", column]].dropna()
    return column, dict(zip(known["arch"], known[column].astype(float)))


__all__ = ["ground_truth", "resolve_target"]
