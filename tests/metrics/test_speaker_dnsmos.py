"""Speaker similarity (Resemblyzer) and DNSMOS (speechmos) on real speech and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics.base import MetricError
from benchmarks.metrics.registry import build_metric
from tests.conftest import harmonic_tone, require_shared
from tests.metrics._items import DEMO_SPEECH_CLIP, delayed, demo_pair, make_item

OTHER_SPEAKER_CLIP = "libritts_121_127105_000044_000001"  # speaker 121 (the main clip is speaker 1089)


@pytest.fixture(scope="module")
def speech():
    demo_dir = require_shared("data", "semanticodec-demo")
    ref, good, rate = demo_pair(demo_dir, "descript_codec_6kbps", DEMO_SPEECH_CLIP)
    _, bad, _ = demo_pair(demo_dir, "descript_codec_0_47kbps", DEMO_SPEECH_CLIP)
    other, _, _ = demo_pair(demo_dir, "descript_codec_6kbps", OTHER_SPEAKER_CLIP)
    n = min(ref.size, other.size)
    return ref, good, bad, other[:n], rate


@pytest.fixture(scope="module")
def speaker_metric():
    pytest.importorskip("resemblyzer")
    return build_metric("speaker_similarity")


def test_speaker_similarity_same_speaker_beats_other_speaker(speaker_metric, speech):
    ref, good, bad, other, rate = speech
    score = lambda r, e: speaker_metric.score(make_item(r, e, rate))["speaker_similarity"]
    same = score(ref, ref)
    assert same == pytest.approx(1.0, abs=1e-6)
    assert score(ref, delayed(ref, rate // 10)) > 0.99  # embeddings ignore a 100 ms shift
    coded = score(ref, good)
    n = other.size
    different = score(ref[:n], other)
    assert coded > 0.9 > different
    assert score(ref, bad) < coded  # the 0.47 kbps codec loses more of the voice than DAC 6 kbps
    prov = speaker_metric.provenance("speech")
    assert "pretrained.pt (sha256 " in prov["model"] and prov["sample_rate"] == 16_000


def test_speaker_similarity_failures(speaker_metric):
    x = harmonic_tone(1.0)
    with pytest.raises(MetricError, match="reference is digital silence"):
        speaker_metric.score(make_item(np.zeros_like(x), x))
    with pytest.raises(MetricError, match="voiced audio"):
        speaker_metric.score(make_item(x[:3200], x[:3200]))  # 0.2 s: too little after silence removal


@pytest.fixture(scope="module")
def dnsmos_metric():
    pytest.importorskip("speechmos")
    pytest.importorskip("onnxruntime")
    return build_metric("dnsmos")


def test_dnsmos_ranks_clean_over_heavily_coded_speech(dnsmos_metric, speech):
    ref, _good, bad, _, rate = speech
    names = [o.name for o in dnsmos_metric.outputs]
    assert names == ["dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808"]
    clean = dnsmos_metric.score(make_item(ref, ref, rate))
    coded = dnsmos_metric.score(make_item(ref, bad, rate))
    assert all(1.0 <= clean[n] <= 5.0 for n in names)
    assert clean["dnsmos_ovrl"] > coded["dnsmos_ovrl"]
    # non-intrusive: the reference is not used, so a delay changes nothing but the leading 0.1 s
    late = dnsmos_metric.score(make_item(ref, delayed(ref, rate // 10), rate))
    assert late["dnsmos_ovrl"] == pytest.approx(clean["dnsmos_ovrl"], abs=0.15)
    prov = dnsmos_metric.provenance("speech")
    assert "sig_bak_ovr.onnx (sha256 " in prov["model"] and "model_v8.onnx" in prov["model"]


def test_dnsmos_failures(dnsmos_metric):
    x = harmonic_tone(1.0)
    with pytest.raises(MetricError, match="estimate is digital silence"):
        dnsmos_metric.score(make_item(x, np.zeros_like(x)))
    with pytest.raises(MetricError, match="too short"):
        dnsmos_metric.score(make_item(x[:1600], x[:1600]))
