"""Batched Whisper decoding through faster-whisper's private internals, pinned to the version it was
written for.

`faster_whisper.WhisperModel.transcribe` decodes one clip at a time. For clips of at most 30 s,
`decode_windows` runs one encoder call and one beam search for the whole batch, with the settings
`transcribe` uses at temperature 0 without timestamps and without conditioning on previous text. It
reaches into faster-whisper's internals (`pad_or_trim`, `get_ctranslate2_storage`,
`get_suppressed_tokens`, `WhisperModel.get_prompt`, `.model.encode/.generate`), which may change in
any release: `check_version` refuses any faster-whisper other than `WRITTEN_FOR`, and
``tests/metrics/test_wer.py`` checks the batch against `transcribe` on real speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from baselines.availability import package_version
from benchmarks.metrics.base import MetricUnavailable

__all__ = ["WRITTEN_FOR", "check_version", "decode_windows"]

#: The faster-whisper release whose internals `decode_windows` uses (also pinned in pyproject.toml).
WRITTEN_FOR = "1.2.1"


def check_version(installed: str | None = None) -> None:
    """Raise `MetricUnavailable` unless the installed faster-whisper is `WRITTEN_FOR`."""
    installed = installed or package_version("faster-whisper")
    if installed != WRITTEN_FOR:
        raise MetricUnavailable(
            f"faster-whisper {installed} is installed; the batched decoder uses the internals of "
            f"faster-whisper {WRITTEN_FOR} only",
            f"pip install faster-whisper=={WRITTEN_FOR}  (extra: metrics)",
        )


def decode_windows(
    model: Any, tokenizer: Any, waveforms: Sequence[np.ndarray], beam_size: int, temperature: float = 0.0
) -> list[str]:
    """Transcripts of clips of at most 30 s (float32 ndarray[T] at 16 kHz): one batched encoder call and
    one batched beam search.

    Args:
        model: a `faster_whisper.WhisperModel`.
        tokenizer: a `faster_whisper.tokenizer.Tokenizer` for the task and language.
        waveforms: the clips.
        beam_size: beam width.
        temperature: 0 (deterministic beam search).
    """
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.transcribe import get_ctranslate2_storage, get_suppressed_tokens

    feats = np.stack(
        [pad_or_trim(model.feature_extractor(np.asarray(w, np.float32))[..., :-1]) for w in waveforms]
    )
    encoded = model.model.encode(get_ctranslate2_storage(feats.astype(np.float32)), to_cpu=False)
    prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
    results = model.model.generate(
        encoded,
        [list(prompt) for _ in waveforms],
        beam_size=beam_size,
        max_length=model.max_length,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        return_scores=False,
        sampling_temperature=1.0 if temperature == 0 else temperature,
    )
    return [tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]).strip() for r in results]
