"""Tiny audio files written by the dataset tests (real layouts, synthetic content)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(
    duration_s: float, sample_rate: int = 8000, freq_hz: float = 440.0, amplitude: float = 0.3
) -> np.ndarray:
    """A sine tone, float32 ndarray[T]."""
    t = np.arange(round(duration_s * sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def write_wav(path: Path, duration_s: float, sample_rate: int = 8000, freq_hz: float = 440.0, **kw) -> Path:
    """Write a tone of `duration_s` to `path` (parents created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = "VORBIS" if path.suffix.lower() == ".ogg" else "PCM_16"
    sf.write(str(path), tone(duration_s, sample_rate, freq_hz, **kw), sample_rate, subtype=subtype)
    return path
