"""Helpers for the metric tests: wrap signals into `ScoreItem`s and read the shared demo clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import ScoreItem


def make_item(
    reference: np.ndarray,
    estimate: np.ndarray,
    sample_rate: int = 16_000,
    domain: str = "speech",
    clip_id: str = "test-clip",
    transcript: str | None = None,
) -> ScoreItem:
    clip = Clip(clip_id=clip_id, path=f"/nonexistent/{clip_id}.wav", domain=domain, dataset="test",
                transcript=transcript)
    return ScoreItem(np.asarray(reference, np.float32), np.asarray(estimate, np.float32), sample_rate, clip)


def delayed(signal: np.ndarray, delay_samples: int) -> np.ndarray:
    """`signal` shifted later by `delay_samples` (zeros in front), same length."""
    return np.concatenate([np.zeros(delay_samples, np.float32), signal[: signal.size - delay_samples]])


def demo_pair(demo_dir: Path, system: str, clip: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(groundtruth, reconstruction by `system`, sample_rate) of a demo clip, cropped to one length."""
    ref, sr = sf.read(demo_dir / "groundtruth" / f"{clip}.flac", dtype="float32")
    est, sr2 = sf.read(demo_dir / system / f"{clip}.flac", dtype="float32")
    assert sr == sr2
    n = min(ref.size, est.size)
    return ref[:n], est[:n], sr


DEMO_SPEECH_CLIP = "libritts_1089_134686_000009_000006"
