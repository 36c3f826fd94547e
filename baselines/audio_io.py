"""Reading audio files, with every problem named.

`load_audio` returns mono float32 audio at the requested rate, or raises `AudioInputError`
naming the file and what is wrong. Conditions that can be handled (stereo, an unusual sample rate,
clipping, a truncated MP3/Ogg stream) are handled and reported as notes that the runner stores beside
the clip's results.

Reads stay inside a declared root: with `root=` given, the path (after resolving every symbolic link)
must lie inside it, else nothing is opened. Only regular files are opened: directories, FIFOs, devices,
dangling or looping links are errors, never hangs. The decoded size is checked against
`max_duration_s` from the header, before anything is decoded or resampled.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from baselines.dsp import resample
from baselines.stream_integrity import truncation_problem

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_ABS_SAMPLE",
    "MAX_DURATION_S",
    "MIN_DURATION_S",
    "AudioInputError",
    "LoadedAudio",
    "check_readable_file",
    "load_audio",
    "load_clip_audio",
]

#: File extensions taken as audio (every one libsndfile >= 1.1 reads: WAV, FLAC, Ogg Vorbis/Opus, MP3,
#: AIFF), in the order a stored output is looked for.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif")

#: Shorter clips cannot be scored meaningfully (ViSQOL, PESQ and the codecs' frames need more).
MIN_DURATION_S = 0.25
#: Fraction of samples at full scale above which a clip is reported as clipped.
CLIPPING_FRACTION = 1e-3
#: Default upper bound on a decoded segment (seconds, from the header, before decoding and resampling).
#: A header that claims a 1 Hz rate turns 40 KB into hours of audio; this stops it as a per-clip error.
MAX_DURATION_S = 3600.0
#: Samples of a float file beyond this magnitude are not audio (full scale is 1.0): a per-clip error.
MAX_ABS_SAMPLE = 1e3


class AudioInputError(ValueError):
    """An audio file cannot be used; the message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclasses.dataclass
class LoadedAudio:
    """Mono audio ready for a codec.

    Attributes:
        waveform: float32 ndarray[T].
        sample_rate: Hz (the requested rate, or the file's when none was requested).
        notes: handled conditions, e.g. ``"stereo (2 ch) averaged to mono"``.
    """

    waveform: np.ndarray
    sample_rate: int
    notes: list[str]


