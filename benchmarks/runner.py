"""Reconstruct every clip with every codec, score every reconstruction, keep every result.

The runner is resumable at clip granularity: what the store already holds is skipped, what is
missing is computed, and each finished unit is committed before the next starts. A clip that cannot
be read, a codec that fails on a clip, or a metric that fails on a clip becomes a recorded error
with its reason; the run goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import soundfile as sf
import torch
from tqdm.auto import tqdm

from baselines.base import Codec
from benchmarks.audio import AudioInputError, LoadedAudio, load_clip_audio
from benchmarks.cache import ReconstructionCache, codec_cache_key
from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import Metric, ScoreItem
from benchmarks.store import ResultStore

__all__ = ["Runner", "RunSummary"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunSummary:
    run_id: str
    reconstructed: int = 0
    reused: int = 0
    failed_clips: int = 0
    scored: int = 0
    failed_scores: int = 0
    seconds: float = 0.0


class Runner:
    """Drives codecs and metrics over clips, writing to a `ResultStore`.

    Args:
        store: where per-clip results go.
        cache: where reconstructions and codes go.
        sample_rate: evaluation rate in Hz; clips are read at this rate and scored at it.
        metric_batch_size: clips handed to `Metric.score_batch` at once.
        progress: show progress bars.
    """

    def __init__(
        self,
        store: ResultStore,
        cache: ReconstructionCache,
        sample_rate: int = 16_000,
        metric_batch_size: int = 8,
        progress: bool = True,
    ) -> None:
        self.store = store
        self.cache = cache
        self.sample_rate = sample_rate
        self.metric_batch_size = metric_batch_size
        self.progress = progress
        self._audio: dict[str, LoadedAudio | AudioInputError] = {}

    # -- inputs ---------------------------------------------------------------------------------
    def reference(self, clip: Clip) -> LoadedAudio:
        """The clip at the evaluation rate (memoised); raises AudioInputError for unusable files."""
        key = f"{clip.dataset}/{clip.clip_id}"
        if key not in self._audio:
            try:
                self._audio[key] = load_clip_audio(clip, self.sample_rate)
            except AudioInputError as exc:
                self._audio[key] = exc
        found = self._audio[key]
        if isinstance(found, AudioInputError):
            raise found
        return found

    # -- reconstruction -------------------------------------------------------------------------
    def reconstruct_all(self, codec: Codec, clips: Sequence[Clip], summary: RunSummary) -> None:
        """Make (or find) the reconstruction of every clip by `codec`."""
        info = codec.info()
        key = codec_cache_key(codec.name, info)
        todo = [c for c in clips if not self.store.has_reconstruction(codec.name, c.dataset, c.clip_id)]
        summary.reused += len(clips) - len(todo)
        for clip in tqdm(todo, desc=f"reconstruct {codec.name}", disable=not self.progress or not todo, leave=False):
            row: dict[str, Any] = dict(
                codec=codec.name, dataset=clip.dataset, clip_id=clip.clip_id, domain=clip.domain,
                nominal_bitrate_kbps=codec.nominal_bitrate_kbps, codec_info_json=info, run_id=summary.run_id,
            )
            start = time.perf_counter()
            try:
                ref = self.reference(clip)
                row["duration_s"] = len(ref.waveform) / ref.sample_rate
                row["notes"] = ref.notes
                cached = self.cache.load(key, clip.dataset, clip.clip_id)
                if cached is None:
                    recon = codec.reconstruct(torch.from_numpy(ref.waveform), ref.sample_rate, clip.clip_id)
                    waveform = recon.waveform.detach().cpu().numpy().astype(np.float32)
                    if not np.isfinite(waveform).all():
                        raise RuntimeError("codec produced NaN/Inf samples")
                    codes = None
                    if recon.encoded is not None and recon.encoded.codes is not None:
                        codes = recon.encoded.codes[0].cpu().numpy()
                    meta = {
                        "notes": list(recon.notes),
                        "measured_bitrate_kbps": recon.bitrate_kbps,
                        "codebook_sizes": list(recon.encoded.codebook_sizes) if recon.encoded else [],
                        "frame_rate_hz": codec.frame_rate_hz,
                    }
                    audio_path, codes_path = self.cache.save(
                        key, clip.dataset, clip.clip_id, waveform, recon.sample_rate, codes, meta
                    )
                else:
                    meta, audio_path, codes_path = cached.meta, cached.audio_path, cached.codes_path
                row["notes"] = ref.notes + list(meta.get("notes") or [])
                row.update(
                    status="ok", measured_bitrate_kbps=meta.get("measured_bitrate_kbps"),
                    audio_path=str(audio_path), codes_path=str(codes_path) if codes_path else None,
                )
                summary.reconstructed += 1
            except Exception as exc:  # noqa: BLE001 - every failure is recorded per clip
                row.update(status="error", error=_reason(exc))
                summary.failed_clips += 1
                log.debug("reconstruction failed: %s", traceback.format_exc())
            row["seconds"] = time.perf_counter() - start
            self.store.add_reconstruction(**row)

    # -- scoring ----------------------------------------------------------------------------------
    def score_all(self, codec_name: str, metric_name: str, metric: Metric, clips: Sequence[Clip], summary: RunSummary) -> None:
        """Score every successful reconstruction of `codec_name` with `metric` (missing outputs only)."""
        wanted = {o.name for o in metric.outputs}
        todo: list[tuple[Clip, str, dict[str, Any]]] = []
        for clip in clips:
            if not metric.applies_to(clip):
                continue
            fp = metric.fingerprint(clip.domain)
            if wanted <= self.store.scored_outputs(codec_name, clip.dataset, clip.clip_id, fp):
                continue
            rec = self.store.get_reconstruction(codec_name, clip.dataset, clip.clip_id)
            if rec is None or rec["status"] != "ok":
                continue
            todo.append((clip, fp, rec))
        bar = tqdm(total=len(todo), desc=f"{metric_name} {codec_name}", disable=not self.progress or not todo, leave=False)
        for start in range(0, len(todo), self.metric_batch_size):
            chunk = todo[start : start + self.metric_batch_size]
            items, ready = [], []
            for clip, fp, rec in chunk:
                try:
                    items.append(self._score_item(clip, rec))
                    ready.append((clip, fp))
                except Exception as exc:  # noqa: BLE001
                    self._record(codec_name, metric_name, metric, clip, fp, exc, summary)
            results = metric.score_batch(items) if items else []
            for (clip, fp), result in zip(ready, results):
                self._record(codec_name, metric_name, metric, clip, fp, result, summary)
            bar.update(len(chunk))
        bar.close()

    def _score_item(self, clip: Clip, rec: dict[str, Any]) -> ScoreItem:
        """Reference and cached reconstruction of `clip`, cropped to their common length."""
        ref = self.reference(clip)
        estimate, sample_rate = sf.read(rec["audio_path"], dtype="float32")
        if sample_rate != ref.sample_rate:
            raise RuntimeError(f"reconstruction at {sample_rate} Hz, reference at {ref.sample_rate} Hz")
        n = min(len(ref.waveform), len(estimate))
        return ScoreItem(ref.waveform[:n], estimate[:n], ref.sample_rate, clip)

    def _record(self, codec_name, metric_name, metric: Metric, clip: Clip, fp: str, result, summary: RunSummary) -> None:
        names = [o.name for o in metric.outputs]
        if isinstance(result, BaseException):
            values = {n: None for n in names}
            reason = _reason(result)
            summary.failed_scores += 1
        else:
            missing = [n for n in names if n not in result]
            values = {n: result.get(n) for n in names}
            reason = f"metric returned no value for {', '.join(missing)}" if missing else None
            if reason is None and any(v is None or (isinstance(v, float) and np.isnan(v)) for v in values.values()):
                reason = "metric returned NaN"
            summary.scored += 1
        self.store.add_scores(
            codec=codec_name, dataset=clip.dataset, clip_id=clip.clip_id, metric=metric_name,
            fingerprint=fp, provenance=metric.provenance(clip.domain), values=values, reason=reason,
            run_id=summary.run_id,
        )

    # -- all together -----------------------------------------------------------------------------
    def run(self, codecs: Sequence[Codec], metrics: dict[str, Metric], clips: Sequence[Clip], run_id: str | None = None) -> RunSummary:
        summary = RunSummary(run_id=run_id or uuid.uuid4().hex[:12])
        start = time.perf_counter()
        for codec in codecs:
            self.reconstruct_all(codec, clips, summary)
            for metric_name, metric in metrics.items():
                self.score_all(codec.name, metric_name, metric, clips, summary)
        summary.seconds = time.perf_counter() - start
        return summary


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]
