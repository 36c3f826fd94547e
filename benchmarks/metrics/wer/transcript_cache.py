"""Transcripts on disk, keyed by the audio's content and the transcriber's configuration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from baselines.files import atomic_write
from benchmarks.metrics.wer.base import user_cache_dir

__all__ = ["TranscriptCache"]


class TranscriptCache:
    """Transcripts on disk, keyed by audio content + transcriber configuration.

    Layout: ``<root>/<key[:2]>/<key>.json`` with the raw text and what produced it. The key is the
    sha256 of the float32 16 kHz samples and `Transcriber.identity()`, so a different model,
    checkpoint or decoding setting never reads a stale transcript. Writes are atomic (temp + rename).

    Args:
        root: cache folder; None = ``user_cache_dir()/transcripts``.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else user_cache_dir() / "transcripts"

    @staticmethod
    def key(waveform: np.ndarray, transcriber_id: str) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(waveform, dtype=np.float32).tobytes())
        digest.update(transcriber_id.encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["text"])
        except (ValueError, KeyError, OSError):
            return None  # a damaged entry is recomputed

    def put(self, key: str, text: str, meta: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"text": text, **meta}, ensure_ascii=False, sort_keys=True, default=str)
        atomic_write(path, record)
