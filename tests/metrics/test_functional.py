"""`benchmarks.metrics.functional`: the same numbers as the registered metric classes, on real and
synthetic audio, for arrays, tensors and batches."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from benchmarks.datasets.base import Clip
from benchmarks.metrics import build_metric
from benchmarks.metrics import functional as F
from benchmarks.metrics.base import MetricError, ScoreItem
from tests.conftest import harmonic_tone, require_shared


# Equal up to float rounding: pystoi's BLAS calls may round the last bit differently between calls.
def same(value: float):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


SR = 16_000
DEMO_CLIP = "libritts_1089_134686_000009_000006.flac"

# (functional call, registered metric name, output name)
CASES = [
    (lambda e, r, sr: F.mel_distance(e, r, sr), "mel_distance", "mel_distance"),
    (lambda e, r, sr: F.mel_distance(e, r, sr, log10=True), "mel_distance", "mel_distance_log10"),
    (lambda e, r, sr: F.stft_distance(e, r, sr), "stft_distance", "stft_distance"),
    (lambda e, r, sr: F.stft_distance(e, r, sr, log10=True), "stft_distance", "stft_distance_log10"),
    (lambda e, r, sr: F.si_sdr(e, r, sr), "si_sdr", "si_sdr"),
    (lambda e, r, sr: F.pesq(e, r, sr), "pesq_wb", "pesq_wb"),
    (lambda e, r, sr: F.pesq(e, r, sr, band="nb"), "pesq_nb", "pesq_nb"),
    (lambda e, r, sr: F.stoi(e, r, sr), "stoi", "stoi"),
    (lambda e, r, sr: F.stoi(e, r, sr, extended=True), "estoi", "estoi"),
]
IDS = [f"{name}:{output}" for _, name, output in CASES]


def _class_value(
    name: str,
    output: str,
    estimate: np.ndarray,
    reference: np.ndarray,
    sample_rate: int,
    domain: str = "speech",
    **kwargs,
) -> float:
    metric = build_metric(name, **kwargs)
    clip = Clip(clip_id="c", path="", domain=domain, dataset="t")
    return metric.score(ScoreItem(reference, estimate, sample_rate, clip))[output]


@pytest.fixture(scope="module")
def demo_pair() -> tuple[np.ndarray, np.ndarray]:
    """A real LibriTTS clip and the paper authors' Encodec 1.5 kbps reconstruction of it (16 kHz)."""
    root = require_shared("data", "semanticodec-demo")
    reference, rate_ref = sf.read(root / "groundtruth" / DEMO_CLIP, dtype="float32")
    estimate, rate_est = sf.read(root / "encodec_24k_1_5kbps" / DEMO_CLIP, dtype="float32")
    assert rate_ref == rate_est == SR
    return estimate[: 4 * SR], reference[: 4 * SR]  # 4 s of it keeps the test quick


@pytest.fixture(scope="module")
def synthetic_pair() -> tuple[np.ndarray, np.ndarray]:
    """A speech-like tone and a degraded copy (smeared by a short FIR, plus noise), 2 s at 16 kHz."""
    reference = harmonic_tone(2.0, SR, f0_hz=180.0, seed=3)
    smeared = np.convolve(reference, np.hanning(9) / np.hanning(9).sum(), mode="same")
    noise = 0.01 * np.random.default_rng(7).standard_normal(reference.shape)
    return (0.8 * smeared + noise).astype(np.float32), reference


@pytest.mark.parametrize(("call", "name", "output"), CASES, ids=IDS)
def test_functional_equals_metric_class_on_real_demo_clip(demo_pair, call, name, output):
    estimate, reference = demo_pair
    value = call(estimate, reference, SR)
    assert isinstance(value, float)
    assert value == same(_class_value(name, output, estimate, reference, SR))
    # Tensors give exactly the same number.
    assert call(torch.from_numpy(estimate), torch.from_numpy(reference), SR) == same(value)


