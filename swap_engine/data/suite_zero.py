"""NAS-Bench-Suite-Zero's JSON layout, in and out, so SWAP scores move between this tool and NASLib.

The layout is `{space: {dataset: {arch_key: {proxy: {"score": s, "time": t}, ..., "val_accuracy": acc}}}}`
(`arch_key` in NASLib's own encoding: the NB201 op-index tuple, the NB101 flattened adjacency matrix plus op
indices, NASLib's compact NB301/DARTS form). The subsets NASLib ships (`zc_nasbench101.json`, ...) store a
bare number per proxy instead of `{"score", "time"}`; `load` reads both.

- `key(space, arch)` / `parse_key(space, text)`: NASLib's architecture key for one of our architectures.
- `to_suite_zero(table, space, proxies)` and `export(path, ...)`: a table of scores (an `arch` column in the
  space's canonical text, one column per proxy) as that layout.
- `load(path)`: a Suite-Zero file as a proxy table, one row per (space, dataset, architecture), labelled
  `source = "published"` unless told otherwise.
- `published_correlations(scores, path, space, targets)`: those published values for a study's scored
  architectures, correlated with the same targets, to print next to ours.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from swap_engine import analysis

# Our search space -> Suite-Zero's space key. NB301 is the DARTS space.
SPACE_KEYS = {"nb201": "nasbench201", "nb101": "nasbench101", "darts": "nasbench301"}
_SPACES_BY_KEY = {key: name for name, key in SPACE_KEYS.items()}
# Our target prefixes (`cifar10_test_acc_pct`, ...) -> Suite-Zero's dataset keys.
DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16": "ImageNet16-120"}
# Our proxy names -> NASLib's where they differ (the same proxy under another name); all others keep theirs.
NASLIB_PROXY_NAMES = {"naswot": "nwot"}
_OUR_PROXY_NAMES = {naslib: ours for ours, naslib in NASLIB_PROXY_NAMES.items()}
ACCURACY = "val_accuracy"


def _space(space_name: str):
    from swap_engine import spaces

    if space_name not in SPACE_KEYS:
        raise ValueError(f"Suite-Zero has no {space_name!r} space; it covers {', '.join(SPACE_KEYS)}")
    return spaces.get(space_name)


def key(space_name: str, arch: Any) -> str:
    """NASLib's key of an architecture (an arch object of the space, or its text in any accepted form)."""
    space = _space(space_name)
    if isinstance(arch, str):
        arch = space.parse(arch)
    if space_name == "nb201":
        return str(tuple(space.naslib_indices(arch)))
    if space_name == "darts":
        return space.compact(arch)
    return space.format(arch)  # nb101: our canonical text is NASLib's encoding


def parse_key(space_name: str, text: str) -> Any:
    """The architecture behind a NASLib key (the space's parse reads NASLib's forms)."""
    return _space(space_name).parse(text)


def dataset_of(target: str) -> str:
    """Suite-Zero's dataset key for one of our target columns (`cifar100_valid_acc_pct` -> `cifar100`)."""
    prefix = target.split("_", 1)[0]
    if prefix not in DATASETS:
        raise ValueError(f"target {target!r} is not on a Suite-Zero dataset ({', '.join(DATASETS)})")
    return DATASETS[prefix]


