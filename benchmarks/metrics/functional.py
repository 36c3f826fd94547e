"""Metrics as plain functions on arrays or tensors, in the manner of ``torchmetrics.functional``.

    from benchmarks.metrics.functional import mel_distance, si_sdr, visqol
    mel_distance(estimate, reference, sample_rate=16_000)        # float, dB (the paper's units)
    si_sdr(batch_estimates, batch_references)                    # ndarray[B], dB

Each function builds the registered `Metric` the benchmark runs (once per process and setting) and
scores through its `score` method, so a value here is the value a benchmark run stores for the same
audio; no metric is computed a second way.

Inputs: float ``numpy.ndarray`` or ``torch.Tensor`` of shape [T] (one signal) or [..., T] (a batch;
leading shapes must match), both at `sample_rate` Hz. As in the runner, both are converted to float32
and cropped to the shorter length. Returns a ``float`` for [T] inputs and a float64 ndarray[...] for
batches. A clip the metric cannot score raises `benchmarks.metrics.base.MetricError` with the reason;
a missing package raises `MetricUnavailable` with the remedy.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import Metric, ScoreItem

__all__ = ["mel_distance", "pesq", "score", "si_sdr", "stft_distance", "stoi", "visqol"]


@functools.lru_cache(maxsize=32)
def _metric(name: str, kwargs: tuple[tuple[str, Any], ...]) -> Metric:
    from benchmarks.metrics.registry import build_metric

    return build_metric(name, **dict(kwargs))


def _as_float32(signal: Any, label: str) -> np.ndarray:
    if hasattr(signal, "detach"):  # torch.Tensor, without importing torch here
        signal = signal.detach().cpu().numpy()
    array = np.asarray(signal)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{label} must be a real float array or tensor, got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{label} must have a time axis: shape [T] or [..., T], got a scalar")
    return array.astype(np.float32, copy=False)


def _scores(
    metric: Metric, estimate: Any, reference: Any, sample_rate: int, domain: str, transcript: str | None
) -> tuple[tuple[int, ...], list[dict[str, float]]]:
    """Score every (estimate, reference) pair of the batch; returns (batch shape, one dict per item)."""
    est = _as_float32(estimate, "estimate")
    ref = _as_float32(reference, "reference")
    if est.shape[:-1] != ref.shape[:-1]:
        raise ValueError(f"estimate and reference batch shapes differ: {est.shape} vs {ref.shape}")
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate}")
    length = min(est.shape[-1], ref.shape[-1])
    batch_shape = est.shape[:-1]
    est = est[..., :length].reshape(-1, length)
    ref = ref[..., :length].reshape(-1, length)
    results = []
    for index in range(est.shape[0]):
        clip = Clip(
            clip_id=f"item{index}", path="", domain=domain, dataset="functional", transcript=transcript
        )
        item = ScoreItem(
            np.ascontiguousarray(ref[index]), np.ascontiguousarray(est[index]), int(sample_rate), clip
        )
        results.append(metric.score(item))
    return batch_shape, results


def _one_output(
    name: str,
    output: str | None,
    estimate: Any,
    reference: Any,
    sample_rate: int,
    *,
    domain: str = "speech",
    **kwargs: Any,
) -> float | np.ndarray:
    metric = _metric(name, tuple(sorted(kwargs.items())))
    key = output or metric.outputs[0].name
    batch_shape, results = _scores(metric, estimate, reference, sample_rate, domain, None)
    values = np.array([r[key] for r in results], dtype=np.float64)
    return float(values[0]) if batch_shape == () else values.reshape(batch_shape)


def mel_distance(
    estimate: Any, reference: Any, sample_rate: int, *, match_energy: bool = True, log10: bool = False
) -> float | np.ndarray:
    """The paper's multi-resolution mel distance (lower is better); see `benchmarks.metrics.spectral`.

    Args:
        estimate, reference: [T] or [..., T] at `sample_rate` Hz.
        match_energy: scale the estimate to the reference's RMS first (the paper's recipe).
        log10: return the raw log10-magnitude distance instead of the paper's dB (x 20).
    """
    return _one_output(
        "mel_distance",
        "mel_distance_log10" if log10 else "mel_distance",
        estimate,
        reference,
        sample_rate,
        match_energy=match_energy,
    )


def stft_distance(
    estimate: Any, reference: Any, sample_rate: int, *, match_energy: bool = True, log10: bool = False
) -> float | np.ndarray:
    """The paper's multi-resolution STFT distance (lower is better), paper units or raw log10."""
    return _one_output(
        "stft_distance",
        "stft_distance_log10" if log10 else "stft_distance",
        estimate,
        reference,
        sample_rate,
        match_energy=match_energy,
    )


def si_sdr(estimate: Any, reference: Any, sample_rate: int = 16_000) -> float | np.ndarray:
    """Scale-invariant SDR in dB (higher is better); `sample_rate` does not change the value."""
    return _one_output("si_sdr", None, estimate, reference, sample_rate)


def pesq(estimate: Any, reference: Any, sample_rate: int, *, band: str = "wb") -> float | np.ndarray:
    """PESQ MOS-LQO (ITU-T P.862; ``band`` ``"wb"`` or ``"nb"``), both signals resampled to 16 kHz."""
    if band not in ("wb", "nb"):
        raise ValueError(f"PESQ band {band!r} is not 'wb' or 'nb'")
    return _one_output(f"pesq_{band}", None, estimate, reference, sample_rate)


def stoi(estimate: Any, reference: Any, sample_rate: int, *, extended: bool = False) -> float | np.ndarray:
    """STOI, or ESTOI with `extended` (pystoi; higher is better)."""
    return _one_output("estoi" if extended else "stoi", None, estimate, reference, sample_rate)


def visqol(
    estimate: Any, reference: Any, sample_rate: int, *, profile: str = "standard", domain: str = "speech"
) -> float | np.ndarray:
    """ViSQOL MOS-LQO (1-5, higher is better).

    Args:
        profile: ``"standard"`` (authors' settings: speech mode 16 kHz for speech, audio mode 48 kHz
            for sound and music) or ``"paper"`` (speech mode, exponential mapping, 16 kHz everywhere).
        domain: ``"speech"``, ``"sound"`` or ``"music"``; selects the setting within the profile.
    """
    return _one_output("visqol", None, estimate, reference, sample_rate, domain=domain, profile=profile)


def score(
    name: str,
    estimate: Any,
    reference: Any,
    sample_rate: int,
    *,
    domain: str = "speech",
    transcript: str | None = None,
    **metric_kwargs: Any,
) -> dict[str, float | np.ndarray]:
    """Every output of registered metric `name` (e.g. ``"dnsmos"``, ``"speaker_similarity"``).

    Args:
        name: a name from `benchmarks.metrics.metric_names()`.
        domain: the clip's domain (metrics whose settings depend on it use it).
        transcript: reference text, for metrics that need one (``wer``).
        metric_kwargs: constructor arguments that override the registered defaults.

    Returns:
        output name -> float (for [T] inputs) or ndarray[...] (batches).
    """
    metric = _metric(name, tuple(sorted(metric_kwargs.items())))
    batch_shape, results = _scores(metric, estimate, reference, sample_rate, domain, transcript)
    out: dict[str, float | np.ndarray] = {}
    for output in metric.outputs:
        values = np.array([r.get(output.name, np.nan) for r in results], dtype=np.float64)
        out[output.name] = float(values[0]) if batch_shape == () else values.reshape(batch_shape)
    return out
