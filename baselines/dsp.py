"""Signal helpers shared by codecs, metrics and datasets.

One resampler for the whole suite, so that reference and estimate always go through the same filter.
"""

from __future__ import annotations

import math

import torch
import torchaudio.functional as AF

__all__ = ["resample", "RESAMPLER"]

#: Recorded in provenance wherever a score depends on resampling.
RESAMPLER = "torchaudio.functional.resample(sinc_interp_hann, lowpass_filter_width=6, rolloff=0.99)"


def resample(waveform: torch.Tensor, orig_sample_rate: int, new_sample_rate: int) -> torch.Tensor:
    """Resample Tensor[..., T] from `orig_sample_rate` to `new_sample_rate` (no-op when equal)."""
    if int(orig_sample_rate) == int(new_sample_rate):
        return waveform
    g = math.gcd(int(orig_sample_rate), int(new_sample_rate))
    return AF.resample(waveform, int(orig_sample_rate) // g, int(new_sample_rate) // g)
