"""Clip features of a probe task: a codec's representation, or a reference extractor's features of the
original clips or of a system's reconstructions. Every vector goes through the `FeatureCache`.

A clip that cannot be read or encoded gives a NaN row and an error message; the caller reports the
task as failed for that system (and the next run retries, since errors are not cached).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from baselines.audio_io import load_audio
from baselines.representation import represent_layers, supports_representation
from baselines.system import ClipAudio
from benchmarks.fingerprint import FileHasher, digest
from benchmarks.probe.feature_cache import FeatureCache, FeatureKey
from benchmarks.probe.task import ProbeClip

__all__ = [
    "POOLINGS",
    "ClipFeatures",
    "ReferenceExtractor",
    "codec_features",
    "probe_clip_fingerprint",
    "reconstruction_features",
    "reference_features",
    "reference_fingerprint",
]

#: Clip feature extractor: (waveform float32 ndarray[T], sample_rate) -> float ndarray[D].
ReferenceExtractor = Callable[[np.ndarray, int], np.ndarray]


def _mean_pool(frames: torch.Tensor) -> np.ndarray:
    """Tensor[D x T'] -> float32 ndarray[D] (mean over time)."""
    return frames.float().mean(dim=-1).cpu().numpy().astype(np.float32)


#: Pooling name -> (Tensor[D x T'] -> ndarray[D]).
POOLINGS: dict[str, Callable[[torch.Tensor], np.ndarray]] = {"mean": _mean_pool}


@dataclasses.dataclass
class ClipFeatures:
    """Features of a task's clips from one source.

    Attributes:
        matrix: float32 ndarray[N x D]; rows of failed clips are NaN.
        errors: clip id -> reason, for the failed clips.
        computed: vectors computed now (the rest came from the cache).
    """

    matrix: np.ndarray
    errors: dict[str, str]
    computed: int = 0

    def first_error(self) -> str:
        clip_id, reason = next(iter(self.errors.items()))
        return f"{len(self.errors)} clip(s) failed, e.g. {clip_id}: {reason}"


def probe_clip_fingerprint(clip: ProbeClip, sample_rate: int, hasher: FileHasher) -> str:
    """Digest of the clip's file content and the rate it is read at (raises OSError if unreadable)."""
    return digest({"sha256": hasher.sha256(clip.path), "sample_rate": int(sample_rate)})


def reference_fingerprint(name: str, extractor: Any) -> str:
    """Identity of a reference extractor: its name plus what it declares about itself.

    An extractor may carry a ``fingerprint`` (string, or method returning one) or an ``info()`` dict
    naming its model and weights; otherwise its qualified name stands for it.
    """
    declared = getattr(extractor, "fingerprint", None)
    if callable(declared):
        declared = declared()
    info = getattr(extractor, "info", None)
    if callable(info):
        info = info()
    qualname = f"{getattr(extractor, '__module__', '')}.{getattr(extractor, '__qualname__', type(extractor).__qualname__)}"
    return digest({"reference": name, "declared": declared, "info": info, "callable": qualname})


def _read(clip: ProbeClip, sample_rate: int) -> np.ndarray:
    return load_audio(clip.path, sample_rate=sample_rate, min_duration_s=0.0).waveform


def _collect(
    clips: Sequence[ProbeClip], clip_fps: Sequence[str | None], cache: FeatureCache, source_fp: str, layers: str,
    pooling: str, source: str, compute: Callable[[ProbeClip], np.ndarray],
) -> ClipFeatures:
    rows: list[np.ndarray | None] = []
    errors: dict[str, str] = {}
    computed = 0
    for clip, clip_fp in zip(clips, clip_fps):
        if clip_fp is None:
            errors[clip.clip_id] = f"cannot read {clip.path}"
            rows.append(None)
            continue
        key = FeatureKey(source_fp, clip_fp, layers, pooling)
        vector = cache.get(key)
        if vector is None:
            try:
                vector = np.asarray(compute(clip), dtype=np.float32).reshape(-1)
                cache.put(key, vector, source=source, clip_id=clip.clip_id)
                computed += 1
            except Exception as exc:  # noqa: BLE001 - a per-clip failure is reported, the others go on
                errors[clip.clip_id] = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
                vector = None
        rows.append(vector)
    dims = {len(r) for r in rows if r is not None}
    if len(dims) > 1:
        raise RuntimeError(f"{source}: clip vectors of different sizes {sorted(dims)}")
    dim = dims.pop() if dims else 0
    matrix = np.full((len(clips), dim), np.nan, dtype=np.float32)
    for index, row in enumerate(rows):
        if row is not None:
            matrix[index] = row
    return ClipFeatures(matrix, errors, computed)


def codec_features(
    codec: Any, codec_fp: str, clips: Sequence[ProbeClip], clip_fps: Sequence[str | None], layers: Sequence[str],
    pooling: str, sample_rate: int, cache: FeatureCache,
) -> dict[str, ClipFeatures]:
    """Pooled representation of every clip for each layer set (clips read at `sample_rate`, mono).

    A clip missing from the cache for any layer set is encoded once for all of them
    (`baselines.representation.represent_layers`).
    """
    if not supports_representation(codec):
        raise TypeError(f"{getattr(codec, 'name', codec)} has no representation (not applicable)")
    pool = POOLINGS[pooling]
    layers = list(layers)
    pending: dict[str, dict[str, np.ndarray]] = {}

    def compute_for(layer: str) -> Callable[[ProbeClip], np.ndarray]:
        def compute(clip: ProbeClip) -> np.ndarray:
            if clip.clip_id not in pending:
                waveform = torch.from_numpy(_read(clip, sample_rate))[None, None]
                frames = represent_layers(codec, waveform, sample_rate, layers)
                pending[clip.clip_id] = {name: pool(value[0]) for name, value in frames.items()}
            return pending[clip.clip_id][layer]
        return compute

    name = getattr(codec, "name", "codec")
    return {layer: _collect(clips, clip_fps, cache, codec_fp, layer, pooling, name, compute_for(layer))
            for layer in layers}


def reference_features(
    name: str, extractor: ReferenceExtractor, clips: Sequence[ProbeClip], clip_fps: Sequence[str | None],
    sample_rate: int, cache: FeatureCache,
) -> ClipFeatures:
    """`extractor` features of the original clips."""
    source_fp = reference_fingerprint(name, extractor)

    def compute(clip: ProbeClip) -> np.ndarray:
        return extractor(_read(clip, sample_rate), sample_rate)

    return _collect(clips, clip_fps, cache, source_fp, "reference", "clip", f"reference {name}", compute)


def reconstruction_features(
    name: str, extractor: ReferenceExtractor, codec: Any, codec_fp: str, clips: Sequence[ProbeClip],
    clip_fps: Sequence[str | None], sample_rate: int, cache: FeatureCache, hasher: FileHasher,
    rows: Sequence[int] | None = None,
) -> ClipFeatures:
    """`extractor` features of `codec.reconstruct` of each clip (only `rows`, if given; others NaN).

    The key includes the codec's fingerprint and, for systems that replay stored outputs, the content
    of the stored file (`Codec.clip_files`), so a replaced output is re-read.
    """
    source_fp = digest({"reference": reference_fingerprint(name, extractor), "reconstructed_by": codec_fp})
    wanted = set(range(len(clips))) if rows is None else set(rows)
    keyed: list[str | None] = []
    for index, (clip, clip_fp) in enumerate(zip(clips, clip_fps)):
        if index not in wanted or clip_fp is None:
            keyed.append(None)
            continue
        try:
            stored = [hasher.sha256(p) for p in codec.clip_files(clip.clip_id)]
        except Exception as exc:  # noqa: BLE001 - a missing stored output is the reconstruction's error
            stored = [f"missing: {type(exc).__name__}"]
        keyed.append(digest({"clip": clip_fp, "clip_files": stored}) if stored else clip_fp)

    def compute(clip: ProbeClip) -> np.ndarray:
        original = torch.from_numpy(_read(clip, sample_rate))
        reconstruction = codec.reconstruct(ClipAudio(clip.clip_id, original, sample_rate))
        waveform = reconstruction.waveform.detach().cpu().numpy().astype(np.float32)
        if not np.isfinite(waveform).all():
            raise RuntimeError("reconstruction has NaN/Inf samples")
        return extractor(waveform, reconstruction.sample_rate)

    picked = [c for i, c in enumerate(clips) if i in wanted]
    picked_fps = [fp for i, fp in enumerate(keyed) if i in wanted]
    found = _collect(picked, picked_fps, cache, source_fp, "reference", "clip",
                     f"reference {name} of {getattr(codec, 'name', 'codec')}", compute)
    matrix = np.full((len(clips), found.matrix.shape[1]), np.nan, dtype=np.float32)
    matrix[sorted(wanted)] = found.matrix
    return ClipFeatures(matrix, found.errors, found.computed)
