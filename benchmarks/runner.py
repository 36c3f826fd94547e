"""Reconstruct every clip with every codec, score every reconstruction, keep every result.

The runner is resumable at clip granularity: what the store already holds for the same codec
fingerprint (configuration + weight contents) and clip fingerprint (content + segment + rate) is
reused, what is missing is computed, and each finished unit is committed before the next starts.
A clip that cannot be read, a codec that fails on a clip, or a metric that fails on a clip becomes
a recorded error with its reason; the run goes on, and the next run retries it (the store keeps the
history of attempts). Cached audio is verified against its recorded checksum before it is used.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import traceback
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from baselines.audio_io import MAX_DURATION_S, AudioInputError, LoadedAudio, load_clip_audio
from baselines.base import ClipAudio, Codec
from benchmarks.cache import (
    CacheCorrupt,
    CachedReconstruction,
    CacheEntry,
    ReconstructionCache,
    read_audio_verified,
)
from benchmarks.datasets.base import Clip
from benchmarks.fingerprint import FileHasher, clip_fingerprint, codec_fingerprint, digest
from benchmarks.metrics.base import Metric, ScoreItem
from benchmarks.store import ResultStore, StoreError

__all__ = ["HASH_MEMO_NAME", "RunSummary", "Runner"]

log = logging.getLogger(__name__)

#: File (inside the cache folder) remembering file hashes between runs.
HASH_MEMO_NAME = "file_hashes.sqlite"


@dataclasses.dataclass
class RunSummary:
    """Counts of one run.

    Attributes:
        reconstructed: clips encoded and decoded by this run.
        cache_hits: reconstructions read (verified) from the cache instead of being recomputed.
        reused: reconstructions already in the store for the same fingerprints.
        failed_clips: reconstructions that failed in this run.
        scored / failed_scores: metric results computed by this run / metrics that raised.
        codec_fingerprints: codec name -> fingerprint used by this run.
    """

    run_id: str
    reconstructed: int = 0
    cache_hits: int = 0
    reused: int = 0
    failed_clips: int = 0
    scored: int = 0
    failed_scores: int = 0
    seconds: float = 0.0
    codec_fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)


class Runner:
    """Drives codecs and metrics over clips, writing to a `ResultStore`.

    Args:
        store: where per-clip results go.
        cache: where reconstructions and codes go.
        sample_rate: evaluation rate in Hz; clips are read at this rate and scored at it.
        metric_batch_size: clips handed to `Metric.score_batch` at once.
        progress: show progress bars.
        hasher: file hasher for fingerprints (default: memo file `HASH_MEMO_NAME` in the cache folder).
        max_duration_s: longest clip read, in seconds as declared by the file's header (checked before
            decoding); a longer clip is a per-clip error.
    """

    def __init__(
        self,
        store: ResultStore,
        cache: ReconstructionCache,
        sample_rate: int = 16_000,
        metric_batch_size: int = 8,
        progress: bool = True,
        hasher: FileHasher | None = None,
        max_duration_s: float = MAX_DURATION_S,
    ) -> None:
        self.store = store
        self.cache = cache
        self.sample_rate = sample_rate
        self.metric_batch_size = metric_batch_size
        self.progress = progress
        self.max_duration_s = max_duration_s
        self.hasher = hasher or FileHasher(cache.root / HASH_MEMO_NAME)
        self._audio: dict[str, LoadedAudio | AudioInputError] = {}
        self._clip_fp: dict[tuple[str, ...], str] = {}
        self._codec_fp: dict[str, str] = {}

    # -- inputs ---------------------------------------------------------------------------------
    def reference(self, clip: Clip) -> LoadedAudio:
        """The clip at the evaluation rate (memoised); raises AudioInputError for unusable files."""
        key = f"{clip.dataset}/{clip.clip_id}"
        if key not in self._audio:
            try:
                self._audio[key] = load_clip_audio(clip, self.sample_rate, self.max_duration_s)
            except AudioInputError as exc:
                self._audio[key] = exc
        found = self._audio[key]
        if isinstance(found, AudioInputError):
            raise found
        return found

    def clip_fingerprint(self, clip: Clip) -> str:
        """Fingerprint of the clip's audio as given to codecs (memoised for this runner)."""
        key = (clip.dataset, clip.clip_id)
        if key not in self._clip_fp:
            self._clip_fp[key] = clip_fingerprint(clip, self.sample_rate, self.hasher)
        return self._clip_fp[key]

    def _clip_fingerprint_for(self, codec: Codec, clip: Clip) -> str:
        """The clip's fingerprint, extended by the content of files the codec reads for it (`Codec.clip_files`)."""
        base = self.clip_fingerprint(clip)
        try:
            files = list(codec.clip_files(clip.clip_id))
        except Exception as exc:  # noqa: BLE001 - a missing stored output is the reconstruction's error to report
            log.debug("%s: no clip files for %s: %s", codec.name, clip.clip_id, exc)
            files = []
        if not files:
            self._clip_fp[(codec.name, clip.dataset, clip.clip_id)] = base
            return base
        hashes = []
        for path in files:
            try:
                hashes.append(self.hasher.sha256(path))
            except OSError as exc:
                hashes.append(f"unreadable: {type(exc).__name__}")
        extended = digest({"clip": base, "clip_files": hashes})
        self._clip_fp[(codec.name, clip.dataset, clip.clip_id)] = extended
        return extended

    @staticmethod
    def _cached_files_present(rec: dict[str, Any]) -> str | None:
        """None if the row's cached audio and codes files exist with their recorded lengths, else why not.

        A cheap check (no reading) made on every reuse; the full checksum is verified whenever the
        audio is read for scoring (`_score_item`), where a mismatch sends the clip back for reconstruction.
        """
        for path, num_bytes in ((rec["audio_path"], rec.get("audio_bytes")), (rec.get("codes_path"), rec.get("codes_bytes"))):
            if not path:
                continue
            try:
                size = os.stat(path).st_size
            except OSError as exc:
                return f"cached file {path} cannot be read: {exc.strerror or exc}"
            if num_bytes is not None and size != int(num_bytes):
                return f"cached file {path} has {size} bytes, {num_bytes} were written (truncated or altered)"
        return None

    # -- reconstruction -------------------------------------------------------------------------
    def reconstruct_all(self, codec: Codec, clips: Sequence[Clip], summary: RunSummary) -> None:
        """Make (or find) the reconstruction of every clip by `codec`, for its current fingerprints."""
        try:
            fingerprint = codec_fingerprint(codec, self.hasher)
        except OSError as exc:
            # Weights that cannot be read cannot be vouched for: nothing of this codec is computed or
            # reused; every clip gets an error row (current for this run, retried by the next one).
            self._record_unhashable(codec, clips, exc, summary)
            return
        codec_fp = fingerprint.digest
        self._codec_fp[codec.name] = codec_fp
        summary.codec_fingerprints[codec.name] = codec_fp
        todo: list[tuple[Clip, str, str | None]] = []
        reused: list[tuple[str, str, str, str, str]] = []
        for clip in clips:
            clip_fp = self._clip_fingerprint_for(codec, clip)
            rec = self.store.get_reconstruction(codec.name, clip.dataset, clip.clip_id, codec_fp, clip_fp)
            problem = None
            if rec is not None and rec["status"] == "ok":
                problem = self._cached_files_present(rec)
                if problem is None:
                    reused.append((codec.name, clip.dataset, clip.clip_id, codec_fp, clip_fp))
                    continue
                log.warning("%s on %s/%s: %s; reconstructing again", codec.name, clip.dataset, clip.clip_id, problem)
            todo.append((clip, clip_fp, problem))
        self.store.mark_used(reused, summary.run_id)
        summary.reused += len(reused)
        for clip, clip_fp, problem in tqdm(todo, desc=f"reconstruct {codec.name}", disable=not self.progress or not todo,
                                           leave=False):
            row: dict[str, Any] = {
                "codec": codec.name, "dataset": clip.dataset, "clip_id": clip.clip_id, "codec_fingerprint": codec_fp,
                "clip_fingerprint": clip_fp, "input_fingerprint": self.clip_fingerprint(clip), "domain": clip.domain, "nominal_bitrate_kbps": codec.nominal_bitrate_kbps,
                "codec_info_json": fingerprint.info, "weights_json": fingerprint.weight_sha256,
                "run_id": summary.run_id,
            }
            start = time.perf_counter()
            try:
                ref = self.reference(clip)
                row["duration_s"] = len(ref.waveform) / ref.sample_rate
                notes = list(ref.notes)
                if problem:
                    notes.append(f"earlier cached audio failed verification ({problem}); reconstructed again")
                row["notes"] = notes
                entry = self.cache.entry(codec.name, codec_fp, clip.dataset, clip.clip_id, clip_fp)
                cached = self.cache.load(entry)
                if cached is None:
                    cached = self._reconstruct(codec, clip, ref, entry)
                    row["source"] = "computed"
                    summary.reconstructed += 1
                else:
                    row["source"] = "cache"
                    summary.cache_hits += 1
                row["notes"] = notes + list(cached.meta.get("notes") or [])
                row.update(
                    status="ok", measured_bitrate_kbps=cached.meta.get("measured_bitrate_kbps"),
                    audio_path=str(cached.audio_path), audio_sha256=cached.audio_sha256,
                    audio_bytes=cached.audio_bytes,
                    codes_path=str(cached.codes_path) if cached.codes_path else None,
                    codes_sha256=(cached.meta["files"].get("codes") or {}).get("sha256"),
                    codes_bytes=(cached.meta["files"].get("codes") or {}).get("bytes"),
                )
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is recorded per clip
                row.update(status="error", error=_reason(exc))
                summary.failed_clips += 1
                log.debug("reconstruction failed: %s", traceback.format_exc())
            row["seconds"] = time.perf_counter() - start
            self.store.add_reconstruction(**row)

    def _record_unhashable(self, codec: Codec, clips: Sequence[Clip], exc: OSError, summary: RunSummary) -> None:
        error = f"cannot hash the codec's weight files: {_reason(exc)}"
        log.error("%s: %s", codec.name, error)
        codec_fp = digest({"info": codec.info(), "weights_error": error})
        for clip in clips:
            self.store.add_reconstruction(
                codec=codec.name, dataset=clip.dataset, clip_id=clip.clip_id, codec_fingerprint=codec_fp,
                clip_fingerprint=self.clip_fingerprint(clip), domain=clip.domain, status="error", error=error,
                nominal_bitrate_kbps=codec.nominal_bitrate_kbps, codec_info_json=codec.info(), run_id=summary.run_id,
            )
            summary.failed_clips += 1

    def _reconstruct(self, codec: Codec, clip: Clip, ref: LoadedAudio, entry: CacheEntry) -> CachedReconstruction:
        recon = codec.reconstruct(ClipAudio(clip.clip_id, torch.from_numpy(ref.waveform), ref.sample_rate))
        waveform = recon.waveform.detach().cpu().numpy().astype(np.float32)
        if not np.isfinite(waveform).all():
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
        return self.cache.save(entry, waveform, recon.sample_rate, codes, meta)

    # -- scoring ----------------------------------------------------------------------------------
    def score_all(self, codec_name: str, metric_name: str, metric: Metric, clips: Sequence[Clip], summary: RunSummary) -> None:
        """Score every successful reconstruction of `codec_name` (as last reconstructed by this runner)
        with `metric`: outputs missing for these fingerprints, and outputs whose metric failed before."""
        codec_fp = self._codec_fp.get(codec_name)
        if codec_fp is None:  # never reconstructed by this runner (or its weights could not be fingerprinted)
            return
        wanted = {o.name for o in metric.outputs}
        todo: list[tuple[Clip, _Unit, dict[str, Any]]] = []
        for clip in clips:
            if not metric.applies_to(clip):
                continue
            clip_fp = self._clip_fp.get((codec_name, clip.dataset, clip.clip_id)) or self.clip_fingerprint(clip)
            unit = _Unit(codec_name, codec_fp, clip_fp, metric.fingerprint(clip.domain))
            if wanted <= self.store.scored_outputs(codec_name, clip.dataset, clip.clip_id, *unit.key):
                continue
            rec = self.store.get_reconstruction(codec_name, clip.dataset, clip.clip_id, codec_fp, unit.clip_fp)
            if rec is None or rec["status"] != "ok":
                continue
            todo.append((clip, unit, rec))
        bar = tqdm(total=len(todo), desc=f"{metric_name} {codec_name}", disable=not self.progress or not todo, leave=False)
        for start in range(0, len(todo), self.metric_batch_size):
            chunk = todo[start : start + self.metric_batch_size]
            items, ready = [], []
            for clip, unit, rec in chunk:
                try:
                    items.append(self._score_item(clip, rec))
                    ready.append((clip, unit))
                except CacheCorrupt as exc:
                    # Not the metric's failure: the audio is not what was reconstructed. Send the clip
                    # back for reconstruction (the next run retries it) instead of scoring anything.
                    log.warning("%s on %s/%s: %s", codec_name, clip.dataset, clip.clip_id, exc)
                    self.store.add_reconstruction(**{
                        **rec, "status": "error", "error": f"CacheCorrupt: {exc}", "created_at": None,
                        "run_id": summary.run_id, "used_run_id": summary.run_id,
                    })
                    summary.failed_clips += 1
                except Exception as exc:  # noqa: BLE001
                    self._record(metric_name, metric, clip, unit, exc, summary)
            results = metric.score_batch(items) if items else []
            for (clip, unit), result in zip(ready, results):
                self._record(metric_name, metric, clip, unit, result, summary)
            bar.update(len(chunk))
        bar.close()

    def _score_item(self, clip: Clip, rec: dict[str, Any]) -> ScoreItem:
        """Reference and verified cached reconstruction of `clip`, cropped to their common length."""
        ref = self.reference(clip)
        estimate, sample_rate = read_audio_verified(rec["audio_path"], rec.get("audio_sha256"), rec.get("audio_bytes"))
        if sample_rate != ref.sample_rate:
            raise RuntimeError(f"reconstruction at {sample_rate} Hz, reference at {ref.sample_rate} Hz")
        n = min(len(ref.waveform), len(estimate))
        return ScoreItem(ref.waveform[:n], estimate[:n], ref.sample_rate, clip)

    def _record(self, metric_name: str, metric: Metric, clip: Clip, unit: _Unit, result, summary: RunSummary) -> None:
        names = [o.name for o in metric.outputs]
        failed = isinstance(result, BaseException)
        if failed:
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
            codec=unit.codec, dataset=clip.dataset, clip_id=clip.clip_id, codec_fingerprint=unit.codec_fp,
            clip_fingerprint=unit.clip_fp, metric=metric_name, fingerprint=unit.metric_fp,
            provenance=metric.provenance(clip.domain), values=values, reason=reason, failed=failed,
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


@dataclasses.dataclass(frozen=True)
class _Unit:
    """What one score belongs to: codec name and fingerprint, clip fingerprint, metric fingerprint."""

    codec: str
    codec_fp: str
    clip_fp: str
    metric_fp: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.codec_fp, self.clip_fp, self.metric_fp)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]
