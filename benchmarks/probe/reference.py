"""Reference clip features for the probe: how hard each task is without any codec.

Each extractor maps ``(waveform: float32 ndarray[T] mono, sample_rate: int) -> float32 ndarray[D]``:

- ``logmel``: mean and standard deviation over time of 64 log-mel bands (16 kHz, 25 ms window, 10 ms
  hop, 0-8 kHz): D = 128, no learning;
- ``resemblyzer``: the GE2E speaker encoder shipped in the Resemblyzer wheel (3-layer LSTM on 40 mel
  bands), the L2-normalised utterance embedding over 1.6 s partials: D = 256;
- ``whisper_tiny_en`` / ``whisper_base``: the Whisper encoder (CTranslate2, int8, models from the
  `metrics` / `asr-base` extras), fed a zero-padded 30 s log-mel window as Whisper was trained; the
  output ``[1, 1500, D]`` is mean-pooled over the frames that hold audio (20 ms each): D = 384 / 512.

Models load once per process. `reference_extractor(name)` returns the callable;
`reference_batch_extractor(name)` one for many clips at once (batched through the model where possible).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from math import gcd
from typing import Any

import numpy as np

__all__ = [
    "BatchFeatureExtractor",
    "FeatureExtractor",
    "ReferenceError",
    "get_reference_extractor",
    "reference_batch_extractor",
    "reference_dims",
    "reference_extractor",
    "reference_names",
]

FeatureExtractor = Callable[[np.ndarray, int], np.ndarray]
#: (waveforms: sequence of float32 ndarray[T_i], sample_rate) -> float32 ndarray[N, D]
BatchFeatureExtractor = Callable[[Sequence[np.ndarray], int], np.ndarray]
SAMPLE_RATE = 16_000
N_MELS, N_FFT, HOP = 64, 400, 160
_WHISPER_FRAMES, _WHISPER_HOP = 3000, 160  # 30 s of 10 ms mel frames; the encoder halves the frame rate


class ReferenceError(ValueError):
    """Unknown extractor name, unusable input, or a missing model package."""


def _mono_16k(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    audio = np.asarray(waveform, dtype=np.float32)
    if audio.ndim != 1:
        raise ReferenceError(f"expected a mono waveform [T], got shape {audio.shape}")
    if audio.size == 0:
        raise ReferenceError("empty waveform")
    if int(sample_rate) != SAMPLE_RATE:
        from scipy.signal import resample_poly

        g = gcd(int(sample_rate), SAMPLE_RATE)
        audio = resample_poly(audio.astype(np.float64), SAMPLE_RATE // g, int(sample_rate) // g).astype(
            np.float32
        )
    return audio


@functools.cache
def _mel_filters() -> np.ndarray:
    import librosa

    return librosa.filters.mel(
        sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=SAMPLE_RATE / 2
    ).astype(np.float64)


def logmel_stats(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean and std over time of 64 log-mel bands: float32 ndarray[128]."""
    audio = _mono_16k(waveform, sample_rate).astype(np.float64)
    if audio.size < N_FFT:
        audio = np.pad(audio, (0, N_FFT - audio.size))
    frames = np.lib.stride_tricks.sliding_window_view(audio, N_FFT)[::HOP]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(N_FFT + 1)[:-1], axis=1)) ** 2  # [frames, bins]
    logmel = np.log(spectrum @ _mel_filters().T + 1e-10)  # [frames, 64]
    return np.concatenate([logmel.mean(axis=0), logmel.std(axis=0)]).astype(np.float32)


def _speaker_encoder() -> Any:
    try:
        from benchmarks.metrics.speaker import speaker_encoder

        return speaker_encoder("cpu")
    except ImportError as exc:
        raise ReferenceError(
            f"resemblyzer is not installed ({exc}); pip install 'lowrate-codec-bench[metrics]'"
        ) from None


