"""PCM conversions and package checks shared by the classical adapters."""

from __future__ import annotations

import importlib

import numpy as np
import torch

from baselines.base import CodecUnavailable

__all__ = ["from_int16", "require_module", "to_int16"]


def to_int16(waveform: torch.Tensor) -> np.ndarray:
    """float Tensor[T] in [-1, 1] -> int16 ndarray[T] (clipped, rounded)."""
    x = waveform.detach().cpu().to(torch.float32).numpy()
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


def from_int16(pcm: np.ndarray) -> torch.Tensor:
    """int16 ndarray[T] -> float32 Tensor[T] in [-1, 1)."""
    return torch.from_numpy(pcm.astype(np.float32) / 32768.0)


def require_module(module: str, remedy: str, codec: str) -> None:
    """Import `module` or raise `CodecUnavailable` with `remedy` (the import error is kept in the reason)."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - ctypes bindings raise plain Exception when the C library is absent
        raise CodecUnavailable(
            f"{codec}: cannot import {module} ({type(exc).__name__}: {exc})", remedy
        ) from None
