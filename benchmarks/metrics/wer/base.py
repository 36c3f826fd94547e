"""What every Whisper transcription backend shares: the sample rate, the decoding settings, the
`Transcriber` interface, the device choice and the file checksums recorded in provenance."""

from __future__ import annotations

import abc
import dataclasses
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from baselines.files import file_sha256
from benchmarks.fingerprint import digest

__all__ = [
    "ASR_SAMPLE_RATE",
    "DEFAULT_OPTIONS",
    "WINDOW_S",
    "DecodeOptions",
    "Transcriber",
    "file_checksum",
    "resolve_device",
    "user_cache_dir",
]

#: Whisper models take 16 kHz audio.
ASR_SAMPLE_RATE = 16_000
#: Whisper's window: longer clips are transcribed window by window.
WINDOW_S = 30.0


def user_cache_dir() -> Path:
    """``$CODECBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/lowrate-codec-bench``, else ``~/.cache/lowrate-codec-bench``."""
    if os.environ.get("CODECBENCH_CACHE_DIR"):
        return Path(os.environ["CODECBENCH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lowrate-codec-bench"


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; any other name is kept."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """Decoding settings recorded with every transcript.

    Attributes:
        language: forced language code (no language detection).
        beam_size: beam width (1 = greedy).
        temperature: sampling temperature; 0 = deterministic, and no temperature fallback is used.
    """

    language: str = "en"
    beam_size: int = 5
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {self.beam_size}")
        if self.temperature != 0.0:
            raise ValueError("only temperature 0 (deterministic decoding) is supported")


#: The default decoding settings (English, beam 5, temperature 0).
DEFAULT_OPTIONS = DecodeOptions()


class Transcriber(abc.ABC):
    """Speech to text for float32 ndarray[T] waveforms at `ASR_SAMPLE_RATE`."""

    backend: str = ""

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """Backend, package version, model (name, path, checksum), decoding options."""

    @abc.abstractmethod
    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        """Raw transcript of each waveform (not normalised)."""

    def identity(self) -> str:
        """Stable short id of this transcriber's configuration (cache keys)."""
        return digest(self.describe(), 16)


@functools.cache
def _file_sha256(path: str, size: int, mtime: float) -> str:
    return file_sha256(path, 16)


def file_checksum(path: Path) -> str:
    """sha256 prefix of a file (cached per process by path, size and mtime)."""
    st = path.stat()
    return _file_sha256(str(path), st.st_size, st.st_mtime)
