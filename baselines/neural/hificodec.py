"""HiFi-Codec (AcademiCodec, arXiv 2305.02765), the 16 kHz / 320x model at 2.0 kbps.

HiFi-Codec is not on PyPI, so this module holds the suite's own implementation of its inference
path: the convolutional encoder, the group-residual vector quantizer (GRVQ) and the HiFi-GAN V1
generator. Module and parameter names follow the released checkpoint ``HiFi-Codec-16k-320d``
(Hugging Face model repo ``Dongchao/AcademiCodec``): a plain ``torch.save`` dict with exactly three
entries, ``generator``, ``encoder`` and ``quantizer``, each a module state dict whose weight-normed
convolutions store ``weight_g`` / ``weight_v``. `load_hificodec_checkpoint` loads such a file on
CPU with strict key and shape checking.

Data flow (16k-320d): waveform Tensor[B x 1 x L] (L a multiple of 320) -> encoder -> latent
Tensor[B x 512 x L/320] at 50 Hz -> GRVQ: 2 residual layers x 2 groups of 256 channels, each group
matched by Euclidean argmin against a 1024 x 256 codebook -> codes Tensor[B x 4 x L/320] in the
order [layer1-group1, layer1-group2, layer2-group1, layer2-group2] -> sum of the looked-up
embeddings -> generator -> waveform Tensor[B x 1 x L] in [-1, 1] (tanh output).
50 frames/s x 4 codes x 10 bits = 2.0 kbps; decoding only the first residual layer is 1.0 kbps.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from baselines.base import Codec, Encoded
from baselines.padding import pad_to_multiple
from baselines.representation import check_layers, representation_input
from baselines.weights import (
    RANDOM_WEIGHTS,
    CheckpointError,
    WeightFile,
    describe_contents,
    huggingface_hub_cache_dir,
    huggingface_snapshot_files,
    load_weights_only,
    seeded,
    state_dict_problems,
)

__all__ = [
    "HIFICODEC_16K_320D",
    "HIFICODEC_WEIGHTS_FORMAT",
    "HiFiCodecCodec",
    "HiFiCodecConfig",
    "HiFiCodecEncoder",
    "HiFiCodecGenerator",
    "HiFiCodecModel",
    "HiFiCodecQuantizer",
    "hificodec_weight_file",
    "load_hificodec_checkpoint",
    "read_hificodec_checkpoint",
]

_LRELU_SLOPE = 0.1
HF_REPO_ID = "Dongchao/AcademiCodec"
CHECKPOINT_NAME = "HiFi-Codec-16k-320d"


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


_CHECKPOINT_PARTS = ("generator", "encoder", "quantizer")
#: What a HiFi-Codec checkpoint file must be, for error messages.
HIFICODEC_WEIGHTS_FORMAT = (
    f"a HiFi-Codec checkpoint: torch.save of a dict with keys {list(_CHECKPOINT_PARTS)}, each a state dict "
    f"of tensors (as in {CHECKPOINT_NAME} from {HF_REPO_ID})"
)


def read_hificodec_checkpoint(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """The three state dicts of a released HiFi-Codec checkpoint file (CPU, weights only).

    Raises:
        CheckpointError (a ValueError): the file is unreadable or refers to code (refused: nothing from
            it runs), or is not a {generator, encoder, quantizer} dict of state dicts of tensors.
    """
    path = Path(path)
    state = load_weights_only(path, expected_format=HIFICODEC_WEIGHTS_FORMAT)
    if not isinstance(state, dict) or not all(part in state for part in _CHECKPOINT_PARTS):
        raise CheckpointError(path, f"holds {describe_contents(state)}", HIFICODEC_WEIGHTS_FORMAT)
    for part in _CHECKPOINT_PARTS:
        if not isinstance(state[part], dict) or not all(
            isinstance(v, torch.Tensor) for v in state[part].values()
        ):
            raise CheckpointError(
                path, f"its {part!r} entry is not a state dict of tensors", HIFICODEC_WEIGHTS_FORMAT
            )
    return {part: state[part] for part in _CHECKPOINT_PARTS}


def load_hificodec_checkpoint(
    model: HiFiCodecModel, path: str | Path, state: dict[str, dict[str, torch.Tensor]] | None = None
) -> None:
    """Load a released HiFi-Codec checkpoint file into `model` (CPU, weights only, strict).

    Args:
        state: the file's contents when already read with `read_hificodec_checkpoint`.

    Raises:
        CheckpointError (a ValueError): as `read_hificodec_checkpoint`, or any part has missing or
            unexpected keys or wrong shapes (all problems are listed, nothing is loaded partially).
    """
    path = Path(path)
    state = read_hificodec_checkpoint(path) if state is None else state
    problems = [
        f"[{part}] {problem}"
        for part in _CHECKPOINT_PARTS
        for problem in state_dict_problems(getattr(model, part), state[part])
    ]
    if problems:
        raise CheckpointError(
            path, "checkpoint does not match the model: " + "; ".join(problems), HIFICODEC_WEIGHTS_FORMAT
        )
    for part in _CHECKPOINT_PARTS:
        getattr(model, part).load_state_dict(state[part], strict=True)


def hificodec_weight_file() -> WeightFile:
    """Where the released checkpoint is looked for: the Hugging Face cache of Dongchao/AcademiCodec."""
    cache = huggingface_hub_cache_dir()
    return WeightFile(
        codec="hificodec",
        filename=CHECKPOINT_NAME,
        search_dirs=[lambda: huggingface_snapshot_files(HF_REPO_ID, CHECKPOINT_NAME)],
        remedy=(
            f"hf download {HF_REPO_ID} {CHECKPOINT_NAME}  (fills the Hugging Face cache {cache}), "
            f"or pass checkpoint=<path to {CHECKPOINT_NAME} or the folder holding it>"
        ),
    )


class HiFiCodecCodec(Codec):
    """HiFi-Codec-16k-320d as a suite codec.

    Args:
        checkpoint: path to the checkpoint file (or a folder holding ``HiFi-Codec-16k-320d``);
            None looks in the Hugging Face cache.
        residual_layers: 2 (all four codebooks, 2.0 kbps) or 1 (first layer only, 1.0 kbps).
        random_weights: build with random weights instead of loading; TEST ONLY, labelled as such.
        seed: seed for random weights.
    """


    def __init__(
        self,
        checkpoint: str | None = None,
        residual_layers: int = 2,
        random_weights: bool = False,
        seed: int = 0,
    ) -> None:
        if residual_layers not in (1, 2):
            raise ValueError(f"residual_layers must be 1 or 2, got {residual_layers}")
        config = HIFICODEC_16K_320D
        path = None if random_weights else hificodec_weight_file().locate(checkpoint)
        state = None if path is None else read_hificodec_checkpoint(path)  # a bad file fails before building
        with seeded(seed):
            self.model = HiFiCodecModel(config)
        if path is None:
            self.weights = RANDOM_WEIGHTS
        else:
            load_hificodec_checkpoint(self.model, path, state)
            self.weights = f"pretrained:{path.name}"
            self.weight_files = (str(path),)
        self.model.eval()
        self.config = config
        self.residual_layers = residual_layers
        self.hop_length = config.hop_length
        self.sample_rate = config.sample_rate
        self.frame_rate_hz = config.frame_rate_hz
        self.codebook_sizes = (config.n_codes,) * (config.n_code_groups * residual_layers)
        self.nominal_bitrate_kbps = (
            self.frame_rate_hz * sum(math.log2(s) for s in self.codebook_sizes) / 1000.0
        )

    @classmethod
    def check_available(
        cls, checkpoint: str | None = None, random_weights: bool = False, **kwargs: Any
    ) -> None:
        if not random_weights:
            hificodec_weight_file().locate(checkpoint)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "residual_layers": self.residual_layers, "hop_length": self.hop_length}

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 16 kHz -> codes Tensor[B x K x ceil(T / 320)]."""
        padded = pad_to_multiple(waveform, self.hop_length)
        codes = self.model.encode(padded[:, None, :])
        codes = codes[:, : len(self.codebook_sizes)].to(torch.int64)
        return Encoded(codes=codes, codebook_sizes=self.codebook_sizes)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.codes is not None
        return self.model.decode(encoded.codes)

    @torch.inference_mode()
    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Quantized latent Tensor[B x 512 x T'] at 50 Hz: sum over the configured residual layers of the
        group vectors (``all``), or the first residual layer only (``first``: both groups of layer 1, the
        paper's 1 kbps "first VQ layer" row); see `baselines.representation`."""
        groups = self.config.n_code_groups
        used = len(self.codebook_sizes) if check_layers(layers) == "all" else groups
        codes = self._encode(representation_input(waveform, sample_rate, self.sample_rate)).codes
        assert codes is not None
        return self.model.quantizer.decode(codes[:, :used]).float()
