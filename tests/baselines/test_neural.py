"""EnCodec and DAC adapters: bandwidth -> codebooks, checkpoint loading, unavailable with remedy.

Real weights cannot be fetched here, so loading is checked with checkpoint files the tests write
(random weights in the official formats) and codes are compared with the saved model's.
"""

from __future__ import annotations

import math

import pytest
import torch

from baselines.base import CodecUnavailable
from baselines.registry import availability
from tests.conftest import harmonic_tone

pytest.importorskip("encodec")
pytest.importorskip("dac")

from baselines.neural.dac import DAC_16KHZ_CHECKPOINT, DAC_16KHZ_KWARGS, DacCodec
from baselines.neural.encodec import ENCODEC_24KHZ_CHECKPOINT, EncodecCodec

TONE = torch.from_numpy(harmonic_tone(0.25, 16_000))


def test_encodec_bandwidth_sets_the_codebook_count_and_loads_a_written_checkpoint(tmp_path):
    reference = EncodecCodec(6.0, random_weights=True, seed=3)
    assert reference.weights == "random (TEST ONLY)"
    assert reference.num_codebooks == 8 and reference.frame_rate_hz == 75.0
    assert reference.nominal_bitrate_kbps == pytest.approx(6.0)
    encoded = reference.encode(TONE, 16_000)
    assert encoded.codes.shape == (1, 8, math.ceil(0.25 * 24_000 / 320))
    assert int(encoded.codes.max()) < 1024 and int(encoded.codes.min()) >= 0

    path = tmp_path / "my_encodec.th"  # not the official name: no checksum to verify
    torch.save(reference.model.state_dict(), path)
    loaded = EncodecCodec(6.0, checkpoint=str(path))
    assert loaded.weights == "pretrained:my_encodec.th"
    assert torch.equal(loaded.encode(TONE, 16_000).codes, encoded.codes)

    # A file under the official name must match the sha256 prefix in that name.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ENCODEC_24KHZ_CHECKPOINT).write_bytes(path.read_bytes())
    with pytest.raises(CodecUnavailable, match="corrupt or incomplete"):
        EncodecCodec(6.0, repository=str(repo))


def test_encodec_unavailable_names_file_cache_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    expected = tmp_path / "torch" / "hub" / "checkpoints" / ENCODEC_24KHZ_CHECKPOINT
    with pytest.raises(CodecUnavailable) as info:
        EncodecCodec(6.0)
    assert str(expected) in info.value.reason
    assert "EncodecModel.encodec_model_24khz()" in info.value.remedy
    assert "dl.fbaipublicfiles.com/encodec/v0/" + ENCODEC_24KHZ_CHECKPOINT in info.value.remedy
    status = availability("encodec@6kbps")
    assert not status.available and str(expected) in status.reason and status.remedy == info.value.remedy
    # XDG_CACHE_HOME is torch hub's fallback when TORCH_HOME is unset.
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(CodecUnavailable, match=str(tmp_path / "xdg" / "torch" / "hub" / "checkpoints")):
        EncodecCodec.check_available()
    # Seeding the cache with a file makes the configuration available (no model is loaded).
    cache = tmp_path / "xdg" / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / ENCODEC_24KHZ_CHECKPOINT).write_bytes(b"x")
    assert availability("encodec@1.5kbps").available


#: The 16 kHz model's structure with small widths: the loader takes its constructor from the file.
TINY_DAC = {**DAC_16KHZ_KWARGS, "encoder_dim": 4, "decoder_dim": 16}


def _write_dac_checkpoint(path, kwargs, seed=0, drop_key=None):
    import dac

    torch.manual_seed(seed)
    model = dac.DAC(**kwargs).eval()
    state = model.state_dict()
    if drop_key:
        state.pop(drop_key)
    torch.save({"state_dict": state, "metadata": {"kwargs": dict(kwargs)}}, path)
    return model


def test_dac_loads_a_written_checkpoint_strictly_and_uses_a_codebook_prefix(tmp_path):
    path = tmp_path / "weights_16khz.pth"
    saved = _write_dac_checkpoint(path, TINY_DAC, seed=1)
    codec = DacCodec(n_codebooks=3, checkpoint=str(path))
    assert codec.weights == "pretrained:weights_16khz.pth"
    assert codec.frame_rate_hz == 50.0 and codec.codebook_sizes == (1024,) * 3
    assert codec.nominal_bitrate_kbps == pytest.approx(1.5)
    assert not any(m.training for m in codec.model.modules())
    encoded = codec.encode(TONE, 16_000)
    assert encoded.codes.shape == (1, 3, math.ceil(4000 / 320))
    # The 3-codebook codes are the first 3 of the full 12-codebook residual quantisation.
    padded = torch.nn.functional.pad(TONE, (0, 13 * 320 - 4000))[None, None]
    with torch.no_grad():
        _, all_codes, *_ = saved.quantizer(saved.encoder(padded))
    assert torch.equal(encoded.codes, all_codes[:, :3])
    assert codec.decode(encoded).shape == (1, 4000)

    _write_dac_checkpoint(path, TINY_DAC, drop_key="quantizer.quantizers.0.codebook.weight")
    with pytest.raises(ValueError, match="missing keys"):
        DacCodec(checkpoint=str(path))
    _write_dac_checkpoint(path, {**TINY_DAC, "sample_rate": 44100})
    with pytest.raises(ValueError, match="not the DAC 16 kHz model"):
        DacCodec(checkpoint=str(path))


def test_dac_unavailable_names_file_cache_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(CodecUnavailable) as info:
        DacCodec(12)
    expected = tmp_path / ".cache" / "descript" / "dac" / DAC_16KHZ_CHECKPOINT
    assert str(expected) in info.value.reason
    assert "python -m dac download --model_type 16khz" in info.value.remedy
    status = availability("dac@6kbps")
    assert not status.available and "python -m dac download --model_type 16khz" in status.remedy
    with pytest.raises(CodecUnavailable, match="not found at the given path"):
        DacCodec(checkpoint=str(tmp_path / "nowhere.pth"))
    # Explicitly requested random weights are allowed and labelled.
    DacCodec.check_available(random_weights=True)


def test_dac_unreadable_file_is_named(tmp_path):
    path = tmp_path / "weights_16khz.pth"
    path.write_bytes(b"garbage, not a checkpoint")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        DacCodec(checkpoint=str(path))


def test_weights_found_in_the_default_cache_are_part_of_the_codec_fingerprint(tmp_path, monkeypatch):
    """A checkpoint found in DAC's cache (no path given) is declared, so replacing it changes the key."""
    from benchmarks.fingerprint import FileHasher, codec_fingerprint

    monkeypatch.setenv("HOME", str(tmp_path))
    cached = tmp_path / ".cache" / "descript" / "dac" / DAC_16KHZ_CHECKPOINT
    cached.parent.mkdir(parents=True)
    _write_dac_checkpoint(cached, TINY_DAC, seed=1)
    hasher = FileHasher(None)
    codec = DacCodec(n_codebooks=3)
    assert codec.weight_files == (str(cached),)
    before = codec_fingerprint(codec, hasher).digest
    assert codec_fingerprint(DacCodec(n_codebooks=3), hasher).digest == before
    _write_dac_checkpoint(cached, TINY_DAC, seed=2)  # retrained, same place and name
    assert codec_fingerprint(DacCodec(n_codebooks=3), hasher).digest != before
