"""Clip features cached on disk, so a second probe run retrains without re-encoding anything.

One SQLite file (normally ``<cache_dir>/probe_features.sqlite``) maps
(source fingerprint, clip fingerprint, layers, pooling) -> float32 vector. The source fingerprint
is the codec's (`benchmarks.fingerprint.codec_fingerprint`: configuration and weight contents) for
codec representations, or the reference extractor's (combined with the reconstructing system's for
reconstruction survival); the clip fingerprint covers the clip file's content and the rate it was
read at. Each vector is written in its own transaction; a killed run loses at most the one in flight.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path

import numpy as np

__all__ = ["FeatureCache", "FeatureKey"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS features (
    source_fingerprint TEXT NOT NULL,
    clip_fingerprint TEXT NOT NULL,
    layers TEXT NOT NULL,
    pooling TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    source TEXT,
    clip_id TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (source_fingerprint, clip_fingerprint, layers, pooling)
);
"""


@dataclasses.dataclass(frozen=True)
class FeatureKey:
    """What one cached clip vector belongs to."""

    source_fingerprint: str
    clip_fingerprint: str
    layers: str
    pooling: str

    def as_tuple(self) -> tuple[str, str, str, str]:
        return (self.source_fingerprint, self.clip_fingerprint, self.layers, self.pooling)


class FeatureCache:
    """SQLite-backed store of clip vectors.

    Args:
        path: the database file (created with its folder); None keeps vectors in memory only.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        target = ":memory:"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path)
        self._db = sqlite3.connect(target, timeout=60.0)
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def get(self, key: FeatureKey) -> np.ndarray | None:
        """The cached float32 ndarray[D], or None."""
        row = self._db.execute(
            "SELECT dim, vector FROM features WHERE source_fingerprint=? AND clip_fingerprint=? AND layers=? "
            "AND pooling=?", key.as_tuple(),
        ).fetchone()
        if row is None:
            return None
        vector = np.frombuffer(row[1], dtype=np.float32)
        if len(vector) != int(row[0]) or not np.isfinite(vector).all():
            return None  # damaged: recompute
        return vector.copy()

    def put(self, key: FeatureKey, vector: np.ndarray, source: str = "", clip_id: str = "") -> None:
        """Store float ndarray[D] (finite) under `key`."""
        array = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if not np.isfinite(array).all():
            raise ValueError(f"feature of {clip_id or key.clip_fingerprint} from {source or key.source_fingerprint} "
                             "is not finite; not cached")
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO features VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key.as_tuple(), len(array), array.tobytes(), source, clip_id, time.time()),
            )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM features").fetchone()[0])

    def close(self) -> None:
        self._db.close()
