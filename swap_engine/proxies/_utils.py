"""Shared plumbing for the proxies: private copies, unpacking inputs, hook hygiene, seeding, losses.

Every proxy works on `private_copy(model)`, so the caller's weights, buffers, grads, mode and hooks
are never touched; hooks the proxy adds to its copy are still removed in `finally` (`hooks()`).
"""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from typing import Any, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from swap_engine.device import resolve_device

WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)  # the "prunable" layers of NASLib's measures


@dataclass
class Prepared:
    """A private copy of the model on its device, with the unpacked inputs."""

    net: nn.Module
    x: torch.Tensor
    targets: torch.Tensor | None
    kwargs: dict[str, torch.Tensor]  # extra forward keywords (attention_mask for transformers)

    @property
    def tokens(self) -> bool:
        """Integer inputs mean token ids: a transformer that returns hidden states, not class scores."""
        return not torch.is_floating_point(self.x)

    def forward(self, x: torch.Tensor | None = None) -> torch.Tensor:
        return first_tensor(self.net(self.x if x is None else x, **self.kwargs))


def prepare(model: nn.Module, inputs: Any, targets: Any = None, *, device: Any = None,
            mode: str = "train") -> Prepared:
    """Unpack `inputs` (a Tensor or a Batch with `.x`, `.y`, `.attention_mask`) and copy the model.

    Targets default to the batch's labels. The copy goes to `device` (default: where the model is).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if mode not in ("train", "eval"):
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    if isinstance(inputs, torch.Tensor):
        x, mask, labels = inputs, None, None
    elif isinstance(getattr(inputs, "x", None), torch.Tensor):
        x, mask, labels = inputs.x, getattr(inputs, "attention_mask", None), getattr(inputs, "y", None)
    else:
        raise ValueError(f"inputs must be a Tensor or a Batch with a tensor `.x`, got {type(inputs).__name__}")
    if x.dim() < 2 or x.shape[0] < 1:
        raise ValueError(f"inputs must be a batch (first dimension = samples), got shape {tuple(x.shape)}")
    if targets is None:
        targets = labels
    if targets is not None:
        targets = torch.as_tensor(targets)
        if targets.shape[:1] != x.shape[:1]:
            raise ValueError(f"targets have {targets.shape[0] if targets.dim() else 0} entries "
                             f"but inputs have {x.shape[0]} samples")
    if device is None:
        first = next(iter(model.parameters()), None)
        target_device = first.device if first is not None else torch.device("cpu")
    else:
        target_device = resolve_device(device)
    net = private_copy(model).to(target_device)
    net.train(mode == "train")
    kwargs = {"attention_mask": mask.to(target_device)} if mask is not None else {}
    return Prepared(net, x.detach().to(target_device),
                    None if targets is None else targets.to(target_device), kwargs)


def private_copy(model: nn.Module) -> nn.Module:
    """A deep copy with no gradients and no hooks inherited from the caller's model."""
    net = copy.deepcopy(model)
    for module in net.modules():
        for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            getattr(module, name).clear()
    for p in net.parameters():
        p.grad = None
        p.requires_grad_(True)
    return net


@contextlib.contextmanager
def hooks() -> Iterator[list]:
    """Collects hook handles; every one is removed on exit, also when the forward raised."""
    handles: list = []
    try:
        yield handles
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def seeded(seed: int | None, device: torch.device | None = None) -> Iterator[None]:
    """Seed torch's RNGs for the block and restore the caller's RNG state afterwards."""
    devices = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(int(seed))
        yield


def first_tensor(output: Any) -> torch.Tensor:
    """The class scores of a forward's output: NB201-style `(features, logits)` tuples give the last."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        tensors = [o for o in output if isinstance(o, torch.Tensor)]
        if tensors:
            return tensors[-1]
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    raise ValueError(f"the model's forward returned {type(output).__name__}; expected a tensor of class scores")


def require_images(proxy: str, prepared: Prepared, why: str) -> None:
    """Proxies defined for image classifiers refuse token models with a reason."""
    if prepared.tokens:
        raise ValueError(f"proxy {proxy!r} does not apply to token (transformer) models: {why}")


def require_labels(proxy: str, prepared: Prepared) -> torch.Tensor:
    require_images(proxy, prepared, "it needs class labels and a classifier output, "
                                    "but these models return hidden states")
    if prepared.targets is None:
        raise ValueError(f"proxy {proxy!r} needs targets (class labels): pass targets= or a Batch with .y")
    return prepared.targets.long()


def classification_loss(prepared: Prepared, x: torch.Tensor | None = None,
                        targets: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the model's class scores (the loss all NASLib gradient measures use)."""
    logits = prepared.forward(x)
    if logits.dim() != 2:
        raise ValueError(f"expected class scores of shape (batch, classes), got {tuple(logits.shape)}")
    return F.cross_entropy(logits, prepared.targets.long() if targets is None else targets)


def labelled_gradients(proxy: str, model: nn.Module, inputs: Any, targets: Any, *, seed: int, device: Any,
                       mode: str) -> list[nn.Module]:
    """Cross-entropy backward on a private copy of the model: its Conv/Linear layers, holding `.grad`."""
    prepared = prepare(model, inputs, targets, device=device, mode=mode)
    require_labels(proxy, prepared)
    with seeded(seed, prepared.x.device):
        classification_loss(prepared).backward()
    return weighted_layers(prepared.net)


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    """Conv and Linear layers, the layers NASLib's per-weight measures sum over."""
    layers = [m for m in net.modules() if isinstance(m, WEIGHTED)]
    if not layers:
        raise ValueError("the model has no Conv or Linear layer to score")
    return layers
