"""Small models that stress the engine's corner cases (kept next to the tests that use them).

`TEST_DEVICE` (environment variable SWAP_TEST_DEVICE, default "cpu") is where the exactness tests run the
engine and the naive definition: `SWAP_TEST_DEVICE=cuda pytest tests/test_swap_engine.py` checks the CUDA
code paths against the definition computed on the same device (benchmarks/gpu_check.sh does that).
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

TEST_DEVICE = os.environ.get("SWAP_TEST_DEVICE", "cpu")
if TEST_DEVICE.startswith("cuda"):  # the engine and the definition must see bit-identical activations
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


class SharedActivationNet(nn.Module):
    """One ReLU instance called three times, one in-place ReLU, a non-contiguous activation, nested blocks."""

    def __init__(self, channels: int = 4, inplace: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels))
        self.shared = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1),
                                                   nn.BatchNorm2d(channels), nn.ReLU(inplace=inplace))
                                     for _ in range(2)])
        self.head_act = nn.SiLU()
        self.head = nn.Linear(channels, 5)

    def forward(self, x):
        x = self.shared(self.stem(x))
        for block in self.blocks:
            x = self.shared(block(x) + x)
        x = self.head_act(x.permute(0, 2, 3, 1))  # non-contiguous output
        return self.head(self.shared(x.mean(dim=(1, 2))))


class ZeroGeluMLP(nn.Module):
    """A GELU MLP whose outputs contain exact zeros (zero inputs, zero biases): ternary patterns."""

    def __init__(self, width: int = 6, depth: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(depth):
            linear = nn.Linear(width, width)
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.GELU()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def zero_heavy_inputs(batch: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """Inputs where about half the entries and some whole rows are exactly zero."""
    x = torch.randn(batch, width, generator=generator)
    x[torch.rand(batch, width, generator=generator) < 0.5] = 0.0
    x[:: 3] = 0.0
    return x


class FunctionalNet(nn.Module):
    """Activations applied every functional way, next to an nn.ReLU module (which calls F.relu inside).

    `gelu=False` keeps only ReLU-like functions (binary patterns); a shared block calls F.relu twice per call.
    """

    def __init__(self, channels: int = 3, gelu: bool = True) -> None:
        super().__init__()
        self.gelu = gelu
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels)
        self.block = _TwoReluBlock(channels)
        self.module_relu = nn.ReLU()
        self.head = nn.Linear(channels, 6)

    def forward(self, x):
        x = F.relu(self.norm(self.stem(x)))
        x = self.block(x)
        x = self.block(torch.relu(x - 0.5))
        x = self.module_relu(x - 0.25)
        x = (x - 0.1).relu()
        y = x.mean(dim=(2, 3)) - 0.2
        y = self.head(F.relu(y, inplace=True) - 0.05)
        if self.gelu:
            y = F.silu(F.gelu(y) - 0.1)
        return torch.relu_(y - 0.01)


class _TwoReluBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv(F.relu(x - 0.3)) + x)
