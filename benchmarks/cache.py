"""On-disk cache of reconstructions and codes, keyed by codec configuration and clip.

Layout: ``<root>/<codec-name>-<config hash>/<dataset>/<clip_id>.{wav,codes.npy,json}``. The hash
covers everything in `Codec.info()` (configuration, weights provenance, sample rate...), so a new
checkpoint or setting never reads stale audio. Files are written to a temporary name and renamed, so
a killed run leaves no half-written entry. Metrics can be recomputed from here without re-encoding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

__all__ = ["ReconstructionCache", "CachedReconstruction", "codec_cache_key"]


def codec_cache_key(codec_name: str, codec_info: dict[str, Any]) -> str:
    """``<safe codec name>-<12 hex digits of the configuration hash>``."""
    digest = hashlib.sha256(json.dumps(codec_info, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{_safe(codec_name)}-{digest}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]+", "_", name)


@dataclasses.dataclass
class CachedReconstruction:
    """A cached decoded clip: float32 ndarray[T] audio, its rate, optional codes ndarray[K x T'], metadata."""

    waveform: np.ndarray
    sample_rate: int
    codes: np.ndarray | None
    meta: dict[str, Any]
    audio_path: Path
    codes_path: Path | None


class ReconstructionCache:
    """Reconstructions of clips by codec configurations.

    Args:
        root: cache folder (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _base(self, codec_key: str, dataset: str, clip_id: str) -> Path:
        return self.root / codec_key / _safe(dataset) / _safe(clip_id)

    def load(self, codec_key: str, dataset: str, clip_id: str) -> CachedReconstruction | None:
        base = self._base(codec_key, dataset, clip_id)
        meta_path = base.with_suffix(".json")
        audio_path = base.with_suffix(".wav")
        if not (meta_path.is_file() and audio_path.is_file()):
            return None
        meta = json.loads(meta_path.read_text())
        waveform, sample_rate = sf.read(str(audio_path), dtype="float32")
        codes_path = base.with_suffix(".codes.npy")
        codes = np.load(codes_path, allow_pickle=False) if codes_path.is_file() else None
        return CachedReconstruction(waveform, sample_rate, codes, meta, audio_path, codes_path if codes is not None else None)

    def save(
        self,
        codec_key: str,
        dataset: str,
        clip_id: str,
        waveform: np.ndarray,
        sample_rate: int,
        codes: np.ndarray | None,
        meta: dict[str, Any],
    ) -> tuple[Path, Path | None]:
        """Write one entry atomically; the JSON (written last) marks it complete. Returns (audio, codes) paths."""
        base = self._base(codec_key, dataset, clip_id)
        base.parent.mkdir(parents=True, exist_ok=True)
        audio_path = base.with_suffix(".wav")
        _atomic(audio_path, lambda p: sf.write(p, np.asarray(waveform, np.float32), sample_rate, subtype="FLOAT", format="WAV"))
        codes_path = None
        if codes is not None:
            codes_path = base.with_suffix(".codes.npy")
            _atomic(codes_path, lambda p: np.save(p, np.asarray(codes), allow_pickle=False))
        _atomic(base.with_suffix(".json"), lambda p: Path(p).write_text(json.dumps(meta, default=str)))
        return audio_path, codes_path


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
