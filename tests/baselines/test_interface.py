"""The one codec interface, checked on one configuration of every family.

Neural codecs run with random weights requested explicitly (their real weights cannot be fetched
here); the contract under test is shapes, lengths, rates and bookkeeping, not audio quality.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch

from baselines.base import CodecInputError, Encoded, Reconstruction
from baselines.registry import availability, build_codec, codec_names, expand_codec_names, get_spec
from baselines.system import ClipAudio
from baselines.token_stats import CodeStatistics
from tests.conftest import REPO_ROOT, harmonic_tone

EXPECTED_NAMES = {
    "opus@6kbps",
    "opus@8kbps",
    "opus@12kbps",
    "codec2@700C",
    "codec2@1200",
    "codec2@3200",
    "mp3@8kbps",
    "mp3@16kbps",
    "encodec@1.5kbps",
    "encodec@3kbps",
    "encodec@6kbps",
    "dac@6kbps",
    "dac@1.5kbps",
    "hificodec@2kbps",
}
NEURAL = {"encodec", "dac", "hificodec"}
ONE_PER_FAMILY = [
    "opus@6kbps",
    "codec2@700C",
    "mp3@8kbps",
    "encodec@1.5kbps",
    "dac@1.5kbps",
    "hificodec@2kbps",
]
#: Hop (samples at the native rate) of the neural configurations, for the frame-count check.
HOPS = {"encodec": 320, "dac": 320, "hificodec": 320}


def test_catalog_lists_every_configuration_with_availability():
    names = set(codec_names())
    assert EXPECTED_NAMES <= names
    assert set(expand_codec_names("dac")) >= {"dac@6kbps", "dac@1.5kbps"}
    for name in EXPECTED_NAMES:
        status = availability(name)
        assert status.available or (status.reason and status.remedy), name
    assert "NOT the paper's retrained" in get_spec("dac@1.5kbps").description


def test_catalog_import_is_lazy():
    code = (
        "import sys, baselines.catalog, baselines.registry as r; r.codec_names(); "
        "heavy = [m for m in ('encodec', 'dac', 'opuslib', 'pycodec2', 'lameenc', 'audiotools') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_spec_bitrates_match_their_arguments():
    for name in EXPECTED_NAMES:
        spec = get_spec(name)
        kwargs = dict(spec.kwargs)
        if spec.family == "encodec":
            assert kwargs["bandwidth_kbps"] == spec.nominal_bitrate_kbps
        elif spec.family == "dac":
            assert 0.5 * kwargs["n_codebooks"] == spec.nominal_bitrate_kbps
        elif spec.family == "hificodec":
            assert 1.0 * kwargs["residual_layers"] == spec.nominal_bitrate_kbps


@pytest.fixture(scope="module")
def codecs():
    built = {}

    def get(name):
        if name not in built:
            family = get_spec(name).family
            built[name] = build_codec(name, random_weights=True) if family in NEURAL else build_codec(name)
        return built[name]

    return get


@pytest.mark.parametrize("name", ONE_PER_FAMILY)
def test_contract_on_every_family(name, codecs):
    codec = codecs(name)
    spec = get_spec(name)
    assert codec.name == name and codec.family == spec.family
    assert codec.nominal_bitrate_kbps == pytest.approx(spec.nominal_bitrate_kbps)
    info = codec.info()
    for key in (
        "codec",
        "family",
        "codec_sample_rate",
        "frame_rate_hz",
        "codebook_sizes",
        "nominal_bitrate_kbps",
        "weights",
    ):
        assert key in info
    if spec.family in NEURAL:
        assert codec.weights == "random (TEST ONLY)" and codec.is_random_weights
    else:
        assert codec.weights == "none"

    rate = 22_050  # not any codec's native rate: exercises resampling both ways
    audio = torch.from_numpy(harmonic_tone(0.15, rate))
    encoded = codec.encode(audio, rate)
    assert isinstance(encoded, Encoded)
    assert encoded.sample_rate == rate and encoded.num_samples == audio.shape[0] and encoded.batch_size == 1
    native = encoded.extra["native_num_samples"]
    assert native == pytest.approx(audio.shape[0] * codec.sample_rate / rate, abs=1)
    if spec.family in NEURAL:
        frames = math.ceil(native / HOPS[spec.family])
        assert encoded.codes is not None and encoded.codes.dtype == torch.int64
        assert encoded.codes.shape == (1, codec.num_codebooks, frames)
        assert encoded.codebook_sizes == codec.codebook_sizes
        assert int(encoded.codes.min()) >= 0 and all(
            int(encoded.codes[:, k].max()) < size for k, size in enumerate(codec.codebook_sizes)
        )
        # Measured = nominal scaled by the padding to whole frames.
        expected = codec.nominal_bitrate_kbps * frames / codec.frame_rate_hz / (audio.shape[0] / rate)
        assert encoded.measured_bitrate_kbps()[0] == pytest.approx(expected, rel=1e-6)
        stats = CodeStatistics(codec.codebook_sizes)
        stats.update_encoded(encoded)
        assert all(0.0 <= h <= math.log2(1024) for h in stats.entropy_bits())
    else:
        assert encoded.payloads is not None and len(encoded.payloads[0]) > 0

    decoded = codec.decode(encoded)
    assert decoded.shape == (1, audio.shape[0]) and decoded.dtype == torch.float32
    assert torch.isfinite(decoded).all()

    rec = codec.reconstruct(ClipAudio("tone", audio, rate))
    assert isinstance(rec, Reconstruction) and rec.sample_rate == rate
    assert rec.waveform.shape == audio.shape
    assert rec.bitrate_kbps == pytest.approx(rec.encoded.measured_bitrate_kbps()[0])

    with pytest.raises(CodecInputError):
        codec.encode(torch.full((100,), float("nan")), rate)
    with pytest.raises(CodecInputError):
        codec.encode(torch.zeros(2, 2, 100), rate)


@pytest.mark.parametrize("name", [n for n in ONE_PER_FAMILY if get_spec(n).family in NEURAL])
def test_neural_codecs_take_a_device_and_hand_back_cpu_tensors(name, codecs, monkeypatch):
    from benchmarks.devices import accepts_device

    codec = codecs(name)
    assert accepts_device(type(codec))  # so `device=` of a run reaches it
    assert codec.info()["constructor_args"]["device"] is None  # not given: the CPU
    assert codec.device == torch.device("cpu")
    assert {p.device for p in codec.model.parameters()} == {codec.device}
    seen = []
    inner_encode, inner_decode = codec._encode, codec._decode
    monkeypatch.setattr(codec, "_encode", lambda w: seen.append(("encode", w.device)) or inner_encode(w))
    monkeypatch.setattr(codec, "_decode", lambda e: seen.append(("decode", e.codes.device)) or inner_decode(e))
    encoded = codec.encode(torch.from_numpy(harmonic_tone(0.1, 16_000)), 16_000)
    decoded = codec.decode(encoded)
    assert seen == [("encode", codec.device), ("decode", codec.device)]
    assert encoded.codes.device.type == "cpu" and decoded.device.type == "cpu"


def test_random_weights_are_never_silent(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    for name in ("encodec@6kbps", "dac@6kbps", "hificodec@2kbps"):
        status = availability(name)
        assert not status.available and "not found" in status.reason, name
        with pytest.raises(Exception) as info:
            build_codec(name)
        assert type(info.value).__name__ == "CodecUnavailable"
