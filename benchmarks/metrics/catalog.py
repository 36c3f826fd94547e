"""Built-in metrics. Importing this module registers them (lazily: no heavy import here)."""

from __future__ import annotations

from benchmarks.metrics.registry import register_metric

# Paper recipe (DAC-style multi-resolution log-spectral distances).
register_metric("mel_distance", "benchmarks.metrics.spectral:MelDistance")
register_metric("stft_distance", "benchmarks.metrics.spectral:STFTDistance")

# Perceptual quality: ViSQOL v3 (visqol-python). `visqol` = authors' recommended settings (speech mode +
# lattice at 16 kHz for speech, audio mode at 48 kHz otherwise); `visqol_paper` = the settings that
# reproduce the paper's Table II (speech mode, exponential mapping, 16 kHz, all domains).
register_metric("visqol", "benchmarks.metrics.visqol:ViSQOL", profile="standard")
register_metric("visqol_paper", "benchmarks.metrics.visqol:ViSQOL", profile="paper")
# Intelligibility: Whisper transcripts -> WER (per-utterance mean and corpus-level ratio).
register_metric("wer", "benchmarks.metrics.wer:WordErrorRate", reference="transcript")
register_metric("wer_pseudo", "benchmarks.metrics.wer:WordErrorRate", reference="pseudo")
# Intrusive speech metrics from maintained packages (pesq, pystoi) and SI-SDR.
register_metric("pesq_wb", "benchmarks.metrics.intrusive:PESQ", band="wb")
register_metric("pesq_nb", "benchmarks.metrics.intrusive:PESQ", band="nb")
register_metric("stoi", "benchmarks.metrics.intrusive:STOI", extended=False)
register_metric("estoi", "benchmarks.metrics.intrusive:STOI", extended=True)
register_metric("si_sdr", "benchmarks.metrics.intrusive:SISDR")
# Speaker similarity (Resemblyzer d-vectors) and a non-intrusive MOS (DNSMOS P.835).
register_metric("speaker_similarity", "benchmarks.metrics.speaker:SpeakerSimilarity")
register_metric("dnsmos", "benchmarks.metrics.dnsmos:DNSMOS")
