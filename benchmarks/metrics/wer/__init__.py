"""Word error rate of Whisper transcripts (metrics ``wer``, ``wer_pseudo``, ``wer_large_v3``).

Modules, one job each:
- `metric`: the `WordErrorRate` metric (reference text, normalisation, jiwer counts);
- `base`: what the backends share (sample rate, decoding settings, the `Transcriber` interface);
- `backends`: the backends by name and one process-wide transcriber per configuration;
- `faster_whisper_backend`, `openai_whisper_backend`: the two backends;
- `faster_whisper_batch`: batched decoding through faster-whisper's private internals, pinned to the
  faster-whisper version it was written for;
- `model_files`: where each backend's model files are (wheels joined once, caches), never downloading;
- `transcript_cache`: transcripts on disk, keyed by audio content and transcriber configuration.

Decoding is deterministic: temperature 0 without fallback, beam search of `beam_size`, language
fixed to English. Every setting and the model's checksum are in `Transcriber.describe()`.
"""

from benchmarks.metrics.wer.metric import WordErrorRate, word_errors

__all__ = ["WordErrorRate", "word_errors"]
