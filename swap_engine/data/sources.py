"""What each ground-truth table is and where it came from, in words: the About page's table (one row per
benchmark: its name, what it holds, its source, the `data fetch` group that brings it)."""
from __future__ import annotations

GROUND_TRUTHS: tuple[tuple[str, str, str, str], ...] = (
    ("nb201", "NAS-Bench-201: all 15,625 cells; 200-epoch test accuracy (seed-averaged) on CIFAR-10, CIFAR-100 "
     "and ImageNet16-120, and validation accuracy for each",
     "NATS-Bench via v-tao/nats-bench-landscape (test); automl/NASLib nb201_zen.zip (validation)", "nb201"),
    ("darts-1k", "1,000 DARTS genotypes with CIFAR-10 validation accuracy: the SWAP authors' own benchmark",
     "pym1024/SWAP_Universal datasets/DARTS_archs_CIFAR10.csv", "darts"),
    ("nb101-500", "500 NAS-Bench-101 cells with CIFAR-10 validation accuracy (NAS-Bench-Suite-Zero subset)",
     "automl/NASLib naslib/data/zc_nasbench101.json", "suite-zero"),
    ("nb301-500", "500 NAS-Bench-301 (DARTS) cells with CIFAR-10 validation accuracy (Suite-Zero subset)",
     "automl/NASLib naslib/data/zc_nasbench301.json", "suite-zero"),
    ("flexibert-500", "500 FlexiBERT / ELECTRA-small transformers with GLUE scores (NAS-Bench-BERT)",
     "aaronserianni/training-free-nas data/BERT_benchmark.json", "flexibert"),
    ("zoo", "torchvision classification models with their published ImageNet-1k top-1 / top-5 accuracy",
     "torchvision weight metadata (ships with torchvision: works offline)", "(none)"),
    ("timm-in1k", "693 timm architectures, each with the best ImageNet-1k top-1 / top-5 of its weights trained on "
     "ImageNet-1k alone (no extra data, distillation or self-supervised pre-training) and that weight's "
     "evaluation size", "huggingface/pytorch-image-models results/results-imagenet.csv", "timm"),
)
COLUMNS = ("benchmark", "what", "source", "data group")

__all__ = ["COLUMNS", "GROUND_TRUTHS"]
