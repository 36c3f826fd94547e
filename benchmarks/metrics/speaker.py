"""Speaker similarity: cosine similarity of Resemblyzer d-vectors of reference and estimate.

Resemblyzer (GE2E speaker encoder, 3-layer LSTM, 256-d embedding) ships its weights in the wheel
(`resemblyzer/pretrained.pt`), so it runs offline. Both signals are resampled to 16 kHz with the
suite's resampler, then Resemblyzer's own preprocessing (volume normalisation to -30 dBFS, removal of
long silences with webrtcvad) runs before embedding. Embeddings are L2-normalised, so the score is
their dot product (1 = same direction; in practice 0.6-1.0 for speech).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.availability import NOT_INSTALLED, package_version
from baselines.dsp import RESAMPLER
from baselines.files import file_sha256
from benchmarks.metrics.base import Metric, MetricError, MetricOutput, MetricUnavailable, ScoreItem
from benchmarks.metrics.signals import finite, pair_at_rate, require_signal

__all__ = ["SpeakerSimilarity", "speaker_encoder"]

_REMEDY = "pip install resemblyzer==0.1.4 'setuptools<81'  (extra: metrics)"
_SAMPLE_RATE = 16_000
#: Speech left after Resemblyzer's silence removal must be at least this long.
MIN_VOICED_S = 0.5
_LOCK = threading.Lock()


@contextlib.contextmanager
def _torch_threads(count: int):
    """Run with `count` intra-op threads (the small LSTM is many times slower when threads contend)."""
    previous = torch.get_num_threads()
    if count > 0:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@functools.cache
def speaker_encoder(device: str = "cpu") -> Any:
    """The process-wide Resemblyzer `VoiceEncoder` (weights from the wheel)."""
    try:
        from resemblyzer import VoiceEncoder
    except ModuleNotFoundError as exc:
        if exc.name == "pkg_resources":
            raise MetricUnavailable(
                "resemblyzer needs pkg_resources, which setuptools>=81 no longer provides", _REMEDY
            ) from None
        raise MetricUnavailable(f"resemblyzer cannot be imported ({exc})", _REMEDY) from None
    return VoiceEncoder(device, verbose=False)


@functools.cache
def _weights_id() -> str:
    try:
        import importlib.util

        spec = importlib.util.find_spec("resemblyzer")
        path = Path(spec.origin).parent / "pretrained.pt"  # type: ignore[union-attr, arg-type]
        digest = file_sha256(path, 12)
        return f"resemblyzer/pretrained.pt (sha256 {digest})"
    except Exception as exc:  # noqa: BLE001
        return f"resemblyzer/pretrained.pt (not found: {exc})"


class SpeakerSimilarity(Metric):
    """Cosine similarity of reference and estimate speaker embeddings; higher is better, -1..1.

    Args:
        device: torch device for the encoder (None: ``"cpu"``).
        threads: torch intra-op threads while embedding (0 = leave torch's setting); 1 is fastest on
            a busy CPU for this small LSTM.
    """

    name = "speaker_similarity"
    domains = ("speech",)
    outputs = (MetricOutput("speaker_similarity", higher_is_better=True, lower=-1.0, upper=1.0),)

    def __init__(self, device: str | None = None, threads: int = 1) -> None:
        self.device = device or "cpu"
        self.threads = int(threads)
        if package_version("resemblyzer") == NOT_INSTALLED:
            raise MetricUnavailable("resemblyzer is not installed", _REMEDY)

    def provenance(self, domain: str) -> dict[str, Any]:
        return {
            "implementation": "resemblyzer VoiceEncoder (GE2E d-vector), cosine similarity",
            "version": package_version("resemblyzer"),
            "mode": "embed_utterance(rate=1.3, min_coverage=0.75) after preprocess_wav",
            "model": _weights_id(),
            "sample_rate": _SAMPLE_RATE,
            "resampler": RESAMPLER,
            # CPU scores keep the identity they had before devices existed; another device is its own column
            **({"device": self.device} if self.device != "cpu" else {}),
        }

    def embed(self, waveform: np.ndarray, clip_id: str, label: str) -> np.ndarray:
        """256-d unit-norm embedding of float32 ndarray[T] at 16 kHz."""
        from resemblyzer import preprocess_wav

        require_signal(waveform, label, clip_id)
        encoder = speaker_encoder(self.device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            voiced = preprocess_wav(waveform)
        if voiced.size < MIN_VOICED_S * _SAMPLE_RATE or not np.isfinite(voiced).all():
            raise MetricError(
                f"clip {clip_id}: {label} has {voiced.size / _SAMPLE_RATE:.2f} s of voiced audio after "
                f"silence removal; speaker similarity needs {MIN_VOICED_S} s"
            )
        with _LOCK, _torch_threads(self.threads), torch.inference_mode():
            return np.asarray(encoder.embed_utterance(voiced), dtype=np.float64)

    def score(self, item: ScoreItem) -> dict[str, float]:
        clip_id = item.clip.clip_id
        ref, est, _ = pair_at_rate(item, _SAMPLE_RATE)
        e_ref = self.embed(ref, clip_id, "reference")
        e_est = self.embed(est, clip_id, "estimate")
        cosine = float(np.dot(e_ref, e_est) / (np.linalg.norm(e_ref) * np.linalg.norm(e_est)))
        return {self.name: finite(cosine, "speaker similarity", clip_id)}
