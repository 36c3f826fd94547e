"""Audio -> normalised Kaldi log-mel fbank windows, and the token-count rules.

SemantiCodec's encoder sees 10.24 s windows of a 128-bin Kaldi fbank (25 ms Hann frames every
10 ms, no dither, HTK mel scale, log power) computed over the whole zero-padded clip after its mean
is removed, then shifted/scaled by the AudioSet statistics used to train AudioMAE.

Two padding rules exist:
- ``upstream_compatible=True`` reproduces the official code bit for bit, including its quirks: an
  input whose length is an exact multiple of 10.24 s gets an extra silent window, and the token
  count comes from floating-point arithmetic on durations.
- the default rule pads to the next whole window and counts whole 0.16 s patch columns with
  integers (identical to upstream for almost all lengths; differs only on exact multiples).
"""

from __future__ import annotations

import math

import torch
import torchaudio

from semanticodec.config import PATCH_SAMPLES, SAMPLE_RATE, WINDOW_FBANK_FRAMES, WINDOW_SAMPLES

__all__ = [
    "FBANK_BINS",
    "FBANK_MEAN",
    "FBANK_STD",
    "kaldi_fbank",
    "num_output_samples",
    "num_token_pairs",
    "num_windows",
    "pad_to_windows",
    "waveform_to_fbank",
]

FBANK_BINS = 128
#: AudioSet fbank statistics used by AudioMAE; features are (fbank - mean) / (2 * std).
FBANK_MEAN = -4.2677393
FBANK_STD = 4.5689974
_PATCH_DURATION_S = 0.16
_WINDOW_DURATION_S = 10.24


def num_windows(num_samples: int, *, upstream_compatible: bool = False) -> int:
    """10.24 s encoder windows for a clip of `num_samples` samples at 16 kHz."""
    _check_length(num_samples)
    if upstream_compatible:
        return num_samples // WINDOW_SAMPLES + 1
    return -(-num_samples // WINDOW_SAMPLES)


def num_token_pairs(num_samples: int, stack_factor: int, *, upstream_compatible: bool = False) -> int:
    """Token pairs kept for a clip of `num_samples` samples (16 kHz) at a stack factor K.

    One 0.16 s patch column gives 8 / K pairs; the clip is rounded up to whole columns.
    """
    _check_length(num_samples)
    if upstream_compatible:
        duration_s = num_samples / SAMPLE_RATE
        duration_s = duration_s + (_PATCH_DURATION_S - duration_s % _PATCH_DURATION_S)
        return math.ceil(8 * duration_s / _PATCH_DURATION_S / float(stack_factor))
    columns = -(-num_samples // PATCH_SAMPLES)
    return columns * 8 // stack_factor


def num_output_samples(num_pairs: int, stack_factor: int, *, upstream_compatible: bool = False) -> int:
    """Decoded samples (16 kHz) for `num_pairs` token pairs: 0.02 s x K per pair."""
    if upstream_compatible:
        duration_s = (num_pairs / 8) * 16 * 0.01 * float(stack_factor)
        return int(duration_s * SAMPLE_RATE)
    return num_pairs * PATCH_SAMPLES * stack_factor // 8


def pad_to_windows(waveform: torch.Tensor, *, upstream_compatible: bool = False) -> torch.Tensor:
    """Zero-pad Tensor[T] (16 kHz) at the end to whole 10.24 s windows -> Tensor[W * 163840]."""
    windows = num_windows(waveform.shape[-1], upstream_compatible=upstream_compatible)
    return torch.nn.functional.pad(waveform, (0, windows * WINDOW_SAMPLES - waveform.shape[-1]))


def kaldi_fbank(padded: torch.Tensor) -> torch.Tensor:
    """Normalised fbank of a window-padded clip.

    Args:
        padded: Tensor[W * 163840] at 16 kHz (see `pad_to_windows`).

    Returns:
        float32 Tensor[W * 1024 x 128]: frames beyond the Kaldi frame count are zero rows before
        normalisation, exactly as AudioMAE was trained.
    """
    if padded.dim() != 1 or padded.shape[0] % WINDOW_SAMPLES:
        raise ValueError(f"expected Tensor[W * {WINDOW_SAMPLES}], got shape {tuple(padded.shape)}")
    x = padded.to(torch.float32)[None]
    x = x - x.mean()
    fbank = torchaudio.compliance.kaldi.fbank(
        x,
        htk_compat=True,
        sample_frequency=SAMPLE_RATE,
        use_energy=False,
        window_type="hanning",
        num_mel_bins=FBANK_BINS,
        dither=0.0,
        frame_shift=10,
    )
    target = padded.shape[0] // WINDOW_SAMPLES * WINDOW_FBANK_FRAMES
    if fbank.shape[0] < target:
        fbank = torch.nn.functional.pad(fbank, (0, 0, 0, target - fbank.shape[0]))
    fbank = fbank[:target]
    return (fbank - FBANK_MEAN) / (FBANK_STD * 2)


def waveform_to_fbank(waveform: torch.Tensor, *, upstream_compatible: bool = False) -> torch.Tensor:
    """Tensor[T] at 16 kHz -> normalised fbank Tensor[W * 1024 x 128] of its padded windows."""
    return kaldi_fbank(pad_to_windows(waveform, upstream_compatible=upstream_compatible))


def _check_length(num_samples: int) -> None:
    if num_samples <= 0:
        raise ValueError(f"audio is empty ({num_samples} samples)")
