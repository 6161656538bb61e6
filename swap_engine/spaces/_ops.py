"""Conv/pool building blocks shared by the cell-based spaces (NAS-Bench-201, DARTS, ...).

Each block is an `nn.Module` whose activations are real `nn.ReLU` modules, because SWAP counts the outputs of
activation modules: a functional `F.relu` would be invisible to it.
"""
from __future__ import annotations

import torch
from torch import nn


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d (no bias) -> BatchNorm2d: the pre-activation conv of NAS-Bench-201 and DARTS."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )


class Zero(nn.Module):
    """The `none` operation: zeros shaped like the (strided) input, kept in the graph so shapes stay right."""

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)

    def extra_repr(self) -> str:
        return f"stride={self.stride}"


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing every other pixel: two stride-2 1x1 convs, the second on the input
    shifted by one pixel, concatenated, then BatchNorm.

    The shifted path reads a zero-padded copy, so odd input sizes work too; on even sizes this equals DARTS'
    original `x[:, :, 1:, 1:]` slice exactly.

    On the CPU, a channels-last map of under 8 channels (the 1-cell proxy network's, whose input is the image
    batch itself) goes through the two convolutions in the standard layout and comes back channels-last: torch
    2.14's CPU convolution backward writes out of bounds there (the process aborts: snip, grad_norm, zico and
    L-SWAG on some genotypes). The outputs are the same bits either way at those channel counts.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        if _narrow_channels_last(x):
            halves = torch.cat([self.conv_a(x.contiguous()), self.conv_b(shifted.contiguous())], dim=1)
            return self.bn(halves.contiguous(memory_format=torch.channels_last))
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(shifted)], dim=1))


def _narrow_channels_last(x: torch.Tensor) -> bool:
    """A CPU map of under 8 channels laid out channels-last (and not also in the standard layout)."""
    return (x.device.type == "cpu" and x.dim() == 4 and x.shape[1] < 8 and not x.is_contiguous()
            and x.is_contiguous(memory_format=torch.channels_last))
