"""Durable per-clip results: one SQLite file per experiment.

Every finished unit of work (a reconstruction of one clip by one codec, or one metric's outputs on
it) is written in its own transaction, keyed by what produced it, so it cannot be written twice and
is never reused after any of its inputs changed. A run killed at any point, even with SIGKILL, loses
at most the unit in flight; the next run marks it ``interrupted`` and does only what is missing.

Keys (schema version `SCHEMA_VERSION`):
    reconstructions (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint)
    scores          (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, output, fingerprint)

`codec_fingerprint` covers the codec's resolved configuration and weight file contents,
`clip_fingerprint` the clip's content, segment and evaluation rate (`benchmarks.fingerprint`);
a score's `fingerprint` is the metric's settings. Earlier results under the same codec name stay
in the file but are no longer *current*: `reconstructions()` and `scores()` return, per
(codec, dataset, clip), the version most recently used by a run.

Tables:
    runs            one row per invocation: config, versions, git revision, times, status, process.
    reconstructions status ('ok'/'error'), error, notes, bitrates, codec info, cached file checksums.
    scores          value or NULL + reason; ``failed`` = 1 when the metric raised (retried next run).
    attempts        history: one row per attempt of every unit, with its outcome (never deleted).

Failed units (reconstruction errors, metric exceptions) are retried by every run; their earlier
failures stay in `attempts`. A store file deleted or replaced while a run writes to it raises
`StoreLost` at the next write instead of losing results silently.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["SCHEMA_VERSION", "ResultStore", "StoreError", "StoreLost"]

log = logging.getLogger(__name__)

#: Version written to ``PRAGMA user_version``. 0 (no version) is the layout keyed by codec name only.
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,            -- running, finished, interrupted, failed
    config_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    git_revision TEXT,
    pid INTEGER,
    host TEXT
);
CREATE TABLE IF NOT EXISTS reconstructions (
    codec TEXT NOT NULL,
    dataset TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    codec_fingerprint TEXT NOT NULL,
    clip_fingerprint TEXT NOT NULL,
    input_fingerprint TEXT,          -- the clip's own audio (clip_fingerprint may add a system's stored output)
    domain TEXT NOT NULL,
    duration_s REAL,
    status TEXT NOT NULL,            -- 'ok' or 'error'
    error TEXT,
    notes TEXT,
    nominal_bitrate_kbps REAL,
    measured_bitrate_kbps REAL,
    codec_info_json TEXT,
    weights_json TEXT,               -- weight file -> sha256
    audio_path TEXT,
    audio_sha256 TEXT,
    audio_bytes INTEGER,
    codes_path TEXT,
    codes_sha256 TEXT,
    codes_bytes INTEGER,
    source TEXT,                     -- 'computed' or 'cache'
    seconds REAL,
    run_id TEXT,
    created_at REAL NOT NULL,
    used_seq INTEGER NOT NULL,       -- order in which runs last used this version
    used_run_id TEXT,
    PRIMARY KEY (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint)
);
CREATE TABLE IF NOT EXISTS scores (
    codec TEXT NOT NULL,
    dataset TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    codec_fingerprint TEXT NOT NULL,
    clip_fingerprint TEXT NOT NULL,
    metric TEXT NOT NULL,
    output TEXT NOT NULL,
    fingerprint TEXT NOT NULL,       -- the metric's settings
    value REAL,                      -- NULL when the metric gave no value (read back as NaN)
    reason TEXT,
    failed INTEGER NOT NULL DEFAULT 0,
    provenance_json TEXT NOT NULL,
    run_id TEXT,
    created_at REAL NOT NULL,
    seconds REAL,                    -- the metric's time on this clip (its share of the batch), in seconds
    PRIMARY KEY (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, output, fingerprint)
);
CREATE TABLE IF NOT EXISTS attempts (
    attempt_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT,
    stage TEXT NOT NULL,             -- 'reconstruct' or 'score'
    codec TEXT NOT NULL,
    dataset TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    codec_fingerprint TEXT NOT NULL,
    clip_fingerprint TEXT NOT NULL,
    metric TEXT,
    status TEXT NOT NULL,            -- 'ok' or 'error'
    error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reconstructions_used_seq ON reconstructions (used_seq);
"""

