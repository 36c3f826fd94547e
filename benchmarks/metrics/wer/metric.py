"""Word error rate of Whisper transcripts of the estimate.

Two registered metrics share one implementation and one process-wide ASR model:

- ``wer`` (`reference="transcript"`): the reference text is the clip's transcript. Applies to
  speech clips that have one.
- ``wer_pseudo`` (`reference="pseudo"`): the reference text is the same ASR model's transcript of
  the original clip (a pseudo-reference; cached on disk). Applies to speech clips without a
  transcript, or to every speech clip with `all_clips=True` (isolates the codec's damage from the
  ASR model's own errors).

Both reference and hypothesis are normalised (`benchmarks.metrics.text`, default ``paper``: keep
letters/digits/spaces, lower-case). Per clip the metric writes the utterance WER in % (the paper
reports the mean of these) and the error and word counts, from which reports compute corpus-level
WER (sum of errors / sum of reference words) through the ``ratio:`` aggregate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from baselines.availability import package_version
from baselines.dsp import RESAMPLER
from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import Metric, MetricError, MetricOutput, MetricUnavailable, ScoreItem
from benchmarks.metrics.signals import NEAR_SILENCE_DBFS, pair_at_rate, require_level
from benchmarks.metrics.text import normalize, normalizer_names, normalizer_version
from benchmarks.metrics.wer.backends import ANY_BACKEND, build_transcriber
from benchmarks.metrics.wer.base import ASR_SAMPLE_RATE, DecodeOptions
from benchmarks.metrics.wer.transcript_cache import TranscriptCache

__all__ = ["PAPER_MODEL", "WordErrorRate", "word_errors"]

_REFERENCES = ("transcript", "pseudo")
#: The paper's transcriber (openai-whisper name).
PAPER_MODEL = "large-v3"
log = logging.getLogger(__name__)
#: Why a near-silent original gets no pseudo-reference: what Whisper "hears" in silence depends on the CPU's
#: int8 kernels (tiny.en says "Thank you." on some machines and nothing on others), not on the audio.
_SILENT_ORIGINAL_WHY = "no words to transcribe (Whisper's text for silence depends on the CPU, not the audio); WER is undefined"


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words) of two normalised strings (jiwer)."""
    try:
        import jiwer
    except ImportError:
        raise MetricUnavailable(
            "jiwer is not installed", "pip install 'jiwer>=3.0'  (extra: metrics)"
        ) from None
    words = len(reference.split())
    if words == 0:
        raise MetricError("reference has no words after normalisation")
    if not hypothesis.split():
        return words, words  # everything deleted
    out = jiwer.process_words(reference, hypothesis)
    return int(out.substitutions + out.deletions + out.insertions), words


