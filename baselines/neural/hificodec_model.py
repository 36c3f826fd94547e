"""The HiFi-Codec (AcademiCodec, 16 kHz / 320x) network: convolutional encoder, group-residual vector
quantizer (GRVQ) and HiFi-GAN V1 generator, with module and parameter names of the released checkpoint
``HiFi-Codec-16k-320d`` (see `baselines.neural.hificodec` for the data flow, checkpoint loading and the
codec adapter).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "HIFICODEC_16K_320D",
    "HiFiCodecConfig",
    "HiFiCodecEncoder",
    "HiFiCodecGenerator",
    "HiFiCodecModel",
    "HiFiCodecQuantizer",
]

_LRELU_SLOPE = 0.1

@dataclasses.dataclass(frozen=True)
class HiFiCodecConfig:
    """The inference-relevant fields of AcademiCodec's ``config_16k_320d.json``.

    Attributes:
        sample_rate: Hz.
        upsample_rates: generator upsampling factors; the encoder uses them reversed as strides.
        upsample_kernel_sizes: generator transposed-conv kernels (encoder: reversed).
        upsample_initial_channel: generator width after its first convolution.
        resblock_kernel_sizes: kernels of the parallel residual blocks of each stage.
        resblock_dilation_sizes: dilations of each residual block's three convolutions.
        n_code_groups: GRVQ groups (the 512-channel latent is split into this many parts).
        n_codes: entries per codebook.
        residual_layers: GRVQ residual layers.
        latent_channels: encoder output channels (fixed at 512 by the released architecture).
        encoder_base_channels: encoder width after its first convolution (32).
    """

    sample_rate: int = 16_000
    upsample_rates: tuple[int, ...] = (8, 5, 4, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 11, 8, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    n_code_groups: int = 2
    n_codes: int = 1024
    residual_layers: int = 2
    latent_channels: int = 512
    encoder_base_channels: int = 32

    @property
    def hop_length(self) -> int:
        hop = 1
        for rate in self.upsample_rates:
            hop *= rate
        return hop

    @property
    def frame_rate_hz(self) -> float:
        return self.sample_rate / self.hop_length


#: The released 16 kHz model with hop 320 (``egs/HiFi-Codec-16k-320d/config_16k_320d.json``).
HIFICODEC_16K_320D = HiFiCodecConfig()


def _weight_norm(module: nn.Module) -> nn.Module:
    """Weight norm with the ``weight_g`` / ``weight_v`` parameter names of the released checkpoints."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return nn.utils.weight_norm(module)


def _same_padding(kernel_size: int, dilation: int) -> int:
    return (kernel_size * dilation - dilation) // 2


