"""Fingerprints: short digests of what produced a result.

A reconstruction belongs to one codec configuration and one clip; a score to those plus the metric
settings. This module turns each of the first two into a 16-hex-digit digest:

* `codec_fingerprint`: the codec's fully resolved configuration (`Codec.info()`, which includes its
  class and every constructor argument with defaults applied) and the sha256 of each of its weight
  files (`Codec.weight_files`, plus any constructor argument that names an existing file).
* `clip_fingerprint`: the sha256 of the clip's file, the segment taken from it and the evaluation
  sample rate (the exact audio a codec is given).

File hashes are computed once and remembered in a small SQLite memo (normally beside the cache),
reused while the file's path, size, modification time, inode and change time stay the same.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from baselines.files import file_sha256

__all__ = [
    "FINGERPRINT_HEX_DIGITS",
    "CodecFingerprint",
    "FileHasher",
    "canonical_json",
    "clip_fingerprint",
    "codec_fingerprint",
    "digest",
]

log = logging.getLogger(__name__)

#: Hex digits kept from a sha256 in fingerprints (64 bits: collisions are not a practical concern).
FINGERPRINT_HEX_DIGITS = 16
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _plain(value: Any) -> Any:
    """JSON fallback: paths as strings, sets sorted, other objects by type and address-free repr."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if hasattr(value, "tolist"):  # numpy / torch scalars and arrays
        return value.tolist()
    return f"{type(value).__module__}.{type(value).__qualname__}:{_ADDRESS.sub('', repr(value))}"


def _normalise(value: Any) -> Any:
    """Make non-finite floats explicit strings (JSON has no standard NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Deterministic JSON of `value` (sorted keys, no whitespace), the input of every digest."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), default=_plain)


def digest(value: Any, hex_digits: int = FINGERPRINT_HEX_DIGITS) -> str:
    """The first `hex_digits` hex digits of the sha256 of `canonical_json(value)`: the one JSON fingerprint."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:hex_digits]


def _stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)


class FileHasher:
    """sha256 of file contents, each file hashed once while it stays unchanged.

    Args:
        memo_path: SQLite file remembering hashes across runs; None (or an unwritable place) keeps
            them in memory for this process only.
    """

    def __init__(self, memo_path: str | Path | None = None) -> None:
        self.memo_path = Path(memo_path) if memo_path is not None else None
        self._memory: dict[tuple[str, tuple[int, int, int, int]], str] = {}
        self._db: sqlite3.Connection | None = None
        self._db_failed = memo_path is None

    def _memo(self) -> sqlite3.Connection | None:
        if self._db is None and not self._db_failed:
            try:
                assert self.memo_path is not None
                self.memo_path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.memo_path), timeout=60.0)
                db.execute(
                    "CREATE TABLE IF NOT EXISTS file_hashes (path TEXT PRIMARY KEY, size INTEGER, "
                    "mtime_ns INTEGER, inode INTEGER, ctime_ns INTEGER, sha256 TEXT NOT NULL)"
                )
                db.commit()
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                log.warning("file hash memo %s not usable (%s); hashes are kept in memory only", self.memo_path, exc)
                self._db_failed = True
        return self._db

    def sha256(self, path: str | Path) -> str:
        """Hex sha256 of the file at `path` (raises OSError if it cannot be read)."""
        real = os.path.realpath(path)
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device never ends: refuse it rather than hang on it.
            raise IsADirectoryError(errno.EINVAL, "not a regular file", str(path))
        before = _stat_key(info)
        key = (real, before)
        if key in self._memory:
            return self._memory[key]
        db = self._memo()
        if db is not None:
            try:
                row = db.execute(
                    "SELECT sha256 FROM file_hashes WHERE path=? AND size=? AND mtime_ns=? AND inode=? AND ctime_ns=?",
                    (real, *before),
                ).fetchone()
            except sqlite3.Error:
                row = None
            if row is not None:
                self._memory[key] = row[0]
                return row[0]
        value = file_sha256(real)
        if _stat_key(os.stat(real)) != before:
            # Changed while being read: use this hash once, remember nothing.
            return value
        self._memory[key] = value
        if db is not None:
            try:
                with db:
                    db.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?, ?, ?)", (real, *before, value))
            except sqlite3.Error as exc:
                log.debug("could not remember the hash of %s: %s", real, exc)
        return value

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclasses.dataclass(frozen=True)
class CodecFingerprint:
    """What identifies a codec configuration's results.

    Attributes:
        digest: `FINGERPRINT_HEX_DIGITS` hex digits over `info` and `weight_sha256`.
        info: the codec's `info()` (configuration, class, constructor arguments).
        weight_sha256: resolved weight file path -> sha256 of its content.
    """

    digest: str
    info: dict[str, Any]
    weight_sha256: dict[str, str]


def _argument_files(arguments: Any) -> list[str]:
    """Constructor argument values (top level, or inside lists) that name an existing regular file."""
    values: Iterable[Any] = arguments.values() if isinstance(arguments, Mapping) else ()
    found = []
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, (str, os.PathLike)) and str(item) and len(str(item)) < 4096:
                try:
                    if os.path.isfile(item):
                        found.append(os.fspath(item))
                except (OSError, ValueError):
                    continue
    return found


def codec_fingerprint(codec: Any, hasher: FileHasher) -> CodecFingerprint:
    """Fingerprint of a built `baselines.base.Codec`: its resolved configuration and weight contents.

    Raises:
        OSError: a declared weight file cannot be read (its content cannot be vouched for).
    """
    info = codec.info()
    files = [os.fspath(p) for p in getattr(codec, "weight_files", ()) or ()]
    files += _argument_files(info.get("constructor_args"))
    weights = {os.path.realpath(p): hasher.sha256(p) for p in files}
    fingerprint = digest({"info": info, "weights": sorted(weights.values())})
    return CodecFingerprint(fingerprint, info, weights)


def clip_fingerprint(clip: Any, sample_rate: int, hasher: FileHasher) -> str:
    """Fingerprint of the audio a codec is given for `clip` (a `benchmarks.datasets.Clip`).

    Covers the file's content, the segment (`offset_s`, `duration_s`) and the evaluation rate. A file
    that cannot be read still gets a fingerprint (of the error), so its failure can be recorded.
    """
    loader_error = getattr(clip, "error", None)
    try:
        if loader_error:
            # The loader refused the file (outside its root, a link loop, a FIFO...): never read it.
            content = f"refused by the loader: {loader_error}"
        else:
            content = hasher.sha256(clip.path)
    except OSError as exc:
        content = f"unreadable: {type(exc).__name__}: {exc.strerror or exc}"
    return digest(
        {"sha256": content, "offset_s": clip.offset_s, "duration_s": clip.duration_s, "sample_rate": int(sample_rate)}
    )
