"""Dataset folders and the files in them: folder checks, listing audio files, header-only durations,
transcript files, the default data folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from baselines.audio_io import AUDIO_EXTENSIONS, AudioInputError, check_readable_file
from benchmarks.datasets.base import DatasetError

__all__ = [
    "audio_duration_s",
    "default_data_dir",
    "find_audio_files",
    "list_audio_entries",
    "read_transcript_file",
    "require_dir",
]


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


def default_data_dir(name: str) -> Path:
    """Default location of a built or downloaded dataset: `data/<name>` under the working directory."""
    return Path.cwd() / "data" / name
