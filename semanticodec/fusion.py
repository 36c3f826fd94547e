"""Token features -> diffusion condition rows (feature fusion with positional encoding).

Each condition row is ``acoustic vector (fd) ‖ semantic vector (fd) ‖ position code (192)``. A window
shorter than 512/K rows is right-padded with the value -1 *before* the position code is appended.
The unconditional copy used by classifier-free guidance has the feature part zeroed and keeps the
position code.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from semanticodec.config import POSITION_DIM

__all__ = ["build_condition", "positional_encoding"]


def positional_encoding(length: int, dim: int = POSITION_DIM) -> Tensor:
    """Transformer sinusoid table float32 Tensor[length x dim]: sin on even, cos on odd columns."""
    position = torch.arange(length).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2) * -(math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    return table


def build_condition(features: Tensor, window_pairs: int) -> tuple[Tensor, Tensor]:
    """Condition and unconditional tensors for one batch of windows.

    Args:
        features: Tensor[B x L x 2fd] (acoustic ‖ semantic), L <= window_pairs.
        window_pairs: rows of a full window (512 / K).

    Returns:
        (condition, unconditional), each Tensor[B x window_pairs x 2fd + 192].
    """
    batch, length, _ = features.shape
    if length > window_pairs:
        raise ValueError(f"window has {length} token pairs, more than {window_pairs}")
    padded = torch.nn.functional.pad(features, (0, 0, 0, window_pairs - length), value=-1.0)
    position = positional_encoding(window_pairs).to(device=features.device, dtype=features.dtype)
    position = position.expand(batch, -1, -1)
    condition = torch.cat([padded, position], dim=-1)
    unconditional = torch.cat([torch.zeros_like(padded), position], dim=-1)
    return condition, unconditional
