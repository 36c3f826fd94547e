"""Precomputed reconstructions: matched by clip id, resampled, length fitted, bitrate from the table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
import torch

from baselines.audio_io import load_audio
from baselines.precomputed import PrecomputedCodec, PrecomputedOutputMissing, precomputed_specs
from baselines.registry import build_codec, register_codec, scoped_registrations
from baselines.system import ClipAudio, System
from tests.conftest import harmonic_tone

SYSTEMS_CSV = """system,codec,nominal_kbps,paper_kbps,notes
groundtruth,original,,,reference
sys_a,family_a,1.5,1.5,first
sys_b,family_b,,0.78,paper only
"""


def _write_outputs(root, rate=8000, seconds=0.5):
    (root / "sys_a").mkdir(parents=True)
    (root / "sys_b").mkdir()
    tone = harmonic_tone(seconds, rate)
    sf.write(root / "sys_a" / "clip1.wav", tone, rate)
    sf.write(root / "sys_b" / "clip1.flac", tone, rate)
    (root / "systems.csv").write_text(SYSTEMS_CSV)
    return tone


def test_specs_from_a_systems_table(tmp_path):
    _write_outputs(tmp_path)
    specs = precomputed_specs(tmp_path, tmp_path / "systems.csv")
    assert [s.name for s in specs] == ["demo:sys_a", "demo:sys_b"]  # reference row without bitrate skipped
    assert [s.family for s in specs] == ["family_a", "family_b"]
    assert [s.nominal_bitrate_kbps for s in specs] == [1.5, 0.78]  # paper_kbps when nominal is empty
    assert all(s.target == "baselines.precomputed:PrecomputedCodec" for s in specs)
    with_refs = precomputed_specs(tmp_path, tmp_path / "systems.csv", prefix="x", include_references=True)
    assert with_refs[0].name == "x:groundtruth" and math.isnan(with_refs[0].nominal_bitrate_kbps)
    (tmp_path / "bad.csv").write_text("name,kbps\nfoo,1\n")
    with pytest.raises(ValueError, match="needs columns 'system'"):
        precomputed_specs(tmp_path, tmp_path / "bad.csv")


def test_reconstruct_loads_resamples_and_fits_length(tmp_path):
    tone_8k = _write_outputs(tmp_path, rate=8000, seconds=0.5)
    spec = precomputed_specs(tmp_path, tmp_path / "systems.csv")[0]
    with scoped_registrations():
        register_codec(spec)
        codec = build_codec(spec.name)  # the plot family is the configuration's, set when it is built
    assert codec.nominal_bitrate_kbps == 1.5 and codec.family == "family_a"
    longer = torch.zeros(9000)  # reference longer than the stored output (8000 samples at 16 kHz)
    rec = codec.reconstruct(ClipAudio("clip1", longer, 16_000))
    assert rec.encoded is None and rec.bitrate_kbps is None and rec.sample_rate == 16_000
    assert rec.waveform.shape == (9000,) and rec.waveform.dtype == torch.float32
    assert torch.all(rec.waveform[8000:] == 0)
    expected = load_audio(tmp_path / "sys_a" / "clip1.wav", sample_rate=16_000).waveform
    assert np.allclose(rec.waveform[:8000].numpy(), expected, atol=1e-6)
    shorter = codec.reconstruct(ClipAudio("clip1", torch.zeros(2000), 8000))
    assert shorter.waveform.shape == (2000,)
    assert np.allclose(shorter.waveform.numpy(), tone_8k[:2000], atol=1e-4)  # 16-bit WAV


def test_missing_outputs_and_codec_calls_are_explained(tmp_path):
    _write_outputs(tmp_path)
    codec = PrecomputedCodec(folder=str(tmp_path / "sys_a"), nominal_bitrate_kbps=1.5, system="sys_a")
    with pytest.raises(PrecomputedOutputMissing) as info:
        codec.reconstruct(ClipAudio("clip_nope", torch.zeros(100), 16_000))
    assert "clip_nope" in str(info.value) and str(tmp_path / "sys_a") in str(info.value)
    # A system of stored outputs only reconstructs: it has no encode/decode to refuse.
    assert isinstance(codec, System) and not hasattr(codec, "encode") and not hasattr(codec, "decode")
    status_error = pytest.raises(Exception, match="does not exist")
    with status_error:
        PrecomputedCodec(folder=str(tmp_path / "nope"))


def test_demo_page_systems(demo_dir):
    specs = {s.name: s for s in precomputed_specs(demo_dir, demo_dir / "systems.csv")}
    assert len(specs) == 11 and "demo:groundtruth" not in specs
    assert specs["demo:semanticodec_1_43_kbps"].family == "semanticodec"
    assert specs["demo:descript_codec_0_71kbps"].nominal_bitrate_kbps == pytest.approx(0.78)
    assert specs["demo:encodec_24k_6kbps"].family == "encodec_24khz"
    clip = "libritts_121_127105_000044_000001"
    reference = torch.from_numpy(load_audio(demo_dir / "groundtruth" / f"{clip}.flac").waveform)
    for name in ("demo:hifi-codec-2kbps", "demo:encodec_24k_1_5kbps"):
        codec = PrecomputedCodec(**specs[name].kwargs)
        rec = codec.reconstruct(ClipAudio(clip, reference, 16_000))
        assert rec.waveform.shape == reference.shape
        stored = load_audio(demo_dir / specs[name].kwargs["system"] / f"{clip}.flac").waveform
        n = min(len(stored), reference.shape[0])  # some stored outputs are a frame shorter than the reference
        assert np.array_equal(rec.waveform.numpy()[:n], stored[:n])
        assert torch.all(rec.waveform[n:] == 0)
        # A real reconstruction of the same utterance: strongly correlated with the reference.
        assert np.corrcoef(rec.waveform.numpy(), reference.numpy())[0, 1] > 0.3
        at_24k = codec.reconstruct(ClipAudio(clip, torch.zeros(24_000), 24_000))
        assert at_24k.waveform.shape == (24_000,)
    with pytest.raises(PrecomputedOutputMissing, match="musdb_6vocals"):
        PrecomputedCodec(**specs["demo:hifi-codec-2kbps"].kwargs).reconstruct(
            ClipAudio("musdb_6vocals", reference, 16_000)
        )


def test_padding_and_trimming_are_recorded_as_notes(tmp_path):
    """Issue 8.15: a stored output shorter than the reference is padded, a longer one trimmed; both noted."""
    _write_outputs(tmp_path, rate=16_000, seconds=0.5)
    codec = PrecomputedCodec(**precomputed_specs(tmp_path, tmp_path / "systems.csv")[0].kwargs)
    padded = codec.reconstruct(ClipAudio("clip1", torch.zeros(8320), 16_000))
    assert padded.notes == ["precomputed output 320 samples (20.0 ms) shorter than the reference: padded with silence"]
    trimmed = codec.reconstruct(ClipAudio("clip1", torch.zeros(7840), 16_000))
    assert trimmed.notes == ["precomputed output 160 samples (10.0 ms) longer than the reference: trimmed"]
    assert codec.reconstruct(ClipAudio("clip1", torch.zeros(8000), 16_000)).notes == []
    resampled = codec.reconstruct(ClipAudio("clip1", torch.zeros(4000), 8000))
    assert resampled.notes == ["precomputed output: resampled 16000 Hz -> 8000 Hz"]