@pytest.mark.parametrize(("call", "name", "output"), CASES, ids=IDS)
def test_functional_equals_metric_class_on_synthetic_audio_and_batches(synthetic_pair, call, name, output):
    estimate, reference = synthetic_pair
    value = call(estimate, reference, SR)
    assert value == same(_class_value(name, output, estimate, reference, SR))
    # A batch [2, T] gives each item's value, in order.
    other = np.roll(estimate, 40).astype(np.float32)
    batch = call(np.stack([estimate, other]), np.stack([reference, reference]), SR)
    assert isinstance(batch, np.ndarray) and batch.shape == (2,)
    assert batch[0] == same(value)
    assert batch[1] == same(_class_value(name, output, other, reference, SR))


def test_estimate_comes_first_as_in_torchmetrics(demo_pair):
    estimate, reference = demo_pair
    # PESQ and the energy-matched mel distance are asymmetric: swapping the arguments changes them,
    # so equality with the class fed (reference, estimate) shows the order is passed through right.
    for call, name in ((F.pesq, "pesq_wb"), (F.mel_distance, "mel_distance")):
        right = _class_value(name, name, estimate, reference, SR)
        swapped = _class_value(name, name, reference, estimate, SR)
        assert abs(right - swapped) > 1e-3
        assert call(estimate, reference, SR) == same(right)


def test_different_lengths_are_cropped_like_the_runner(synthetic_pair):
    estimate, reference = synthetic_pair
    longer = np.concatenate([estimate, np.full(123, 0.2, np.float32)])
    assert F.mel_distance(longer, reference, SR) == F.mel_distance(estimate, reference, SR)
    assert F.si_sdr(estimate, reference[:-500]) == _class_value(
        "si_sdr", "si_sdr", estimate[:-500], reference[:-500], SR
    )


def test_visqol_profiles_and_domains_match_the_class(demo_pair, synthetic_pair):
    estimate, reference = (s[: 3 * SR] for s in demo_pair)
    for profile in ("standard", "paper"):
        expected = _class_value(
            "visqol",
            "visqol" if profile == "standard" else "visqol_paper",
            estimate,
            reference,
            SR,
            profile=profile,
        )
        assert F.visqol(estimate, reference, SR, profile=profile) == expected
        assert 1.0 <= expected <= 5.0
    # The domain selects the setting: music clips use audio mode at 48 kHz in the standard profile.
    est_syn, ref_syn = synthetic_pair
    music = F.visqol(est_syn, ref_syn, SR, domain="music")
    # Audio mode's 48 kHz path (FFT resampling, multi-threaded BLAS) rounds differently from call to
    # call in the last bits only: equal to 1e-9, where a wrong mode or rate would differ by > 1e-2.
    assert music == pytest.approx(_class_value("visqol", "visqol", est_syn, ref_syn, SR, domain="music"), rel=1e-9)
    assert music != F.visqol(est_syn, ref_syn, SR, domain="speech")


def test_score_returns_every_output_of_a_registered_metric(synthetic_pair):
    estimate, reference = synthetic_pair
    values = F.score("mel_distance", estimate, reference, SR)
    assert set(values) == {"mel_distance", "mel_distance_log10"}
    assert values["mel_distance"] == F.mel_distance(estimate, reference, SR)
    assert values["mel_distance"] == pytest.approx(20.0 * values["mel_distance_log10"])
    no_match = F.score("mel_distance", estimate, reference, SR, match_energy=False)
    assert no_match["mel_distance"] == F.mel_distance(estimate, reference, SR, match_energy=False)
    assert no_match["mel_distance"] != values["mel_distance"]


def test_bad_inputs_raise_clear_errors(synthetic_pair):
    estimate, reference = synthetic_pair
    with pytest.raises(MetricError, match="digital silence"):
        F.si_sdr(estimate, np.zeros_like(reference))
    with pytest.raises(ValueError, match="batch shapes differ"):
        F.si_sdr(np.stack([estimate, estimate]), reference)
    with pytest.raises(ValueError, match="band"):
        F.pesq(estimate, reference, SR, band="xx")
    with pytest.raises(ValueError, match="sample_rate"):
        F.mel_distance(estimate, reference, 0)
    with pytest.raises(ValueError, match="domain"):
        F.visqol(estimate, reference, SR, domain="noise")
