"""Mel / STFT distances against independent implementations (DAC's losses, librosa)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.datasets.base import Clip
from benchmarks.metrics import ScoreItem, build_metric
from benchmarks.metrics.spectral import MEL_RESOLUTIONS, STFT_RESOLUTIONS, log_spectral_distance
from tests.conftest import harmonic_tone

SR = 16_000


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ref = harmonic_tone(1.0, SR, seed=seed)
    rng = np.random.default_rng(seed + 1)
    est = 0.7 * ref + 0.02 * rng.standard_normal(ref.shape).astype(np.float32)  # gain drift + noise
    return ref, est


def test_mel_and_stft_match_descript_audio_codec_losses():
    dac_loss = pytest.importorskip("dac.nn.loss")
    audiotools = pytest.importorskip("audiotools")
    ref, est = _pair()
    # DAC's losses do not match energy, so hand them the estimate we would score (RMS-matched).
    est = est * np.sqrt(np.mean(ref**2) / np.mean(est**2))
    x = audiotools.AudioSignal(est[None, None].astype(np.float32), SR)
    y = audiotools.AudioSignal(ref[None, None].astype(np.float32), SR)
    mel = dac_loss.MelSpectrogramLoss(
        n_mels=[m for _, m in MEL_RESOLUTIONS], window_lengths=[n for n, _ in MEL_RESOLUTIONS],
        mag_weight=0.0, pow=1.0, mel_fmin=[0.0] * 7, mel_fmax=[None] * 7,
    )
    stft = dac_loss.MultiScaleSTFTLoss(window_lengths=list(STFT_RESOLUTIONS), mag_weight=0.0, pow=1.0)
    expected_mel = float(mel(x, y)) / len(MEL_RESOLUTIONS)
    expected_stft = float(stft(x, y)) / len(STFT_RESOLUTIONS)
    ours_mel = log_spectral_distance(ref, est, SR, MEL_RESOLUTIONS, match_energy=False)
    ours_stft = log_spectral_distance(ref, est, SR, tuple((n, None) for n in STFT_RESOLUTIONS), match_energy=False)
    assert ours_mel == pytest.approx(expected_mel, rel=1e-4)
    assert ours_stft == pytest.approx(expected_stft, rel=1e-4)


def test_stft_distance_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ref, est = _pair(3)
    dists = []
    for n_fft in STFT_RESOLUTIONS:
        logs = [
            np.log10(np.maximum(np.abs(librosa.stft(s.astype(np.float64), n_fft=n_fft, hop_length=n_fft // 4,
                                                    window="hann", center=True, pad_mode="reflect")), 1e-5))
            for s in (ref, est)
        ]
        dists.append(np.abs(logs[0] - logs[1]).mean())
    ours = log_spectral_distance(ref, est, SR, tuple((n, None) for n in STFT_RESOLUTIONS), match_energy=False)
    assert ours == pytest.approx(float(np.mean(dists)), rel=1e-6)


@pytest.mark.parametrize("name", ["mel_distance", "stft_distance"])
def test_identity_gain_silence_delay_and_failure(name):
    metric = build_metric(name)
    clip = Clip("c", "/nonexistent.wav", "speech", "test")
    ref, est = _pair(5)
    key = metric.outputs[0].name

    def score(a, b):
        return metric.score(ScoreItem(a, b, SR, clip))[key]

    assert score(ref, ref) == pytest.approx(0.0, abs=1e-9)
    # A pure gain change is removed by the energy matching of the paper's recipe.
    assert score(ref, 0.25 * ref) == pytest.approx(0.0, abs=1e-6)
    degraded = score(ref, est)
    assert degraded > 0.1
    # A delayed copy is worse than the identity but finite.
    delayed = np.concatenate([np.zeros(160, np.float32), ref[:-160]])
    assert 0.0 < score(ref, delayed) < 100
    # Silence against speech: large but finite (clamped logs), never NaN.
    silent = score(ref, np.zeros_like(ref))
    assert np.isfinite(silent) and silent > degraded
    from benchmarks.metrics import MetricError

    with pytest.raises(MetricError):
        score(ref[:100], est[:100])


def test_paper_units_are_scaled_log10():
    metric = build_metric("mel_distance")
    ref, est = _pair(7)
    out = metric.score(ScoreItem(ref, est, SR, Clip("c", "/x.wav", "speech", "t")))
    assert out["mel_distance"] == pytest.approx(20 * out["mel_distance_log10"])


@pytest.mark.parametrize("name", ["mel_distance", "stft_distance"])
def test_near_silent_reference_gives_nan_with_reason(name, demo_dir):
    """Real speech scaled by 1e-7 sits on the 1e-5 clamp: every codec used to score 0.00 (issue 8.9)."""
    from benchmarks.metrics import MetricError
    from benchmarks.metrics.signals import rms_dbfs
    from tests.metrics._items import DEMO_SPEECH_CLIP, demo_pair, make_item

    ref, est, rate = demo_pair(demo_dir, "descript_codec_0_47kbps", DEMO_SPEECH_CLIP)
    metric = build_metric(name)
    result = metric.score_batch([make_item(1e-7 * ref, 1e-7 * est, rate)])[0]
    assert isinstance(result, MetricError) and "reference is near-silent" in str(result), result
    with pytest.raises(MetricError, match="digital silence"):
        metric.score(make_item(np.zeros_like(ref), est, rate))
    # A quiet but normal level (-40 dBFS) is still scored, and the codec is still far from the original.
    gain = 10 ** ((-40.0 - rms_dbfs(ref)) / 20)
    assert metric.score(make_item(gain * ref, gain * est, rate))[name] > 1.0
