"""The transcription backends by name, and one process-wide transcriber per configuration."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

from benchmarks.metrics.base import MetricUnavailable
from benchmarks.metrics.wer.base import DEFAULT_OPTIONS, DecodeOptions, Transcriber
from benchmarks.metrics.wer.faster_whisper_backend import FasterWhisperTranscriber
from benchmarks.metrics.wer.openai_whisper_backend import OpenAIWhisperTranscriber

__all__ = ["ANY_BACKEND", "TRANSCRIBERS", "build_transcriber"]

#: backend name -> class.
TRANSCRIBERS: dict[str, type[Transcriber]] = {
    "faster-whisper": FasterWhisperTranscriber,
    "openai-whisper": OpenAIWhisperTranscriber,
}
#: Backend value meaning: the first backend of `TRANSCRIBERS` whose files for the model are here.
ANY_BACKEND = "any"

_BUILT: dict[str, Transcriber] = {}
_BUILT_LOCK = threading.Lock()


def build_transcriber(
    backend: str, model: str, options: DecodeOptions = DEFAULT_OPTIONS, **kwargs: Any
) -> Transcriber:
    """The process-wide transcriber for this configuration (models load once and are shared).

    `kwargs` are the backend's own arguments; with ``backend="any"`` they are given to each backend
    that takes them, openai-whisper first, and when none is available the error lists every backend's
    missing file and the command that fetches it.
    """
    if backend == ANY_BACKEND:
        return _first_available(model, options, kwargs)
    if backend not in TRANSCRIBERS:
        raise ValueError(f"ASR backend {backend!r} is not one of {sorted(TRANSCRIBERS)} or {ANY_BACKEND!r}")
    key = json.dumps([backend, model, dataclasses.asdict(options), kwargs], sort_keys=True, default=str)
    with _BUILT_LOCK:
        if key not in _BUILT:
            _BUILT[key] = TRANSCRIBERS[backend](model=model, options=options, **kwargs)
        return _BUILT[key]


def _first_available(model: str, options: DecodeOptions, kwargs: dict[str, Any]) -> Transcriber:
    problems: list[MetricUnavailable] = []
    for backend in ("openai-whisper", "faster-whisper"):
        accepted = _accepted_arguments(TRANSCRIBERS[backend])
        try:
            return build_transcriber(
                backend, model, options, **{k: v for k, v in kwargs.items() if k in accepted}
            )
        except MetricUnavailable as exc:
            problems.append(exc)
    raise MetricUnavailable(
        f"Whisper {model} is available through no backend: " + "; ".join(p.reason for p in problems),
        " | or: ".join(p.remedy for p in problems),
    )


def _accepted_arguments(cls: type[Transcriber]) -> set[str]:
    import inspect

    return set(inspect.signature(cls.__init__).parameters) - {"self", "model", "options"}
