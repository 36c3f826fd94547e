"""Every neural adapter exposes its decoder's input as [B, D, T'] (RANDOM weights, labelled: shapes and
wiring only, not a codec's quality); classical and precomputed systems have no representation."""

from __future__ import annotations

import math

import pytest
import torch

from baselines.representation import (
    Representable,
    check_layers,
    represent_layers,
    representation_input,
    supports_representation,
)
from tests.conftest import harmonic_tone

RATE = 16_000
DURATION_S = 0.5


def _batch(channels: int = 1) -> torch.Tensor:
    """Two different clips, Tensor[2 x C x T] at 16 kHz."""
    clips = [torch.from_numpy(harmonic_tone(DURATION_S, RATE, f0, seed=i)) for i, f0 in enumerate((180.0, 300.0))]
    return torch.stack(clips)[:, None].repeat(1, channels, 1)


def test_encodec_representation_is_the_summed_rvq_latent_at_75_hz():
    pytest.importorskip("encodec")
    from baselines.neural.encodec import EncodecCodec

    codec = EncodecCodec(6.0, random_weights=True, seed=1)
    assert codec.weights == "random (TEST ONLY)" and isinstance(codec, Representable)
    with torch.no_grad():  # EnCodec's untrained codebooks are all zero (k-means initialised on first data)
        generator = torch.Generator().manual_seed(0)
        for layer in codec.model.quantizer.vq.layers:
            layer._codebook.embed.copy_(torch.randn(layer._codebook.embed.shape, generator=generator))
    frames = math.ceil(DURATION_S * 24_000 / 320)
    full, first = codec.represent(_batch(), RATE, "all"), codec.represent(_batch(), RATE, "first")
    assert full.shape == first.shape == (2, 128, frames) and full.dtype == torch.float32
    codes = codec.encode(_batch()[:, 0], RATE).codes
    layers = codec.model.quantizer.vq.layers
    with torch.inference_mode():
        last_seven = sum(layers[k].decode(codes[:, k]) for k in range(1, 8))
    torch.testing.assert_close(full - first, last_seven, rtol=1e-4, atol=1e-4)
    assert codec.frame_rate_hz * DURATION_S == pytest.approx(frames, abs=1)


def test_dac_representation_is_the_summed_projected_codebook_vectors():
    """`DacCodec._decode` hands ``quantizer.from_codes(codes)`` to the decoder: that is ``all``."""
    pytest.importorskip("dac")
    from baselines.neural.dac import DacCodec

    codec = DacCodec(n_codebooks=4, random_weights=True, seed=2)
    full, first = codec.represent(_batch(), RATE, "all"), codec.represent(_batch(), RATE, "first")
    frames = math.ceil(DURATION_S * RATE / 320)
    assert full.shape == first.shape == (2, 1024, frames)
    codes = codec.encode(_batch()[:, 0], RATE).codes
    with torch.inference_mode():
        torch.testing.assert_close(full, codec.model.quantizer.from_codes(codes)[0])
        torch.testing.assert_close(first, codec.model.quantizer.from_codes(codes[:, :1])[0])
    assert not torch.allclose(full, first)


def test_hificodec_first_layer_is_both_groups_of_the_first_residual_layer():
    """`HiFiCodecModel.decode` hands ``quantizer.decode(codes)`` to the generator: that is ``all``."""
    from baselines.neural.hificodec import HiFiCodecCodec

    codec = HiFiCodecCodec(residual_layers=2, random_weights=True, seed=3)
    full, first = codec.represent(_batch(), RATE, "all"), codec.represent(_batch(), RATE, "first")
    assert full.shape == first.shape == (2, 512, math.ceil(DURATION_S * RATE / 320))
    codes = codec.encode(_batch()[:, 0], RATE).codes
    assert codes.shape[1] == 4
    with torch.inference_mode():
        torch.testing.assert_close(full, codec.model.quantizer.decode(codes))
        torch.testing.assert_close(first, codec.model.quantizer.decode(codes[:, :2]))  # layer 1, both groups
    assert not torch.allclose(full, first)
    codec.residual_layers, codec.codebook_sizes = 1, codec.codebook_sizes[:2]  # the 1 kbps configuration
    torch.testing.assert_close(codec.represent(_batch(), RATE, "all"), first)


def test_channels_are_averaged_and_the_rate_is_converted():
    stereo = _batch(channels=2)
    stereo[:, 1] *= 0.5
    mono = representation_input(stereo, RATE, 24_000)
    assert mono.shape == (2, int(DURATION_S * 24_000))
    torch.testing.assert_close(representation_input(stereo, RATE, RATE), stereo.mean(dim=1))
    with pytest.raises(ValueError, match="NaN"):
        representation_input(torch.full((1, 1, 100), float("nan")), RATE, RATE)
    with pytest.raises(ValueError, match="layers must be one of"):
        check_layers("second")


def test_classical_and_precomputed_systems_have_no_representation(tmp_path):
    from baselines.classical.opus import OpusCodec
    from baselines.precomputed import PrecomputedCodec
    from baselines.reference import OriginalAudio

    assert not supports_representation(OriginalAudio())
    assert not supports_representation(OpusCodec(6.0))
    assert not supports_representation(PrecomputedCodec(folder=str(tmp_path), system="x"))


TOKEN_RATES = (100, 50, 25)
VOCAB_SIZES = (4096, 8192, 16384, 32768)


@pytest.mark.parametrize("token_rate", TOKEN_RATES)
def test_semanticodec_all_twelve_configurations(token_rate):
    """Tiny random encoders (TEST ONLY) at every token rate and released vocabulary size: ``all`` is the
    acoustic ‖ semantic condition of the decoder, ``first`` the semantic vectors, at token_rate / 2 Hz."""
    from baselines.semanticodec_adapter import SemantiCodecCodec
    from semanticodec.fusion import build_condition
    from tests.semanticodec.tiny import TINY_ENCODER

    waveform = _batch()[:1]
    for vocab in VOCAB_SIZES:
        encoder = {**TINY_ENCODER, "semantic_vocab_size": vocab}
        codec = SemantiCodecCodec(token_rate, vocab, random_weights=True, device="cpu",
                                  model_overrides={"encoder_overrides": encoder, "load_decoder": False})
        assert codec.weights == "random (TEST ONLY)" and codec.frame_rate_hz == token_rate / 2
        fd = codec.model.config.feature_dim
        tokens = codec.model.encode(waveform[:, 0])
        full, first = codec.represent(waveform, RATE, "all"), codec.represent(waveform, RATE, "first")
        assert full.shape == (1, 2 * fd, tokens.shape[1]) and first.shape == (1, fd, tokens.shape[1])
        # Coded up to one 0.16 s column past the end, like the official code.
        assert tokens.shape[1] == math.ceil(round(DURATION_S / 0.16, 6) + 1e-9) * 8 // (100 // token_rate)
        condition, _ = build_condition(codec.model.encoder.tokens_to_features(tokens), tokens.shape[1])
        torch.testing.assert_close(full[0].T, condition[0, :, : 2 * fd])  # the decoder's content input
        torch.testing.assert_close(first, full[:, fd:])  # semantic half
        torch.testing.assert_close(first[0].T, codec.model.encoder.semantic.codebook[tokens[0, :, 0]])
        both = represent_layers(codec, waveform, RATE, ["all", "first"])  # one encoding for both
        assert torch.equal(both["all"], full) and torch.equal(both["first"], first)
