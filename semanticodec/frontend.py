"""Audio -> normalised Kaldi log-mel fbank windows, and the token-count rules.

SemantiCodec's encoder sees 10.24 s windows of a 128-bin Kaldi fbank (25 ms Hann frames every
10 ms, no dither, HTK mel scale, log power) computed over the whole zero-padded clip after its mean
is removed, then shifted/scaled by the AudioSet statistics used to train AudioMAE.

Two padding rules exist:
- ``upstream_compatible=True`` reproduces the official code bit for bit, including its quirk: an
  input whose length is an exact multiple of 10.24 s gets an extra silent window.
- the default rule pads to the next whole window only (no silent window on exact multiples).

Token and sample counts follow the official double-precision arithmetic in both modes (see
`num_token_pairs`), so the default mode keeps exactly as many pairs as the official code for every
input length, except exact multiples of 10.24 s whose official count includes pairs of the silent
window the default mode does not encode.
"""

from __future__ import annotations

import math

import torch
import torchaudio

from semanticodec.config import PATCH_GRID, SAMPLE_RATE, WINDOW_FBANK_FRAMES, WINDOW_SAMPLES

__all__ = [
    "FBANK_BINS",
    "FBANK_MEAN",
    "FBANK_STD",
    "kaldi_fbank",
    "num_output_samples",
    "num_token_pairs",
    "num_windows",
    "official_token_pairs",
    "pad_to_windows",
    "waveform_to_fbank",
]

FBANK_BINS = 128
#: AudioSet fbank statistics used by AudioMAE; features are (fbank - mean) / (2 * std).
FBANK_MEAN = -4.2677393
FBANK_STD = 4.5689974
_PATCH_DURATION_S = 0.16
#: AudioMAE patches (= token pairs at K = 1) per 10.24 s window.
_WINDOW_PATCHES = PATCH_GRID[0] * PATCH_GRID[1]


def num_windows(num_samples: int, *, upstream_compatible: bool = False) -> int:
    """10.24 s encoder windows for a clip of `num_samples` samples at 16 kHz."""
    _check_length(num_samples)
    if upstream_compatible:
        return num_samples // WINDOW_SAMPLES + 1
    return -(-num_samples // WINDOW_SAMPLES)


def official_token_pairs(num_samples: int, stack_factor: int) -> int:
    """Token pairs the official ``SemantiCodec.encode`` keeps for `num_samples` samples at 16 kHz.

    The official rule, in double precision: ``d = n / 16000``; ``d += 0.16 - d % 0.16``; keep
    ``ceil(8 d / 0.16 / K)`` pairs, at most all the pairs of its ``n // 163840 + 1`` windows. With exact
    arithmetic this is one 0.16 s column more than the clip needs (``(n // 2560 + 1) x 8 / K``); the
    rounding adds one pair for about 5.7 % of lengths and, at some multiples of 0.16 s, drops the
    extra column.
    """
    _check_length(num_samples)
    duration_s = num_samples / SAMPLE_RATE
    duration_s = duration_s + (_PATCH_DURATION_S - duration_s % _PATCH_DURATION_S)
    wanted = math.ceil(8 * duration_s / _PATCH_DURATION_S / float(stack_factor))
    available = (num_samples // WINDOW_SAMPLES + 1) * (_WINDOW_PATCHES // stack_factor)
    return min(wanted, available)


def num_token_pairs(num_samples: int, stack_factor: int, *, upstream_compatible: bool = False) -> int:
    """Token pairs kept for a clip of `num_samples` samples (16 kHz) at a stack factor K.

    Both modes: `official_token_pairs`, capped by the pairs of the windows actually encoded
    (512 / K per window, `num_windows`). The cap only bites in the default mode and only at exact
    multiples ``n = k x 163840`` (k x 10.24 s) where the official count reaches into the silent extra
    window, i.e. ``official_token_pairs(n, K) > 512 k / K``: k = 1, 2, 4, 5, 7, 8, 10, ... (83 of the
    first 199 multiples; not k = 3, 6, 9, ...). There the default mode keeps ``512 k / K`` pairs, the
    official code usually ``512 k / K + 8 / K`` (its rounding makes it +1 or +8/K+1 at a few k). Every other length gives the official count.
    """
    windows = num_windows(num_samples, upstream_compatible=upstream_compatible)
    return min(official_token_pairs(num_samples, stack_factor), windows * (_WINDOW_PATCHES // stack_factor))


def num_output_samples(num_pairs: int, stack_factor: int, *, upstream_compatible: bool = False) -> int:
    """Decoded samples (16 kHz) for `num_pairs` token pairs: 0.02 s x K per pair.

    The official double-precision trim ``int((T / 8) x 16 x 0.01 x K x 16000)`` in both modes
    (`upstream_compatible` is accepted for symmetry); it is one sample short of ``320 K T`` for about
    0.5 % of token counts (T = 803, 811, 819, 1606, ...).
    """
    if num_pairs <= 0:
        raise ValueError(f"need at least one token pair, got {num_pairs}")
    duration_s = (num_pairs / 8) * 16 * 0.01 * float(stack_factor)
    return int(duration_s * SAMPLE_RATE)


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
