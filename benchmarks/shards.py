"""Shards of a run: which (codec configuration, clip) units shard i of n does, where it writes, and how the
shard stores are joined into the run's store.

The units of a run, codec-major (every clip of the first codec, then of the second...), are cut into
`count` contiguous ranges of nearly equal size; shard `index` does range `index`. A shard therefore
covers one or a few codec configurations, each over a range of clips. Every shard computes the same
codec and clip lists from the same configuration, so the shards cover every unit exactly once.

Shard i of n writes ``<run folder>/shards/<i>-of-<n>/store.sqlite`` and ``shard.json`` (its
configuration, working folder and status). `merge_stores` copies every shard's rows into
``<run folder>/store.sqlite``; copying twice changes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from benchmarks.datasets.base import Clip
from benchmarks.store import ResultStore

__all__ = ["MANIFEST_NAME", "merge_stores", "read_manifests", "shard_dir", "shard_plan", "write_manifest"]

MANIFEST_NAME = "shard.json"
_SHARDS = "shards"


def shard_plan(codec_names: Sequence[str], clips: Sequence[Clip], index: int, count: int) -> dict[str, list[Clip]]:
    """Codec name -> its clips in shard `index` of `count` (codecs without units in this shard left out)."""
    if not 0 <= index < count:
        raise ValueError(f"shard index {index} is not in 0..{count - 1}")
    total = len(codec_names) * len(clips)
    first, last = index * total // count, (index + 1) * total // count
    plan: dict[str, list[Clip]] = {}
    for unit in range(first, last):
        codec, clip = divmod(unit, len(clips))
        plan.setdefault(codec_names[codec], []).append(clips[clip])
    return plan


def shard_dir(run_dir: Path, index: int, count: int) -> Path:
    """The folder of shard `index` of `count` inside the run folder."""
    width = len(str(count - 1))
    return Path(run_dir) / _SHARDS / f"{index:0{width}d}-of-{count}"


def write_manifest(folder: Path, cfg: DictConfig, status: str) -> None:
    """``shard.json``: the shard's resolved configuration, the working folder it ran in, and its status."""
    data = {
        "index": int(cfg.shard.index), "count": int(cfg.shard.count), "status": status, "cwd": os.getcwd(),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    tmp = folder / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST_NAME)


def read_manifests(run_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(shard folder, manifest) of every shard under `run_dir`, in index order."""
    found = []
    for path in sorted((Path(run_dir) / _SHARDS).glob(f"*/{MANIFEST_NAME}")):
        found.append((path.parent, json.loads(path.read_text(encoding="utf-8"))))
    return sorted(found, key=lambda item: (item[1]["count"], item[1]["index"]))


_COPY_RUNS = "INSERT OR IGNORE INTO main.runs SELECT * FROM shard.runs"
_COPY_ATTEMPTS = (
    "INSERT INTO main.attempts (run_id, stage, codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, metric, "
    "status, error, created_at) SELECT s.run_id, s.stage, s.codec, s.dataset, s.clip_id, s.codec_fingerprint, "
    "s.clip_fingerprint, s.metric, s.status, s.error, s.created_at FROM shard.attempts s WHERE NOT EXISTS ("
    "SELECT 1 FROM main.attempts m WHERE m.run_id IS s.run_id AND m.stage = s.stage AND m.codec = s.codec AND "
    "m.dataset = s.dataset AND m.clip_id = s.clip_id AND m.codec_fingerprint = s.codec_fingerprint AND "
    "m.clip_fingerprint = s.clip_fingerprint AND m.metric IS s.metric AND m.created_at = s.created_at) "
    "ORDER BY s.attempt_id"
)


def _columns(db: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA {schema}.table_info({table})")]


def merge_stores(run_dir: Path, shard_folders: Sequence[Path]) -> dict[str, int]:
    """Copy the rows of every shard store into ``<run_dir>/store.sqlite``; returns rows per table afterwards.

    A reconstruction or score already in the run's store under the same key is replaced by the
    shard's row (a shard run again after a fix brings its newer result); shards never share a key.
    Runs and attempts already copied are not copied again.
    """
    target = ResultStore(Path(run_dir) / "store.sqlite")  # creates or migrates the run's store
    target.close()
    for folder in shard_folders:
        ResultStore(folder / "store.sqlite").close()  # migrates an older shard store to the current schema
    db = sqlite3.connect(str(Path(run_dir) / "store.sqlite"), timeout=60.0)
    try:
        for folder in shard_folders:
            db.execute("ATTACH DATABASE ? AS shard", (str(folder / "store.sqlite"),))
            with db:
                offset = db.execute("SELECT COALESCE(MAX(used_seq), 0) FROM main.reconstructions").fetchone()[0]
                columns = _columns(db, "shard", "reconstructions")
                picked = ", ".join(f"used_seq + {int(offset)}" if c == "used_seq" else c for c in columns)
                db.execute(f"INSERT OR REPLACE INTO main.reconstructions ({', '.join(columns)}) "
                           f"SELECT {picked} FROM shard.reconstructions ORDER BY used_seq")
                columns = ", ".join(_columns(db, "shard", "scores"))
                db.execute(f"INSERT OR REPLACE INTO main.scores ({columns}) SELECT {columns} FROM shard.scores")
                db.execute(_COPY_RUNS)
                db.execute(_COPY_ATTEMPTS)
            db.execute("DETACH DATABASE shard")
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("runs", "reconstructions", "scores", "attempts")}
    finally:
        db.close()
