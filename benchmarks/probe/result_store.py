"""Durable probe results: ``<output_root>/<name>/probe.sqlite``.

One row per (system, task, kind, layers) result, keyed by everything that produced it: the system's
fingerprint (codec configuration and weight contents; for reconstruction survival combined with the
reference extractor's), the task's fingerprint (labels, splits and every clip's content) and the probe
settings' fingerprint. A rerun reuses a row only when all three match; a changed input retrains.
Runs are recorded with their configuration, package versions and git revision.

Kinds: ``representation`` (a codec's quantized representation, layers ``all`` / ``first``),
``reference`` (a reference extractor on the original clips), ``survival`` (a probe trained on the
reference features of the originals, tested on the reference features of the system's
reconstructions). Status: ``ok``, ``failed`` (retried by the next run), ``not applicable``,
``unavailable``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ProbeResultStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS probe_runs (
    run_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    config_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    git_revision TEXT
);
CREATE TABLE IF NOT EXISTS probe_results (
    system TEXT NOT NULL,
    task TEXT NOT NULL,
    kind TEXT NOT NULL,
    layers TEXT NOT NULL,
    system_fingerprint TEXT NOT NULL,
    task_fingerprint TEXT NOT NULL,
    settings_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    accuracy REAL,
    ci_low REAL,
    ci_high REAL,
    reference_accuracy REAL,
    n_test INTEGER,
    chance REAL,
    details_json TEXT,
    error TEXT,
    run_id TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (system, task, kind, layers, system_fingerprint, task_fingerprint, settings_fingerprint)
);
"""

_KEY = ("system", "task", "kind", "layers", "system_fingerprint", "task_fingerprint", "settings_fingerprint")


class ProbeResultStore:
    """SQLite file of probe results and runs (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=60.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def start_run(self, run_id: str, config: dict[str, Any], versions: dict[str, Any], git_revision: str | None) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO probe_runs VALUES (?, ?, NULL, 'running', ?, ?, ?)",
                (run_id, time.time(), json.dumps(config, default=str), json.dumps(versions), git_revision),
            )

    def finish_run(self, run_id: str, status: str) -> None:
        with self._db:
            self._db.execute("UPDATE probe_runs SET finished_at=?, status=? WHERE run_id=?", (time.time(), status, run_id))

    def get(self, **key: str) -> dict[str, Any] | None:
        """The stored ``ok`` result for exactly this key, or None."""
        cursor = self._db.execute(
            "SELECT * FROM probe_results WHERE " + " AND ".join(f"{k}=?" for k in _KEY) + " AND status='ok'",
            tuple(key[k] for k in _KEY),
        )
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row))

    def put(self, **row: Any) -> None:
        """Insert or replace one result (the key columns are required)."""
        missing = [k for k in _KEY if row.get(k) is None]
        if missing:
            raise ValueError(f"probe result lacks {', '.join(missing)}")
        if isinstance(row.get("details_json"), (dict, list)):
            row["details_json"] = json.dumps(row["details_json"], default=str, sort_keys=True)
        row["created_at"] = time.time()
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._db:
            self._db.execute(f"INSERT OR REPLACE INTO probe_results ({columns}) VALUES ({marks})", tuple(row.values()))

    def results(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM probe_results ORDER BY created_at", self._db)

    def close(self) -> None:
        self._db.close()
