"""Small deterministic codecs for store and cache tests (real `Codec` subclasses, real encode/decode)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from baselines.base import Codec, Encoded
from tests.conftest import harmonic_tone

SR = 16_000

#: Weight file `GainCodec` loads when no `checkpoint` is given (tests point it somewhere).
DEFAULT_GAIN_FILE: list[Path] = []


class QuantCodec(Codec):
    """8-bit uniform quantiser at 16 kHz with an output gain: deterministic, fast, lossy.

    Codes are ``round(x * levels)`` on one codebook of 256 entries, one per sample.
    """

    sample_rate = SR
    frame_rate_hz = float(SR)
    codebook_sizes = (256,)
    nominal_bitrate_kbps = 128.0

    def __init__(self, levels: int = 100, gain: float = 0.8) -> None:
        self.levels = int(levels)
        self.gain = float(gain)

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        codes = torch.clamp(torch.round(waveform * self.levels), -128, 127).to(torch.long) + 128
        return Encoded(codes=codes[:, None, :], codebook_sizes=(256,))

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.codes is not None
        return self.gain * (encoded.codes[:, 0].to(torch.float32) - 128) / self.levels


class GainCodec(QuantCodec):
    """`QuantCodec` whose gain is read from a weight file (a one-number text file).

    Args:
        checkpoint: the weight file; None uses `DEFAULT_GAIN_FILE[0]` and declares it in `weight_files`.
    """

    def __init__(self, checkpoint: str | None = None) -> None:
        path = Path(checkpoint) if checkpoint is not None else DEFAULT_GAIN_FILE[0]
        super().__init__(levels=100, gain=float(path.read_text()))
        self.weights = f"pretrained:{path.name}"
        if checkpoint is None:
            self.weight_files = (str(path),)


def write_tones(folder: Path, names: list[str], duration_s: float = 0.5, seed: int = 0) -> None:
    """One distinct harmonic tone per name (``name`` may contain sub-folders), 16 kHz WAV."""
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, harmonic_tone(duration_s, SR, f0_hz=110.0 + 37.0 * i + 5.0 * seed, seed=seed + i), SR)


def noise(duration_s: float = 0.5, seed: int = 0) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(int(duration_s * SR))).astype(np.float32)