def to_suite_zero(table: pd.DataFrame, space_name: str, proxy_names: Sequence[str], *, dataset: str = "cifar10",
                  accuracy: str | None = ACCURACY, time: str | Mapping[str, str] | None = "seconds",
                  ) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """Scores as Suite-Zero's nested dict.

    `table`: an `arch` column (any text the space parses), one column per proxy in `proxy_names`, the
    accuracy column `accuracy` (written as `val_accuracy`; None leaves it out) and the time: one column for
    all proxies (`"seconds"`), a mapping proxy -> column, or None (time 0.0). A NaN score (a failed scoring)
    is left out; proxy names are written as NASLib spells them (`naswot` -> `nwot`).
    """
    missing = [c for c in ["arch", *proxy_names, *([accuracy] if accuracy else [])] if c not in table.columns]
    if missing:
        raise ValueError(f"the scores lack column(s) {', '.join(missing)}")
    cells: dict[str, dict[str, Any]] = {}
    for record in table.to_dict("records"):
        arch_key = key(space_name, record["arch"])
        if arch_key in cells:
            raise ValueError(f"architecture {record['arch']!r} appears twice in the scores")
        cell: dict[str, Any] = {}
        for name in proxy_names:
            score = float(record[name])
            if math.isnan(score):
                continue
            column = time.get(name) if isinstance(time, Mapping) else time
            seconds = float(record[column]) if column else 0.0
            cell[NASLIB_PROXY_NAMES.get(name, name)] = {"score": score, "time": seconds}
        if accuracy:
            cell[ACCURACY] = float(record[accuracy])
        cells[arch_key] = cell
    return {SPACE_KEYS[space_name]: {dataset: cells}}


def save(document: Mapping[str, Any], path: str | Path, *, merge: bool = True) -> Path:
    """Write a Suite-Zero document as JSON; with `merge`, cells of an existing file at `path` are kept and
    updated (so several studies can fill one file), a proxy value of this document winning."""
    path = Path(path)
    combined: dict[str, Any] = json.loads(path.read_text()) if merge and path.exists() else {}
    for space_key, datasets in document.items():
        for dataset, cells in datasets.items():
            target = combined.setdefault(space_key, {}).setdefault(dataset, {})
            for arch_key, cell in cells.items():
                target.setdefault(arch_key, {}).update(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(combined))
    temporary.replace(path)
    return path


def export(path: str | Path, table: pd.DataFrame, space_name: str, proxy_names: Sequence[str], *,
           merge: bool = True, **options: Any) -> Path:
    """`to_suite_zero` then `save`: the file NASLib's zero-cost code reads."""
    return save(to_suite_zero(table, space_name, proxy_names, **options), path, merge=merge)


def export_study(path: str | Path, scores: pd.DataFrame, space_name: str, proxy_names: Sequence[str],
                 target: str, benchmark: pd.DataFrame | None = None, *, merge: bool = True) -> Path:
    """A study's `scores.csv` table as a Suite-Zero file.

    The dataset is the target's; `val_accuracy` is the benchmark's validation accuracy on it
    (`<dataset>_valid_acc_pct`, looked up by the study's `row`) when the table has one, else the study's
    target. `time` is the study's `seconds` for the architecture: every proxy of that row together, since the
    study does not time them one by one (an upper bound on each proxy's own time).
    """
    dataset = dataset_of(target)
    valid = f"{target.split('_', 1)[0]}_valid_acc_pct"
    table = scores.copy()
    if benchmark is not None and valid in benchmark.columns and "row" in table.columns:
        table[ACCURACY] = benchmark.loc[table["row"].to_numpy(), valid].to_numpy(dtype=float)
    else:
        table[ACCURACY] = table["target"].to_numpy(dtype=float)
    return export(path, table, space_name, proxy_names, dataset=dataset, merge=merge,
                  time="seconds" if "seconds" in table.columns else None)


