"""Helpers shared by the dataset loaders: folder checks, header-only durations, seeded sampling,
checksummed downloads. No loader logic lives here."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import soundfile as sf

from baselines.audio_io import AudioInputError, check_readable_file
from benchmarks.datasets.base import DatasetError

__all__ = [
    "AUDIO_EXTENSIONS",
    "DOMAIN_PREFIXES",
    "as_tuple",
    "audio_duration_s",
    "default_data_dir",
    "deterministic_sample",
    "domain_from_name",
    "download_file",
    "file_checksums",
    "find_audio_files",
    "list_audio_entries",
    "logger",
    "read_transcript_file",
    "report_missing",
    "require_dir",
    "verify_checksums",
]

logger = logging.getLogger("benchmarks.datasets")

#: Extensions a plain audio folder may hold (libsndfile reads all four; MP3 needs libsndfile >= 1.1).
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".mp3")

#: File-name prefixes of the paper's evaluation set and demo page -> domain.
DOMAIN_PREFIXES: dict[str, str] = {"libritts_": "speech", "audioset_": "sound", "musdb_": "music"}

T = TypeVar("T")


def require_dir(root: str | Path | None, expected: str) -> Path:
    """`root` as an existing directory, else `DatasetError` naming it and the expected layout."""
    if root is None or str(root) == "":
        raise DatasetError(f"no dataset root given; expected a folder with {expected}")
    path = Path(root).expanduser()
    if not path.exists():
        raise DatasetError(f"{path}: folder not found; expected a folder with {expected}")
    if not path.is_dir():
        raise DatasetError(f"{path}: not a folder; expected a folder with {expected}")
    return path.resolve()


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A config value that may be one string or a list of strings, as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def audio_duration_s(path: str | Path, root: str | Path | None = None) -> float | None:
    """Duration from the file header (no decoding); None when libsndfile cannot read the header, or when
    the path is not a regular file inside `root` (never opened then: FIFOs, devices, links out)."""
    try:
        real = check_readable_file(path, root)
    except AudioInputError:
        return None
    try:
        info = sf.info(str(real))
    except Exception:  # noqa: BLE001 - libsndfile raises several types
        return None
    return float(info.frames) / float(info.samplerate) if info.samplerate else None


def find_audio_files(
    root: Path, extensions: Sequence[str] = AUDIO_EXTENSIONS, recursive: bool = True
) -> list[Path]:
    """Audio files under `root` (case-insensitive extension match), sorted by path."""
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in exts)


def list_audio_entries(
    root: Path, extensions: Sequence[str] = AUDIO_EXTENSIONS, recursive: bool = True
) -> list[Path]:
    """Every entry under `root` whose name ends in an audio extension (case-insensitive), sorted by path.

    Unlike `find_audio_files`, entries that are not readable regular files are kept (dangling or looping
    links, directories named ``*.wav``, FIFOs, devices) so that each becomes a per-clip error instead of
    vanishing. Links to directories are never descended (no loops, nothing counted twice).
    """
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            if Path(name).suffix.lower() in exts:
                found.append(Path(folder) / name)
        if not recursive:
            break
        dirs.sort()
    return sorted(found)


def read_transcript_file(path: Path, root: str | Path | None = None) -> tuple[str | None, str | None]:
    """(text, None) for a readable UTF-8 transcript file, else (None, note naming the file and the problem)."""
    try:
        real = check_readable_file(path, root)
    except AudioInputError as exc:
        return None, f"transcript {exc}; no transcript used"
    try:
        return real.read_text(encoding="utf-8").strip(), None
    except UnicodeDecodeError as exc:
        return None, (
            f"transcript {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "no transcript used"
        )
    except OSError as exc:
        return None, f"transcript {path} cannot be read ({exc.strerror}); no transcript used"


def domain_from_name(name: str) -> str | None:
    """Domain of a paper-style file name (`libritts_*`, `audioset_*`, `musdb_*`), else None."""
    for prefix, domain in DOMAIN_PREFIXES.items():
        if name.startswith(prefix):
            return domain
    return None


def deterministic_sample(items: Sequence[T], num: int | None, seed: int, key: Callable[[T], str]) -> list[T]:
    """`num` items drawn with `random.Random(seed)` from `items` sorted by `key`; returned sorted by key.

    The draw depends only on the sorted keys and the seed, never on file-system order. `num=None` or
    `num >= len(items)` returns all items (a shortfall is logged).
    """
    ordered = sorted(items, key=key)
    if num is None:
        return ordered
    if num < 0:
        raise DatasetError(f"num_clips must be >= 0, got {num}")
    if num >= len(ordered):
        if num > len(ordered):
            logger.warning(
                "asked for %d clips but only %d are eligible; using all of them", num, len(ordered)
            )
        return ordered
    chosen = random.Random(seed).sample(range(len(ordered)), num)
    return [ordered[i] for i in sorted(chosen)]


def report_missing(what: str, missing: Sequence[str], total: int, max_examples: int = 5) -> str | None:
    """Log (warning) how many of `total` entries are missing, with examples; return the message."""
    if not missing:
        return None
    examples = ", ".join(missing[:max_examples])
    more = "" if len(missing) <= max_examples else f" (+{len(missing) - max_examples} more)"
    message = f"{what}: {len(missing)} of {total} missing, e.g. {examples}{more}"
    logger.warning(message)
    return message


def default_data_dir(name: str) -> Path:
    """Default location of a built or downloaded dataset: `data/<name>` under the working directory."""
    return Path.cwd() / "data" / name


def file_checksums(path: Path, chunk_bytes: int = 1 << 20) -> dict[str, str]:
    """md5 and sha256 (hex) of a file."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            md5.update(chunk)
            sha256.update(chunk)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def verify_checksums(path: Path, computed: dict[str, str], expected: dict[str, str | None]) -> None:
    """Raise `DatasetError` when any given expected checksum (md5 / sha256) differs from the computed one."""
    for algo, want in expected.items():
        if want and want.lower() != computed[algo]:
            raise DatasetError(
                f"{path}: {algo} mismatch: expected {want.lower()}, computed {computed[algo]} "
                "(corrupt or different download; delete the file and retry)"
            )


def download_file(url: str, dest: Path, timeout_s: float = 60.0) -> Path:
    """Download `url` to `dest` through a temporary file (no partial file is left behind)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s -> %s", url, dest)
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout_s) as response,
            tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".part") as tmp,
        ):
            shutil.copyfileobj(response, tmp, length=1 << 20)
            tmp_path = Path(tmp.name)
    except OSError as exc:
        raise DatasetError(f"download failed: {url} -> {dest} ({exc})") from None
    tmp_path.replace(dest)
    return dest
