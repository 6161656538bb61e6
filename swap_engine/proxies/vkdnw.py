"""VKDNW: entropy of the Fisher-information spectrum of a few sampled weights, plus the network's tensor count.

Týbl and Neumann, "Training-free Neural Architecture Search through Variance of Knowledge of Deep Network
Weights", CVPR 2025 (arXiv 2502.04975). Read from the authors' NB201 code, github.com/ondratybl/VKDNW:
`NB201/ZeroShotProxy/compute_vkdnw_score.py` (`compute_nas_score`, `get_fisher`, `get_jacobian_index`,
`cholesky_covariance`, `init_model`), its driver `NB201/tss_general_.py` and the rankings of
`NB201/tss_utils.py` (`get_scores`) and `NB201/paper_preparation.ipynb`. The definition, on a batch x_1..x_B:

1. Re-initialise the network as the authors do: Conv2d and Linear weights Kaiming-normal (fan-in, ReLU gain),
   their biases 0; affine BatchNorm2d / GroupNorm weight 1, bias 0 (`reinit=False` keeps the given weights).
2. Sample P weights: the first `tensors` = 128 parameter tensors in `named_parameters()` order, one entry of
   each, the first of the flattened tensor (`per_tensor` = 1) -- the settings of the authors' Table 1 run.
3. Per sample, J_n = d z(x_n) / d theta (C x P), z the class scores, the network in eval mode.
4. p_n = (1 - a) softmax(z(x_n)) + a / C with a = 0.05: the network's own predicted distribution, smoothed;
   no labels are read, so the Fisher is the model's (expected over y ~ p_n), not the labels' empirical one.
5. F = (1/B) sum_n J_n^T (diag p_n - p_n p_n^T) J_n, a P x P matrix.
6. q_1..q_9: the 10 %, 20 %, ..., 90 % quantiles (linear interpolation) of F's eigenvalues;
   t_k = q_k / (sum_j q_j + 1e-10); VKDNW = -sum_k t_k log(t_k + 1e-10) (at most log 9 = 2.2).
7. The score is N + VKDNW, N = the number of parameter tensors (`len(named_parameters())`): the paper's
   VKDNW_single (its Eq. 12, "number of trainable layers" plus the entropy; `single=False` gives the entropy
   alone). The authors rank by the pair (N, VKDNW); the sum orders the same wherever N moves in steps above
   log 9, as on NB201, where each convolution edge brings 3 tensors (weight, BN weight, BN bias).

Choices the paper and code leave open, and the one taken:
- Covariance: the code multiplies J_n by a Cholesky factor of diag p - p p^T (Tanabe and Sagae 1992) built
  with a held in float16, so with 10 classes its p sums to 1.0002 and its matrix is off by up to ~2e-4;
  here the covariance itself is used, in float64, with a = 0.05 exactly. The same matrix up to that.
- Spectrum: the code takes the singular values of the float32 F; here the eigenvalues of the float64 F,
  clamped at 0 -- equal for a positive semi-definite matrix up to round-off.
- Jacobian: the code writes the sampled entries into detached weights inside torch.func's jacrev; here they
  are spliced in out of place (index_put). Both are the derivative of the class scores by those entries.
  Reverse mode per sample (C backward passes) unless 2C > P (ImageNet's 1,000 classes), then forward mode.
  Where every sampled entry is a weight or bias of a Conv2d, Linear or eval-mode BatchNorm2d (NB201, NB101,
  DARTS, most of the zoo), the same derivatives come from one batched forward and C backward passes through
  the activations (`_entry_jacobian`): equal to round-off (1e-8 relative on NB201 cells), 2-4x faster here.
- BatchNorm running statistics are reset by the re-initialisation: the authors score freshly built networks,
  whose statistics are 0 and 1, so their eval-mode norm layers divide by sqrt(1 + eps) and nothing else.
- `per_tensor` > 1 (the authors' later ablation): their evenly spaced indices, rounded down, without repeats
  (their code repeats an index when a tensor has fewer entries than asked).
- `mode="train"` (ours; the authors use eval mode): norm layers use the whole batch's statistics, so J_n is
  the derivative of sample n's scores within the batch, taken by forward mode over the whole batch; dropout
  masks are shared by all P directions.
- Input: the authors' NB201 runs use a batch of 64 Gaussian 32x32 images (no data loader); the proxy reads
  the batch it is given. The paper's Table 1 covers 9,445 of the 15,625 NB201 cells (those its analysis
  code keeps), not the whole space.

VKDNW_agg, the paper's headline ranking, combines this score with Jacov, AZ-NAS's expressivity and
trainability and FLOPs by the sum of log ranks: `swap_engine.recipe.VKDNW_AGG`. Label-free; images only. NaN
when the Fisher matrix is not finite (class scores that overflowed).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import torch
from torch import nn
from torch.func import functional_call, jacfwd, jacrev, jvp, vmap

from swap_engine.proxies import register
from swap_engine.proxies._entry_jacobian import Unsupported, entry_jacobian
from swap_engine.proxies._utils import first_tensor, prepare, require_images, seeded

SMOOTHING = 0.05  # the weight of the uniform distribution mixed into the predicted one
QUANTILES = tuple(k / 10 for k in range(1, 10))
_EPS = 1e-10
_CHUNK = 16  # samples (eval) or directions (train) differentiated together: bounds the memory


@register("vkdnw")
def vkdnw(model: nn.Module, inputs: Any, targets: Any = None, *, seed: int = 0, device: Any = None,
          mode: str = "eval", tensors: int = 128, per_tensor: int = 1, reinit: bool = True,
          single: bool = True) -> float:
    """Tensor count + entropy of the Fisher eigenvalue deciles of sampled weights (Tybl & Neumann 2025); label-free."""
    if isinstance(tensors, bool) or not isinstance(tensors, numbers.Integral) or tensors < 1:
        raise ValueError(f"vkdnw tensors must be a positive whole number, got {tensors!r}")
    if isinstance(per_tensor, bool) or not isinstance(per_tensor, numbers.Integral) or per_tensor < 1:
        raise ValueError(f"vkdnw per_tensor must be a positive whole number, got {per_tensor!r}")
    prepared = prepare(model, inputs, device=device, mode=mode)
    require_images("vkdnw", prepared, "it differentiates class scores, but these models return hidden states")
    net = prepared.net
    count = len(list(net.named_parameters()))
    if count == 0:
        raise ValueError("proxy 'vkdnw' needs a model with parameters: it samples weights to differentiate")
    with seeded(seed, prepared.x.device):
        if reinit:
            _reinitialise(net)
        chosen = _sampled(net, int(tensors), int(per_tensor))
        if mode == "eval":
            scores, jacobians = _per_sample(net, prepared.x, chosen)
        else:
            scores, jacobians = _within_batch(net, prepared.x, chosen)
    fisher = fisher_matrix(scores, jacobians)
    if not bool(torch.isfinite(fisher).all()):
        return math.nan  # class scores that overflowed: no spectrum to read
    entropy = decile_entropy(torch.linalg.eigvalsh(fisher))
    return count + entropy if single else entropy


def fisher_matrix(scores: torch.Tensor, jacobians: torch.Tensor) -> torch.Tensor:
    """(1/B) sum_n J_n^T (diag p_n - p_n p_n^T) J_n in float64; scores (B, C), jacobians (B, C, P)."""
    classes = scores.shape[1]
    prob = torch.softmax(scores.double(), dim=1) * (1 - SMOOTHING) + SMOOTHING / classes
    covariance = torch.diag_embed(prob) - prob[:, :, None] * prob[:, None, :]
    jac = jacobians.double()
    return torch.einsum("ncp,ncd,ndq->pq", jac, covariance, jac) / scores.shape[0]


def decile_entropy(eigenvalues: torch.Tensor) -> float:
    """-sum t log(t + 1e-10) of the nine deciles of the spectrum, each over their sum (+1e-10)."""
    spectrum = eigenvalues.double().clamp_min(0)  # F is positive semi-definite: below 0 is round-off
    levels = torch.tensor(QUANTILES, dtype=spectrum.dtype, device=spectrum.device)
    deciles = torch.quantile(spectrum, levels)
    shares = deciles / (deciles.sum() + _EPS)
    return float(-(shares * torch.log(shares + _EPS)).sum()) + 0.0  # + 0.0: an all-zero spectrum gives 0, not -0


def _reinitialise(net: nn.Module) -> None:
    """The authors' `init_model(model, 'kaiming_norm_fanin')`, with fresh BatchNorm statistics."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)) and module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.modules.batchnorm._NormBase) and module.track_running_stats:
            module.reset_running_stats()


