"""Input batches the networks see: real images, real text, and noise of the same shape for contrast."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from swap_engine.data import text
from swap_engine.data.files import require

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
SPLITS = ("train", "test")
_CIFAR_FILES = {"train": "cifar10/train_first10000.npz", "test": "cifar10/test.npz"}
DEFAULT_SEQ_LEN = 128

DESCRIPTIONS = {
    "cifar10": "CIFAR-10 images, CIFAR-normalised; 'train' is the first 10,000 training images, 'test' the "
               "10,000 test images. `resolution` resizes with antialiased bilinear interpolation.",
    "cifar10-16": "CIFAR-10 downsampled to 16x16 by 2x2 area averaging, CIFAR-normalised: a stand-in for "
                  "ImageNet16-120 inputs, which this project does not ship.",
    "gaussian": "N(0, 1) noise shaped like a CIFAR-10 batch (3 x 32 x 32, or `resolution`), seeded; "
                "a contrast: noise inputs lower the correlation with accuracy.",
    "text": "Token ids and attention masks from ~100-word passages of Python's own documentation topics "
            "(pydoc_data), tokenised by a WordPiece vocabulary trained on that text.",
    "random-tokens": f"Uniformly random token ids in [0, {text.VOCAB_SIZE}), all positions attended, seeded; "
                     "the contrast for text.",
}


@dataclass
class Batch:
    """One mini-batch: `x` to feed the model, `y` labels (or None), `attention_mask` for text (else None)."""

    x: torch.Tensor
    y: torch.Tensor | None
    attention_mask: torch.Tensor | None
    name: str
    description: str


def input_names() -> list[str]:
    return list(DESCRIPTIONS)


@functools.lru_cache(maxsize=4)
def _cifar_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _indices(total: int, batch_size: int, seed: int | None) -> np.ndarray:
    if batch_size > total:
        raise ValueError(f"batch_size {batch_size} is larger than the split ({total} items)")
    if seed is None:
        return np.arange(batch_size)
    return np.random.default_rng(seed).choice(total, size=batch_size, replace=False)


def _normalise(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def _resize(x: torch.Tensor, resolution: int | None) -> torch.Tensor:
    if resolution is None or resolution == x.shape[-1]:
        return x
    return F.interpolate(x, size=(resolution, resolution), mode="bilinear", antialias=True, align_corners=False)


def _images(name: str, batch_size: int, split: str, resolution: int | None, seed: int | None):
    images, labels = _cifar_arrays(require(_CIFAR_FILES[split]))
    index = _indices(len(images), batch_size, seed)
    x = _normalise(images[index])
    if name == "cifar10-16":
        x = F.avg_pool2d(x, 2)  # exact 2x2 area average (normalisation is affine, so order does not matter)
    return _resize(x, resolution), torch.from_numpy(labels[index].astype(np.int64))


def _tokens(name: str, batch_size: int, seq_len: int, seed: int | None):
    if name == "random-tokens":
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
        ids = torch.randint(0, text.VOCAB_SIZE, (batch_size, seq_len), generator=generator)
        return ids, torch.ones_like(ids)
    docs = text.passages()
    chosen = [docs[i] for i in _indices(len(docs), batch_size, seed)]
    ids, mask = text.encode(chosen, seq_len)
    return torch.tensor(ids, dtype=torch.int64), torch.tensor(mask, dtype=torch.int64)


def inputs(name: str, batch_size: int, *, split: str = "train", resolution: int | None = None,
           seed: int | None = None, device: str | torch.device | None = None,
           seq_len: int | None = None) -> Batch:
    """A batch of `batch_size` inputs by name (`input_names()`); `seed=None` takes the first items in order.

    `resolution` resizes images (e.g. 3, 15, 32 for the input-size ablation); `seq_len` (default 128) sets the
    token length of `text` and `random-tokens`. Text and noise inputs have a single split, so `split` only
    selects CIFAR-10 images. Tensors are on the CPU unless `device` is given.
    """
    if name not in DESCRIPTIONS:
        raise ValueError(f"unknown input {name!r}; known: {', '.join(DESCRIPTIONS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if resolution is not None and (not isinstance(resolution, int) or resolution < 1):
        raise ValueError(f"resolution must be a positive integer, got {resolution!r}")
    if seq_len is not None and (not isinstance(seq_len, int) or seq_len < 2):
        raise ValueError(f"seq_len must be an integer of at least 2 ([CLS] and [SEP]), got {seq_len!r}")
    is_text = name in ("text", "random-tokens")
    if is_text and resolution is not None:
        raise ValueError(f"resolution applies to image inputs; {name!r} is tokens: use seq_len")
    if not is_text and seq_len is not None:
        raise ValueError(f"seq_len applies to token inputs; {name!r} is images: use resolution")

    y = mask = None
    if name == "gaussian":
        size = resolution or 32
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
        x = torch.randn((batch_size, 3, size, size), generator=generator)
    elif is_text:
        x, mask = _tokens(name, batch_size, seq_len or DEFAULT_SEQ_LEN, seed)
    else:
        x, y = _images(name, batch_size, split, resolution, seed)

    if device is not None:
        from swap_engine.device import resolve_device

        target = resolve_device(device)
        x = x.to(target)
        y = None if y is None else y.to(target)
        mask = None if mask is None else mask.to(target)
    return Batch(x=x, y=y, attention_mask=mask, name=name, description=DESCRIPTIONS[name])
