"""HiFi-Codec-16k-320d: the released checkpoint's key layout, GRVQ code order, strict loading."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from baselines.base import CodecUnavailable
from baselines.neural.hificodec import (
    CHECKPOINT_NAME,
    HiFiCodecCodec,
    HiFiCodecConfig,
    HiFiCodecModel,
    HiFiCodecQuantizer,
    load_hificodec_checkpoint,
)
from baselines.random_weights import hificodec_state, hificodec_test_signal
from tests.conftest import harmonic_tone


def _conv_wn(prefix: str, out_ch: int, in_ch: int, k: int) -> dict[str, tuple[int, ...]]:
    """torch.nn.utils.weight_norm on Conv1d: g [out,1,1], v [out,in,k], bias [out]."""
    return {
        f"{prefix}.weight_g": (out_ch, 1, 1),
        f"{prefix}.weight_v": (out_ch, in_ch, k),
        f"{prefix}.bias": (out_ch,),
    }


def _convtr_wn(prefix: str, in_ch: int, out_ch: int, k: int) -> dict[str, tuple[int, ...]]:
    """weight_norm (dim 0) on ConvTranspose1d: g [in,1,1], v [in,out,k], bias [out]."""
    return {
        f"{prefix}.weight_g": (in_ch, 1, 1),
        f"{prefix}.weight_v": (in_ch, out_ch, k),
        f"{prefix}.bias": (out_ch,),
    }


def _resblock(prefix: str, ch: int, k: int) -> dict[str, tuple[int, ...]]:
    out = {}
    for bank in ("convs1", "convs2"):
        for m in range(3):
            out.update(_conv_wn(f"{prefix}.{bank}.{m}", ch, ch, k))
    return out


def documented_layout() -> dict[str, dict[str, tuple[int, ...]]]:
    """The state-dict layout of HiFi-Codec-16k-320d as documented from AcademiCodec's constructors.

    Config: upsample_rates [8,5,4,2], kernels [16,11,8,4], initial channel 512, resblock kernels
    [3,7,11] (encoder reversed), 2 groups x 1024 codes, 2 residual layers.
    """
    encoder = _conv_wn("conv_pre", 32, 1, 7)
    for i, k in enumerate((4, 8, 11, 16)):
        encoder.update(_conv_wn(f"ups.{i}", 32 * 2 ** (i + 1), 32 * 2**i, k))
        ch = 32 * 2 ** (i + 1)
        for j, rk in enumerate((11, 7, 3)):
            encoder.update(_resblock(f"resblocks.{3 * i + j}", ch, rk))
            encoder[f"normalize.{3 * i + j}.weight"] = (ch,)
            encoder[f"normalize.{3 * i + j}.bias"] = (ch,)
    encoder["conv_post.weight"] = (512, 512, 3)
    encoder["conv_post.bias"] = (512,)

    generator = _conv_wn("conv_pre", 512, 512, 7)
    for i, k in enumerate((16, 11, 8, 4)):
        generator.update(_convtr_wn(f"ups.{i}", 512 // 2**i, 512 // 2 ** (i + 1), k))
        for j, rk in enumerate((3, 7, 11)):
            generator.update(_resblock(f"resblocks.{3 * i + j}", 512 // 2 ** (i + 1), rk))
    generator.update(_conv_wn("conv_post", 1, 32, 7))

    quantizer = {
        f"{bank}.{g}.embedding.weight": (1024, 256)
        for bank in ("quantizer_modules", "quantizer_modules2")
        for g in (0, 1)
    }
    return {"generator": generator, "encoder": encoder, "quantizer": quantizer}


@pytest.fixture(scope="module")
def codec() -> HiFiCodecCodec:
    return HiFiCodecCodec(random_weights=True, seed=0)


@pytest.fixture(scope="module")
def model(codec) -> HiFiCodecModel:
    return codec.model


def test_state_dict_matches_the_documented_checkpoint_layout(model):
    expected = documented_layout()
    actual = {
        part: {k: tuple(v.shape) for k, v in sd.items()} for part, sd in model.checkpoint_state().items()
    }
    assert set(actual) == {"generator", "encoder", "quantizer"}
    for part in expected:
        assert actual[part] == expected[part], part
    # Spot values quoted in the research notes (baseline-codecs.md, section 1.5).
    assert actual["encoder"]["ups.3.weight_v"] == (512, 256, 16)
    assert actual["generator"]["ups.0.weight_v"] == (512, 256, 16)
    assert actual["generator"]["conv_post.weight_v"] == (1, 32, 7)
    assert actual["encoder"]["conv_pre.weight_g"] == (32, 1, 1)


def test_grvq_code_order_and_partial_decode():
    torch.manual_seed(1)
    quantizer = HiFiCodecQuantizer().eval()
    with torch.no_grad():
        # Layer 1: well separated large entries; layer 2: small entries, so argmin is unambiguous.
        for g in (0, 1):
            quantizer.quantizer_modules[g].embedding.weight.copy_(torch.randn(1024, 256) * 10)
            quantizer.quantizer_modules2[g].embedding.weight.copy_(torch.randn(1024, 256) * 0.01)
        chosen = torch.randint(0, 1024, (2, 4, 7))  # B=2, [l1g1, l1g2, l2g1, l2g2], T=7
        layer1 = torch.cat([quantizer.quantizer_modules[g].embedding(chosen[:, g]) for g in (0, 1)], dim=-1)
        layer2 = torch.cat(
            [quantizer.quantizer_modules2[g].embedding(chosen[:, 2 + g]) for g in (0, 1)], dim=-1
        )
        latent = (layer1 + layer2).transpose(1, 2)  # [B, 512, T]
        codes = quantizer.encode(latent)
        assert codes.shape == (2, 4, 7) and codes.dtype == torch.int64
        assert torch.equal(codes, chosen)
        assert torch.allclose(quantizer.decode(codes), latent, atol=1e-5)
        assert torch.allclose(quantizer.decode(codes[:, :2]), layer1.transpose(1, 2), atol=1e-5)


def test_random_weights_codec_shapes_and_bitrate(codec):
    assert codec.weights == "random (TEST ONLY)"
    assert codec.nominal_bitrate_kbps == pytest.approx(2.0)
    assert codec.frame_rate_hz == pytest.approx(50.0) and codec.codebook_sizes == (1024,) * 4
    audio = torch.from_numpy(harmonic_tone(0.33, 16_000))  # 5280 samples: not a multiple of 320
    encoded = codec.encode(audio, 16_000)
    assert encoded.codes.shape == (1, 4, math.ceil(5280 / 320))
    assert encoded.measured_bitrate_kbps()[0] == pytest.approx(17 * 40 / 0.33 / 1000)
    decoded = codec.decode(encoded)
    assert decoded.shape == (1, 5280)
    assert decoded.abs().max() <= 1.0  # tanh output
    assert not model_is_training(codec.model)


def model_is_training(module: torch.nn.Module) -> bool:
    return any(m.training for m in module.modules())


#: A small configuration with the same structure, so loader tests write kilobytes, not 250 MB.
TINY = HiFiCodecConfig(
    upsample_initial_channel=64,
    resblock_kernel_sizes=(3,),
    resblock_dilation_sizes=((1, 3, 5),),
    n_codes=32,
    latent_channels=256,
    encoder_base_channels=16,
)


def _tiny(seed: int) -> HiFiCodecModel:
    torch.manual_seed(seed)
    return HiFiCodecModel(TINY).eval()


def test_loads_a_checkpoint_file_strictly(tmp_path):
    saved = _tiny(3)
    path = tmp_path / "tiny.pt"
    torch.save(saved.checkpoint_state(), path)
    fresh = _tiny(4)
    load_hificodec_checkpoint(fresh, path)
    for part, sd in saved.checkpoint_state().items():
        loaded = getattr(fresh, part).state_dict()
        assert set(loaded) == set(sd) and all(torch.equal(loaded[k], v) for k, v in sd.items()), part
    audio = torch.from_numpy(harmonic_tone(0.2, 16_000))[None, None]
    with torch.no_grad():
        assert torch.equal(fresh.encode(audio), saved.encode(audio))
        assert torch.allclose(fresh.decode(saved.encode(audio)), saved.decode(saved.encode(audio)))


def test_mismatching_checkpoints_are_refused(tmp_path):
    state = _tiny(5).checkpoint_state()
    path = tmp_path / "broken.pt"
    broken = {part: dict(sd) for part, sd in state.items()}
    del broken["encoder"]["conv_post.bias"]
    broken["generator"]["conv_pre.weight"] = broken["generator"].pop(
        "conv_pre.weight_v"
    )  # weight norm removed
    torch.save(broken, path)
    with pytest.raises(ValueError) as info:
        load_hificodec_checkpoint(_tiny(6), path)
    message = str(info.value)
    assert "[encoder] 1 missing keys (e.g. conv_post.bias)" in message
    assert "[generator] 1 missing keys (e.g. conv_pre.weight_v)" in message
    assert "[generator] 1 unexpected keys (e.g. conv_pre.weight)" in message

    bad_shape = {part: dict(sd) for part, sd in state.items()}
    bad_shape["quantizer"]["quantizer_modules.0.embedding.weight"] = torch.zeros(16, 128)
    torch.save(bad_shape, path)
    with pytest.raises(ValueError, match="shape mismatches"):
        load_hificodec_checkpoint(_tiny(6), path)

    torch.save({"generator": state["generator"]}, path)
    with pytest.raises(ValueError, match=r"holds a dict with keys \['generator'\]\. Expected a HiFi-Codec"):
        load_hificodec_checkpoint(_tiny(6), path)

    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        load_hificodec_checkpoint(_tiny(6), path)


def test_found_in_the_hugging_face_cache_or_unavailable_with_remedy(tmp_path, monkeypatch, model):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(CodecUnavailable) as info:
        HiFiCodecCodec()
    assert CHECKPOINT_NAME in info.value.reason and str(tmp_path / "hub") in info.value.reason
    assert f"hf download Dongchao/AcademiCodec {CHECKPOINT_NAME}" in info.value.remedy
    snapshot = tmp_path / "hub" / "models--Dongchao--AcademiCodec" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0123abcd")  # as a download leaves it
    torch.save(model.checkpoint_state(), snapshot / CHECKPOINT_NAME)
    HiFiCodecCodec.check_available()
    codec = HiFiCodecCodec()  # found without any path, through HF_HUB_CACHE
    assert codec.weights == f"pretrained:{CHECKPOINT_NAME}"
    assert torch.equal(
        codec.model.quantizer.quantizer_modules2[1].embedding.weight,
        model.quantizer.quantizer_modules2[1].embedding.weight,
    )


def test_matches_the_official_implementation_on_shared_weights():
    """Codes and audio equal the official AcademiCodec modules' on the same deterministic weights.

    Golden values: golden/hificodec_official_reference.json, written from the official code by
    ``python -m tools.parity.hificodec_reference``.
    """
    import json

    reference = json.loads((Path(__file__).parent / "golden" / "hificodec_official_reference.json").read_text())
    ours = HiFiCodecModel().eval()
    test_signal = hificodec_test_signal()
    signal = torch.from_numpy(test_signal)[None, None]

    def encoder_forward(sd):
        ours.encoder.load_state_dict(sd, strict=True)
        with torch.no_grad():
            return ours.encoder(signal)

    state = hificodec_state(encoder_forward, ours.checkpoint_state())
    for part in ("generator", "encoder", "quantizer"):
        getattr(ours, part).load_state_dict(state[part], strict=True)
    with torch.no_grad():
        codes = ours.encode(signal)  # [1, 4, 25]
        audio = ours.decode(codes)[0, 0]
    expected_codes = torch.tensor(reference["codes_b_t_4"]).T  # official [T, 4] -> [4, T]
    assert codes.shape == (1, 4, test_signal.size // 320)
    agreement = float((codes[0] == expected_codes).float().mean())
    assert agreement >= 0.98, agreement  # argmin may flip on rare near-ties across platforms
    if agreement == 1.0:
        expected_audio = torch.tensor(reference["audio"])
        assert torch.allclose(audio[:: reference["audio_stride"]], expected_audio, atol=1e-4)
        assert float(audio.pow(2).mean().sqrt()) == pytest.approx(reference["audio_rms"], rel=1e-4)
