"""Decoder half of the AudioLDM 16 kHz / 64-mel VAE (`first_stage_model.decoder`).

Attribute names equal the official keys: `conv_in`, `mid.{block_1,attn_1,block_2}`,
`up.{i}.block.{j}` (index i = resolution level, so `up.0` is the full-resolution level that runs
last), `up.{i}.upsample.conv`, `norm_out`, `conv_out`. No attention outside the middle block.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from semanticodec.decoder.ops import upsample2x_conv3x3
from semanticodec.decoder.unet import GroupNorm32


def _normalize(channels: int) -> GroupNorm32:
    return GroupNorm32(channels, eps=1e-6)


class ResnetBlock(nn.Module):
    """GN-swish-conv twice, residual with a 1x1 `nin_shortcut` when channels change."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm1 = _normalize(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = _normalize(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        if in_channels != out_channels:
            self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        # In-place activations and residual on tensors made here: the same sums, fewer
        # full-resolution buffers (each a fresh page-faulted allocation on CPU).
        h = self.conv1(F.silu(self.norm1(x), inplace=True))
        h = self.conv2(F.silu(self.norm2(h), inplace=True))
        return h.add_(self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x)


class AttnBlock(nn.Module):
    """Single-head self-attention over all T*F positions with 1x1-conv q/k/v/proj_out."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = _normalize(channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.k = nn.Conv2d(channels, channels, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        batch, channels, height, width = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # [B, T*F, C]
        # The 1x1 convolutions as matmuls on the position-major view: contiguous [B, 1, T*F, C]
        # q/k/v let PyTorch use its flash kernel instead of materialising the (T*F)^2 scores.
        q, k, v = (F.linear(h, conv.weight.flatten(1), conv.bias)[:, None] for conv in (self.q, self.k, self.v))
        out = F.scaled_dot_product_attention(q, k, v)[:, 0]  # [B, T*F, C], scale 1/sqrt(C)
        out = F.linear(out, self.proj_out.weight.flatten(1), self.proj_out.bias)
        return out.transpose(1, 2).reshape(batch, channels, height, width).add_(x)


class _Level(nn.Module):
    """Container so that keys read `up.{i}.block.{j}` / `up.{i}.upsample.conv`."""

    def __init__(self, blocks: list[nn.Module], upsample: bool, channels: int) -> None:
        super().__init__()
        self.block = nn.ModuleList(blocks)
        if upsample:
            self.upsample = _Upsample(channels)


class _Upsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return upsample2x_conv3x3(x, self.conv)


class _Mid(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block_1 = ResnetBlock(channels, channels)
        self.attn_1 = AttnBlock(channels)
        self.block_2 = ResnetBlock(channels, channels)


class VAEDecoder(nn.Module):
    """`z: Tensor[B x z_channels x T x F]` -> mel `Tensor[B x out_channels x T*2^(n-1) x F*2^(n-1)]`."""

    def __init__(self, *, channels: int, channel_mult: tuple[int, ...], num_res_blocks: int,
                 z_channels: int, out_channels: int = 1) -> None:
        super().__init__()
        block_in = channels * channel_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, block_in, 3, padding=1)
        self.mid = _Mid(block_in)
        levels: list[_Level] = []
        for level in reversed(range(len(channel_mult))):
            block_out = channels * channel_mult[level]
            blocks = []
            for _ in range(num_res_blocks + 1):
                blocks.append(ResnetBlock(block_in, block_out))
                block_in = block_out
            levels.insert(0, _Level(blocks, upsample=level != 0, channels=block_in))
        self.up = nn.ModuleList(levels)
        self.norm_out = _normalize(block_in)
        self.conv_out = nn.Conv2d(block_in, out_channels, 3, padding=1)

    def forward(self, z: Tensor) -> Tensor:
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for level in reversed(range(len(self.up))):
            stage = self.up[level]
            for block in stage.block:
                h = block(h)
            if level != 0:
                h = stage.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h), inplace=True))


class FirstStageDecoder(nn.Module):
    """`first_stage_model` at inference: `post_quant_conv`, VAE `decoder`, HiFi-GAN `vocoder`."""

    def __init__(self, *, latent_channels: int, decoder: VAEDecoder, vocoder: nn.Module) -> None:
        super().__init__()
        self.decoder = decoder
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.vocoder = vocoder

    def decode(self, z: Tensor) -> Tensor:
        """Latent `Tensor[B x 8 x T x F]` (already divided by scale_factor) -> mel `Tensor[B x 1 x 4T x 4F]`."""
        return self.decoder(self.post_quant_conv(z))
