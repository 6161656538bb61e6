"""FlexiBERT / NAS-Bench-BERT: ELECTRA-small-like encoders whose layers differ in operation, heads and FFN.

The space of `BERT_benchmark.json` (Serianni & Kalita 2023, `aaronserianni/training-free-nas`): hidden size
128 or 256; 2 or 4 encoder layers, each with an operation (self-attention SA with scaled dot-product SDP or
weighted multiplicative WMA; linear transform LT with DFT or DCT; dynamic span-based convolution DSC with
kernel 5 or 9), 2 or 4 heads, feed-forward size 512 or 1024, and 1 or 3 stacked feed-forward blocks.

Compact text: `h256|SA-SDP-h4-ff1024x3|LT-DCT-h2-ff512x1|DSC-9-h2-ff512x3`. `parse` also takes the JSON
object `{"hidden_size": ..., "nas_config": {"encoder_layers": [...]}}` (the benchmark's overrides).

The layers follow the reference's modified ELECTRA (written afresh in plain PyTorch): word embeddings of
size 128 (+ positions, token types, LayerNorm) projected to the hidden size when it differs; SA and DSC
layers end in dense + LayerNorm(residual); LT layers have neither (the transform's output feeds the FFN
directly); every layer's FFN is `num_feed_forward` dense+GELU blocks, then dense + LayerNorm(residual).
"""
from __future__ import annotations

import json
import math
import random
import re
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from swap_engine.spaces import register
from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.words import check_text, quote

VOCAB_SIZE, MAX_POSITIONS, TYPE_VOCAB, EMBEDDING_SIZE = 30522, 512, 2, 128
SEQ_LEN = 128
LAYER_NORM_EPS, INIT_STD = 1e-12, 0.02
CONV_HEAD_RATIO = 2  # DSC keeps half its heads for attention and gives the other half to the convolution

HIDDEN_SIZES = (128, 256)
LAYER_COUNTS = (2, 4)
OPERATIONS = (("SA", "SDP"), ("SA", "WMA"), ("LT", "DFT"), ("LT", "DCT"), ("DSC", 5), ("DSC", 9))
HEADS = (2, 4)
FFN_SIZES = (512, 1024)
FFN_COUNTS = (1, 3)
REFERENCE_HIDDEN, REFERENCE_FFN = 256, 1024


class Layer(NamedTuple):
    operation: str  # "SA", "LT" or "DSC"
    parameter: str | int  # "SDP"/"WMA", "DFT"/"DCT", or the DSC kernel size
    heads: int
    ffn_size: int
    ffn_count: int


class Encoder(NamedTuple):
    hidden_size: int
    layers: tuple[Layer, ...]


def _check(arch: Encoder) -> Encoder:
    if arch.hidden_size not in HIDDEN_SIZES:
        raise ValueError(f"FlexiBERT hidden_size {quote(arch.hidden_size)} is not one of {HIDDEN_SIZES}")
    if not arch.layers:
        raise ValueError("FlexiBERT encoder needs at least one layer")
    for k, layer in enumerate(arch.layers):
        if (layer.operation, layer.parameter) not in OPERATIONS:
            raise ValueError(
                f"FlexiBERT layer {k}: operation {quote(f'{layer.operation}-{layer.parameter}')} is not one of "
                f"{', '.join(f'{op}-{parameter}' for op, parameter in OPERATIONS)}"
            )
        if layer.heads not in HEADS:
            raise ValueError(f"FlexiBERT layer {k}: num_operation_heads {quote(layer.heads)} is not one of {HEADS}")
        if layer.ffn_size < 1 or layer.ffn_count < 1:
            raise ValueError(f"FlexiBERT layer {k}: feed-forward size and count must be positive")
    return arch


