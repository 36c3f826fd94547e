"""The benchmark adapter: registry entries, availability without weights, codes and bitrate."""

from __future__ import annotations

import pytest
import torch

from baselines import random_weights as rw
from baselines.base import CodecUnavailable
from baselines.registry import availability, build_codec, expand_codec_names, get_spec
from baselines.semanticodec_adapter import SemantiCodecCodec
from tests.semanticodec.tiny import TINY_DECODER, TINY_ENCODER


def test_registry_entries_match_the_bitrate_formula():
    names = expand_codec_names("semanticodec")
    assert names == ["semanticodec@1.40kbps", "semanticodec@0.70kbps", "semanticodec@0.35kbps"]
    for name in names:
        spec = get_spec(name)
        rate, vocab = spec.kwargs["token_rate"], spec.kwargs["semantic_vocab_size"]
        assert spec.nominal_bitrate_kbps == pytest.approx(rate / 2 * (15 + 13) / 1000)
        assert vocab == 32768


def test_missing_weights_are_reported_with_files_cache_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    result = availability("semanticodec@0.35kbps")
    assert not result.available
    assert "semanticodec_tokenrate_25/encoder.ckpt" in result.reason
    assert "codebook_idx/combine_128_audioset_dominate/codebook_16384_0.npy" in result.reason
    assert str(tmp_path / "hub") in result.reason
    assert result.remedy.startswith("hf download haoheliu/SemantiCodec")
    with pytest.raises(CodecUnavailable):
        build_codec("semanticodec@0.35kbps")  # never falls back to random weights


def test_random_weight_codec_round_trip_codes_and_measured_bitrate():
    codec = SemantiCodecCodec(
        100, 32768, random_weights=True, steps=2, device="cpu",
        model_overrides={"encoder_overrides": {**TINY_ENCODER, "semantic_vocab_size": 32768},
                         "decoder_overrides": TINY_DECODER},
    )
    assert codec.weights == "random (TEST ONLY)"
    waveform = rw.test_signal(1.6, seed=2)[None]
    encoded = codec.encode(waveform, 16_000)
    # 1.6 s = 10 whole 0.16 s columns; the official count codes one more column: 11 x 8 pairs
    assert encoded.codes.shape == (1, 2, 88) and encoded.codes.dtype == torch.int64
    assert encoded.codebook_sizes == (32768, 64)  # tiny acoustic codebook
    # measured over the clip's own duration: 88 pairs x (15 + 6) bits in 1.6 s
    assert encoded.measured_bitrate_kbps()[0] == pytest.approx(88 * (15 + 6) / 1.6 / 1000)
    decoded = codec.decode(encoded)
    assert decoded.shape == waveform.shape and torch.isfinite(decoded).all()
    assert codec.info()["token_rate"] == 100 and codec.frame_rate_hz == 50
