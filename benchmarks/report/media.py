"""Browser-playable audio copies and spectrogram images for the listening page, rewritten only when stale.

Reconstructions are cached as 32-bit float WAV (`benchmarks.cache`), which browsers do not all play, and
the original clips may be any format, rate or segment of a longer file. The page therefore gets its
own copies: 16-bit FLAC at the evaluation rate (what the codecs were given and what was scored;
lossless, about half the size of a WAV file, played by every current browser), and one spectrogram
PNG per copy, on one fixed dBFS colour scale so that systems can be compared by eye. A copy is clipped to [-1, 1] before quantisation (a note says so when samples exceeded it).

Each copy is recorded in ``media.json`` with a key naming its source (the reconstruction's sha256, or
the original file's path, size, modification time and segment) and `MEDIA_VERSION`; a copy whose key
is unchanged is not read or drawn again. Files of earlier builds that the current page no longer
names are removed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import numpy as np
import soundfile as sf
from matplotlib import colormaps, image
from scipy import signal

__all__ = ["MediaItem", "MediaWriter", "MEDIA_VERSION", "AUDIO_DIR", "SPECTROGRAM_DIR", "MANIFEST_NAME",
           "draw_spectrogram", "href", "SPECTROGRAM_SIZE"]

#: Part of every key: bump it when the copies or the drawing change, so every file is rewritten.
MEDIA_VERSION = "2"
AUDIO_DIR = "audio"
SPECTROGRAM_DIR = "spectrograms"
MANIFEST_NAME = "media.json"
_FLOOR_DBFS = -100.0


@dataclasses.dataclass(frozen=True)
class MediaItem:
    """One system's rendition of one clip on the page: paths relative to the report folder, or an error."""

    audio: str | None = None
    spectrogram: str | None = None
    note: str = ""
    error: str = ""


def href(relative: PurePosixPath | str) -> str:
    """A relative URL for a file under the report folder (each component percent-encoded)."""
    return "/".join(quote(part, safe="") for part in PurePosixPath(relative).parts)


#: Spectrogram image size in pixels (width = time, height = frequency from 0 Hz to Nyquist).
SPECTROGRAM_SIZE = (360, 140)


def _fit(power: np.ndarray, axis: int, size: int) -> np.ndarray:
    """`power` resized to `size` along `axis`: mean of each block when shrinking, repetition when growing."""
    n = power.shape[axis]
    if n > size:
        starts = np.unique(np.linspace(0, n, size, endpoint=False).astype(int))
        sums = np.add.reduceat(power, starts, axis=axis)
        counts = np.diff(np.append(starts, n)).reshape([-1 if a == axis else 1 for a in range(power.ndim)])
        power = sums / counts
    n = power.shape[axis]
    return np.take(power, np.floor(np.arange(size) * n / size).astype(int), axis=axis)


