"""The openai-whisper transcription backend: the paper's transcriber (``large-v3``)."""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from baselines.availability import package_version
from benchmarks.metrics.base import MetricUnavailable
from benchmarks.metrics.wer.base import (
    DEFAULT_OPTIONS,
    DecodeOptions,
    Transcriber,
    file_checksum,
    resolve_device,
)
from benchmarks.metrics.wer.model_files import openai_checkpoint, openai_fetch_command

__all__ = ["OpenAIWhisperTranscriber"]


class OpenAIWhisperTranscriber(Transcriber):
    """openai-whisper, on CPU or GPU, in float32 (no fp16: the same numbers on either device).

    Args:
        model: openai-whisper model name (``large-v3``, ``base``...); the checkpoint is
            ``<download_root>/<model>.pt``, never downloaded here (the message on a missing one gives
            the command that fetches it).
        options: decoding settings.
        download_root: folder of the checkpoints; default ``$XDG_CACHE_HOME/whisper`` or ``~/.cache/whisper``.
        device: ``cpu``, ``cuda``, ``cuda:<index>`` or ``auto`` (cuda when torch sees a GPU).
    """

    backend = "openai-whisper"

    def __init__(
        self,
        model: str = "large-v3",
        options: DecodeOptions = DEFAULT_OPTIONS,
        download_root: str | None = None,
        device: str = "cpu",
    ) -> None:
        self.checkpoint = openai_checkpoint(model, download_root)
        if importlib.util.find_spec("whisper") is None:
            raise MetricUnavailable(
                "openai-whisper backend unavailable: package openai-whisper is not installed",
                f"pip install openai-whisper==20250625  (extra: metrics); then, on a machine with network, "
                f"fetch {self.checkpoint} with {openai_fetch_command(model, self.checkpoint)} "
                "(or use backend=faster-whisper)",
            )
        if not self.checkpoint.is_file():
            raise MetricUnavailable(
                f"openai-whisper backend unavailable: checkpoint {self.checkpoint} not found",
                f"on a machine with network run {openai_fetch_command(model, self.checkpoint)} "
                f"(or copy {model}.pt there from ~/.cache/whisper/ of such a machine), or use "
                "backend=faster-whisper",
            )
        self.model_name = model
        self.options = options
        self.device = resolve_device(device)
        self._model: Any = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        described = {
            "backend": self.backend,
            "version": package_version("openai-whisper"),
            "model": self.model_name,
            "model_sha256": file_checksum(self.checkpoint),
            "compute_type": "float32",
            **dataclasses.asdict(self.options),
            "timestamps": False,
            "condition_on_previous_text": False,
        }
        if self.device != "cpu":  # CPU transcripts keep the identity they had before devices existed
            described["device"] = self.device
        return described

    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        import whisper

        with self._lock:
            if self._model is None:
                self._model = whisper.load_model(str(self.checkpoint), device=self.device)
            out = []
            for w in waveforms:
                result = self._model.transcribe(
                    np.asarray(w, np.float32),
                    language=self.options.language,
                    temperature=self.options.temperature,
                    beam_size=self.options.beam_size,
                    fp16=False,
                    condition_on_previous_text=False,
                    without_timestamps=True,
                )
                out.append(str(result["text"]).strip())
            return out