#: Columns added after a schema version, with their type: (version that added them, table, column, type).
_ADDED_COLUMNS = ((3, "scores", "seconds", "REAL"),)
_SCORE_COLUMNS = (
    "codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, metric, output, fingerprint, value, reason, "
    "failed, provenance_json, run_id, created_at, seconds"
)

_RECONSTRUCTION_KEY = ("codec", "dataset", "clip_id", "codec_fingerprint", "clip_fingerprint")
_KEY_MATCH = "codec=? AND dataset=? AND clip_id=? AND codec_fingerprint=? AND clip_fingerprint=?"
_INSERT_RUN = (
    "INSERT INTO runs (run_id, started_at, finished_at, status, config_json, versions_json, git_revision, pid, host) "
    "VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, ?)"
)
_INSERT_ATTEMPT = (
    "INSERT INTO attempts (run_id, stage, codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, metric, "
    "status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_DELETE_SCORES_OF = f"DELETE FROM scores WHERE {_KEY_MATCH}"
_MARK_USED = f"UPDATE reconstructions SET used_seq=?, used_run_id=? WHERE {_KEY_MATCH}"


class StoreError(RuntimeError):
    """The store file cannot be used (corrupt, or written by an incompatible version); the message says why."""


class StoreLost(StoreError):
    """The store file was deleted or replaced while this run was writing to it."""


class ResultStore:
    """SQLite-backed store of per-clip results for one experiment.

    Args:
        path: the database file (created with its folder if missing).

    Attributes:
        migrated_from: the schema version the file had before this open migrated it, else None.

    Raises:
        StoreError: the file is not a usable store (corrupt, or from a newer version).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.migrated_from: int | None = None
        try:
            self._db = sqlite3.connect(str(self.path), timeout=60.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit is durable once it returns as far as this process is concerned (a
            # kill, even SIGKILL, loses nothing committed); only a power cut or an OS crash can roll back
            # the last commits, never corrupt the file. FULL would fsync every unit (docs/reliability.md).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a usable result store ({exc}); move it away or choose another name="
            ) from None
        self._identity = self._file_identity()

    # -- opening --------------------------------------------------------------------------------
    def _open_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer version of the suite (store schema {version}; this "
                f"version reads schema {SCHEMA_VERSION}); upgrade, or choose another name="
            )
        if version == 0 and "reconstructions" in tables:
            self._migrate_from_v0(tables)
        for added_in, table, column, kind in _ADDED_COLUMNS:
            if 0 < version < added_in and table in tables:
                with self._db:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.commit()

    def _migrate_from_v0(self, tables: set[str]) -> None:
        """Keep results of the layout keyed by codec name only as history (``v0_*`` tables), never reuse them.

        Those rows do not say which settings, weights or clip content produced them, so nothing in
        them can be vouched for; the runner recomputes what a run needs.
        """
        with self._db:
            for table in ("reconstructions", "scores"):
                if table in tables:
                    self._db.execute(f"ALTER TABLE {table} RENAME TO v0_{table}")
            if "runs" in tables:
                columns = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
                for column, kind in (("pid", "INTEGER"), ("host", "TEXT")):
                    if column not in columns:
                        self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
        counts = {t: self._db.execute(f"SELECT COUNT(*) FROM v0_{t}").fetchone()[0]
                  for t in ("reconstructions", "scores") if t in tables}
        self.migrated_from = 0
        log.warning(
            "%s was written by an earlier version whose results are keyed by codec name only; its %s "
            "are kept as history (tables v0_*) and recomputed where needed",
            self.path, ", ".join(f"{n} {t}" for t, n in counts.items()),
        )

    def _file_identity(self) -> tuple[int, int]:
        stat = os.stat(self.path)
        return (stat.st_dev, stat.st_ino)

    def check_alive(self) -> None:
        """Raise `StoreLost` if the store file is no longer the one this object opened."""
        try:
            identity = self._file_identity()
        except FileNotFoundError:
            identity = None
        if identity != self._identity:
            what = "deleted" if identity is None else "replaced"
            raise StoreLost(
                f"{self.path} was {what} while this run was writing to it; results written since are lost. "
                "Run the command again to recompute them."
            )

    def _write(self, statements: Iterable[tuple[str, Any]]) -> None:
        """Run write statements in one transaction, after checking the file is still ours."""
        self.check_alive()
        with self._db:
            for sql, params in statements:
                if isinstance(params, list):
                    self._db.executemany(sql, params)
                else:
                    self._db.execute(sql, params or ())

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, run_id: str, config: dict[str, Any], versions: dict[str, Any], git_revision: str | None) -> list[str]:
        """Record a new run; first mark runs left ``running`` by dead processes as ``interrupted``.

        Returns:
            the ids of the runs marked interrupted.
        """
        host = socket.gethostname()
        stale = []
        for other_id, pid, other_host in self._db.execute("SELECT run_id, pid, host FROM runs WHERE status='running'"):
            if pid is None or (other_host == host and not _process_alive(int(pid))):
                stale.append(other_id)
        self._write([
            ("UPDATE runs SET status='interrupted' WHERE run_id=?", [(r,) for r in stale]),
            (_INSERT_RUN,
             (run_id, time.time(), json.dumps(config, default=str), json.dumps(versions), git_revision, os.getpid(), host)),
        ])
        return stale

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        self._write([("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", (time.time(), status, run_id))])

    def runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self._db)

    # -- reconstructions ------------------------------------------------------------------------
    def get_reconstruction(
        self, codec: str, dataset: str, clip_id: str, codec_fingerprint: str, clip_fingerprint: str
    ) -> dict[str, Any] | None:
        cur = self._db.execute(
            f"SELECT * FROM reconstructions WHERE {_KEY_MATCH}", (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint)
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row))

    def _next_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(used_seq), 0) + 1 FROM reconstructions").fetchone()[0])

    def add_reconstruction(self, **row: Any) -> None:
        """Insert (or replace) one reconstruction row and its attempt, in one transaction.

        `row` holds the schema's columns; codec, dataset and clip_id are required. The fingerprints
        default to ``""`` (a row written outside the runner, e.g. by a test, that no run will reuse).
        Scores of an earlier version of this row whose audio differs from the new one are deleted
        (they scored other audio).
        """
        row.setdefault("codec_fingerprint", "")
        row.setdefault("clip_fingerprint", "")
        missing = [k for k in _RECONSTRUCTION_KEY if row.get(k) is None]
        if missing:
            raise ValueError(f"reconstruction row lacks {', '.join(missing)}")
        now = time.time()
        if row.get("created_at") is None:
            row["created_at"] = now
        if isinstance(row.get("notes"), (list, tuple)):
            row["notes"] = "; ".join(row["notes"])
        for key in ("codec_info_json", "weights_json"):
            if isinstance(row.get(key), dict):
                row[key] = json.dumps(row[key], default=str, sort_keys=True)
        row["used_seq"] = self._next_seq()
        row.setdefault("used_run_id", row.get("run_id"))
        key = tuple(row[k] for k in _RECONSTRUCTION_KEY)
        old = self.get_reconstruction(*key)
        statements: list[tuple[str, Any]] = []
        if old is not None and old.get("audio_sha256") != row.get("audio_sha256"):
            statements.append((_DELETE_SCORES_OF, key))
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        statements.append((f"INSERT OR REPLACE INTO reconstructions ({cols}) VALUES ({marks})", tuple(row.values())))
        statements.append((
            _INSERT_ATTEMPT, (row.get("run_id"), "reconstruct", *key, None, row["status"], row.get("error"), now),
        ))
        self._write(statements)

    def mark_used(self, keys: Iterable[tuple[str, str, str, str, str]], run_id: str | None) -> None:
        """Make the given reconstruction versions (and their scores) the current ones, as used by `run_id`."""
        keys = list(keys)
        if not keys:
            return
        start = self._next_seq()
        self._write([(_MARK_USED, [(start + i, run_id, *k) for i, k in enumerate(keys)])])

    # -- scores ---------------------------------------------------------------------------------
    def scored_outputs(
        self, codec: str, dataset: str, clip_id: str, codec_fingerprint: str, clip_fingerprint: str, fingerprint: str
    ) -> set[str]:
        """Outputs already scored (without a metric failure) for this reconstruction and metric setting."""
        rows = self._db.execute(
            f"SELECT output FROM scores WHERE {_KEY_MATCH} AND fingerprint=? AND failed=0",
            (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, fingerprint),
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
        codec_fingerprint: str = "",
        clip_fingerprint: str = "",
        reason: str | None = None,
        failed: bool = False,
        run_id: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Insert all outputs of one metric on one clip atomically; NaN/None values need a reason.

        `failed` marks a metric that raised (the unit is retried by the next run); a metric that
        returned NaN with a reason is a result, not a failure. The codec and clip fingerprints name the
        reconstruction scored (``""`` as in `add_reconstruction`); `seconds` is the time the metric took.
        """
        now = time.time()
        prov = json.dumps(provenance, sort_keys=True, default=str)
        rows = []
        for output, value in values.items():
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if missing and not reason:
                raise ValueError(f"{metric}/{output} on {clip_id}: a missing value needs a reason")
            rows.append(
                (codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, metric, output, fingerprint,
                 None if missing else float(value), reason if missing else None, int(failed), prov, run_id, now,
                 seconds)
            )
        self._write([
            (f"INSERT OR REPLACE INTO scores ({_SCORE_COLUMNS}) VALUES ({', '.join('?' * 15)})", rows),
            (_INSERT_ATTEMPT,
             (run_id, "score", codec, dataset, clip_id, codec_fingerprint, clip_fingerprint, metric,
              "error" if failed else "ok", reason if failed else None, now)),
        ])

    # -- reading ----------------------------------------------------------------------------------
    def reconstructions(self, all_versions: bool = False) -> pd.DataFrame:
        """Reconstruction rows: per (codec, dataset, clip) the version last used by a run (or every version)."""
        if all_versions:
            return pd.read_sql_query("SELECT * FROM reconstructions", self._db)
        return pd.read_sql_query(f"SELECT r.* FROM reconstructions r {_CURRENT}", self._db)

    def scores(self, codecs: Iterable[str] | None = None, all_versions: bool = False) -> pd.DataFrame:
        """Score rows of the current reconstructions (see `reconstructions`), or of every version."""
        if all_versions:
            df = pd.read_sql_query("SELECT * FROM scores", self._db)
        else:
            df = pd.read_sql_query(
                "SELECT s.* FROM scores s JOIN reconstructions r USING "
                f"(codec, dataset, clip_id, codec_fingerprint, clip_fingerprint) {_CURRENT}", self._db,
            )
        df["value"] = df["value"].astype(float)
        if codecs is not None:
            df = df[df["codec"].isin(list(codecs))]
        return df

    def attempts(self) -> pd.DataFrame:
        """Every attempt of every unit, in order (the history of failures and retries)."""
        return pd.read_sql_query("SELECT * FROM attempts ORDER BY attempt_id", self._db)


_CURRENT = (
    "WHERE r.used_seq = (SELECT MAX(r2.used_seq) FROM reconstructions r2 "
    "WHERE r2.codec = r.codec AND r2.dataset = r.dataset AND r2.clip_id = r.clip_id)"
)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