def _layer_from_json(k: int, entry: Any) -> Layer:
    if not isinstance(entry, dict):
        raise ValueError(f"FlexiBERT encoder_layers[{k}] must be an object")
    keys = (
        "operation_type", "operation_parameter", "num_operation_heads", "feed_forward_dimension", "num_feed_forward"
    )
    missing = [key for key in keys if key not in entry]
    if missing:
        raise ValueError(f"FlexiBERT encoder_layers[{k}] lacks {', '.join(missing)}")
    for key in keys[2:]:
        if not isinstance(entry[key], int):
            raise ValueError(f"FlexiBERT encoder_layers[{k}].{key} must be an integer, got {quote(entry[key])}")
    return Layer(entry["operation_type"], entry["operation_parameter"], *(entry[key] for key in keys[2:]))


_LAYER_TEXT = re.compile(r"(SA|LT|DSC)-(SDP|WMA|DFT|DCT|\d+)-h(\d+)-ff(\d+)x(\d+)")


def to_json(arch: Encoder) -> dict[str, Any]:
    """The benchmark's `model_hparam_overrides` object for an architecture."""
    return {
        "hidden_size": arch.hidden_size,
        "nas_config": {
            "encoder_layers": [
                {
                    "operation_type": layer.operation,
                    "operation_parameter": layer.parameter,
                    "num_operation_heads": layer.heads,
                    "feed_forward_dimension": layer.ffn_size,
                    "num_feed_forward": layer.ffn_count,
                }
                for layer in arch.layers
            ]
        },
    }


# ---------------------------------------------------------------------------------------------- model


def _dct_basis(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Unnormalised DCT-II matrix, scipy's `dct(type=2, norm=None)`: y_k = 2 sum_n x_n cos(pi k (2n+1) / 2n)."""
    k = torch.arange(n, device=device, dtype=dtype)[:, None]
    i = torch.arange(n, device=device, dtype=dtype)[None, :]
    return 2 * torch.cos(math.pi * k * (2 * i + 1) / (2 * n))


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, S, heads*d] -> [B, heads, S, d]."""
    b, s, _ = x.shape
    return x.view(b, s, heads, -1).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, heads, S, d] -> [B, S, heads*d]."""
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)


