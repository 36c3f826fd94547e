"""PESQ, STOI/ESTOI and SI-SDR on real speech: identical, degraded, delayed, silent and too-short inputs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics.base import MetricError
from benchmarks.metrics.intrusive import PESQ, SISDR, STOI, si_sdr_db
from benchmarks.metrics.registry import build_metric
from benchmarks.metrics.signals import rms_dbfs
from tests.conftest import harmonic_tone, require_shared
from tests.metrics._items import DEMO_SPEECH_CLIP, delayed, demo_pair, make_item

pytest.importorskip("pesq")
pytest.importorskip("pystoi")

NAMES = ("pesq_wb", "pesq_nb", "stoi", "estoi", "si_sdr")


@pytest.fixture(scope="module")
def speech():
    demo_dir = require_shared("data", "semanticodec-demo")
    ref, good, rate = demo_pair(demo_dir, "descript_codec_6kbps", DEMO_SPEECH_CLIP)
    _, bad, _ = demo_pair(demo_dir, "encodec_24k_1_5kbps", DEMO_SPEECH_CLIP)
    return ref, good, bad, rate


@pytest.mark.parametrize("name", NAMES)
def test_identical_speech_hits_the_ceiling(name, speech):
    ref, _, _, rate = speech
    metric = build_metric(name)
    value = metric.score(make_item(ref, ref, rate))[name]
    ceiling = {"pesq_wb": 4.64, "pesq_nb": 4.55, "stoi": 1.0, "estoi": 1.0}.get(name)
    if ceiling is None:
        assert value > 60.0  # SI-SDR of a perfect copy: eps-limited, very large
    else:
        assert value == pytest.approx(ceiling, abs=0.01)
    out = metric.outputs[0]
    assert out.higher_is_better and out.name == name
    prov = metric.provenance("speech")
    assert {"implementation", "version", "mode", "sample_rate"} <= set(prov)


@pytest.mark.parametrize("name", NAMES[:4])
def test_quality_order_of_real_codecs(name, speech):
    """DAC 6 kbps scores above Encodec 1.5 kbps, and both below the original."""
    ref, good, bad, rate = speech
    metric = build_metric(name)
    s_ref, s_good, s_bad = (metric.score(make_item(ref, x, rate))[name] for x in (ref, good, bad))
    assert s_ref > s_good > s_bad


def test_delay_pesq_aligns_waveform_metrics_do_not(speech):
    ref, _, _, rate = speech
    late = delayed(ref, rate // 20)  # 50 ms
    assert PESQ("wb").score(make_item(ref, late, rate))["pesq_wb"] > 4.3
    assert STOI().score(make_item(ref, late, rate))["stoi"] < 0.8
    assert SISDR().score(make_item(ref, late, rate))["si_sdr"] < 0.0


def test_si_sdr_matches_the_definition_on_a_known_mixture():
    rng = np.random.default_rng(1)
    ref = harmonic_tone(2.0) - harmonic_tone(2.0).mean()
    noise = rng.standard_normal(ref.size).astype(np.float32)
    noise -= noise.mean()
    noise -= ref * np.dot(noise, ref) / np.dot(ref, ref)  # orthogonal to the reference
    noise *= np.linalg.norm(ref) / np.linalg.norm(noise) / 10 ** (10.0 / 20)  # 10 dB below
    assert si_sdr_db(ref, 0.5 * (ref + noise)) == pytest.approx(10.0, abs=1e-3)  # scale-invariant
    assert si_sdr_db(ref, -ref) > 60  # the optimal scale may be negative: polarity does not matter


@pytest.mark.parametrize("name", NAMES)
def test_silent_reference_and_short_input_raise(name):
    metric = build_metric(name)
    x = harmonic_tone(1.0)
    with pytest.raises(MetricError, match="silence"):
        metric.score(make_item(np.zeros_like(x), x))
    if name.startswith("pesq"):
        with pytest.raises(MetricError, match="too short"):
            metric.score(make_item(x[:1600], x[:1600]))
    if name in ("stoi", "estoi"):  # pystoi would return a 1e-5 placeholder; we refuse it
        with pytest.raises(MetricError, match="too little non-silent"):
            metric.score(make_item(x[:1600], x[:1600]))


def test_pesq_rejects_a_silent_estimate_and_mismatched_lengths():
    x = harmonic_tone(1.0)
    with pytest.raises(MetricError, match="estimate is digital silence"):
        PESQ("nb").score(make_item(x, np.zeros_like(x)))
    with pytest.raises(MetricError, match="lengths differ"):
        PESQ("wb").score(make_item(x, x[:-10]))
    with pytest.raises(ValueError, match="band"):
        PESQ("fb")


def test_near_silent_reference_si_sdr_refuses_pesq_and_stoi_are_level_invariant(speech):
    """Speech scaled by 1e-7 (issue 8.9). SI-SDR's float32 eps then outweighs the signal energy and every
    codec came out near 0 dB, so it gives NaN with the reason; at -40 dBFS it is unchanged. PESQ and STOI
    normalise the level themselves: the scaled clip gets the same value as the original, so they score it.
    """
    ref, _, bad, rate = speech
    tiny = 1e-7
    result = SISDR().score_batch([make_item(tiny * ref, tiny * bad, rate)])[0]
    assert isinstance(result, MetricError) and "reference is near-silent" in str(result), result
    full = SISDR().score(make_item(ref, bad, rate))["si_sdr"]
    gain = 10 ** ((-40.0 - rms_dbfs(ref)) / 20)
    assert SISDR().score(make_item(gain * ref, gain * bad, rate))["si_sdr"] == pytest.approx(full, abs=1e-3)
    for metric in (PESQ("wb"), STOI()):
        name = metric.outputs[0].name
        normal = metric.score(make_item(ref, bad, rate))[name]
        assert metric.score(make_item(tiny * ref, tiny * bad, rate))[name] == pytest.approx(normal, abs=1e-3)


def _si_sdr_definition(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Le Roux et al. (2019) SI-SDR as the suite first wrote it: zero-mean, optimal scaling, float32 eps
    added to numerator and denominator, float64 arithmetic."""
    eps = float(np.finfo(np.float32).eps)
    ref = reference.astype(np.float64) - reference.mean()
    est = estimate.astype(np.float64) - estimate.mean()
    target = (np.dot(est, ref) + eps) / (np.dot(ref, ref) + eps) * ref
    noise = est - target
    return float(10.0 * np.log10((np.dot(target, target) + eps) / (np.dot(noise, noise) + eps)))


DEMO_SYSTEMS = ("descript_codec_0_47kbps", "descript_codec_6kbps", "encodec_24k_1_5kbps", "encodec_24k_6kbps",
                "hifi-codec-2kbps", "semanticodec_0_35_kbps", "semanticodec_1_43_kbps")


@pytest.mark.parametrize("system", DEMO_SYSTEMS)
def test_si_sdr_agrees_with_the_hand_written_definition_on_real_reconstructions(system):
    """The metric (torchmetrics' functional SI-SDR) gives the suite's own definition's value on the demo's
    real reconstructions, from a codec far from the reference to one close to it, and on a delayed copy."""
    demo_dir = require_shared("data", "semanticodec-demo")
    ref, est, rate = demo_pair(demo_dir, system, DEMO_SPEECH_CLIP)
    for estimate in (est, delayed(est, 40)):
        ours = _si_sdr_definition(ref, estimate)
        assert si_sdr_db(ref, estimate) == pytest.approx(ours, abs=1e-5)
        assert SISDR().score(make_item(ref, estimate, rate))["si_sdr"] == pytest.approx(ours, abs=1e-5)
