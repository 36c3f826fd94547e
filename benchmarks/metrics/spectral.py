"""The paper's multi-resolution mel and STFT distances (DAC-style), with their units made explicit.

Recipe (SemantiCodec paper, following DAC): crop both signals to the shorter length, scale the
estimate so its RMS equals the reference's, then for each resolution take a Hann-windowed STFT
(hop = n_fft / 4, centred, reflect padding), the magnitude (mel: a Slaney mel filterbank applied to the
magnitude), clamp at 1e-5, take log10, and average |difference| over all bins and frames; the distance
is the mean over resolutions.

Units. That log10-magnitude number equals descript-audio-codec's
``MelSpectrogramLoss(mag_weight=0, pow=1) / 7`` and ``MultiScaleSTFTLoss(mag_weight=0, pow=1) / 2``.
The paper prints ``scale`` times it:

* mel: scale 20 (decibels of magnitude) lands on Table II's mel values;
* STFT: see `PAPER_STFT_SCALE` for the factor measured on the demo set.

Both the raw log10 value and the paper-scaled value are written; provenance records the recipe.

Near silence. The 1e-5 clamp is an absolute floor: as a reference gets quieter, more of its spectrogram sits
on the clamp, and an estimate scaled to the reference's RMS sits there too, so the distance falls towards 0
whatever the codec did (a speech clip at -163 dBFS gives 0.00 for every codec). A reference whose RMS is
below `NEAR_SILENCE_DBFS` (-60 dBFS) is therefore not scored (NaN with the reason). Above it the distances
still depend on the level (measured in docs/metrics.md).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
import torchaudio

from benchmarks.metrics.base import Metric, MetricError, MetricOutput, ScoreItem
from benchmarks.metrics.signals import NEAR_SILENCE_DBFS, require_level

__all__ = ["MEL_RESOLUTIONS", "STFT_RESOLUTIONS", "MelDistance", "STFTDistance", "log_spectral_distance"]

#: (n_fft, n_mels) pairs of the paper's mel distance.
MEL_RESOLUTIONS: tuple[tuple[int, int], ...] = (
    (32, 5), (64, 10), (128, 20), (256, 40), (512, 80), (1024, 160), (2048, 320),
)
#: n_fft values of the paper's STFT distance.
STFT_RESOLUTIONS: tuple[int, ...] = (2048, 512)
CLAMP_EPS = 1e-5
#: Paper mel values = 20 x log10-magnitude distance (dB of magnitude).
PAPER_MEL_SCALE = 20.0
#: Paper STFT values = this x log10-magnitude distance (fitted on the demo set; see docs/metrics.md).
PAPER_STFT_SCALE = 10.0
_NEAR_SILENCE_WHY = (
    f"the {CLAMP_EPS:g} magnitude clamp would decide the distance (at -163 dBFS every estimate scores 0)"
)


@functools.lru_cache(maxsize=32)
def _mel_filterbank(n_fft: int, n_mels: int, sample_rate: int) -> torch.Tensor:
    """Slaney-style mel filterbank (as librosa's default), Tensor[n_freqs x n_mels]."""
    return torchaudio.functional.melscale_fbanks(
        n_freqs=n_fft // 2 + 1,
        f_min=0.0,
        f_max=sample_rate / 2.0,
        n_mels=n_mels,
        sample_rate=sample_rate,
        norm="slaney",
        mel_scale="slaney",
    )


@functools.lru_cache(maxsize=32)
def _window(n_fft: int) -> torch.Tensor:
    return torch.hann_window(n_fft, periodic=True, dtype=torch.float64)


def _log_magnitude(x: torch.Tensor, n_fft: int, n_mels: int | None, sample_rate: int) -> torch.Tensor:
    """log10 of the (mel) magnitude of Tensor[T] -> Tensor[F x frames]."""
    spec = torch.stft(
        x, n_fft=n_fft, hop_length=n_fft // 4, window=_window(n_fft), center=True,
        pad_mode="reflect", return_complex=True,
    ).abs()
    if n_mels is not None:
        spec = (spec.transpose(0, 1) @ _mel_filterbank(n_fft, n_mels, sample_rate).to(spec.dtype)).transpose(0, 1)
    return spec.clamp_min(CLAMP_EPS).log10()


def log_spectral_distance(
    reference: np.ndarray,
    estimate: np.ndarray,
    sample_rate: int,
    resolutions: tuple[tuple[int, int | None], ...],
    match_energy: bool = True,
) -> float:
    """Mean over resolutions of mean |log10 S(ref) - log10 S(est)|.

    Args:
        reference, estimate: ndarray[T] (cropped to the shorter length here).
        sample_rate: Hz (mel filterbank frequencies).
        resolutions: (n_fft, n_mels) pairs; n_mels None for a linear-frequency STFT.
        match_energy: scale the estimate to the reference's RMS first (the paper's recipe).
    """
    n = min(len(reference), len(estimate))
    if n == 0:
        raise MetricError("empty signal")
    ref = torch.as_tensor(np.asarray(reference[:n], dtype=np.float64))
    est = torch.as_tensor(np.asarray(estimate[:n], dtype=np.float64))
    if match_energy:
        est_rms = est.pow(2).mean().sqrt()
        if est_rms > 0:
            est = est * (ref.pow(2).mean().sqrt() / est_rms)
    total = 0.0
    for n_fft, n_mels in resolutions:
        if n < n_fft // 2 + 1:
            raise MetricError(f"signal of {n} samples is too short for n_fft={n_fft}")
        diff = _log_magnitude(ref, n_fft, n_mels, sample_rate) - _log_magnitude(est, n_fft, n_mels, sample_rate)
        total += float(diff.abs().mean())
    return total / len(resolutions)


class _SpectralDistance(Metric):
    resolutions: tuple[tuple[int, int | None], ...] = ()
    paper_scale: float = 1.0
    recipe: str = ""

    def __init__(self, match_energy: bool = True) -> None:
        self.match_energy = match_energy

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "lowrate-codec-bench spectral (torch.stft, torchaudio Slaney mel)",
            "recipe": self.recipe,
            "resolutions": [list(r) for r in self.resolutions],
            "hop": "n_fft/4",
            "clamp": CLAMP_EPS,
            "match_energy": self.match_energy,
            "paper_scale": self.paper_scale,
            "sample_rate": "clip rate",
            "min_reference_dbfs": NEAR_SILENCE_DBFS,
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        require_level(item.reference, NEAR_SILENCE_DBFS, "reference", item.clip.clip_id, _NEAR_SILENCE_WHY)
        raw = log_spectral_distance(
            item.reference, item.estimate, item.sample_rate, self.resolutions, self.match_energy
        )
        return {self.outputs[0].name: self.paper_scale * raw, self.outputs[1].name: raw}


class MelDistance(_SpectralDistance):
    """Multi-resolution mel distance; ``mel_distance`` in the paper's units (dB), ``mel_distance_log10`` raw."""

    name = "mel_distance"
    outputs = (
        MetricOutput("mel_distance", higher_is_better=False, lower=0.0, unit="dB"),
        MetricOutput("mel_distance_log10", higher_is_better=False, lower=0.0, hidden=True),
    )
    resolutions = tuple((n_fft, n_mels) for n_fft, n_mels in MEL_RESOLUTIONS)
    paper_scale = PAPER_MEL_SCALE
    recipe = "mean |log10 mel(ref) - log10 mel(est)| x 20 over 7 resolutions"


class STFTDistance(_SpectralDistance):
    """Multi-resolution STFT distance; ``stft_distance`` in the paper's units, ``stft_distance_log10`` raw."""

    name = "stft_distance"
    outputs = (
        MetricOutput("stft_distance", higher_is_better=False, lower=0.0),
        MetricOutput("stft_distance_log10", higher_is_better=False, lower=0.0, hidden=True),
    )
    resolutions = tuple((n_fft, None) for n_fft in STFT_RESOLUTIONS)
    paper_scale = PAPER_STFT_SCALE
    recipe = "mean |log10 |STFT(ref)| - log10 |STFT(est)|| x paper_scale over n_fft 2048, 512"
