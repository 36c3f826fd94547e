"""Reconstruct every clip with every codec, score every reconstruction, keep every result.

The runner is resumable at clip granularity: what the store already holds for the same codec
fingerprint (configuration + weight contents) and clip fingerprint (content + segment + rate) is
reused, what is missing is computed, and each finished unit is committed as soon as it comes back.
A clip that cannot be read, a codec that fails on a clip, or a metric that fails on a clip becomes
a recorded error with its reason; the run goes on, and the next run retries it (the store keeps the
history of attempts). Cached audio is verified against its recorded checksum before it is used.

The units themselves (`benchmarks.units`) run in this process or in worker processes
(`benchmarks.pool`); this process alone plans them and writes the store.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tqdm.auto import tqdm

from baselines.audio_io import MAX_DURATION_S, LoadedAudio
from baselines.base import Codec
from benchmarks.cache import ReconstructionCache
from benchmarks.datasets.base import Clip
from benchmarks.fingerprint import FileHasher, clip_fingerprint, codec_fingerprint, digest
from benchmarks.metrics.base import Metric
from benchmarks.pool import InlineWork, Recipe, References, WorkerContext, WorkerLost
from benchmarks.progress import OverallProgress
from benchmarks.store import ResultStore
from benchmarks.units import Failure, reason, reconstruct_unit, score_units

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
        skipped: units missing from the store and not computed (``reuse_only``).
        codec_fingerprints: codec name -> fingerprint used by this run.
    """

    run_id: str
    reconstructed: int = 0
    cache_hits: int = 0
    reused: int = 0
    failed_clips: int = 0
    scored: int = 0
    failed_scores: int = 0
    skipped: int = 0
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
        work: where units run (`benchmarks.pool.PoolWork`); None runs them in this process.
        codec_recipes / metric_recipes: name -> (target, kwargs) a worker builds the codec or metric from;
            without one, a worker gets the object itself (pickled), and an object whose class a worker
            cannot import runs in this process.
        reuse_only: compute nothing; only mark what the store holds as used (the merge of shards).
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
        work: Any = None,
        codec_recipes: Mapping[str, tuple[str, dict[str, Any]]] | None = None,
        metric_recipes: Mapping[str, tuple[str, dict[str, Any]]] | None = None,
        reuse_only: bool = False,
    ) -> None:
        self.store = store
        self.cache = cache
        self.sample_rate = sample_rate
        self.metric_batch_size = metric_batch_size
        self.progress = progress
        self.max_duration_s = max_duration_s
        self.hasher = hasher or FileHasher(cache.root / HASH_MEMO_NAME)
        self.references = References(sample_rate, max_duration_s)
        self.inline = InlineWork(WorkerContext(self.references))
        self.work = work or self.inline
        self.codec_recipes = dict(codec_recipes or {})
        self.metric_recipes = dict(metric_recipes or {})
        self.reuse_only = reuse_only
        self.overall = OverallProgress(enabled=False)
        self._clip_fp: dict[tuple[str, ...], str] = {}
        self._codec_fp: dict[str, str] = {}
        self._metric_fp: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    # -- inputs ---------------------------------------------------------------------------------
    def reference(self, clip: Clip) -> LoadedAudio:
        """The clip at the evaluation rate (memoised); raises AudioInputError for unusable files."""
        return self.references.get(clip)

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

    def _metric_fingerprint(self, metric: Metric, domain: str) -> tuple[str, dict[str, Any]]:
        """(fingerprint, provenance) of `metric` on `domain`, computed once per run (not once per clip)."""
        key = (str(id(metric)), domain)
        if key not in self._metric_fp:
            self._metric_fp[key] = (metric.fingerprint(domain), metric.provenance(domain))
        return self._metric_fp[key]

    @staticmethod
    def _cached_files_present(rec: dict[str, Any]) -> str | None:
        """None if the row's cached audio and codes files exist with their recorded lengths, else why not.

        A cheap check (no reading) made on every reuse; the full checksum is verified whenever the
        audio is read for scoring, where a mismatch sends the clip back for reconstruction.
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

    # -- where units run ----------------------------------------------------------------------------
    def _handle(self, obj: Any, key: str, recipes: Mapping[str, tuple[str, dict[str, Any]]], name: str) -> tuple[Any, Any]:
        """(work runner, handle) for a codec or metric: a `Recipe` for the pool, the object itself in this process."""
        if self.work is self.inline:
            return self.inline, obj
        recipe = recipes.get(name)
        if recipe is not None and _importable(recipe[0]):
            family = getattr(obj, "family", "") if isinstance(obj, Codec) else ""
            return self.work, Recipe(key, recipe[0], dict(recipe[1]), name if isinstance(obj, Codec) else "", family)
        if _importable(type(obj)):
            return self.work, Recipe(key, instance=obj)
        return self.inline, obj  # e.g. a class defined in a script: a worker could not import it

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
        self.overall.advance(len(reused))
        if self.reuse_only:
            summary.skipped += len(todo)
            return
        work, handle = self._handle(codec, codec_fp, self.codec_recipes, codec.name)
        calls = []
        for clip, clip_fp, problem in todo:
            row: dict[str, Any] = {
                "codec": codec.name, "dataset": clip.dataset, "clip_id": clip.clip_id, "codec_fingerprint": codec_fp,
                "clip_fingerprint": clip_fp, "input_fingerprint": self.clip_fingerprint(clip), "domain": clip.domain,
                "nominal_bitrate_kbps": codec.nominal_bitrate_kbps, "codec_info_json": fingerprint.info,
                "weights_json": fingerprint.weight_sha256, "run_id": summary.run_id,
            }
            entry = self.cache.entry(codec.name, codec_fp, clip.dataset, clip.clip_id, clip_fp)
            calls.append(((row, problem), reconstruct_unit, (handle, clip, self.cache, entry)))
        bar = self._bar(len(todo), f"reconstruct {codec.name}")
        for (row, problem), outcome in work.run(calls):
            if isinstance(outcome, WorkerLost):
                row.update(status="error", error=f"WorkerLost: {outcome.reason}")
            else:
                fields = dict(outcome.fields)
                notes = list(fields.pop("notes", []))
                if problem:
                    notes.append(f"earlier cached audio failed verification ({problem}); reconstructed again")
                row.update(fields)
                row["notes"] = notes + list(row.pop("cached_notes", []) or [])
                row["source"] = outcome.source
                row["seconds"] = outcome.seconds
            if row["status"] == "ok":
                summary.reconstructed += row["source"] == "computed"
                summary.cache_hits += row["source"] == "cache"
            else:
                summary.failed_clips += 1
            self.store.add_reconstruction(**row)
            bar.update(1)
            self.overall.advance(1, computed=True)
        bar.close()

    def _record_unhashable(self, codec: Codec, clips: Sequence[Clip], exc: OSError, summary: RunSummary) -> None:
        error = f"cannot hash the codec's weight files: {reason(exc)}"
        log.error("%s: %s", codec.name, error)
        codec_fp = digest({"info": codec.info(), "weights_error": error})
        for clip in clips:
            self.store.add_reconstruction(
                codec=codec.name, dataset=clip.dataset, clip_id=clip.clip_id, codec_fingerprint=codec_fp,
                clip_fingerprint=self.clip_fingerprint(clip), domain=clip.domain, status="error", error=error,
                nominal_bitrate_kbps=codec.nominal_bitrate_kbps, codec_info_json=codec.info(), run_id=summary.run_id,
            )
            summary.failed_clips += 1
        self.overall.advance(len(clips))

    # -- scoring ----------------------------------------------------------------------------------
    def score_all(self, codec_name: str, metric_name: str, metric: Metric, clips: Sequence[Clip], summary: RunSummary) -> None:
        """Score every successful reconstruction of `codec_name` (as last reconstructed by this runner)
        with `metric`: outputs missing for these fingerprints, and outputs whose metric failed before."""
        codec_fp = self._codec_fp.get(codec_name)
        if codec_fp is None:  # never reconstructed by this runner (or its weights could not be fingerprinted)
            self.overall.advance(len(clips))
            return
        wanted = {o.name for o in metric.outputs}
        todo: list[tuple[Clip, _Unit, dict[str, Any]]] = []
        for clip in clips:
            if not metric.applies_to(clip):
                continue
            clip_fp = self._clip_fp.get((codec_name, clip.dataset, clip.clip_id)) or self.clip_fingerprint(clip)
            unit = _Unit(codec_name, codec_fp, clip_fp, self._metric_fingerprint(metric, clip.domain)[0])
            if wanted <= self.store.scored_outputs(codec_name, clip.dataset, clip.clip_id, *unit.key):
                continue
            rec = self.store.get_reconstruction(codec_name, clip.dataset, clip.clip_id, codec_fp, unit.clip_fp)
            if rec is None or rec["status"] != "ok":
                continue
            todo.append((clip, unit, rec))
        self.overall.advance(len(clips) - len(todo))
        if self.reuse_only:
            summary.skipped += len(todo)
            return
        work, handle = self._handle(metric, digest({"metric": metric_name, "recipe": self.metric_recipes.get(metric_name)}),
                                    self.metric_recipes, metric_name)
        chunks = [todo[i : i + self.metric_batch_size] for i in range(0, len(todo), self.metric_batch_size)]
        calls = [(chunk, score_units, (handle, [(c, r["audio_path"], r.get("audio_sha256"), r.get("audio_bytes"))
                                                for c, _, r in chunk])) for chunk in chunks]
        bar = self._bar(len(todo), f"{metric_name} {codec_name}")
        for chunk, outcomes in work.run(calls):
            if isinstance(outcomes, WorkerLost):
                outcomes = [_lost(outcomes)] * len(chunk)
            for (clip, unit, rec), outcome in zip(chunk, outcomes):
                if outcome.corrupt is not None:
                    # Not the metric's failure: the audio is not what was reconstructed. Send the clip
                    # back for reconstruction (the next run retries it) instead of scoring anything.
                    log.warning("%s on %s/%s: %s", codec_name, clip.dataset, clip.clip_id, outcome.corrupt)
                    self.store.add_reconstruction(**{
                        **rec, "status": "error", "error": f"CacheCorrupt: {outcome.corrupt}", "created_at": None,
                        "run_id": summary.run_id, "used_run_id": summary.run_id,
                    })
                    summary.failed_clips += 1
                else:
                    self._record(metric_name, metric, clip, unit, outcome.result, outcome.seconds, summary)
            bar.update(len(chunk))
            self.overall.advance(len(chunk), computed=True)
        bar.close()

    def _record(self, metric_name: str, metric: Metric, clip: Clip, unit: _Unit, result: Any, seconds: float,
                summary: RunSummary) -> None:
        names = [o.name for o in metric.outputs]
        failed = isinstance(result, Failure)
        if failed:
            values = {n: None for n in names}
            why = result.reason
            summary.failed_scores += 1
        else:
            missing = [n for n in names if n not in result]
            values = {n: result.get(n) for n in names}
            why = f"metric returned no value for {', '.join(missing)}" if missing else None
            if why is None and any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values.values()):
                why = "metric returned NaN"
            summary.scored += 1
        self.store.add_scores(
            codec=unit.codec, dataset=clip.dataset, clip_id=clip.clip_id, codec_fingerprint=unit.codec_fp,
            clip_fingerprint=unit.clip_fp, metric=metric_name, fingerprint=unit.metric_fp,
            provenance=self._metric_fingerprint(metric, clip.domain)[1], values=values, reason=why, failed=failed,
            run_id=summary.run_id, seconds=seconds,
        )

    def _bar(self, total: int, desc: str) -> Any:
        return tqdm(total=total, desc=desc, disable=not self.progress or not total or not sys.stderr.isatty(),
                    leave=False, position=1 if self.overall.enabled else None)

    # -- all together -----------------------------------------------------------------------------
    def run(self, codecs: Sequence[Codec], metrics: dict[str, Metric], clips: Sequence[Clip], run_id: str | None = None,
            plan: Mapping[str, Sequence[Clip]] | None = None) -> RunSummary:
        """Reconstruct and score; `plan` (codec name -> clips) restricts each codec to some clips (a shard)."""
        summary = RunSummary(run_id=run_id or uuid.uuid4().hex[:12])
        start = time.perf_counter()
        selected = [(codec, list(plan.get(codec.name, [])) if plan is not None else list(clips)) for codec in codecs]
        selected = [(codec, mine) for codec, mine in selected if mine]
        self.overall = OverallProgress(enabled=self.progress, codecs=len(selected),
                                       units_per_clip=1 + len(metrics), clips=sum(len(m) for _, m in selected))
        try:
            for codec, mine in selected:
                self.overall.start_codec(codec.name, len(mine))
                self.reconstruct_all(codec, mine, summary)
                for metric_name, metric in metrics.items():
                    self.score_all(codec.name, metric_name, metric, mine, summary)
                self.overall.finish_codec()
        except BaseException:
            self.work.close(abort=True)
            raise
        finally:
            self.overall.close()
        self.work.close()
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


def _lost(lost: WorkerLost) -> Any:
    from benchmarks.units import ScoreOutcome

    return ScoreOutcome(result=Failure(f"WorkerLost: {lost.reason}"))


def _importable(target: Any) -> bool:
    """Whether a worker process can import `target` (a class, or an import string ``module:Name``)."""
    module_name = target.__module__ if isinstance(target, type) else str(target).replace(":", ".").rsplit(".", 1)[0]
    module = sys.modules.get(module_name)
    if module is None:
        import importlib.util

        try:
            return importlib.util.find_spec(module_name) is not None
        except (ImportError, ValueError):
            return False
    return module_name != "__main__" and getattr(module, "__spec__", None) is not None