def _sampled(net: nn.Module, tensors: int, per_tensor: int) -> list[tuple[str, torch.Tensor]]:
    """(name, flat indices) of the sampled entries: evenly spaced in each of the first `tensors` tensors."""
    chosen = []
    for name, param in list(net.named_parameters())[:tensors]:
        if param.numel() == 0:
            continue
        spaced = torch.linspace(0, param.numel() - 1, per_tensor, dtype=torch.float64).long()
        chosen.append((name, torch.unique(spaced).to(param.device)))
    return chosen


def _scores_of(net: nn.Module, chosen: list[tuple[str, torch.Tensor]]
               ) -> tuple[torch.Tensor, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """The sampled entries' values, and f(values, x) = the class scores with those entries replaced."""
    params = {name: p.detach() for name, p in net.named_parameters()}
    buffers = {name: b.detach() for name, b in net.named_buffers()}
    flat = {name: params[name].reshape(-1) for name, _ in chosen}
    start = torch.cat([flat[name][index] for name, index in chosen])
    sizes = [len(index) for _, index in chosen]

    def scores(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        replaced = dict(params)
        for (name, index), part in zip(chosen, values.split(sizes)):
            replaced[name] = flat[name].index_put((index,), part).view_as(params[name])
        out = first_tensor(functional_call(net, (replaced, buffers), (x,)))
        if out.dim() != 2 or out.shape[1] < 2:
            raise ValueError(f"proxy 'vkdnw' needs class scores of shape (batch, classes >= 2), "
                             f"got {tuple(out.shape)}")
        return out

    return start, scores


def _per_sample(net: nn.Module, x: torch.Tensor, chosen: list[tuple[str, torch.Tensor]]
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval mode: the samples do not interact, so each one's Jacobian is taken alone (vmapped)."""
    try:  # one batched forward and a backward per class (`_entry_jacobian`), where that applies
        return entry_jacobian(net, x, chosen)
    except Unsupported:
        pass
    start, scores = _scores_of(net, chosen)
    with torch.no_grad():
        logits = scores(start, x)
    one = lambda values, sample: scores(values, sample.unsqueeze(0)).squeeze(0)
    if 2 * logits.shape[1] > start.numel():
        jacobian = jacfwd(one, randomness="same")  # many classes, few weights: P forward directions
    else:
        jacobian = jacrev(one)  # few classes: C backward passes
    per_sample = vmap(jacobian, in_dims=(None, 0), randomness="different", chunk_size=_CHUNK)
    return logits.detach(), per_sample(start, x).detach()


def _within_batch(net: nn.Module, x: torch.Tensor, chosen: list[tuple[str, torch.Tensor]]
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Train mode: norm layers read the whole batch, so forward mode over the batch, one direction per weight.

    Running statistics are dropped from the private copy (batch statistics, no in-place update under the
    transform); every chunk of directions replays the same random state, so dropout masks are shared.
    """
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._NormBase):
            module.track_running_stats = False
            module.running_mean = None
            module.running_var = None
    start, scores = _scores_of(net, chosen)
    directions = torch.eye(start.numel(), dtype=start.dtype, device=start.device)
    along = vmap(lambda d: jvp(lambda v: scores(v, x), (start,), (d,)), randomness="same")
    devices = [x.device] if x.device.type == "cuda" else []
    outputs, tangents = [], []
    for chunk in directions.split(_CHUNK):
        with torch.random.fork_rng(devices=devices):  # each chunk starts from the same random state
            out, tangent = along(chunk)
        outputs.append(out[0])
        tangents.append(tangent)
    return outputs[0].detach(), torch.cat(tangents).permute(1, 2, 0).detach()
