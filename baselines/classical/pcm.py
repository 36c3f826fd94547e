"""16-bit PCM conversions of the classical adapters (their libraries take and give int16 samples)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["from_int16", "to_int16"]


def to_int16(waveform: torch.Tensor) -> np.ndarray:
    """float Tensor[T] in [-1, 1] -> int16 ndarray[T] (clipped, rounded)."""
    x = waveform.detach().cpu().to(torch.float32).numpy()
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


def from_int16(pcm: np.ndarray) -> torch.Tensor:
    """int16 ndarray[T] -> float32 Tensor[T] in [-1, 1)."""
    return torch.from_numpy(pcm.astype(np.float32) / 32768.0)