def check_readable_file(path: str | Path, root: str | Path | None = None) -> Path:
    """`path` if it is a regular file that may be read, else `AudioInputError` saying why.

    Args:
        path: the file (may be a symbolic link).
        root: when given, `path` with every symbolic link resolved must lie inside `root` (also resolved).

    Returns:
        The resolved path (what will actually be opened).

    Raises:
        AudioInputError: dangling or looping link, missing, a directory, not a regular file (FIFO, device,
            socket; never opened, so never a hang), or outside `root`.
    """
    path = Path(path)
    if root is not None:
        root_resolved = Path(root).resolve()
        target = Path(os.path.realpath(path))  # links resolved as far as they go; nothing opened
        if not target.is_relative_to(root_resolved):
            raise AudioInputError(
                path, f"resolves to {target}, outside the declared root {root_resolved}; not read"
            )
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports link loops this way
        raise AudioInputError(path, "symbolic link loop; not read") from None
    except FileNotFoundError:
        if path.is_symlink():
            raise AudioInputError(path, f"dangling symbolic link (to {os.readlink(path)}); not read") from None
        raise AudioInputError(path, "file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AudioInputError(path, "symbolic link loop; not read") from None
        raise AudioInputError(path, f"cannot resolve the path ({exc.strerror})") from None
    if root is not None and not resolved.is_relative_to(root_resolved):
        raise AudioInputError(path, f"resolves to {resolved}, outside the declared root {root_resolved}; not read")
    if resolved.is_dir():
        raise AudioInputError(path, "is a directory, not an audio file")
    if not resolved.is_file():
        raise AudioInputError(path, "not a regular file (FIFO, device or socket); not read")
    return resolved


def load_audio(
    path: str | Path,
    *,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    sample_rate: int | None = None,
    min_duration_s: float = MIN_DURATION_S,
    max_duration_s: float = MAX_DURATION_S,
    root: str | Path | None = None,
) -> LoadedAudio:
    """Read `path` (any format libsndfile reads), cut, downmix, validate and resample.

    Args:
        path: audio file.
        offset_s, duration_s: segment to read (seconds); None reads to the end.
        sample_rate: output rate in Hz; None keeps the file's rate.
        min_duration_s: shorter segments raise `AudioInputError`.
        max_duration_s: longer segments (as the header describes them) raise `AudioInputError`
            before anything is decoded or resampled.
        root: when given, the file (links resolved) must lie inside this folder; nothing else is opened.

    Raises:
        AudioInputError: outside `root`, not a regular file, unreadable, empty, too short, too long,
            non-finite or out-of-range samples.
    """
    path = Path(path)
    real = check_readable_file(path, root)
    try:
        info = sf.info(str(real))
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types
        raise AudioInputError(path, f"unreadable audio ({exc})") from None
    if info.frames == 0:
        raise AudioInputError(path, "empty file (0 samples)")
    if info.samplerate <= 0:
        raise AudioInputError(path, f"invalid sample rate {info.samplerate} Hz in the header")
    start = int(round(offset_s * info.samplerate))
    stop = None if duration_s is None else start + int(round(duration_s * info.samplerate))
    if start >= info.frames:
        raise AudioInputError(path, f"offset {offset_s:.2f} s is past the end ({info.duration:.2f} s)")
    expected_frames = (info.frames if stop is None else min(stop, info.frames)) - start
    expected_s = expected_frames / info.samplerate
    if expected_s > max_duration_s:
        raise AudioInputError(
            path,
            f"too long: the header describes {expected_s:.0f} s ({expected_frames} samples at "
            f"{info.samplerate} Hz), above the limit of {max_duration_s:.0f} s (max_duration_s); not decoded",
        )
    try:
        data, file_rate = sf.read(str(real), start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001
        raise AudioInputError(path, f"unreadable audio ({exc})") from None

    notes: list[str] = []
    if data.shape[0] == 0:
        raise AudioInputError(path, "zero-length segment")
    if not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).sum())
        raise AudioInputError(path, f"{bad} NaN/Inf samples")
    peak = float(np.max(np.abs(data)))
    if peak > MAX_ABS_SAMPLE:
        bad = int((np.abs(data) > MAX_ABS_SAMPLE).sum())
        raise AudioInputError(
            path, f"out-of-range samples: {bad} with |x| > {MAX_ABS_SAMPLE:g} (peak {peak:.3g}; full scale is 1.0)"
        )
    if peak > 1.0:
        notes.append(f"samples beyond full scale (peak {peak:.3g})")
    truncated = truncation_problem(real, info.format)
    if truncated:
        notes.append(truncated)
    elif data.shape[0] < expected_frames:
        notes.append(
            f"stream shorter than its header: decoded {data.shape[0]} of {expected_frames} samples"
        )
    if data.shape[1] > 1:
        notes.append(f"{data.shape[1]}-channel audio averaged to mono")
        data = data.mean(axis=1, keepdims=True)
    mono = np.ascontiguousarray(data[:, 0])
    seconds = mono.shape[0] / file_rate
    if seconds < min_duration_s:
        raise AudioInputError(path, f"too short: {seconds:.3f} s (minimum {min_duration_s} s)")
    clipped = float(np.mean(np.abs(mono) >= 0.999))
    if clipped > CLIPPING_FRACTION:
        notes.append(f"clipped: {100 * clipped:.2f}% of samples at full scale")
    if not np.any(mono):
        notes.append("digital silence")
    out_rate = file_rate
    if sample_rate is not None and sample_rate != file_rate:
        notes.append(f"resampled {file_rate} Hz -> {sample_rate} Hz")
        mono = resample(torch.from_numpy(mono), file_rate, sample_rate).numpy()
        out_rate = sample_rate
    return LoadedAudio(mono.astype(np.float32, copy=False), int(out_rate), notes)


def load_clip_audio(clip: Any, sample_rate: int | None = None, max_duration_s: float = MAX_DURATION_S) -> LoadedAudio:
    """Read a dataset clip (a `benchmarks.datasets.Clip`: path, offset_s, duration_s, root, error, notes).

    Honours its offset and duration, reads only inside its root, raises the loader's per-clip error
    (`clip.error`) and puts the loader's notes (`clip.notes`) first.

    Raises:
        AudioInputError: naming the file and what is wrong.
    """
    if clip.error:
        raise AudioInputError(clip.path, clip.error)
    loaded = load_audio(
        clip.path,
        offset_s=clip.offset_s,
        duration_s=clip.duration_s,
        sample_rate=sample_rate,
        max_duration_s=max_duration_s,
        root=clip.root,
    )
    loaded.notes[:0] = list(clip.notes)
    return loaded
