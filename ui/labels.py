"""Column names as a reader would say them: `cifar10_test_acc_pct` -> "CIFAR-10 test accuracy (%)".

One table for the charts' axis titles and the pages' tables and choices (light: no plotly, no engine).
"""
from __future__ import annotations

import re

DATASETS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet16_120": "ImageNet16-120",
            "imagenet16-120": "ImageNet16-120", "imagenet16": "ImageNet16-120", "imagenet": "ImageNet"}
SPLITS = {"test": "test", "valid": "validation", "val": "validation", "train": "training", "ori-test": "test",
          "top1": "top-1", "top5": "top-5"}
WORDS = {"score": "SWAP-Score", "raw_score": "raw SWAP-Score", "params": "parameters", "neurons": "neurons N",
         "bound": "bound min(N, 2^B)", "batch_size": "batch size B", "seconds": "seconds",
         "score (regularised)": "SWAP-Score (regularised)", "ternary": "ternary patterns", "arch": "architecture",
         "glue_avg_score": "GLUE average score", "nb201_index": "NB201 index"}
_ACCURACY = re.compile(r"([a-z0-9_-]+?)[_-](ori-test|test|valid|val|train|top1|top5)[_-]acc(?:uracy)?(_pct)?")


def words(column: str) -> str:
    """The reader's name of a column; unknown names with their underscores as spaces."""
    column = str(column)
    if column in WORDS:
        return WORDS[column]
    match = _ACCURACY.fullmatch(column)
    if match and match.group(1) in DATASETS:
        return f"{DATASETS[match.group(1)]} {SPLITS[match.group(2)]} accuracy (%)"
    parts = column.split("_")
    if column.endswith("_score") and len(parts) == 2:
        return f"{parts[0].upper() if len(parts[0]) <= 5 else parts[0]} score"
    if column.startswith("zc_"):
        return f"zero-cost proxy {column[3:]}"
    return column.removeprefix("prop_").replace("_", " ")
