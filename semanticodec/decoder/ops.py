"""Exact rewrites of decoder layers that do fewer operations on CPU.

Each function returns the numbers of the plain layer it replaces up to float rounding (checked in
tests/semanticodec/test_decoder_ops.py); none changes what is computed, only how.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Below this many input positions (H x W) the plain upsample-then-convolve path is as fast or
# faster on CPU: the phase interleave costs more than the multiplications it saves.
POLYPHASE_MIN_POSITIONS = 1024


def _fold_taps(weight: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """3-tap kernel along `dim` -> the two 2-tap kernels of the even and odd output phases.

    After nearest x2 upsampling, output row 2i sees input rows (i-1, i, i) and row 2i+1 sees
    (i, i, i+1), so the taps fold to (w0, w1+w2) and (w0+w1, w2).
    """
    w0, w1, w2 = weight.unbind(dim)
    return torch.stack([w0, w1 + w2], dim), torch.stack([w0 + w1, w2], dim)


def polyphase_weight(weight: Tensor) -> Tensor:
    """3x3 conv weight `Tensor[O x I x 3 x 3]` -> `Tensor[4*O x I x 2 x 2]`, phases (row, col)
    in the order (0,0), (0,1), (1,0), (1,1)."""
    return torch.cat([phase for rows in _fold_taps(weight, 2) for phase in _fold_taps(rows, 3)], dim=0)


def upsample2x_conv3x3(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """`conv(interpolate(x, scale_factor=2, mode="nearest"))` for a 3x3, stride-1, padding-1 conv.

    `x: Tensor[B x C x H x W]` -> `Tensor[B x O x 2H x 2W]`. On grids of at least
    `POLYPHASE_MIN_POSITIONS` positions the four output phases are computed as one 2x2
    convolution of the low-resolution input (16 instead of 36 multiply-adds per output and
    input channel, and no upsampled copy of the input).
    """
    geometry = (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups)
    if geometry != ((3, 3), (1, 1), (1, 1), (1, 1), 1):
        raise ValueError(f"upsample2x_conv3x3 needs a plain 3x3 conv with padding 1, got {conv}")
    batch, _, height, width = x.shape
    if height * width < POLYPHASE_MIN_POSITIONS:
        return conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
    out_channels = conv.out_channels
    bias = conv.bias.repeat(4) if conv.bias is not None else None
    phases = F.conv2d(F.pad(x, (1, 1, 1, 1)), polyphase_weight(conv.weight), bias)  # [B, 4*O, H+1, W+1]
    phases = phases.unflatten(1, (2, 2, out_channels))
    out = x.new_empty(batch, out_channels, height, 2, width, 2)
    for row in (0, 1):
        for col in (0, 1):
            out[:, :, :, row, :, col] = phases[:, row, col, :, row:row + height, col:col + width]
    return out.view(batch, out_channels, 2 * height, 2 * width)

