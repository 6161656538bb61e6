"""`python -m swap_engine predict`: rank a benchmark's architectures from the few you trained.

The labels file is a CSV with the columns `arch,accuracy`: architectures of the benchmark you trained and their
accuracy. A predictor (boosted trees, extra trees and two ridge regressions on the atlas's label-free columns and
the architectures' encoding; studies/predictor.py) learns from them and ranks every other architecture of the
benchmark, or those listed in `--archs` (one per line). Nothing is written when the labels cannot be used: an
architecture that does not parse or is not in the benchmark's atlas, one listed twice, an accuracy that is not a
number, or fewer labels than the predictor needs."""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def register(subparsers) -> None:
    from swap_engine import atlas

    parser = subparsers.add_parser("predict", help="rank a benchmark's architectures from a few trained ones",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("--benchmark", required=True, metavar="ATLAS", help="one of: " + ", ".join(atlas.SPECS))
    parser.add_argument("--labels", required=True, type=Path, metavar="FILE.csv", help="CSV with arch,accuracy")
    parser.add_argument("--archs", type=Path, default=None, metavar="FILE",
                        help="architectures to rank, one per line (default: every unlabelled one)")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.csv",
                        help="the ranking: arch, predicted (a score), rank (1 = best)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    ranked = rank(args.benchmark, args.labels, args.archs, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=args.out.parent, suffix=".csv")  # all or nothing
    os.close(handle)
    ranked.to_csv(temporary, index=False)
    os.replace(temporary, args.out)
    print(f"ranked {len(ranked):,} architectures of {args.benchmark} from {ranked.attrs['labels']} labels "
          f"into {args.out}")
    return 0


def rank(benchmark: str, labels_path: Path, archs_path: Path | None = None, *, seed: int = 0):
    """The ranking as a frame (`arch`, `predicted`, `rank`); a ValueError in words for unusable labels."""
    import numpy as np
    import pandas as pd

    from swap_engine import atlas, spaces
    from swap_engine.studies import families
    from swap_engine.studies.predictor import MIN_LABELS, Features, Predictor
    from swap_engine.studies.protocols import fixed_rules

    spec = atlas.spec(benchmark)
    space = spaces.get(spec.space)
    table = atlas.load(benchmark)
    known = set(table["arch"])
    labels = _read_labels(labels_path)
    canonical = [_canonical(space, text, known, f"{labels_path} row {row}")
                 for row, text in enumerate(labels["arch"], start=2)]
    _no_repeats(canonical, labels_path)
    accuracy = pd.to_numeric(labels["accuracy"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(accuracy))
    if bad.size:
        raise ValueError(f"{labels_path} row {bad[0] + 2}: the accuracy {labels['accuracy'].iloc[bad[0]]!r} is not "
                         "a number; nothing was written")
    if len(canonical) < MIN_LABELS:
        raise ValueError(f"{labels_path} has {len(canonical)} labelled architectures; the predictor needs at least "
                         f"{MIN_LABELS}; nothing was written")
    if archs_path is not None:
        lines = [line.strip() for line in archs_path.read_text().splitlines() if line.strip()]
        wanted = [_canonical(space, text, known, f"{archs_path} line {n}") for n, text in enumerate(lines, start=1)]
        _no_repeats(wanted, archs_path)
    else:
        labelled = set(canonical)
        wanted = [arch for arch in table["arch"] if arch not in labelled]
    # the label-free rules of the benchmark's first task: its recipe was chosen on the other benchmarks alone
    first_task = next((t.name for t in families.TASKS if t.atlas == benchmark), None)
    table = table.reset_index(drop=True)
    features = Features.of(table, spec.space, fixed_rules(first_task, table) if first_task else {})
    row_of = pd.Series(np.arange(len(table)), index=table["arch"])
    predictor = Predictor(features, seed=seed).fit(row_of.loc[canonical].to_numpy(), accuracy)
    predicted = predictor.predict()[row_of.loc[wanted].to_numpy()]
    out = pd.DataFrame({"arch": wanted, "predicted": predicted})
    out["rank"] = out["predicted"].rank(ascending=False, method="min").astype(int)
    out = out.sort_values(["rank", "arch"], ignore_index=True)
    out.attrs["labels"] = len(canonical)
    return out


def _read_labels(path: Path):
    import pandas as pd

    try:
        labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ValueError(f"no labels file {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a CSV file with the columns arch,accuracy ({err}); nothing was written") \
            from None
    missing = [c for c in ("arch", "accuracy") if c not in labels.columns]
    if missing:
        raise ValueError(f"{path} has no column {' or '.join(missing)}; it needs arch,accuracy (found: "
                         f"{', '.join(labels.columns) or 'none'}); nothing was written")
    return labels


def _canonical(space, text: str, known: set[str], where: str) -> str:
    try:
        arch = space.format(space.parse(text))
    except ValueError as err:
        raise ValueError(f"{where}: {err}; nothing was written") from None
    if arch not in known:
        raise ValueError(f"{where}: {text!r} is a {space.name} architecture but not one of this benchmark's; "
                         "nothing was written")
    return arch


def _no_repeats(archs: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for position, arch in enumerate(archs):
        if arch in seen:
            raise ValueError(f"{path} lists {arch!r} twice (entries {seen[arch] + 1} and {position + 1}); "
                             "nothing was written")
        seen[arch] = position