class WordErrorRate(Metric):
    """WER (%) of Whisper transcripts of the estimate against a reference text; lower is better.

    Args:
        backend: ``"faster-whisper"`` (offline default), ``"openai-whisper"`` (needs the checkpoint;
            see `benchmarks.metrics.wer.model_files`), ``"any"``: the first of openai-whisper and
            faster-whisper that has `model`'s files here (else unavailable, naming each backend's
            missing files and the command that fetches them), or ``"auto"``: openai-whisper
            ``large-v3`` (the paper's model) when it is available here, else faster-whisper `model`.
        model: ``"tiny.en"``, ``"base"``, ``"small"``, ``"large-v3"``, a CT2 model directory
            (faster-whisper), or an openai-whisper model name (``"large-v3"``).
        normalizer: ``"paper"``, ``"whisper"`` or ``"none"``.
        reference: ``"transcript"`` (clip transcripts; outputs ``wer*``) or ``"pseudo"`` (ASR of the
            original; outputs ``wer_pseudo*``).
        all_clips: with `reference="pseudo"`, also score clips that have a transcript.
        cache_dir: transcript cache folder (None = the user cache; see `TranscriptCache`).
        use_cache: read/write the transcript cache of originals.
        beam_size: beam width; decoding is always at temperature 0.
        language: forced language.
        compute_type, cpu_threads: faster-whisper settings.
        download_root: openai-whisper checkpoint folder.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:<index>"`` or ``"auto"`` (a GPU when there is one); None: cpu.
        output_prefix: name of the outputs (``<prefix>``, ``<prefix>_corpus``...); None: ``wer`` for
            `reference="transcript"`, ``wer_pseudo`` for ``"pseudo"``. Presets that may run beside the
            default ones (another model) need a prefix of their own.
    """

    domains = ("speech",)
    needs_transcript = True

    def __init__(
        self,
        backend: str = "faster-whisper",
        model: str = "tiny.en",
        normalizer: str = "paper",
        reference: str = "transcript",
        all_clips: bool = False,
        cache_dir: str | None = None,
        use_cache: bool = True,
        beam_size: int = 5,
        language: str = "en",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        download_root: str | None = None,
        device: str | None = None,
        output_prefix: str | None = None,
    ) -> None:
        device = device or "cpu"
        if normalizer not in normalizer_names():
            raise ValueError(f"normalizer {normalizer!r} is not one of {normalizer_names()}")
        if reference not in _REFERENCES:
            raise ValueError(f"reference {reference!r} is not one of {_REFERENCES}")
        self.normalizer = normalizer
        self.reference = reference
        self.all_clips = bool(all_clips)
        self.needs_transcript = reference == "transcript"
        prefix = output_prefix or ("wer" if reference == "transcript" else "wer_pseudo")
        self.name = prefix
        self.outputs = (
            MetricOutput(prefix, higher_is_better=False, lower=0.0, unit="%"),
            MetricOutput(
                f"{prefix}_corpus",
                higher_is_better=False,
                lower=0.0,
                unit="%",
                aggregate=f"ratio:{prefix}_errors/{prefix}_words",
            ),
            MetricOutput(f"{prefix}_errors", higher_is_better=False, lower=0.0, hidden=True),
            MetricOutput(f"{prefix}_words", higher_is_better=True, lower=0.0, hidden=True),
        )
        options = DecodeOptions(language=language, beam_size=beam_size)
        if backend == "auto":
            try:
                self.transcriber = build_transcriber(
                    "openai-whisper", PAPER_MODEL, options, download_root=download_root, device=device
                )
                backend, model = "openai-whisper", PAPER_MODEL
            except MetricUnavailable as exc:
                log.info(
                    "WER: the paper's transcriber is not available (%s); using faster-whisper %s",
                    exc.reason,
                    model,
                )
                backend = "faster-whisper"
        extra: dict[str, Any] = (
            {"compute_type": compute_type, "cpu_threads": cpu_threads, "device": device}
            if backend == "faster-whisper"
            else {"download_root": download_root, "device": device}
            if backend == "openai-whisper"
            else {
                "compute_type": compute_type,
                "cpu_threads": cpu_threads,
                "download_root": download_root,
                "device": device,
            }
            if backend == ANY_BACKEND
            else {}
        )
        self.transcriber = build_transcriber(backend, model, options, **extra)
        self.cache = TranscriptCache(cache_dir) if use_cache else None
        normalize("", normalizer)  # fail now, not per clip, when the normaliser is missing

    # -- contract -------------------------------------------------------------------------------------
    def applies_to(self, clip: Clip) -> bool:
        if clip.domain not in self.domains:
            return False
        has_text = bool(clip.transcript and clip.transcript.strip())
        if self.reference == "transcript":
            return has_text
        return self.all_clips or not has_text

    def provenance(self, domain: str) -> dict[str, Any]:
        asr = self.transcriber.describe()
        return {
            "implementation": f"{asr['backend']} transcripts + jiwer {package_version('jiwer')}",
            "version": asr["version"],
            "mode": f"reference={self.reference}; per-utterance mean and corpus ratio",
            "model": f"{asr['model']} ({asr.get('model_dir', '')}, sha256 {asr['model_sha256']})",
            "sample_rate": ASR_SAMPLE_RATE,
            "normalizer": normalizer_version(self.normalizer),
            "decoding": {
                k: asr[k]
                for k in (
                    "language",
                    "beam_size",
                    "temperature",
                    "compute_type",
                    "timestamps",
                    "condition_on_previous_text",
                    "device",
                )
                if k in asr
            },
            "resampler": RESAMPLER,
            **({"min_original_dbfs": NEAR_SILENCE_DBFS} if self.reference == "pseudo" else {}),
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        result = self.score_batch([item])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def score_batch(self, items: Sequence[ScoreItem]) -> list[dict[str, float] | BaseException]:
        results: list[dict[str, float] | BaseException | None] = [None] * len(items)
        pairs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for i, item in enumerate(items):
            try:
                ref, est, _ = pair_at_rate(item, ASR_SAMPLE_RATE, min_duration_s=0.1)
                if self.reference == "transcript" and not (item.clip.transcript or "").strip():
                    raise MetricError(
                        f"clip {item.clip.clip_id}: no transcript (the wer_pseudo metric scores such clips)"
                    )
                if self.reference == "pseudo":  # Whisper invents text for silence ("Thank you."): no reference
                    require_level(ref, NEAR_SILENCE_DBFS, "original", item.clip.clip_id, _SILENT_ORIGINAL_WHY)
                pairs[i] = (ref, est)
            except Exception as exc:  # noqa: BLE001
                results[i] = exc
        if pairs:
            order = sorted(pairs)
            try:
                references = self._reference_texts([items[i] for i in order], [pairs[i][0] for i in order])
                hypotheses = self.transcriber.transcribe_batch([pairs[i][1] for i in order])
            except Exception as exc:  # noqa: BLE001 - a failed batch fails each of its clips, with the reason
                for i in order:
                    results[i] = exc
            else:
                for i, ref_text, hyp_text in zip(order, references, hypotheses):
                    try:
                        results[i] = self._score_texts(items[i].clip.clip_id, ref_text, hyp_text)
                    except Exception as exc:  # noqa: BLE001
                        results[i] = exc
        return [r if r is not None else MetricError("not scored") for r in results]

    # -- helpers ------------------------------------------------------------------------------------------
    def _reference_texts(self, items: Sequence[ScoreItem], references: Sequence[np.ndarray]) -> list[str]:
        if self.reference == "transcript":
            return [str(item.clip.transcript) for item in items]
        return self.transcribe_originals(references)

    def transcribe_originals(self, waveforms: Sequence[np.ndarray]) -> list[str]:
        """ASR transcripts of original clips (float32 ndarray[T] at 16 kHz), through the disk cache."""
        ident = self.transcriber.identity()
        keys = [TranscriptCache.key(w, ident) for w in waveforms]
        texts: list[str | None] = [self.cache.get(k) if self.cache else None for k in keys]
        todo = [i for i, t in enumerate(texts) if t is None]
        if todo:
            fresh = self.transcriber.transcribe_batch([waveforms[i] for i in todo])
            for i, text in zip(todo, fresh):
                texts[i] = text
                if self.cache is not None:
                    self.cache.put(keys[i], text, {"transcriber": self.transcriber.describe()})
        return [str(t) for t in texts]

    def _score_texts(self, clip_id: str, reference: str, hypothesis: str) -> dict[str, float]:
        ref = normalize(reference, self.normalizer)
        hyp = normalize(hypothesis, self.normalizer)
        if not ref:
            what = (
                "the ASR model heard no words in the original"
                if self.reference == "pseudo"
                else "the transcript has no words after normalisation"
            )
            raise MetricError(f"clip {clip_id}: {what}; WER is undefined")
        errors, words = word_errors(ref, hyp)
        p = self.name
        return {
            p: 100.0 * errors / words,
            f"{p}_corpus": 100.0 * errors / words,
            f"{p}_errors": float(errors),
            f"{p}_words": float(words),
        }
