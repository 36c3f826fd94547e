"""The two units of work of a run, as functions a worker process can run: reconstruct one clip with one
codec (into the reconstruction cache), and score a few reconstructions with one metric.

Both take a `benchmarks.pool.WorkerContext` first and return plain, picklable outcomes; neither
touches the result store (the parent process writes every outcome).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
from typing import Any

import numpy as np
import torch

from baselines.system import ClipAudio
from benchmarks.cache import (
    CacheCorrupt,
    CachedReconstruction,
    CacheEntry,
    ReconstructionCache,
    read_audio_verified,
)
from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import ScoreItem
from benchmarks.pool import WorkerContext

__all__ = ["Failure", "ReconstructOutcome", "ScoreOutcome", "reason", "reconstruct_unit", "score_units"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Failure:
    """An exception that happened in a unit, as the text recorded in the store."""

    reason: str


@dataclasses.dataclass
class ReconstructOutcome:
    """Columns of the reconstruction row (status, paths, checksums...), where it came from, and the time taken.

    Attributes:
        fields: reconstruction-row columns to set (``status`` is ``"ok"`` or ``"error"``).
        source: ``"computed"``, ``"cache"``, or None when it failed.
        seconds: wall time of the unit in the process that ran it (reading the clip included).
    """

    fields: dict[str, Any]
    source: str | None
    seconds: float


@dataclasses.dataclass
class ScoreOutcome:
    """One clip's metric result: values, or a `Failure`, or `corrupt` (cached audio failed its checksum)."""

    result: dict[str, float] | Failure | None = None
    corrupt: str | None = None
    seconds: float = 0.0


def reason(exc: BaseException) -> str:
    """``Type: message`` of an exception, as recorded in the store (at most 2000 characters)."""
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


def reconstruct_unit(context: WorkerContext, codec_handle: Any, clip: Clip, cache: ReconstructionCache,
                     entry: CacheEntry) -> ReconstructOutcome:
    """Read `clip`, find its reconstruction in `cache` or make it with the codec, and describe the result."""
    start = time.perf_counter()
    fields: dict[str, Any] = {}
    try:
        ref = context.references.get(clip)
        fields["duration_s"] = len(ref.waveform) / ref.sample_rate
        fields["notes"] = list(ref.notes)
        cached = cache.load(entry)
        source = "cache"
        if cached is None:
            cached = _reconstruct(context.codec(codec_handle), clip, ref.waveform, ref.sample_rate, cache, entry)
            source = "computed"
        codes_meta = cached.meta["files"].get("codes") or {}
        fields.update(
            status="ok", measured_bitrate_kbps=cached.meta.get("measured_bitrate_kbps"),
            cached_notes=list(cached.meta.get("notes") or []),
            audio_path=str(cached.audio_path), audio_sha256=cached.audio_sha256, audio_bytes=cached.audio_bytes,
            codes_path=str(cached.codes_path) if cached.codes_path else None,
            codes_sha256=codes_meta.get("sha256"), codes_bytes=codes_meta.get("bytes"),
        )
    except Exception as exc:  # noqa: BLE001 - every failure is recorded per clip
        log.debug("reconstruction failed: %s", traceback.format_exc())
        fields.update(status="error", error=reason(exc))
        source = None
    return ReconstructOutcome(fields, source, time.perf_counter() - start)


def _reconstruct(codec: Any, clip: Clip, waveform: np.ndarray, sample_rate: int, cache: ReconstructionCache,
                 entry: CacheEntry) -> CachedReconstruction:
    recon = codec.reconstruct(ClipAudio(clip.clip_id, torch.from_numpy(waveform), sample_rate))
    audio = recon.waveform.detach().cpu().numpy().astype(np.float32)
    if not np.isfinite(audio).all():
        raise RuntimeError("codec produced NaN/Inf samples")
    codes = None
    if recon.encoded is not None and recon.encoded.codes is not None:
        codes = recon.encoded.codes[0].cpu().numpy()
    meta = {
        "notes": list(getattr(recon, "notes", None) or []),
        "measured_bitrate_kbps": recon.bitrate_kbps,
        "codebook_sizes": list(recon.encoded.codebook_sizes) if recon.encoded else [],
        "frame_rate_hz": codec.frame_rate_hz,
    }
    return cache.save(entry, audio, recon.sample_rate, codes, meta)


def score_units(context: WorkerContext, metric_handle: Any,
                items: list[tuple[Clip, str, str | None, int | None]]) -> list[ScoreOutcome]:
    """Score reconstructions with one metric: `items` are (clip, audio path, audio sha256, audio bytes).

    The cached audio is verified against its checksum first; a mismatch is ``corrupt`` (the clip goes
    back for reconstruction), not the metric's failure. Each clip's `seconds` is its share of the batch.
    """
    start = time.perf_counter()
    outcomes = [ScoreOutcome() for _ in items]
    ready: list[int] = []
    batch: list[ScoreItem] = []
    for i, (clip, path, sha256, num_bytes) in enumerate(items):
        try:
            batch.append(_score_item(context, clip, path, sha256, num_bytes))
            ready.append(i)
        except CacheCorrupt as exc:
            outcomes[i].corrupt = str(exc)
        except Exception as exc:  # noqa: BLE001
            outcomes[i].result = Failure(reason(exc))
    if batch:
        try:
            results = context.metric(metric_handle).score_batch(batch)
        except Exception as exc:  # noqa: BLE001 - building or running the metric failed for the whole batch
            results = [exc] * len(batch)
        for i, result in zip(ready, results):
            outcomes[i].result = Failure(reason(result)) if isinstance(result, BaseException) else dict(result)
    share = (time.perf_counter() - start) / max(1, len(items))
    for outcome in outcomes:
        outcome.seconds = share
    return outcomes


def _score_item(context: WorkerContext, clip: Clip, path: str, sha256: str | None, num_bytes: int | None) -> ScoreItem:
    """Reference and verified cached reconstruction of `clip`, cropped to their common length."""
    ref = context.references.get(clip)
    estimate, sample_rate = read_audio_verified(path, sha256, num_bytes)
    if sample_rate != ref.sample_rate:
        raise RuntimeError(f"reconstruction at {sample_rate} Hz, reference at {ref.sample_rate} Hz")
    n = min(len(ref.waveform), len(estimate))
    return ScoreItem(ref.waveform[:n], estimate[:n], ref.sample_rate, clip)