def draw_spectrogram(waveform: np.ndarray, sample_rate: int, path: Path) -> None:
    """A small log-power spectrogram PNG of `waveform` (ndarray[T] or [T, C], averaged to mono).

    `SPECTROGRAM_SIZE` pixels, low frequencies at the bottom, drawn with matplotlib's ``magma`` colour map
    on one fixed scale (-100..0 dBFS), so the same sound looks the same in every image. Pixels are
    computed directly (no axes), which keeps a page of thousands of clips quick to write.
    """
    mono = np.asarray(waveform, dtype=np.float64)
    if mono.ndim == 2:
        mono = mono.mean(axis=1)
    n_fft = 512 if sample_rate <= 24_000 else 1024
    if mono.size < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.size))
    _, _, spec = signal.stft(mono, fs=sample_rate, nperseg=n_fft, noverlap=n_fft * 3 // 4, window="hann")
    # Full scale: a 0 dBFS sine has |STFT| = 0.5 with scipy's window normalisation.
    power = np.abs(spec) ** 2 / 0.25
    width, height = SPECTROGRAM_SIZE
    power = _fit(_fit(power, 1, width), 0, height)
    level = 10.0 * np.log10(np.maximum(power, 1e-12))
    shade = np.clip((level - _FLOOR_DBFS) / -_FLOOR_DBFS, 0.0, 1.0)[::-1]
    rgb = colormaps["magma"](shade, bytes=True)[..., :3]  # 8-bit RGB: small and quick to encode
    image.imsave(path, rgb, format="png", metadata={"Software": None})


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _paths(stem: PurePosixPath) -> tuple[PurePosixPath, PurePosixPath]:
    """(audio copy, spectrogram) of `stem`, relative to the report folder (a dot in a name is kept)."""
    return (PurePosixPath(AUDIO_DIR) / stem.parent / f"{stem.name}.flac",
            PurePosixPath(SPECTROGRAM_DIR) / stem.parent / f"{stem.name}.png")


class MediaWriter:
    """Writes and tracks the page's audio copies and spectrograms under `report_dir`.

    Args:
        report_dir: the report folder (holds ``audio/``, ``spectrograms/`` and ``media.json``).
    """

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir
        self._manifest_path = report_dir / MANIFEST_NAME
        try:
            self._old: dict[str, dict] = json.loads(self._manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._old = {}
        self._new: dict[str, dict] = {}
        self.written = 0
        self.reused = 0

    def item(self, stem: PurePosixPath, key: str, load: Callable[[], tuple[np.ndarray, int]]) -> MediaItem:
        """The copy of one rendition, named `stem` (relative, without suffix); `load` is called only when
        the copy is missing or its recorded key differs from `key`. An exception of `load` becomes the
        item's error (the message is shown on the page).
        """
        audio_rel, image_rel = _paths(stem)
        full_key = f"{MEDIA_VERSION}:{key}"
        old = self._old.get(str(stem))
        present = (self.report_dir / audio_rel).is_file() and (self.report_dir / image_rel).is_file()
        if old is not None and old.get("key") == full_key and present:
            self._new[str(stem)] = old
            self.reused += 1
            return MediaItem(href(audio_rel), href(image_rel), str(old.get("note", "")))
        try:
            waveform, sample_rate = load()
        except Exception as exc:  # noqa: BLE001 - shown beside the clip instead of the player
            return MediaItem(error=f"{type(exc).__name__}: {exc}")
        waveform = np.asarray(waveform, dtype=np.float32)
        peak = float(np.max(np.abs(waveform))) if waveform.size else 0.0
        note = f"peak {peak:.2f} exceeded full scale; clipped in this copy" if peak > 1.0 else ""
        quantised = np.clip(waveform, -1.0, 1.0)
        _atomic_write(self.report_dir / audio_rel,
                      lambda p: sf.write(p, quantised, sample_rate, subtype="PCM_16", format="FLAC"))
        _atomic_write(self.report_dir / image_rel, lambda p: draw_spectrogram(quantised, sample_rate, p))
        self._new[str(stem)] = {"key": full_key, "note": note}
        self.written += 1
        return MediaItem(href(audio_rel), href(image_rel), note)

    def finish(self) -> list[Path]:
        """Write ``media.json`` and remove copies this build did not name; returns the removed files."""
        keep = set()
        for stem in self._new:
            keep.update((self.report_dir / rel).resolve() for rel in _paths(PurePosixPath(stem)))
        removed = []
        for folder in (AUDIO_DIR, SPECTROGRAM_DIR):
            root = self.report_dir / folder
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.resolve() not in keep:
                    path.unlink()
                    removed.append(path)
            for path in sorted(root.rglob("*"), reverse=True):  # empty folders, deepest first
                if path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        if not self._new:  # a page without players (e.g. a folder of CSVs) keeps no manifest
            self._manifest_path.unlink(missing_ok=True)
            return removed
        text = json.dumps(self._new, indent=1, sort_keys=True)
        self.report_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self._manifest_path, lambda p: p.write_text(text, encoding="utf-8"))
        return removed
