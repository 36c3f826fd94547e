"""DNSMOS P.835 (non-intrusive MOS of the estimate alone) through the `speechmos` package.

`speechmos` ships Microsoft's DNSMOS ONNX models (``dnsmos_models/sig_bak_ovr.onnx`` and the P.808
model ``model_v8.onnx``), so it runs offline with onnxruntime. The estimate is resampled to 16 kHz;
clips shorter than the model's 9.01 s input are repeated to that length (speechmos's own rule), longer
ones are scored in 9.01 s windows with a 1 s hop and averaged. The reference is not used.

Outputs: ``dnsmos_ovrl`` (overall), ``dnsmos_sig`` (speech signal), ``dnsmos_bak`` (background
noise), ``dnsmos_p808`` (P.808 overall), all MOS 1-5, higher is better.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

import numpy as np

from baselines.availability import package_version
from baselines.dsp import RESAMPLER
from baselines.files import file_sha256
from benchmarks.metrics.base import Metric, MetricError, MetricOutput, MetricUnavailable, ScoreItem
from benchmarks.metrics.signals import finite, pair_at_rate, require_signal

__all__ = ["DNSMOS", "dnsmos_model"]

_REMEDY = "pip install speechmos==0.0.1.1 'onnxruntime>=1.17' 'librosa>=0.10'  (extra: metrics)"
_SAMPLE_RATE = 16_000
_KEYS = {"dnsmos_ovrl": "ovrl_mos", "dnsmos_sig": "sig_mos", "dnsmos_bak": "bak_mos", "dnsmos_p808": "p808_mos"}
_LOCK = threading.Lock()


def _model_files(personalized: bool) -> tuple[Path, Path]:
    import importlib.util

    spec = importlib.util.find_spec("speechmos")
    if spec is None or spec.origin is None:
        raise MetricUnavailable("speechmos is not installed", _REMEDY)
    root = Path(spec.origin).parent
    primary = root / ("pdnsmos_models" if personalized else "dnsmos_models") / "sig_bak_ovr.onnx"
    p808 = root / "dnsmos_models" / "model_v8.onnx"
    for path in (primary, p808):
        if not path.is_file():
            raise MetricUnavailable(f"DNSMOS model file missing: {path}", f"reinstall: {_REMEDY}")
    return primary, p808


@functools.cache
def dnsmos_model(personalized: bool = False) -> Any:
    """The process-wide `speechmos.dnsmos.DNSMOS` scorer (ONNX sessions built once)."""
    primary, p808 = _model_files(personalized)
    try:
        from speechmos.dnsmos import DNSMOS as _Scorer
    except ImportError as exc:
        raise MetricUnavailable(f"speechmos cannot be imported ({exc})", _REMEDY) from None
    return _Scorer(str(primary), str(p808))


@functools.cache
def _models_id(personalized: bool) -> str:
    try:
        parts = []
        for path in _model_files(personalized):
            digest = file_sha256(path, 12)
            parts.append(f"{path.parent.name}/{path.name} (sha256 {digest})")
        return " + ".join(parts)
    except MetricUnavailable as exc:
        return f"unavailable ({exc.reason})"


class DNSMOS(Metric):
    """DNSMOS P.835 of the estimate (non-intrusive).

    Args:
        personalized: use the personalized-DNSMOS primary model (penalises interfering talkers).
    """

    name = "dnsmos"
    domains = ("speech",)
    outputs = tuple(MetricOutput(n, higher_is_better=True, lower=1.0, upper=5.0, unit="MOS") for n in _KEYS)

    def __init__(self, personalized: bool = False) -> None:
        self.personalized = bool(personalized)
        _model_files(self.personalized)  # raises MetricUnavailable with the remedy

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "speechmos.dnsmos (Microsoft DNSMOS P.835 + P.808 ONNX)",
            "version": package_version("speechmos"),
            "onnxruntime": package_version("onnxruntime"),
            "mode": "personalized" if self.personalized else "standard",
            "model": _models_id(self.personalized),
            "sample_rate": _SAMPLE_RATE,
            "resampler": RESAMPLER,
            "input": "estimate only; samples clipped to [-1, 1] as a 16-bit file would be",
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        clip_id = item.clip.clip_id
        _, est, rate = pair_at_rate(item, _SAMPLE_RATE, min_duration_s=0.5)
        require_signal(est, "estimate", clip_id)
        scorer = dnsmos_model(self.personalized)
        try:
            with _LOCK:
                result = scorer(np.clip(est, -1.0, 1.0), rate, self.personalized)
        except Exception as exc:
            raise MetricError(f"clip {clip_id}: DNSMOS failed: {type(exc).__name__}: {exc}") from exc
        return {name: finite(result[key], name, clip_id) for name, key in _KEYS.items()}
