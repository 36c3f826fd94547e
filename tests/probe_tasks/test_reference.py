"""Reference feature extractors: shapes, determinism, and that log-mel statistics tell signals apart."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.probe.reference import (
    ReferenceError,
    reference_batch_extractor,
    reference_dims,
    reference_extractor,
    reference_names,
)
from tests.conftest import harmonic_tone


def _noise(duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(round(duration_s * sample_rate))).astype(
        np.float32
    )


def test_logmel_shape_and_determinism_at_any_rate() -> None:
    extract = reference_extractor("logmel")
    tone = harmonic_tone(1.0, 16000, 220.0)
    features = extract(tone, 16000)
    assert features.shape == (reference_dims()["logmel"],) == (128,) and features.dtype == np.float32
    assert np.all(np.isfinite(features))
    np.testing.assert_array_equal(features, extract(tone, 16000))
    resampled = extract(harmonic_tone(1.0, 44100, 220.0), 44100)  # same signal at another rate
    assert np.linalg.norm(resampled - features) < 0.1 * np.linalg.norm(features)
    assert extract(np.zeros(10, np.float32) + 0.01, 16000).shape == (128,)  # shorter than one window


def test_logmel_separates_a_tone_from_noise_more_than_two_takes_of_each() -> None:
    extract = reference_extractor("logmel")
    tones = [extract(harmonic_tone(1.0, 16000, 220.0, seed=s), 16000) for s in (0, 1)]
    noises = [extract(_noise(1.0, 16000, s), 16000) for s in (0, 1)]
    within = max(np.linalg.norm(tones[0] - tones[1]), np.linalg.norm(noises[0] - noises[1]))
    between = np.linalg.norm(tones[0] - noises[0])
    assert between > 10 * within
    # and two pitches of the same timbre
    assert np.linalg.norm(extract(harmonic_tone(1.0, 16000, 330.0), 16000) - tones[0]) > 5 * within


def test_unknown_name_and_bad_input_are_clear_errors() -> None:
    with pytest.raises(
        ReferenceError, match="unknown reference extractor 'mfcc'; known: logmel, resemblyzer"
    ):
        reference_extractor("mfcc")
    with pytest.raises(ReferenceError, match=r"mono waveform \[T\], got shape \(2, 100\)"):
        reference_extractor("logmel")(np.zeros((2, 100), np.float32), 16000)
    assert reference_names()[:2] == ["logmel", "resemblyzer"]


def test_resemblyzer_embeds_a_clip_as_a_unit_vector_that_tells_voices_apart() -> None:
    pytest.importorskip("resemblyzer")
    extract = reference_extractor("resemblyzer")
    low = extract(harmonic_tone(2.0, 16000, 110.0), 16000)
    assert low.shape == (256,) and abs(float(np.linalg.norm(low)) - 1.0) < 1e-3
    np.testing.assert_allclose(low, extract(harmonic_tone(2.0, 16000, 110.0), 16000), atol=1e-6)
    assert float(low @ extract(_noise(2.0, 16000, 0), 16000)) < 0.99


@pytest.mark.slow
@pytest.mark.parametrize("name", ["whisper_tiny_en", "whisper_base"])
def test_whisper_encoder_pools_the_frames_that_hold_audio(name: str) -> None:
    pytest.importorskip("ctranslate2")
    extract = reference_extractor(name)
    tone = harmonic_tone(1.0, 16000, 220.0)
    features = extract(tone, 16000)
    assert features.shape == (reference_dims()[name],) and np.all(np.isfinite(features))
    assert np.linalg.norm(features - extract(_noise(1.0, 16000, 0), 16000)) > 0.1 * np.linalg.norm(features)


@pytest.mark.parametrize("name", ["logmel", "resemblyzer"])
def test_batched_extraction_equals_one_clip_at_a_time(name: str) -> None:
    if name == "resemblyzer":
        pytest.importorskip("resemblyzer")
    clips = [harmonic_tone(0.4, 16000, 150.0), harmonic_tone(2.0, 16000, 220.0), _noise(3.5, 16000, 1)]
    one = reference_extractor(name)
    batched = reference_batch_extractor(name)(clips, 16000)
    assert batched.shape == (3, reference_dims()[name])
    np.testing.assert_allclose(batched, np.stack([one(c, 16000) for c in clips]), atol=1e-5)