def _attend(q, k, v, key_bias, dropout: nn.Dropout) -> torch.Tensor:
    """Softmax(q k^T / sqrt(d) + key_bias) v on [B, heads, S, d] tensors."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if key_bias is not None:
        scores = scores + key_bias
    return dropout(scores.softmax(dim=-1)) @ v


class SelfAttention(nn.Module):
    """Multi-head self-attention; `weighted=True` is WMA: the query passes through an extra bias-free matrix."""

    def __init__(self, hidden: int, heads: int, weighted: bool, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.weight = nn.Linear(hidden, hidden, bias=False) if weighted else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, key_bias: torch.Tensor | None) -> torch.Tensor:
        q = self.query(x)
        if self.weight is not None:
            q = self.weight(q)
        q, k, v = (_split_heads(t, self.heads) for t in (q, self.key(x), self.value(x)))
        return _merge_heads(_attend(q, k, v, key_bias, self.dropout))


class LinearTransform(nn.Module):
    """Linear map, then a fixed 2-D transform over (token, channel) within each head: real part of the DFT,
    or the unnormalised DCT-II. No learned mixing after it, as in the reference."""

    def __init__(self, hidden: int, heads: int, kind: str) -> None:
        super().__init__()
        self.heads, self.kind = heads, kind
        self.input = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, key_bias: torch.Tensor | None) -> torch.Tensor:
        y = self.input(x)
        if mask is not None:
            y = y * mask
        y = _split_heads(y, self.heads)
        if self.kind == "DFT":
            y = torch.fft.fft2(y).real
        else:
            rows = _dct_basis(y.shape[-2], y.device, y.dtype)
            cols = _dct_basis(y.shape[-1], y.device, y.dtype)
            y = rows @ y @ cols.T
        return _merge_heads(y)


class SpanConvAttention(nn.Module):
    """ConvBERT's mixed attention: half the heads attend, the other half run a dynamic convolution whose
    per-token kernel comes from (separable-conv(key) * query)."""

    def __init__(self, hidden: int, heads: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.heads = max(heads // CONV_HEAD_RATIO, 1)
        self.head_size = hidden // heads
        width = self.heads * self.head_size
        self.kernel_size = kernel_size
        self.query, self.key, self.value = (nn.Linear(hidden, width) for _ in range(3))
        self.key_depthwise = nn.Conv1d(hidden, hidden, kernel_size, padding=kernel_size // 2, groups=hidden, bias=False)
        self.key_pointwise = nn.Conv1d(hidden, width, 1, bias=False)
        self.key_conv_bias = nn.Parameter(torch.zeros(width, 1))
        self.conv_kernel = nn.Linear(width, self.heads * kernel_size)
        self.conv_out = nn.Linear(hidden, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, key_bias: torch.Tensor | None) -> torch.Tensor:
        b, s, _ = x.shape
        q = self.query(x)
        x_conv = x if mask is None else x * mask
        key_conv = self.key_pointwise(self.key_depthwise(x_conv.transpose(1, 2))) + self.key_conv_bias
        kernels = self.conv_kernel(key_conv.transpose(1, 2) * q)  # [B, S, heads*k]
        kernels = kernels.view(b, s, self.heads, 1, self.kernel_size).softmax(dim=-1)
        values = self.conv_out(x) if mask is None else self.conv_out(x) * mask
        pad = (self.kernel_size - 1) // 2
        spans = F.pad(values, (0, 0, pad, pad)).unfold(1, self.kernel_size, 1)  # [B, S, width, k]
        spans = spans.reshape(b, s, self.heads, self.head_size, self.kernel_size)
        conv = (spans * kernels).sum(dim=-1)  # [B, S, heads, head_size]

        qh, kh, vh = (_split_heads(t, self.heads) for t in (q, self.key(x), self.value(x)))
        attention = _attend(qh, kh, vh, key_bias, self.dropout).transpose(1, 2)  # [B, S, heads, head_size]
        return torch.cat([attention, conv], dim=2).reshape(b, s, -1)


class FeedForward(nn.Module):
    """`count` dense+GELU blocks (hidden -> size -> ... -> size), then dense back, dropout, LayerNorm(+residual).
    One GELU module serves every block, as in the reference, so it fires `count` times per layer."""

    def __init__(self, hidden: int, size: int, count: int, dropout: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(hidden, size)] + [nn.Linear(size, size) for _ in range(count - 1)])
        self.act = nn.GELU()
        self.out = nn.Linear(size, hidden)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(hidden, eps=LAYER_NORM_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for block in self.blocks:
            y = self.act(block(y))
        return self.norm(self.dropout(self.out(y)) + x)


class EncoderLayer(nn.Module):
    def __init__(self, layer: Layer, hidden: int, ffn_size: int, dropout: float) -> None:
        super().__init__()
        if layer.operation == "SA":
            self.operation: nn.Module = SelfAttention(hidden, layer.heads, layer.parameter == "WMA", dropout)
        elif layer.operation == "LT":
            self.operation = LinearTransform(hidden, layer.heads, str(layer.parameter))
        else:
            self.operation = SpanConvAttention(hidden, layer.heads, int(layer.parameter), dropout)
        if layer.operation == "LT":
            self.mix_out = None
        else:
            self.mix_out = nn.Sequential(nn.Linear(hidden, hidden), nn.Dropout(dropout))
            self.mix_norm = nn.LayerNorm(hidden, eps=LAYER_NORM_EPS)
        self.feed_forward = FeedForward(hidden, ffn_size, layer.ffn_count, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, key_bias: torch.Tensor | None) -> torch.Tensor:
        y = self.operation(x, mask, key_bias)
        if self.mix_out is not None:
            y = self.mix_norm(self.mix_out(y) + x)
        return self.feed_forward(y)


class FlexiBERT(nn.Module):
    """Embeddings + heterogeneous encoder layers; `forward(input_ids, attention_mask=None)` gives the last
    hidden states [B, S, hidden]. With a mask (1 = token, 0 = padding), attention ignores padded keys and
    the convolutions and transforms see zeros at padded positions."""

    def __init__(self, arch: Encoder, hidden: int, ffn_sizes: list[int], dropout: float, vocab_size: int) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, EMBEDDING_SIZE, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_POSITIONS, EMBEDDING_SIZE)
        self.token_type_embeddings = nn.Embedding(TYPE_VOCAB, EMBEDDING_SIZE)
        self.embedding_norm = nn.LayerNorm(EMBEDDING_SIZE, eps=LAYER_NORM_EPS)
        self.embedding_dropout = nn.Dropout(dropout)
        self.embedding_projection = nn.Linear(EMBEDDING_SIZE, hidden) if hidden != EMBEDDING_SIZE else None
        self.layers = nn.ModuleList(
            EncoderLayer(layer, hidden, ffn, dropout) for layer, ffn in zip(arch.layers, ffn_sizes)
        )
        self.apply(_init_weights)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, seq_len], got shape {tuple(input_ids.shape)}")
        seq_len = input_ids.shape[1]
        if seq_len > MAX_POSITIONS:
            raise ValueError(f"sequence length {seq_len} exceeds the {MAX_POSITIONS} position embeddings")
        positions = torch.arange(seq_len, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        x = x + self.token_type_embeddings(torch.zeros_like(input_ids))
        x = self.embedding_dropout(self.embedding_norm(x))
        if self.embedding_projection is not None:
            x = self.embedding_projection(x)
        mask = key_bias = None
        if attention_mask is not None:
            keep = attention_mask.to(x.dtype)
            mask = keep[:, :, None]
            key_bias = ((1.0 - keep) * torch.finfo(x.dtype).min)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask, key_bias)
        return x


def _init_weights(module: nn.Module) -> None:
    """ELECTRA's initialisation: N(0, 0.02) weights, zero biases, zero padding embedding, unit LayerNorm."""
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


