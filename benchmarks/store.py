"""Durable per-clip results: one SQLite file per experiment.

Every finished unit of work (a reconstruction of one clip by one codec, or one metric output on it)
is one row, written in its own transaction, keyed so it cannot be written twice. A run killed at any
point, even with SIGKILL, loses at most the unit in flight; the next run reads what is there and
does only what is missing.

Tables:
    runs            one row per invocation: config, package versions, git revision, times.
    reconstructions (codec, dataset, clip_id) -> status, error, notes, measured/nominal bitrate...
    scores          (codec, dataset, clip_id, output, fingerprint) -> value or NaN + reason.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ResultStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    config_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    git_revision TEXT
);
CREATE TABLE IF NOT EXISTS reconstructions (
    codec TEXT NOT NULL,
    dataset TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    duration_s REAL,
    status TEXT NOT NULL,            -- 'ok' or 'error'
    error TEXT,
    notes TEXT,
    nominal_bitrate_kbps REAL,
    measured_bitrate_kbps REAL,
    codec_info_json TEXT,
    audio_path TEXT,
    codes_path TEXT,
    seconds REAL,
    run_id TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (codec, dataset, clip_id)
);
CREATE TABLE IF NOT EXISTS scores (
    codec TEXT NOT NULL,
    dataset TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    output TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    value REAL,                      -- NULL when the metric failed (read back as NaN)
    reason TEXT,
    provenance_json TEXT NOT NULL,
    run_id TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (codec, dataset, clip_id, output, fingerprint)
);
"""


class ResultStore:
    """SQLite-backed store of per-clip results for one experiment.

    Args:
        path: the database file (created with its folder if missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=60.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, run_id: str, config: dict[str, Any], versions: dict[str, Any], git_revision: str | None) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, NULL, 'running', ?, ?, ?)",
                (run_id, time.time(), json.dumps(config, default=str), json.dumps(versions), git_revision),
            )

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", (time.time(), status, run_id)
            )

    def runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self._db)

    # -- reconstructions ------------------------------------------------------------------------
    def has_reconstruction(self, codec: str, dataset: str, clip_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM reconstructions WHERE codec=? AND dataset=? AND clip_id=?", (codec, dataset, clip_id)
        ).fetchone()
        return row is not None

    def get_reconstruction(self, codec: str, dataset: str, clip_id: str) -> dict[str, Any] | None:
        cur = self._db.execute(
            "SELECT * FROM reconstructions WHERE codec=? AND dataset=? AND clip_id=?", (codec, dataset, clip_id)
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row))

    def add_reconstruction(self, **row: Any) -> None:
        """Insert one reconstruction row (columns as in the schema; run_id/created_at optional)."""
        row.setdefault("created_at", time.time())
        for key in ("notes",):
            if isinstance(row.get(key), (list, tuple)):
                row[key] = "; ".join(row[key])
        if isinstance(row.get("codec_info_json"), dict):
            row["codec_info_json"] = json.dumps(row["codec_info_json"], default=str)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._db:
            self._db.execute(f"INSERT OR REPLACE INTO reconstructions ({cols}) VALUES ({marks})", tuple(row.values()))

    # -- scores ---------------------------------------------------------------------------------
    def scored_outputs(self, codec: str, dataset: str, clip_id: str, fingerprint: str) -> set[str]:
        rows = self._db.execute(
            "SELECT output FROM scores WHERE codec=? AND dataset=? AND clip_id=? AND fingerprint=?",
            (codec, dataset, clip_id, fingerprint),
        ).fetchall()
        return {r[0] for r in rows}

    def add_scores(
        self,
        *,
        codec: str,
        dataset: str,
        clip_id: str,
        metric: str,
        fingerprint: str,
        provenance: dict[str, Any],
        values: dict[str, float | None],
        reason: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Insert all outputs of one metric on one clip atomically; NaN/None values need a reason."""
        now = time.time()
        prov = json.dumps(provenance, sort_keys=True, default=str)
        rows = []
        for output, value in values.items():
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if missing and not reason:
                raise ValueError(f"{metric}/{output} on {clip_id}: a missing value needs a reason")
            rows.append(
                (codec, dataset, clip_id, metric, output, fingerprint, None if missing else float(value),
                 reason if missing else None, prov, run_id, now)
            )
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)

    # -- reading ----------------------------------------------------------------------------------
    def reconstructions(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM reconstructions", self._db)

    def scores(self, codecs: Iterable[str] | None = None) -> pd.DataFrame:
        df = pd.read_sql_query("SELECT * FROM scores", self._db)
        df["value"] = df["value"].astype(float)
        if codecs is not None:
            df = df[df["codec"].isin(list(codecs))]
        return df
