"""Built-in metrics. Importing this module registers them (lazily: no heavy import here)."""

from __future__ import annotations

from benchmarks.metrics.registry import register_metric

# Paper recipe (DAC-style multi-resolution log-spectral distances).
register_metric("mel_distance", "benchmarks.metrics.spectral:MelDistance")
register_metric("stft_distance", "benchmarks.metrics.spectral:STFTDistance")
