"""MeCo: the smallest eigenvalue of each feature map's Pearson correlation matrix, summed over the network.

Jiang, Wang, Bie, "MeCo: Zero-Shot NAS with One Data and Single Forward Pass via Minimum Eigenvalue of
Correlation", NeurIPS 2023. Settings as the authors' code (github HamsterMimi/MeCo, `get_score` in
`correlation/NAS_Bench_201.py` and in `correlation/foresight/pruners/measures/meco.py`):

- one forward pass, without gradients, in train mode (BatchNorm uses the batch's own statistics);
- a forward hook on **every** module, containers and the root included (a module called k times counts k
  times; a container whose output is its last child's output counts that tensor again, as in the reference);
- of each output, the feature map of **one sample** (the first): a C x H x W map is read as C rows (channels)
  of H*W observations (pixels), and P = the C x C Pearson correlation matrix of the rows;
- entries of P that are not numbers (a constant channel: a dead ReLU, the `none` op) are set to 0, so such
  a layer's smallest eigenvalue is 0; MeCo = the sum over hooked calls of the smallest eigenvalue of P.

MeCo_opt (`channels=8`): P over 8 rows drawn at random without replacement (one draw per hooked call,
seeded), its smallest eigenvalue times C / 8.

Open choices, and the one taken:
- Which input: the caller's. The reference's NB201 script scores one CIFAR-10 training image; its
  zero-cost-NAS measure throws its inputs away and scores one 3 x 64 x 64 Gaussian-noise image.
- Which sample: the reference forwards a batch (its NB201 script: one CIFAR-10 training image) and reads
  sample 0. Same here by default (`samples="first"`); the whole batch is still forwarded, so BatchNorm sees
  it all. `samples="mean"` averages the per-sample values over the batch instead (our addition).
- Rows are the axis after the batch axis, for every output: channels for conv maps. On token models
  (B, T, H) that makes the rows the T tokens, correlated over the H hidden units: what the reference's
  reshape does to such a tensor, and the only non-degenerate reading when T <= H (hidden units over T tokens
  would give a rank-deficient H x H matrix, smallest eigenvalue 0 in every layer). The attention mask is
  passed to the model but padding tokens are not removed.
- Outputs that are not one floating tensor with the batch first (tuples, integer tensors, attention
  internals shaped (B * heads, ...)) are skipped; the reference reads the first element of a tuple, which
  for xautodl's NB201 network, returning (features, logits), is a batch, not a sample. A per-sample map
  with a single observation per row (pooled features, logits) gives P = 0 and adds 0, as in the reference.
- Numerics: P in float64 and `eigvalsh` (P is symmetric), where the reference uses float32 and a general
  eigensolver; the reference clips P to [-1, 1] (torch.corrcoef) and so does this. The reference also drops
  eigenvalues that are not finite; here they cannot occur, P being finite. A map with no fewer rows than
  observations has a singular P: its smallest eigenvalue is taken as the 0 it is, where a solver returns 0 up
  to round-off (`singular`; 25-38x faster on timm's wide networks at 64 x 64, values equal to 2e-10).
- MeCo_opt on a map with C <= 8 rows uses all of them (factor 1); the reference fails there.
- The reference never removes its hooks and leaves Python's `random` unseeded; neither is repeated here.

Measured here (100 seeded NB201 cells, default init, first CIFAR-10 training image, one CPU thread): Spearman
with CIFAR-10 test accuracy 0.90 (the paper's Table 1: 0.894), MeCo_opt 0.88; B = 16 with sample 0 0.88,
the batch mean 0.89, one 32 x 32 Gaussian-noise image 0.89. About 0.15-0.2 s a cell, half of it the private copy.

Label-free. Works on any model whose modules return batch-first tensors (image CNNs, transformers).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from swap_engine.proxies import register
from swap_engine.proxies._utils import hooks, prepare, seeded

SAMPLES = ("first", "mean")


@register("meco")
def meco(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
         mode: str = "train", channels: int | None = None, samples: str = "first") -> float:
    """Sum over every module's output of the smallest eigenvalue of its channel correlation (Jiang et al. 2023).

    `channels=8` is MeCo_opt (that many rows drawn at random, the eigenvalue scaled by C / 8); `samples`
    is "first" (the reference: sample 0 of the batch) or "mean" (the average over the batch's samples).
    """
    if samples not in SAMPLES:
        raise ValueError(f"meco samples must be one of {', '.join(SAMPLES)}, got {samples!r}")
    if channels is not None and (isinstance(channels, bool) or not isinstance(channels, int) or channels < 2):
        raise ValueError(f"meco channels must be None (all) or an integer of at least 2, got {channels!r}")
    prepared = prepare(model, inputs, device=device, mode=mode)
    batch = prepared.x.shape[0]
    total = torch.zeros((), dtype=torch.float64, device=prepared.x.device)
    seen = 0

    def record(module: nn.Module, args: tuple, output: Any) -> None:
        nonlocal total, seen
        if not isinstance(output, torch.Tensor) or not torch.is_floating_point(output):
            return
        if output.dim() < 2 or output.shape[0] != batch:
            return
        seen += 1
        maps = output.detach() if samples == "mean" else output.detach()[:1]
        rows = maps.reshape(maps.shape[0], maps.shape[1], -1)  # (samples, rows, observations)
        if rows.shape[2] < 2:
            return  # one observation per row: P is all zeros, its smallest eigenvalue 0
        scale = 1.0
        if channels is not None and rows.shape[1] > channels:
            chosen = torch.randperm(rows.shape[1], device=rows.device)[:channels]
            scale = rows.shape[1] / channels
            rows = rows[:, chosen]
        if singular(rows.shape[1], rows.shape[2]):
            return  # no fewer rows than observations: the smallest eigenvalue is 0 exactly
        smallest = torch.linalg.eigvalsh(correlation(rows))[:, 0]
        total = total + smallest.mean() * scale

    with hooks() as handles, seeded(seed, prepared.x.device), torch.no_grad():
        handles += [m.register_forward_hook(record) for m in prepared.net.modules()]
        prepared.forward()
    if not seen:
        raise ValueError("proxy 'meco' found no module output shaped (batch, channels, ...) to correlate")
    return float(total)


def singular(rows: int, observations: int) -> bool:
    """Whether every correlation matrix of `rows` rows over `observations` observations is singular.

    Centring leaves the rows in a space of observations - 1 dimensions, so P (positive semi-definite) has rank
    at most observations - 1 and, with more rows than that, a smallest eigenvalue of exactly 0: the eigensolver,
    which would return 0 up to round-off (about 1e-13), is skipped. Deep maps of wide networks on small inputs
    (2,048 channels of 2 x 2 pixels) are such, and their eigenvalues were most of MeCo's cost there.
    """
    return rows >= observations


def correlation(rows: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of the rows of each (rows, observations) matrix in a stack, in float64.

    Rows without variance have no correlation: their entries (diagonal included) are 0, not NaN, as in MeCo.
    """
    centred = rows.double() - rows.double().mean(-1, keepdim=True)
    products = centred @ centred.transpose(-1, -2)
    spread = products.diagonal(dim1=-2, dim2=-1).sqrt()
    matrix = products / (spread.unsqueeze(-1) * spread.unsqueeze(-2))
    return torch.nan_to_num(matrix.clamp(-1.0, 1.0), nan=0.0, posinf=0.0, neginf=0.0)