class _ResBlock1(nn.Module):
    """HiFi-GAN V1 residual block: three (dilated conv, conv) pairs with leaky ReLU, each residual."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            _weight_norm(
                nn.Conv1d(
                    channels, channels, kernel_size, 1, dilation=d, padding=_same_padding(kernel_size, d)
                )
            )
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            _weight_norm(nn.Conv1d(channels, channels, kernel_size, 1, padding=_same_padding(kernel_size, 1)))
            for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv1, conv2 in zip(self.convs1, self.convs2):
            y = conv1(F.leaky_relu(x, _LRELU_SLOPE))
            y = conv2(F.leaky_relu(y, _LRELU_SLOPE))
            x = x + y
        return x


class HiFiCodecEncoder(nn.Module):
    """Waveform Tensor[B x 1 x L] -> latent Tensor[B x 512 x L / hop].

    Mirror of the generator: strided convolutions (kept under the name ``ups``) with strides
    2, 4, 5, 8, each followed by parallel residual blocks whose running sum is group-normalised after
    every block, then averaged.
    """

    def __init__(self, config: HiFiCodecConfig = HIFICODEC_16K_320D) -> None:
        super().__init__()
        base = config.encoder_base_channels
        self.num_kernels = len(config.resblock_kernel_sizes)
        self.conv_pre = _weight_norm(nn.Conv1d(1, base, 7, 1, padding=3))
        strides = list(reversed(list(zip(config.upsample_rates, config.upsample_kernel_sizes))))
        self.ups = nn.ModuleList(
            _weight_norm(nn.Conv1d(base * 2**i, base * 2 ** (i + 1), k, s, padding=(k - s) // 2))
            for i, (s, k) in enumerate(strides)
        )
        self.resblocks = nn.ModuleList()
        self.normalize = nn.ModuleList()
        kernels = list(reversed(config.resblock_kernel_sizes))
        dilations = list(reversed(config.resblock_dilation_sizes))
        for i in range(len(self.ups)):
            channels = base * 2 ** (i + 1)
            for k, d in zip(kernels, dilations):
                self.resblocks.append(_ResBlock1(channels, k, d))
                self.normalize.append(nn.GroupNorm(channels // 16, channels, eps=1e-6, affine=True))
        if base * 2 ** len(self.ups) != config.latent_channels:
            raise ValueError("encoder width after the last stride must equal latent_channels")
        self.conv_post = nn.Conv1d(config.latent_channels, config.latent_channels, 3, 1, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(x)
        for i, down in enumerate(self.ups):
            x = down(F.leaky_relu(x, _LRELU_SLOPE))
            acc = None
            for j in range(self.num_kernels):
                index = i * self.num_kernels + j
                block_out = self.resblocks[index](x)
                acc = self.normalize[index](block_out if acc is None else acc + block_out)
            x = acc / self.num_kernels
        # The released encoder uses leaky ReLU's default slope (0.01) here, not 0.1.
        return self.conv_post(F.leaky_relu(x))


class HiFiCodecGenerator(nn.Module):
    """HiFi-GAN V1 generator: latent Tensor[B x 512 x T] -> waveform Tensor[B x 1 x T * hop] in [-1, 1]."""

    def __init__(self, config: HiFiCodecConfig = HIFICODEC_16K_320D) -> None:
        super().__init__()
        width = config.upsample_initial_channel
        self.num_kernels = len(config.resblock_kernel_sizes)
        self.conv_pre = _weight_norm(nn.Conv1d(config.latent_channels, width, 7, 1, padding=3))
        self.ups = nn.ModuleList(
            _weight_norm(nn.ConvTranspose1d(width // 2**i, width // 2 ** (i + 1), k, u, padding=(k - u) // 2))
            for i, (u, k) in enumerate(zip(config.upsample_rates, config.upsample_kernel_sizes))
        )
        self.resblocks = nn.ModuleList()
        channels = width
        for i in range(len(self.ups)):
            channels = width // 2 ** (i + 1)
            for k, d in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
                self.resblocks.append(_ResBlock1(channels, k, d))
        self.conv_post = _weight_norm(nn.Conv1d(channels, 1, 7, 1, padding=3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(x)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, _LRELU_SLOPE))
            acc = None
            for j in range(self.num_kernels):
                block_out = self.resblocks[i * self.num_kernels + j](x)
                acc = block_out if acc is None else acc + block_out
            x = acc / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x, _LRELU_SLOPE)))


class _Codebook(nn.Module):
    """One codebook (``embedding``: Tensor[n_codes x dim]) matched by Euclidean nearest neighbour."""

    def __init__(self, n_codes: int, dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_codes, dim)
        nn.init.uniform_(self.embedding.weight, -1.0 / n_codes, 1.0 / n_codes)

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """Tensor[N x dim] -> int64 Tensor[N] of nearest codebook entries."""
        table = self.embedding.weight
        distance = x.pow(2).sum(1, keepdim=True) + table.pow(2).sum(1) - 2.0 * x @ table.T
        return distance.argmin(dim=1)


class HiFiCodecQuantizer(nn.Module):
    """Group-residual VQ: ``quantizer_modules`` (layer 1) and ``quantizer_modules2`` (layer 2), one codebook per group."""

    def __init__(self, config: HiFiCodecConfig = HIFICODEC_16K_320D) -> None:
        super().__init__()
        if config.residual_layers != 2:
            raise ValueError("the released GRVQ layout has exactly 2 residual layers")
        if config.latent_channels % config.n_code_groups:
            raise ValueError("latent_channels must be divisible by n_code_groups")
        self.n_groups = config.n_code_groups
        self.group_dim = config.latent_channels // config.n_code_groups
        self.quantizer_modules = nn.ModuleList(
            _Codebook(config.n_codes, self.group_dim) for _ in range(config.n_code_groups)
        )
        self.quantizer_modules2 = nn.ModuleList(
            _Codebook(config.n_codes, self.group_dim) for _ in range(config.n_code_groups)
        )

    def _layers(self) -> list[nn.ModuleList]:
        return [self.quantizer_modules, self.quantizer_modules2]

    def encode(self, latent: torch.Tensor) -> torch.Tensor:
        """Latent Tensor[B x C x T] -> int64 codes Tensor[B x (layers * groups) x T]."""
        batch, channels, frames = latent.shape
        residual = latent.transpose(1, 2).reshape(-1, channels)
        codes = []
        for layer in self._layers():
            quantized = []
            for group, part in zip(layer, residual.split(self.group_dim, dim=-1)):
                index = group.nearest(part)
                codes.append(index.view(batch, frames))
                quantized.append(group.embedding(index))
            residual = residual - torch.cat(quantized, dim=-1)
        return torch.stack(codes, dim=1)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes Tensor[B x K x T] (K = groups or layers * groups) -> latent Tensor[B x C x T].

        With K = groups only the first residual layer is used (the 1 kbps mode).
        """
        if codes.shape[1] % self.n_groups or codes.shape[1] // self.n_groups > 2:
            raise ValueError(
                f"expected {self.n_groups} or {2 * self.n_groups} codebooks, got {codes.shape[1]}"
            )
        total = 0.0
        for layer_index in range(codes.shape[1] // self.n_groups):
            layer = self._layers()[layer_index]
            parts = [
                layer[g].embedding(codes[:, layer_index * self.n_groups + g]) for g in range(self.n_groups)
            ]
            total = total + torch.cat(parts, dim=-1)
        return total.transpose(1, 2)


class HiFiCodecModel(nn.Module):
    """Encoder + GRVQ + generator, with the three state dicts of the released checkpoint."""

    def __init__(self, config: HiFiCodecConfig = HIFICODEC_16K_320D) -> None:
        super().__init__()
        self.config = config
        self.encoder = HiFiCodecEncoder(config)
        self.quantizer = HiFiCodecQuantizer(config)
        self.generator = HiFiCodecGenerator(config)

    def checkpoint_state(self) -> dict[str, dict[str, torch.Tensor]]:
        """The released checkpoint layout: {"generator": ..., "encoder": ..., "quantizer": ...}."""
        return {
            "generator": self.generator.state_dict(),
            "encoder": self.encoder.state_dict(),
            "quantizer": self.quantizer.state_dict(),
        }

    def encode(self, waveform: torch.Tensor) -> torch.Tensor:
        """Tensor[B x 1 x L] (L multiple of the hop) -> codes Tensor[B x 4 x L / hop]."""
        return self.quantizer.encode(self.encoder(waveform))

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes Tensor[B x K x T] -> waveform Tensor[B x 1 x T * hop]."""
        return self.generator(self.quantizer.decode(codes))
