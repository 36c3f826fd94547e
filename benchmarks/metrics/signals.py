"""Checking and preparing the signals a metric scores.

- `pair_at_rate`: validate a `ScoreItem` and bring both signals to the rate a metric needs.
- `finite`: turn a library's result into a float, or raise `MetricError` when it is not finite.
- `require_signal` / `require_level`: refuse a digitally silent or near-silent signal with the reason.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from baselines.dsp import resample
from benchmarks.metrics.base import MetricError, ScoreItem

__all__ = [
    "NEAR_SILENCE_DBFS",
    "finite",
    "pair_at_rate",
    "require_level",
    "require_signal",
    "rms_dbfs",
    "to_rate",
]

#: Reference RMS (dBFS, full scale = 1.0) below which metrics whose spectrograms have an absolute floor
#: (ViSQOL, mel and STFT distances) give NaN with the reason. See docs/metrics.md, "Near-silent references".
NEAR_SILENCE_DBFS = -60.0


def to_rate(signal: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """Resample float32 ndarray[T] with the suite's one resampler (no-op when rates are equal)."""
    if int(sample_rate) == int(target_rate):
        return np.ascontiguousarray(signal, dtype=np.float32)
    out = resample(torch.from_numpy(np.ascontiguousarray(signal, dtype=np.float32)), sample_rate, target_rate)
    return out.numpy().astype(np.float32, copy=False)


def pair_at_rate(
    item: ScoreItem, target_rate: int | None = None, *, min_duration_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray, int]:
    """Check `item` and return (reference, estimate, sample_rate) as float32 ndarray[T] at `target_rate`.

    Both signals go through the same resampler. Raises `MetricError` naming the clip when a signal
    is not 1-D, is not finite, the lengths differ, or it is shorter than `min_duration_s`.
    """
    clip_id = item.clip.clip_id
    ref = np.asarray(item.reference, dtype=np.float32)
    est = np.asarray(item.estimate, dtype=np.float32)
    for label, sig in (("reference", ref), ("estimate", est)):
        if sig.ndim != 1:
            raise MetricError(f"clip {clip_id}: {label} must be 1-D ndarray[T], got shape {sig.shape}")
        if sig.size == 0:
            raise MetricError(f"clip {clip_id}: {label} is empty")
        if not np.isfinite(sig).all():
            raise MetricError(f"clip {clip_id}: {label} has NaN/Inf samples")
    if ref.shape != est.shape:
        raise MetricError(
            f"clip {clip_id}: reference and estimate lengths differ ({ref.size} vs {est.size} samples)"
        )
    if item.sample_rate <= 0:
        raise MetricError(f"clip {clip_id}: sample_rate must be positive, got {item.sample_rate}")
    duration_s = ref.size / item.sample_rate
    if duration_s < min_duration_s:
        raise MetricError(f"clip {clip_id}: too short ({duration_s:.3f} s; this metric needs {min_duration_s} s)")
    rate = int(target_rate or item.sample_rate)
    return to_rate(ref, item.sample_rate, rate), to_rate(est, item.sample_rate, rate), rate


def require_signal(signal: np.ndarray, label: str, clip_id: str) -> None:
    """Raise `MetricError` when `signal` is digital silence (nothing for the metric to compare)."""
    if not np.any(signal):
        raise MetricError(f"clip {clip_id}: {label} is digital silence")


def rms_dbfs(signal: np.ndarray) -> float:
    """RMS of float ndarray[T] in dB re full scale (1.0); ``-inf`` for digital silence."""
    power = float(np.mean(np.square(np.asarray(signal, dtype=np.float64))))
    return 10.0 * math.log10(power) if power > 0 else -math.inf


def require_level(signal: np.ndarray, min_dbfs: float, label: str, clip_id: str, why: str) -> None:
    """Raise `MetricError` when `signal` is digital silence or its RMS is below `min_dbfs` dBFS.

    `why` says what the metric would do with such a signal; it ends the recorded reason.
    """
    require_signal(signal, label, clip_id)
    level = rms_dbfs(signal)
    if level < min_dbfs:
        raise MetricError(
            f"clip {clip_id}: {label} is near-silent (RMS {level:.1f} dBFS, below {min_dbfs:g} dBFS): {why}"
        )


def finite(value: object, what: str, clip_id: str) -> float:
    """`value` as float, or `MetricError` when the library returned NaN/Inf (never a substitute)."""
    out = float(value)  # type: ignore[arg-type]
    if not math.isfinite(out):
        raise MetricError(f"clip {clip_id}: {what} returned {out}")
    return out
