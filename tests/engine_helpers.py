"""Small models that stress the engine's corner cases (kept next to the tests that use them)."""
from __future__ import annotations

import torch
from torch import nn


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
        for i in range(depth):
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