def load(path: str | Path, *, spaces: Iterable[str] | None = None, label: str = "published") -> pd.DataFrame:
    """A Suite-Zero JSON file as a proxy table: one row per (space, dataset, architecture).

    Columns: `source` (`label`), `space` (our name: nb201, nb101, darts), `dataset`, `arch` (the space's
    canonical text, as in its benchmark table), `naslib_key` (the key as written in the file),
    `val_accuracy`, then one column per proxy (our names: NASLib's `nwot` is `naswot`) and `<proxy>_time`
    (NaN where the file stores bare numbers). `spaces` keeps only those of our space names.
    """
    document = json.loads(Path(path).read_text())
    wanted = set(spaces) if spaces is not None else None
    rows: list[dict[str, Any]] = []
    for space_key, datasets in document.items():
        if space_key not in _SPACES_BY_KEY:
            if wanted is None:
                raise ValueError(f"{path}: Suite-Zero space {space_key!r} has no search space here; known: "
                                 f"{', '.join(_SPACES_BY_KEY)} (pass spaces=... to read only those)")
            continue
        space_name = _SPACES_BY_KEY[space_key]
        if wanted is not None and space_name not in wanted:
            continue
        space = _space(space_name)
        for dataset, cells in datasets.items():
            for arch_key, cell in cells.items():
                row: dict[str, Any] = {"source": label, "space": space_name, "dataset": dataset,
                                       "arch": space.format(space.parse(arch_key)), "naslib_key": arch_key,
                                       ACCURACY: float(cell.get(ACCURACY, np.nan))}
                for proxy, value in cell.items():
                    if proxy == ACCURACY:
                        continue
                    name = _OUR_PROXY_NAMES.get(proxy, proxy)
                    if isinstance(value, Mapping):
                        row[name] = float(value["score"])
                        row[f"{name}_time"] = float(value.get("time", np.nan))
                    else:
                        row[name] = float(value)
                        row[f"{name}_time"] = np.nan
                rows.append(row)
    frame = pd.DataFrame(rows)
    fixed = ["source", "space", "dataset", "arch", "naslib_key", ACCURACY]
    if frame.empty:
        return pd.DataFrame(columns=fixed)
    proxies = [c for c in frame.columns if c not in fixed and not c.endswith("_time")]
    columns = fixed + [c for p in proxies for c in (p, f"{p}_time")]
    frame = frame.reindex(columns=columns)
    frame.attrs["source"] = label
    return frame


def proxy_columns(table: pd.DataFrame) -> list[str]:
    """The proxy columns of a table from `load` (not the time columns or the fixed ones)."""
    fixed = {"source", "space", "dataset", "arch", "naslib_key", ACCURACY}
    return [c for c in table.columns if c not in fixed and not c.endswith("_time")]


def published_correlations(scores: pd.DataFrame, path: str | Path, space_name: str,
                           targets: Mapping[str, np.ndarray], *, dataset: str | None = None, n_boot: int = 1000,
                           seed: int = 0) -> pd.DataFrame:
    """Correlations of a Suite-Zero file's proxies with `targets`, on the architectures of `scores` it has.

    Rows look like `analysis.correlations` rows, the proxy named `<proxy> (published)`; `n` says how many of the
    scored architectures the file covers (the others are dropped, not guessed). `dataset` defaults to the
    first target's (cifar10 for a target that names none).
    """
    if dataset is None:
        first = next(iter(targets), "")
        try:
            dataset = dataset_of(first)
        except ValueError:
            dataset = "cifar10"
    table = load(path, spaces=[space_name])
    table = table[table["dataset"] == dataset]
    if table.empty:
        raise ValueError(f"{path} has no {space_name} values on {dataset}")
    names = proxy_columns(table)
    by_arch = table.drop_duplicates("arch").set_index("arch")
    space = _space(space_name)
    archs = [space.format(space.parse(a)) for a in scores["arch"]]
    joined = pd.DataFrame({f"{n} (published)": by_arch[n].reindex(archs).to_numpy(dtype=float) for n in names})
    joined["model_params"] = scores["model_params"].to_numpy(dtype=float) if "model_params" in scores else np.nan
    return analysis.correlations(joined, list(joined.columns.drop("model_params")), targets=dict(targets),
                              n_boot=n_boot, seed=seed)


__all__ = ["ACCURACY", "DATASETS", "NASLIB_PROXY_NAMES", "SPACE_KEYS", "dataset_of", "export", "export_study",
           "key", "load",
           "parse_key", "proxy_columns", "published_correlations", "save", "to_suite_zero"]
