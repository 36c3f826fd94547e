"""Reading audio files, with every problem named.

`load_audio` returns mono float32 audio at the requested rate, or raises `AudioInputError`
naming the file and what is wrong. Conditions that can be handled (stereo, an unusual sample rate,
clipping) are handled and reported as notes that the runner stores beside the clip's results.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from baselines.dsp import resample

__all__ = ["AudioInputError", "LoadedAudio", "load_audio", "MIN_DURATION_S"]

#: Shorter clips cannot be scored meaningfully (ViSQOL, PESQ and the codecs' frames need more).
MIN_DURATION_S = 0.25
#: Fraction of samples at full scale above which a clip is reported as clipped.
CLIPPING_FRACTION = 1e-3


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


def load_audio(
    path: str | Path,
    *,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    sample_rate: int | None = None,
    min_duration_s: float = MIN_DURATION_S,
) -> LoadedAudio:
    """Read `path` (any format libsndfile reads), cut, downmix, validate and resample.

    Args:
        path: audio file.
        offset_s, duration_s: segment to read (seconds); None reads to the end.
        sample_rate: output rate in Hz; None keeps the file's rate.
        min_duration_s: shorter segments raise `AudioInputError`.

    Raises:
        AudioInputError: unreadable, empty, too short, or non-finite audio.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioInputError(path, "file not found")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types
        raise AudioInputError(path, f"unreadable audio ({exc})") from None
    if info.frames == 0:
        raise AudioInputError(path, "empty file (0 samples)")
    start = int(round(offset_s * info.samplerate))
    stop = None if duration_s is None else start + int(round(duration_s * info.samplerate))
    if start >= info.frames:
        raise AudioInputError(path, f"offset {offset_s:.2f} s is past the end ({info.duration:.2f} s)")
    try:
        data, file_rate = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001
        raise AudioInputError(path, f"unreadable audio ({exc})") from None

    notes: list[str] = []
    if data.shape[0] == 0:
        raise AudioInputError(path, "zero-length segment")
    if not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).sum())
        raise AudioInputError(path, f"{bad} NaN/Inf samples")
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

