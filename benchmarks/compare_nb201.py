"""Compare a table of NB201 SWAP-Scores (e.g. computed on a GPU) with the shipped CPU table.

    python benchmarks/compare_nb201.py RUN.csv [RUN2.csv ...] [--reference sample_data/nb201_swap_b16.csv]
        [--json OUT.json] [--markdown OUT.md] [--wall-seconds S]

RUN.csv is what `python -m swap_engine score --space nb201 ... --csv RUN.csv` writes (an `arch` column, or
`nb201_index`, and `raw_score`), or the job runner's store beside it (`RUN.csv.store`: rows of space, arch,
proxy, values), which holds the cells finished so far when a run was stopped before writing its CSV; several
files (shards) are joined, and `--joined PATH` writes them as one table. Rows are matched by NB201 index. Reported:
how many cells were compared, the share with the identical raw score (float rounding on another device can
flip the sign of a value at zero, so a few may differ by a pattern or two), the largest differences, and the
Spearman and Kendall rank correlations between the two tables over the compared cells.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE = ROOT / "sample_data" / "nb201_swap_b16.csv"


def load_run(paths: list[str]) -> pd.DataFrame:
    """The run's rows with an `nb201_index` column, one row per cell (the last one kept when repeated)."""
    frames = [_read(path) for path in paths if Path(path).exists() and Path(path).stat().st_size]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        raise SystemExit(f"no rows in {', '.join(paths)}")
    table = pd.concat(frames, ignore_index=True)
    if "nb201_index" not in table.columns:
        from swap_engine import spaces

        space = spaces.get("nb201")
        table["nb201_index"] = [space.index(space.parse(text)) for text in table["arch"]]
    return table.drop_duplicates("nb201_index", keep="last")


def _read(path: str) -> pd.DataFrame:
    """A score CSV as it is, or a runner store turned into arch, raw_score, params, neurons."""
    table = pd.read_csv(path)
    if not {"proxy", "values", "arch"} <= set(table.columns):
        return table
    if "error" in table.columns:
        table = table[table["error"].fillna('""').isin(['""', ""])]
    values = table["values"].map(json.loads)
    swap = table[table["proxy"] == "swap"].assign(
        raw_score=values.map(lambda v: v.get("swap")), neurons=values.map(lambda v: v.get("swap_neurons")))
    params = table[table["proxy"] == "params"].assign(params=values.map(lambda v: v.get("params")))
    out = swap[["arch", "raw_score", "neurons"]].drop_duplicates("arch", keep="last")
    return out.merge(params[["arch", "params"]].drop_duplicates("arch", keep="last"), on="arch", how="left")


def compare(run: pd.DataFrame, reference: pd.DataFrame) -> dict:
    both = run.merge(reference, on="nb201_index", suffixes=("_run", "_ref"))
    if both.empty:
        raise SystemExit("the run and the reference share no cell")
    a, b = both["raw_score_run"].to_numpy(float), both["raw_score_ref"].to_numpy(float)
    diff = a - b
    facts = {
        "cells_run": int(len(run)),
        "cells_compared": int(len(both)),
        "cells_reference": int(len(reference)),
        "identical_share": float(np.mean(diff == 0)),
        "different": int(np.sum(diff != 0)),
        "max_abs_diff": float(np.max(np.abs(diff))),
        "max_rel_diff": float(np.max(np.abs(diff) / np.maximum(b, 1))),
        "mean_abs_diff": float(np.mean(np.abs(diff))),
        "spearman": float(stats.spearmanr(a, b).statistic) if len(both) > 2 else float("nan"),
        "kendall": float(stats.kendalltau(a, b).statistic) if len(both) > 2 else float("nan"),
    }
    for column in ("params", "neurons"):
        if f"{column}_run" in both and f"{column}_ref" in both:
            facts[f"{column}_mismatches"] = int(np.sum(both[f"{column}_run"] != both[f"{column}_ref"]))
    worst = both.assign(diff=diff).reindex(np.argsort(-np.abs(diff))).head(5)
    facts["largest_differences"] = [
        {"nb201_index": int(r.nb201_index), "run": float(r.raw_score_run), "reference": float(r.raw_score_ref)}
        for r in worst.itertuples() if r.diff != 0]
    return facts


def markdown(facts: dict, wall: float | None) -> str:
    lines = ["| measure | value |", "|---|---|"]
    if wall is not None:
        lines.append(f"| wall time of the scoring run | {wall:.1f} s ({facts['cells_run'] / max(wall, 1e-9):.1f} "
                     "cells/s) |")
    lines += [
        f"| cells scored / compared / in the reference | {facts['cells_run']:,} / {facts['cells_compared']:,} / "
        f"{facts['cells_reference']:,} |",
        f"| identical raw scores | {facts['identical_share']:.2%} ({facts['different']} differ) |",
        f"| largest difference | {facts['max_abs_diff']:.0f} patterns ({facts['max_rel_diff']:.2%}) |",
        f"| Spearman / Kendall with the reference | {facts['spearman']:.6f} / {facts['kendall']:.6f} |",
    ]
    for column in ("params", "neurons"):
        if f"{column}_mismatches" in facts:
            lines.append(f"| cells whose {column} differ | {facts[f'{column}_mismatches']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="CSV file(s) of the run (shards are joined)")
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--json", default=None, metavar="PATH")
    parser.add_argument("--markdown", default=None, metavar="PATH")
    parser.add_argument("--wall-seconds", type=float, default=None, help="the run's wall time, for the table")
    parser.add_argument("--joined", default=None, metavar="PATH", help="write the joined run table here (CSV)")
    args = parser.parse_args(argv)
    run = load_run(args.runs)
    if args.joined:
        run.to_csv(args.joined, index=False)
    facts = compare(run, pd.read_csv(args.reference))
    if args.wall_seconds is not None:
        facts["wall_seconds"] = args.wall_seconds
    text = markdown(facts, args.wall_seconds)
    print(text, end="")
    if args.json:
        Path(args.json).write_text(json.dumps(facts, indent=1) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
