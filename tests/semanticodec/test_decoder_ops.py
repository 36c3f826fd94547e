"""The decoder's CPU rewrites compute what the plain layers compute, and never touch their inputs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from semanticodec.decoder.ops import POLYPHASE_MIN_POSITIONS, polyphase_weight, upsample2x_conv3x3
from semanticodec.decoder.unet import UNetModel
from semanticodec.decoder.vae import VAEDecoder
from semanticodec.decoder.vocoder import HiFiGANGenerator


def _plain_upsample_conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    return conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


@pytest.mark.parametrize(("height", "width", "bias"), [(32, 32, True), (64, 16, False), (33, 40, True)])
def test_polyphase_upsample_conv_equals_upsample_then_conv(height: int, width: int, bias: bool) -> None:
    assert height * width >= POLYPHASE_MIN_POSITIONS  # these sizes take the polyphase path
    torch.manual_seed(0)
    conv = nn.Conv2d(12, 7, 3, padding=1, bias=bias)
    x = torch.randn(2, 12, height, width)
    expected = _plain_upsample_conv(x, conv)
    got = upsample2x_conv3x3(x, conv)
    assert got.shape == expected.shape == (2, 7, 2 * height, 2 * width)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_small_grids_take_the_plain_path_bit_for_bit() -> None:
    torch.manual_seed(1)
    conv = nn.Conv2d(8, 8, 3, padding=1)
    x = torch.randn(1, 8, 16, 8)  # 128 positions < POLYPHASE_MIN_POSITIONS
    assert torch.equal(upsample2x_conv3x3(x, conv), _plain_upsample_conv(x, conv))


@pytest.mark.parametrize("conv", [nn.Conv2d(4, 4, 3, padding=0), nn.Conv2d(4, 4, 5, padding=2),
                                  nn.Conv2d(4, 4, 3, padding=1, stride=2)])
def test_other_convolutions_are_refused(conv: nn.Conv2d) -> None:
    with pytest.raises(ValueError, match="3x3 conv with padding 1"):
        upsample2x_conv3x3(torch.randn(1, 4, 32, 32), conv)


def test_polyphase_weight_keeps_every_tap_once_per_phase() -> None:
    # Each output phase sees all nine taps exactly once, folded onto four input positions.
    weight = torch.randn(5, 3, 3, 3)
    phases = polyphase_weight(weight).view(4, 5, 3, 2, 2)
    for phase in phases:
        torch.testing.assert_close(phase.sum(dim=(-1, -2)), weight.sum(dim=(-1, -2)))
    # Phase (0, 0): top-left tap alone, bottom-right folds rows 1-2 and columns 1-2.
    torch.testing.assert_close(phases[0, ..., 0, 0], weight[..., 0, 0])
    torch.testing.assert_close(phases[0, ..., 1, 1], weight[..., 1:, 1:].sum(dim=(-1, -2)))


@torch.inference_mode()
def test_in_place_layers_leave_their_inputs_alone() -> None:
    torch.manual_seed(2)
    unet = UNetModel(in_channels=4, model_channels=32, channel_mult=(1, 2), num_res_blocks=1,
                     attention_levels=(1,), num_head_channels=16, context_dim=24).eval()
    x, context = torch.randn(1, 4, 64, 32), torch.randn(2, 6, 24)
    context_kv = unet.encode_context(context)
    saved_x, saved_kv = x.clone(), [(k.clone(), v.clone()) for k, v in context_kv]
    first = unet(x, torch.tensor([10]), context_kv=context_kv)
    assert torch.equal(x, saved_x)
    assert all(torch.equal(k, k0) and torch.equal(v, v0) for (k, v), (k0, v0) in zip(context_kv, saved_kv))
    assert torch.equal(unet(x, torch.tensor([10]), context_kv=context_kv), first)  # no state carried over

    vae = VAEDecoder(channels=32, channel_mult=(1, 2), num_res_blocks=1, z_channels=4).eval()
    z = torch.randn(1, 4, 64, 32)  # 2048 latent positions: the polyphase upsample runs
    saved_z = z.clone()
    mel = vae(z)
    assert torch.equal(z, saved_z) and torch.equal(vae(z), mel)

    vocoder = HiFiGANGenerator(num_mels=8, initial_channel=32, upsample_rates=(2, 2), upsample_kernels=(4, 4),
                               resblock_kernels=(3, 5), resblock_dilations=(1, 3)).eval()
    frames = torch.randn(1, 8, 40)
    saved_frames = frames.clone()
    audio = vocoder(frames)
    assert torch.equal(frames, saved_frames) and torch.equal(vocoder(frames), audio)


@torch.inference_mode()
def test_decoders_with_polyphase_upsampling_match_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The official-parity tests run on grids too small for the polyphase path; this closes the gap:
    # polyphase on (the default threshold) vs off (threshold above any grid) on the same modules.
    import semanticodec.decoder.ops as ops

    torch.manual_seed(3)
    unet = UNetModel(in_channels=4, model_channels=32, channel_mult=(1, 2), num_res_blocks=1,
                     attention_levels=(1,), num_head_channels=16, context_dim=24).eval()
    x, context = torch.randn(1, 4, 128, 32), torch.randn(2, 6, 24)  # Upsample input: 64 x 16 positions
    vae = VAEDecoder(channels=32, channel_mult=(1, 2, 4), num_res_blocks=1, z_channels=4).eval()
    z = torch.randn(1, 4, 64, 16)  # VAE upsample inputs: 64 x 16 and 128 x 32 positions
    fast_v, fast_mel = unet(x, torch.tensor([7]), context), vae(z)
    monkeypatch.setattr(ops, "POLYPHASE_MIN_POSITIONS", 1 << 30)
    plain_v, plain_mel = unet(x, torch.tensor([7]), context), vae(z)
    assert not torch.equal(fast_mel, plain_mel)  # the two paths really differ in rounding
    torch.testing.assert_close(fast_v, plain_v, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast_mel, plain_mel, rtol=1e-4, atol=1e-5)
