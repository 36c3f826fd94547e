"""On-disk cache of reconstructions and codes, keyed by what produced them.

Layout::

    <root>/<codec name>-<codec fingerprint>/<dataset>/<clip id>.<clip fingerprint>.{wav,codes.npy,json}

The codec fingerprint covers the codec's resolved configuration and the content of its weight files;
the clip fingerprint covers the clip file's content, its segment and the evaluation rate
(`benchmarks.fingerprint`). Names are percent-encoded (every byte outside ``[A-Za-z0-9_-]``), which is
injective: ``take.v1`` and ``take.v2``, ``a/b`` and ``a_b`` get different files. Long names are cut and
given a hash suffix. Because entries are content-addressed, one cache folder can serve every run.

Each entry's JSON (written last, so a killed run leaves no complete-looking half entry) records the
sha256 and byte length of its audio and codes files; `load` verifies both and treats a mismatch
(a truncated or altered file) as a miss, so the caller recomputes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from baselines.files import atomic_write

__all__ = ["CacheCorrupt", "CacheEntry", "CachedReconstruction", "ReconstructionCache", "escape_name"]

log = logging.getLogger(__name__)

_SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
#: Longest escaped name kept whole; longer ones are cut and get a hash suffix (file names max 255 bytes).
_MAX_NAME = 120


class CacheCorrupt(RuntimeError):
    """A cached file does not match the checksum or length recorded with it."""


def escape_name(name: str) -> str:
    """Injective, file-system-safe form of `name`: bytes outside ``[A-Za-z0-9_-]`` become ``%XX``.

    Names longer than `_MAX_NAME` after escaping are cut and suffixed with ``~`` and 16 hex digits of
    the sha256 of the full name (``~`` never appears in an escaped name, so this stays unambiguous).
    """
    escaped = "".join(chr(b) if b in _SAFE_BYTES else f"%{b:02X}" for b in name.encode("utf-8"))
    if len(escaped) > _MAX_NAME:
        escaped = escaped[:_MAX_NAME] + "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return escaped


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """Where one reconstruction of one clip by one codec configuration lives."""

    codec: str
    codec_fingerprint: str
    dataset: str
    clip_id: str
    clip_fingerprint: str
    base: Path

    @property
    def audio_path(self) -> Path:
        return self.base.parent / (self.base.name + ".wav")

    @property
    def codes_path(self) -> Path:
        return self.base.parent / (self.base.name + ".codes.npy")

    @property
    def meta_path(self) -> Path:
        return self.base.parent / (self.base.name + ".json")

    def identity(self) -> dict[str, str]:
        return {
            "codec": self.codec, "codec_fingerprint": self.codec_fingerprint, "dataset": self.dataset,
            "clip_id": self.clip_id, "clip_fingerprint": self.clip_fingerprint,
        }


@dataclasses.dataclass
class CachedReconstruction:
    """A cached decoded clip.

    Attributes:
        waveform: float32 ndarray[T].
        sample_rate: Hz.
        codes: ndarray[K x T'] or None.
        meta: the entry's metadata (measured bitrate, codebook sizes, checksums...).
        audio_path / codes_path: the files.
        audio_sha256 / audio_bytes: checksum and length of the audio file, as verified.
    """

    waveform: np.ndarray
    sample_rate: int
    codes: np.ndarray | None
    meta: dict[str, Any]
    audio_path: Path
    codes_path: Path | None
    audio_sha256: str
    audio_bytes: int


def file_checksum(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def read_verified(path: str | Path, sha256: str | None, num_bytes: int | None) -> bytes:
    """The bytes of `path`, checked against the recorded checksum and length.

    Raises:
        CacheCorrupt: missing file, wrong length or wrong checksum (the message says which).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CacheCorrupt(f"cached file {path} cannot be read: {exc.strerror or exc}") from None
    if num_bytes is not None and len(data) != int(num_bytes):
        raise CacheCorrupt(f"cached file {path} has {len(data)} bytes, {num_bytes} were written (truncated or altered)")
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise CacheCorrupt(f"cached file {path} does not match its recorded sha256 (altered)")
    return data


def read_audio_verified(path: str | Path, sha256: str | None, num_bytes: int | None) -> tuple[np.ndarray, int]:
    """Verified float32 ndarray[T] (mono) and its rate from a cached WAV."""
    waveform, sample_rate = sf.read(io.BytesIO(read_verified(path, sha256, num_bytes)), dtype="float32")
    return waveform, int(sample_rate)


class ReconstructionCache:
    """Reconstructions of clips by codec configurations.

    Args:
        root: cache folder (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def entry(self, codec: str, codec_fingerprint: str, dataset: str, clip_id: str, clip_fingerprint: str) -> CacheEntry:
        folder = self.root / f"{escape_name(codec)}-{codec_fingerprint}" / escape_name(dataset)
        return CacheEntry(codec, codec_fingerprint, dataset, clip_id, clip_fingerprint,
                          folder / f"{escape_name(clip_id)}.{clip_fingerprint}")

    def load(self, entry: CacheEntry) -> CachedReconstruction | None:
        """The verified entry, or None when absent, incomplete, or failing verification (logged)."""
        if not entry.meta_path.is_file():
            return None
        try:
            meta = json.loads(entry.meta_path.read_text(encoding="utf-8"))
            if meta.get("identity") != entry.identity():
                raise CacheCorrupt(f"cache entry {entry.meta_path} belongs to {meta.get('identity')}")
            audio = meta["files"]["audio"]
            data = read_verified(entry.audio_path, audio["sha256"], audio["bytes"])
            waveform, sample_rate = sf.read(io.BytesIO(data), dtype="float32")
            codes = None
            if meta["files"].get("codes"):
                codes_meta = meta["files"]["codes"]
                raw = read_verified(entry.codes_path, codes_meta["sha256"], codes_meta["bytes"])
                codes = np.load(io.BytesIO(raw), allow_pickle=False)
        except (CacheCorrupt, KeyError, TypeError, ValueError, RuntimeError, sf.LibsndfileError) as exc:
            log.warning("ignoring cache entry %s: %s; recomputing", entry.base, exc)
            return None
        return CachedReconstruction(
            waveform, int(sample_rate), codes, meta, entry.audio_path,
            entry.codes_path if codes is not None else None, audio["sha256"], int(audio["bytes"]),
        )

    def save(
        self,
        entry: CacheEntry,
        waveform: np.ndarray,
        sample_rate: int,
        codes: np.ndarray | None,
        meta: dict[str, Any],
    ) -> CachedReconstruction:
        """Write one entry atomically (audio, codes, then the JSON that marks it complete)."""
        entry.base.parent.mkdir(parents=True, exist_ok=True)
        waveform = np.asarray(waveform, np.float32)
        buffer = io.BytesIO()
        sf.write(buffer, waveform, sample_rate, subtype="FLOAT", format="WAV")
        audio_data = buffer.getvalue()
        files: dict[str, Any] = {"audio": file_checksum(audio_data), "codes": None}
        atomic_write(entry.audio_path, audio_data)
        if codes is not None:
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(codes), allow_pickle=False)
            codes_data = buffer.getvalue()
            files["codes"] = file_checksum(codes_data)
            atomic_write(entry.codes_path, codes_data)
        full_meta = {**meta, "identity": entry.identity(), "files": files}
        text = json.dumps(full_meta, default=str)
        atomic_write(entry.meta_path, text)
        return CachedReconstruction(
            waveform, int(sample_rate), None if codes is None else np.asarray(codes), full_meta, entry.audio_path,
            entry.codes_path if codes is not None else None, files["audio"]["sha256"], files["audio"]["bytes"],
        )
