"""Classical intrusive speech metrics: PESQ (ITU-T P.862), STOI / ESTOI, SI-SDR.

- PESQ: the `pesq` package (ITU reference C code), wide band (P.862.2) or narrow band (P.862.1
  mapping), both signals resampled to 16 kHz. PESQ aligns the signals itself.
- STOI / ESTOI: `pystoi` (resamples to 10 kHz internally, drops silent frames; no time alignment).
- SI-SDR: scale-invariant SDR (Le Roux et al., ICASSP 2019) on the zero-mean signals at the clip's
  own rate; sample-aligned, so a delay lowers it.

These metrics are defined for speech; they are registered for the speech domain only.

Near-silent references: PESQ and STOI normalise the level themselves and give the same value for a clip
scaled by 1e-7 as for the clip itself (tested), so they score it. SI-SDR adds float32 eps to its energies;
when the reference's energy is below `SI_SDR_MIN_ENERGY_EPS` x eps that regulariser, not the signals, sets
the value (every codec tends to 0 dB), so such a reference gives NaN with the reason.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from baselines.availability import package_version, require_package
from baselines.dsp import RESAMPLER
from benchmarks.metrics.base import Metric, MetricError, MetricOutput, MetricUnavailable, ScoreItem
from benchmarks.metrics.signals import finite, pair_at_rate, require_signal, rms_dbfs

__all__ = ["PESQ", "SISDR", "SI_SDR_MIN_ENERGY_EPS", "STOI", "si_sdr_db"]

_REMEDY = "pip install 'pesq==0.0.4' 'pystoi>=0.4'  (extra: metrics)"
_SI_SDR_REMEDY = "pip install torchmetrics==1.9.0  (extra: metrics)"

#: Output range of the P.862.1 (nb) and P.862.2 (wb) MOS-LQO mappings.
_PESQ_RANGE = {"wb": (1.04, 4.64), "nb": (1.02, 4.55)}


class PESQ(Metric):
    """PESQ MOS-LQO at 16 kHz. Args: band: ``"wb"`` (wide band) or ``"nb"`` (narrow band)."""

    domains = ("speech",)
    sample_rate = 16_000
    min_duration_s = 0.25

    def __init__(self, band: str = "wb") -> None:
        if band not in _PESQ_RANGE:
            raise ValueError(f"PESQ band {band!r} is not 'wb' or 'nb'")
        self.band = band
        self.name = f"pesq_{band}"
        lo, hi = _PESQ_RANGE[band]
        self.outputs = (MetricOutput(self.name, higher_is_better=True, lower=lo, upper=hi, unit="MOS"),)
        require_package("pesq", _REMEDY, what=self.name, error=MetricUnavailable)

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "pesq (ITU-T P.862 reference code)",
            "version": package_version("pesq"),
            "mode": {"wb": "wide band, P.862.2", "nb": "narrow band, P.862.1 mapping"}[self.band],
            "model": "",
            "sample_rate": self.sample_rate,
            "resampler": RESAMPLER,
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        from pesq import pesq

        clip_id = item.clip.clip_id
        ref, est, rate = pair_at_rate(item, self.sample_rate, min_duration_s=self.min_duration_s)
        require_signal(ref, "reference", clip_id)
        require_signal(est, "estimate", clip_id)
        try:
            value = pesq(rate, ref.astype(np.float64), est.astype(np.float64), self.band)
        except Exception as exc:
            raise MetricError(f"clip {clip_id}: PESQ {self.band} failed: {type(exc).__name__}: {exc}") from exc
        return {self.name: finite(value, f"PESQ {self.band}", clip_id)}


class STOI(Metric):
    """STOI (Taal et al. 2011) or, with `extended`, ESTOI (Jensen & Taal 2016); 1 = identical envelopes."""

    domains = ("speech",)

    def __init__(self, extended: bool = False) -> None:
        self.extended = bool(extended)
        self.name = "estoi" if self.extended else "stoi"
        self.outputs = (MetricOutput(self.name, higher_is_better=True, lower=-1.0, upper=1.0),)
        require_package("pystoi", _REMEDY, what=self.name, error=MetricUnavailable)

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "pystoi",
            "version": package_version("pystoi"),
            "mode": "extended (ESTOI)" if self.extended else "classic (STOI)",
            "model": "",
            "sample_rate": 10_000,  # pystoi resamples the clip's rate to 10 kHz internally
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        from pystoi import stoi

        clip_id = item.clip.clip_id
        ref, est, rate = pair_at_rate(item, None)
        require_signal(ref, "reference", clip_id)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = stoi(ref.astype(np.float64), est.astype(np.float64), rate, extended=self.extended)
        for warning in caught:
            if "Not enough STFT frames" in str(warning.message):
                # pystoi then returns a placeholder 1e-5; we refuse to record it as a score.
                raise MetricError(f"clip {clip_id}: {self.name}: too little non-silent speech ({warning.message})")
        return {self.name: finite(value, self.name, clip_id)}


#: SI-SDR needs a zero-mean reference energy of at least this many float32 eps (for 10 s at 16 kHz: an RMS of
#: about -71 dBFS). Measured on a LibriTTS clip scaled down in steps, three codecs: at 6.6e4 eps the values
#: moved by at most 0.011 dB, at 6.6e3 eps by up to 0.11 dB, at 660 eps by up to 1.0 dB, and at 6.6e-5 eps
#: every codec scored 0.00 dB. See docs/metrics.md.
SI_SDR_MIN_ENERGY_EPS = 1e5


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """SI-SDR in dB of float ndarray[T] `estimate` against `reference` (zero-mean, optimal scaling).

    Computed by torchmetrics' functional SI-SDR in float64; it adds float64 eps to numerator and
    denominator, so identical signals give a large finite value instead of +inf. On the demo's real
    reconstructions it agrees with the suite's earlier hand-written version to 1e-5 dB (tested).
    """
    import torch
    from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio

    est = torch.from_numpy(np.asarray(estimate, dtype=np.float64))
    ref = torch.from_numpy(np.asarray(reference, dtype=np.float64))
    return float(scale_invariant_signal_distortion_ratio(est, ref, zero_mean=True))


class SISDR(Metric):
    """Scale-invariant signal-to-distortion ratio (dB) at the clip's rate; higher is better."""

    name = "si_sdr"
    domains = ("speech",)
    outputs = (MetricOutput("si_sdr", higher_is_better=True, unit="dB"),)

    def __init__(self) -> None:
        require_package("torchmetrics", _SI_SDR_REMEDY, what=self.name, error=MetricUnavailable)

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "torchmetrics.functional.audio.scale_invariant_signal_distortion_ratio "
                              "(Le Roux et al. 2019; float64, eps=float64 eps)",
            "version": package_version("torchmetrics"),
            "mode": "zero-mean, optimal scaling, no time alignment",
            "min_reference_energy": f"{SI_SDR_MIN_ENERGY_EPS:g} x float32 eps",
            "model": "",
            "sample_rate": "clip rate",
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        clip_id = item.clip.clip_id
        ref, est, _ = pair_at_rate(item, None)
        require_signal(ref, "reference", clip_id)
        centred = ref.astype(np.float64) - ref.mean()
        energy, eps = float(np.dot(centred, centred)), float(np.finfo(np.float32).eps)
        if energy < SI_SDR_MIN_ENERGY_EPS * eps:
            raise MetricError(
                f"clip {clip_id}: reference is near-silent (RMS {rms_dbfs(centred):.1f} dBFS, energy {energy:.3g}"
                f" < {SI_SDR_MIN_ENERGY_EPS:g} x float32 eps): SI-SDR's eps regulariser would set the value"
            )
        return {self.name: finite(si_sdr_db(ref, est), "SI-SDR", clip_id)}