def _resemblyzer() -> FeatureExtractor:
    encoder = _speaker_encoder()

    def extract(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        return np.asarray(encoder.embed_utterance(_mono_16k(waveform, sample_rate)), dtype=np.float32)

    return extract


def _resemblyzer_batch() -> BatchFeatureExtractor:
    """`embed_utterance` for many clips at once: every clip's 1.6 s partials (rate 1.3/s, last one kept at
    75 % coverage) go through the encoder in batches of 64; a clip's embedding is the L2-normalised mean of
    its partials, as in `embed_utterance`."""
    import torch
    from resemblyzer import audio as resemblyzer_audio

    encoder = _speaker_encoder()

    def extract_many(waveforms: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        partials, owners = [], []
        for index, waveform in enumerate(waveforms):
            wav = _mono_16k(waveform, sample_rate)
            wav_slices, mel_slices = encoder.compute_partial_slices(len(wav), 1.3, 0.75)
            if wav_slices[-1].stop >= len(wav):
                wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
            mel = resemblyzer_audio.wav_to_mel_spectrogram(wav)
            partials += [mel[s] for s in mel_slices]
            owners += [index] * len(mel_slices)
        sums = np.zeros((len(waveforms), 256), dtype=np.float64)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the small LSTM runs several times faster on one thread than on two
        try:
            with torch.no_grad():
                for start in range(0, len(partials), 64):
                    batch = torch.from_numpy(np.stack(partials[start : start + 64]).astype(np.float32))
                    np.add.at(sums, owners[start : start + 64], encoder(batch).cpu().numpy())
        finally:
            torch.set_num_threads(threads)
        means = sums / np.bincount(owners, minlength=len(waveforms))[:, None]
        return (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)

    return extract_many


def _whisper(model: str) -> Callable[[], FeatureExtractor]:
    def factory() -> FeatureExtractor:
        try:
            import ctranslate2
            from faster_whisper.feature_extractor import FeatureExtractor as MelFrontEnd

            from benchmarks.metrics.wer.model_files import resolve_ct2_model
        except ImportError as exc:
            raise ReferenceError(
                f"faster-whisper/ctranslate2 missing ({exc}); pip install 'lowrate-codec-bench[metrics]'"
            ) from None
        encoder = ctranslate2.models.Whisper(str(resolve_ct2_model(model)), device="cpu", compute_type="int8")
        front_end = MelFrontEnd(feature_size=encoder.n_mels)

        def extract(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
            audio = _mono_16k(waveform, sample_rate)[: _WHISPER_FRAMES * _WHISPER_HOP]
            mel = front_end(audio)[:, :_WHISPER_FRAMES]  # [n_mels, frames]
            window = np.zeros((1, mel.shape[0], _WHISPER_FRAMES), dtype=np.float32)
            window[0, :, : mel.shape[1]] = mel
            out = np.asarray(
                encoder.encode(ctranslate2.StorageView.from_array(window), to_cpu=True)
            )  # [1, 1500, D]
            used = max(1, min(out.shape[1], math.ceil(audio.size / (2 * _WHISPER_HOP))))
            return out[0, :used].mean(axis=0).astype(np.float32)

        return extract

    return factory


@dataclasses.dataclass(frozen=True)
class _Spec:
    factory: Callable[[], FeatureExtractor]
    dim: int
    batch_factory: Callable[[], BatchFeatureExtractor] | None = None


_REGISTRY: dict[str, _Spec] = {
    "logmel": _Spec(lambda: logmel_stats, 2 * N_MELS),
    "resemblyzer": _Spec(_resemblyzer, 256, _resemblyzer_batch),
    "whisper_tiny_en": _Spec(_whisper("tiny.en"), 384),
    "whisper_base": _Spec(_whisper("base"), 512),
}


def reference_names() -> list[str]:
    """Names of the reference extractors."""
    return list(_REGISTRY)


def reference_dims() -> dict[str, int]:
    """Feature size D of each extractor."""
    return {name: spec.dim for name, spec in _REGISTRY.items()}


@functools.cache
def reference_extractor(name: str) -> FeatureExtractor:
    """The extractor `name` (models loaded once); `ReferenceError` listing the names when unknown."""
    if name not in _REGISTRY:
        raise ReferenceError(f"unknown reference extractor {name!r}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name].factory()


@functools.cache
def reference_batch_extractor(name: str) -> BatchFeatureExtractor:
    """Extractor `name` for many clips of one sample rate: ``(waveforms, sample_rate) -> [N, D]``; batched
    where the model allows (``resemblyzer``), else one clip at a time."""
    if name not in _REGISTRY:
        raise ReferenceError(f"unknown reference extractor {name!r}; known: {', '.join(_REGISTRY)}")
    spec = _REGISTRY[name]
    if spec.batch_factory is not None:
        return spec.batch_factory()
    one = reference_extractor(name)
    return lambda waveforms, sample_rate: np.stack([one(w, sample_rate) for w in waveforms]).astype(
        np.float32
    )


class _Fingerprinted:
    """A feature extractor that says what it is made of (the probe's feature cache keys on it)."""

    def __init__(self, extract: FeatureExtractor, fingerprint: str) -> None:
        self._extract = extract
        self.fingerprint = fingerprint

    def __call__(self, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        return self._extract(waveform, sample_rate)


def _model_identity(name: str) -> str:
    """What an extractor's output depends on besides its code: model files and package versions."""
    from baselines.availability import package_version
    from baselines.files import file_sha256

    if name == "logmel":
        return f"logmel n_mels={N_MELS} n_fft={N_FFT} hop={HOP} sr={SAMPLE_RATE} numpy={package_version('numpy')}"
    if name == "resemblyzer":
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("resemblyzer")
        weights = Path(spec.origin).with_name("pretrained.pt") if spec and spec.origin else None
        digest = file_sha256(weights, 16) if weights and weights.is_file() else "missing"
        return f"resemblyzer {package_version('resemblyzer')} weights {digest}"
    from benchmarks.metrics.wer.model_files import resolve_ct2_model

    model = {"whisper_tiny_en": "tiny.en", "whisper_base": "base"}[name]
    folder = resolve_ct2_model(model)
    return (f"whisper {model} encoder, ctranslate2 {package_version('ctranslate2')}, "
            f"model.bin {file_sha256(folder / 'model.bin', 16)}")


def get_reference_extractor(name: str) -> FeatureExtractor:
    """The extractor `name`, carrying a ``fingerprint`` (model files and versions) for the probe's feature cache.

    Raises `ReferenceError` for an unknown name, or the model package's error when it cannot run here.
    """
    return _Fingerprinted(reference_extractor(name), _model_identity(name))