# ---------------------------------------------------------------------------------------------- space


class FlexiBERTSpace(SearchSpace):
    name = "flexibert"
    description = (
        "FlexiBERT / NAS-Bench-BERT: 2- or 4-layer ELECTRA-small-like encoders mixing self-attention, "
        "DFT/DCT linear transforms and span-based convolutions (500 GLUE-scored models)"
    )
    input_spec = InputSpec(kind="tokens", seq_len=SEQ_LEN, vocab_size=VOCAB_SIZE, default_input="text")
    size = len(HIDDEN_SIZES) * sum(
        (len(OPERATIONS) * len(HEADS) * len(FFN_SIZES) * len(FFN_COUNTS)) ** n for n in LAYER_COUNTS
    )
    benchmark = "flexibert-500"

    def parse(self, text: str) -> Encoder:
        body = check_text(text, "FlexiBERT architecture")
        if body.startswith("{"):
            return self._parse_json(body)
        parts = body.split("|")
        head = re.fullmatch(r"h(\d{1,6})", parts[0])
        if head is None:
            raise ValueError(f"FlexiBERT text must start with 'h<hidden size>|', got {quote(parts[0])}")
        layers = []
        for k, part in enumerate(parts[1:]):
            match = _LAYER_TEXT.fullmatch(part)
            if match is None:
                raise ValueError(f"FlexiBERT layer {k} {quote(part)} is not like 'SA-SDP-h4-ff1024x3'")
            operation, parameter = match.group(1), match.group(2)
            layers.append(
                Layer(operation, int(parameter) if parameter.isdigit() else parameter, *map(int, match.groups()[2:]))
            )
        return _check(Encoder(int(head.group(1)), tuple(layers)))

    @staticmethod
    def _parse_json(body: str) -> Encoder:
        try:
            data = json.loads(body)
        except json.JSONDecodeError as err:
            raise ValueError(f"FlexiBERT JSON is malformed: {err}") from None
        except (ValueError, RecursionError):  # integers of thousands of digits, nesting deeper than Python goes
            raise ValueError(f"FlexiBERT JSON is not readable: {quote(body)}") from None
        if not isinstance(data, dict) or "hidden_size" not in data or "nas_config" not in data:
            raise ValueError("FlexiBERT JSON needs 'hidden_size' and 'nas_config'")
        entries = data["nas_config"].get("encoder_layers") if isinstance(data["nas_config"], dict) else None
        if not isinstance(entries, list):
            raise ValueError("FlexiBERT JSON needs 'nas_config': {'encoder_layers': [...]}")
        if not isinstance(data["hidden_size"], int):
            raise ValueError(f"FlexiBERT hidden_size must be an integer, got {quote(data['hidden_size'])}")
        return _check(Encoder(data["hidden_size"], tuple(_layer_from_json(k, e) for k, e in enumerate(entries))))

    def format(self, arch: Encoder) -> str:
        layers = [f"{x.operation}-{x.parameter}-h{x.heads}-ff{x.ffn_size}x{x.ffn_count}" for x in arch.layers]
        return "|".join([f"h{arch.hidden_size}", *layers])

    def build(
        self,
        arch: Encoder,
        reference_dims: bool = False,
        dropout: float = 0.1,
        vocab_size: int = VOCAB_SIZE,
    ) -> nn.Module:
        """The encoder as the JSON says; `reference_dims=True` builds it as the SWAP/training-free-nas code did,
        at hidden 256 and FFN 1024 in every layer whatever the JSON says (heads, ops and FFN counts kept)."""
        _check(arch)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if reference_dims:
            hidden, ffn_sizes = REFERENCE_HIDDEN, [REFERENCE_FFN] * len(arch.layers)
        else:
            hidden, ffn_sizes = arch.hidden_size, [layer.ffn_size for layer in arch.layers]
        return FlexiBERT(arch, hidden, ffn_sizes, dropout, vocab_size)

    def sample(self, n: int, seed: int = 0) -> list[Encoder]:
        if n > self.size:
            raise ValueError(f"cannot sample {n} distinct FlexiBERT encoders from {self.size}")
        rng = random.Random(seed)
        found: dict[Encoder, None] = {}
        while len(found) < n:
            layers = tuple(self._random_layer(rng) for _ in range(rng.choice(LAYER_COUNTS)))
            found.setdefault(Encoder(rng.choice(HIDDEN_SIZES), layers), None)
        return list(found)

    @staticmethod
    def _random_layer(rng: random.Random) -> Layer:
        operation, parameter = rng.choice(OPERATIONS)
        return Layer(operation, parameter, rng.choice(HEADS), rng.choice(FFN_SIZES), rng.choice(FFN_COUNTS))

    def mutate(self, arch: Encoder, rng: random.Random) -> Encoder:
        """Change the hidden size, or one field (operation, heads, FFN size, FFN count) of one layer."""
        k = rng.randrange(len(arch.layers) + 1)
        if k == len(arch.layers):
            return arch._replace(hidden_size=rng.choice([h for h in HIDDEN_SIZES if h != arch.hidden_size]))
        layer = arch.layers[k]
        field = rng.choice(("operation", "heads", "ffn_size", "ffn_count"))
        if field == "operation":
            operation, parameter = rng.choice([op for op in OPERATIONS if op != (layer.operation, layer.parameter)])
            new = layer._replace(operation=operation, parameter=parameter)
        else:
            choices = {"heads": HEADS, "ffn_size": FFN_SIZES, "ffn_count": FFN_COUNTS}[field]
            new = layer._replace(**{field: rng.choice([v for v in choices if v != getattr(layer, field)])})
        return arch._replace(layers=arch.layers[:k] + (new,) + arch.layers[k + 1 :])

    def properties(self, arch: Encoder) -> dict[str, float | int | str]:
        operations = [layer.operation for layer in arch.layers]
        return {
            "layers": len(arch.layers),
            "hidden_size": arch.hidden_size,
            "SA": operations.count("SA"),
            "LT": operations.count("LT"),
            "DSC": operations.count("DSC"),
            "heads": sum(layer.heads for layer in arch.layers),
            "ffn_blocks": sum(layer.ffn_count for layer in arch.layers),
        }

    def graph(self, arch: Encoder) -> list[tuple[str, str, str]]:
        """A chain: embeddings -> layer 1 -> ... -> output, each edge labelled with the layer it enters."""
        names = ["embeddings"] + [f"layer {k + 1}" for k in range(len(arch.layers))]
        return [(names[k], names[k + 1], f"{layer.operation}-{layer.parameter}") for k, layer in enumerate(arch.layers)]


register(FlexiBERTSpace())
