"""The faster-whisper (CTranslate2) transcription backend: the offline default."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from baselines.availability import package_version
from benchmarks.metrics.base import MetricUnavailable
from benchmarks.metrics.wer import faster_whisper_batch
from benchmarks.metrics.wer.base import (
    ASR_SAMPLE_RATE,
    DEFAULT_OPTIONS,
    WINDOW_S,
    DecodeOptions,
    Transcriber,
    file_checksum,
)
from benchmarks.metrics.wer.model_files import CT2_SOURCES, resolve_ct2_model

__all__ = ["FasterWhisperTranscriber"]


class FasterWhisperTranscriber(Transcriber):
    """faster-whisper (CTranslate2), on CPU or GPU.

    Clips up to 30 s are decoded together in one batch (`faster_whisper_batch`); longer clips go
    through `WhisperModel.transcribe` one by one.

    Args:
        model: name in `model_files.CT2_MODELS` (``tiny.en``, ``base``, ``small``, ``large-v3``) or a
            CT2 model directory.
        options: decoding settings.
        compute_type: CTranslate2 compute type (``int8`` on CPU, as the tiny.en probe used).
        cpu_threads: threads; 0 = min(4, cores).
        device: ``cpu``, ``cuda``, ``cuda:<index>`` or ``auto`` (cuda when CTranslate2 sees a GPU).
    """

    backend = "faster-whisper"

    def __init__(
        self,
        model: str = "tiny.en",
        options: DecodeOptions = DEFAULT_OPTIONS,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        device: str = "cpu",
    ) -> None:
        if importlib.util.find_spec("faster_whisper") is None:
            raise MetricUnavailable(
                "faster-whisper is not installed", "pip install faster-whisper==1.2.1  (extra: metrics)"
            )
        faster_whisper_batch.check_version()
        self.model_name = model
        self.model_dir = resolve_ct2_model(model)
        self.options = options
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or min(4, os.cpu_count() or 1)
        self.device = _ct2_device(device)
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        described = {
            "backend": self.backend,
            "version": package_version("faster-whisper"),
            "ctranslate2": package_version("ctranslate2"),
            "model": self.model_name,
            "model_dir": CT2_SOURCES.get(self.model_name, str(self.model_dir)),
            "model_sha256": file_checksum(self.model_dir / "model.bin"),
            "compute_type": self.compute_type,
            **dataclasses.asdict(self.options),
            "timestamps": False,
            "condition_on_previous_text": False,
        }
        if self.device != "cpu":  # CPU transcripts keep the identity they had before devices existed
            described["device"] = self.device
        return described

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            device, _, index = self.device.partition(":")
            self._model = WhisperModel(
                str(self.model_dir),
                device=device,
                device_index=int(index or 0),
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
            )
            self._tokenizer = Tokenizer(
                self._model.hf_tokenizer,
                self._model.model.is_multilingual,
                task="transcribe",
                language=self.options.language,
            )
        return self._model

    def transcribe_batch(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        with self._lock:
            model = self._load()
            texts: list[str | None] = [None] * len(waveforms)
            short = [i for i, w in enumerate(waveforms) if w.size <= WINDOW_S * ASR_SAMPLE_RATE]
            if short:
                decoded = faster_whisper_batch.decode_windows(
                    model,
                    self._tokenizer,
                    [waveforms[i] for i in short],
                    self.options.beam_size,
                    self.options.temperature,
                )
                for i, text in zip(short, decoded):
                    texts[i] = text
            for i, w in enumerate(waveforms):
                if texts[i] is None:
                    segments, _ = model.transcribe(
                        np.asarray(w, np.float32),
                        language=self.options.language,
                        beam_size=self.options.beam_size,
                        temperature=[self.options.temperature],
                        condition_on_previous_text=False,
                        without_timestamps=True,
                        vad_filter=False,
                    )
                    texts[i] = "".join(s.text for s in segments).strip()
            return [t or "" for t in texts]


def _ct2_device(device: str) -> str:
    """``auto`` -> ``cuda`` when CTranslate2 sees a GPU, else ``cpu``; other names are kept."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
