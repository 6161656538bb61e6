"""Ground truth: one table per benchmark, one row per architecture, `arch` in the space's canonical text.

Target columns are named `<dataset>_<split>_<metric>_<unit>` (e.g. `cifar10_test_acc_pct`); other numeric
columns (indices, Zen-score, the Suite-Zero proxies `zc_<proxy>`, parameter counts) are context, not targets.
Files are parsed with csv/json/zipfile only: no `eval`, no unpickling.
"""
from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import Callable

import pandas as pd

from swap_engine.data.files import data_dir, require

_NB201_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16"}
_GLUE_TASKS = {"cola": "cola", "mnli": "mnli", "mrpc": "mrpc", "qnli": "qnli", "qqp": "qqp", "rte": "rte",
               "sst": "sst2", "sts": "stsb"}  # file key -> GLUE's own task name


def _canonical(space_name: str, raw: list[str]) -> list[str]:
    from swap_engine import spaces

    space = spaces.get(space_name)
    return [space.format(space.parse(text)) for text in raw]


def _nb201() -> pd.DataFrame:
    table = pd.read_csv(require("nb201/nats_bench.csv"))
    frame = pd.DataFrame({
        "arch": _canonical("nb201", table["ArchitectureString"].tolist()),
        "nb201_index": range(len(table)),
        "cifar10_test_acc_pct": table["CIFAR10TestAccuracy200Epochs"],
        "cifar100_test_acc_pct": table["CIFAR100TestAccuracy200Epochs"],
        "imagenet16_test_acc_pct": table["ImageNetTestAccuracy200Epochs"],
    })
    validation = _nb201_validation(require("nb201/nb201_zen.zip"))
    joined = frame.merge(validation, on="arch", how="left", validate="one_to_one")
    missing = joined["cifar10_valid_acc_pct"].isna().sum()
    if missing:
        raise ValueError(f"nb201_zen.zip lacks validation accuracy for {missing} of the NB201 architectures")
    joined["unique_string"] = table["UniqueString"]
    return joined[["arch", "nb201_index", *_LOADERS["nb201"][1], "zen_score", "unique_string"]]


def _nb201_validation(path: Path) -> pd.DataFrame:
    """Validation accuracy per dataset from NASLib's Zen-score files, keyed by canonical NB201 string.

    Each of the 189 JSON files holds 250 records for one dataset; `idx` is NASLib's own order, not the NB201
    index, so rows are matched through the arch. The Zen-score kept is the one computed on CIFAR-10 inputs.
    """
    columns: dict[str, dict[str, float]] = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".json"):
                continue
            dataset = member.rsplit("/", 1)[-1].split("--")[2]
            prefix = _NB201_DATASETS[dataset]
            records = json.loads(archive.read(member))
            archs = _canonical("nb201", [r["arch"] for r in records])
            for arch, record in zip(archs, records):
                columns.setdefault(f"{prefix}_valid_acc_pct", {})[arch] = float(record["val_accuracy"])
                if prefix == "cifar10":
                    columns.setdefault("zen_score", {})[arch] = float(record["zen"]["score"])
    frame = pd.DataFrame(columns)
    frame.index.name = "arch"
    return frame.reset_index()


def _darts() -> pd.DataFrame:
    table = pd.read_csv(require("darts/DARTS_archs_CIFAR10.csv"), header=None, names=["genotype", "acc"])
    return pd.DataFrame({"arch": _canonical("darts", table["genotype"].tolist()),
                         "cifar10_valid_acc_pct": table["acc"].astype(float)})


def _flexibert() -> pd.DataFrame:
    """Rows as in the file (500 runs, 491 distinct architectures: some were trained twice), keyed by `id`."""
    records = json.loads(require("flexibert/BERT_benchmark.json").read_text())
    raw = [json.dumps(r["hparams"]["model_hparam_overrides"]) for r in records]
    frame = pd.DataFrame({"arch": _canonical("flexibert", raw), "flexibert_id": [r["id"] for r in records]})
    for key, task in _GLUE_TASKS.items():
        frame[f"{task}_score"] = [float(r["scores"][key]) for r in records]
    frame["glue_avg_score"] = [float(r["scores"]["glue"]) for r in records]
    return frame


def _suite_zero(file: str, space_name: str, space_key: str) -> pd.DataFrame:
    cells = json.loads(require(file).read_text())[space_key]["cifar10"]
    raw = list(cells)
    frame = pd.DataFrame({"arch": _canonical(space_name, raw),
                          "cifar10_valid_acc_pct": [float(cells[k]["val_accuracy"]) for k in raw]})
    proxies = sorted({p for values in cells.values() for p in values if p != "val_accuracy"})
    for proxy in proxies:
        frame[f"zc_{proxy}"] = [float(cells[k][proxy]) if proxy in cells[k] else float("nan") for k in raw]
    return frame


def _nb101() -> pd.DataFrame:
    return _suite_zero("suite_zero/zc_nasbench101.json", "nb101", "nasbench101")


def _nb301() -> pd.DataFrame:
    return _suite_zero("suite_zero/zc_nasbench301.json", "darts", "nasbench301")


def _zoo() -> pd.DataFrame:
    """torchvision's published ImageNet-1k accuracy of each zoo model's DEFAULT weights (metadata, offline)."""
    from swap_engine import spaces
    from swap_engine.spaces import zoo

    space = spaces.get("zoo")
    names = [space.format(arch) for arch in space.all()]
    return pd.DataFrame([{"arch": name, **zoo.published_accuracy(name)} for name in names])


def _timm_in1k() -> pd.DataFrame:
    """timm's best ImageNet-1k-only top-1 per architecture: the rule is in `swap_engine.data.timm_results`."""
    from swap_engine.data import timm_results

    return timm_results.benchmark_table(require(timm_results.FILE))


_LOADERS: dict[str, tuple[Callable[[], pd.DataFrame], tuple[str, ...]]] = {
    "nb201": (_nb201, ("cifar10_test_acc_pct", "cifar100_test_acc_pct", "imagenet16_test_acc_pct",
                       "cifar10_valid_acc_pct", "cifar100_valid_acc_pct", "imagenet16_valid_acc_pct")),
    "darts-1k": (_darts, ("cifar10_valid_acc_pct",)),
    "nb101-500": (_nb101, ("cifar10_valid_acc_pct",)),
    "nb301-500": (_nb301, ("cifar10_valid_acc_pct",)),
    "flexibert-500": (_flexibert, ("glue_avg_score", *(f"{t}_score" for t in _GLUE_TASKS.values()))),
    "zoo": (_zoo, ("imagenet_top1_acc_pct", "imagenet_top5_acc_pct")),
    "timm-in1k": (_timm_in1k, ("imagenet_top1_acc_pct", "imagenet_top5_acc_pct")),
}


def benchmark_names() -> list[str]:
    return list(_LOADERS)


def targets(name: str) -> list[str]:
    """The target columns of a benchmark, the main one first."""
    return list(_entry(name)[1])


def _entry(name: str):
    try:
        return _LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(_LOADERS)}") from None


@functools.lru_cache(maxsize=16)
def _cached(name: str, root: Path) -> pd.DataFrame:
    """`root` is part of the key only: a different data directory gets its own table."""
    return _entry(name)[0]()


def benchmark(name: str) -> pd.DataFrame:
    """The benchmark's table (a copy, so callers may modify it); `MissingDataError` when its files are absent."""
    _entry(name)
    return _cached(name, data_dir()).copy()
