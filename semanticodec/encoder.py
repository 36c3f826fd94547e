"""SemantiCodec encoder: fbank windows -> (semantic, acoustic) token pairs, and tokens -> features.

Per 10.24 s window (Tensor[1024 x 128] normalised fbank):
1. AudioMAE gives 512 patch features (64 time x 8 freq); K = stack factor patches are merged into one
   token feature of width 768 K (K = 2: adjacent frequency patches; K = 4: 2 x 2 time/frequency
   blocks), in time-major order -> Tensor[512/K x fd].
2. Semantic token = nearest row of the k-means codebook.
3. The acoustic branch sees [feature ‖ quantised semantic feature]; rows that belong to the
   zero-padded tail of the window are set to -1; a bidirectional LSTM and a bias-free linear layer
   give the residual feature, whose nearest acoustic codeword is the acoustic token.

Parameter names equal the official ``encoder.ckpt`` keys that are used at inference
(``audiomae.model.*``, ``encoder.*`` (the LSTM), ``encoder_output_linear.weight``,
``quantizer._codebook.embed``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from semanticodec.audiomae import MaskedViTEncoder
from semanticodec.config import WINDOW_FBANK_FRAMES, EncoderConfig
from semanticodec.quantizers import AcousticQuantizer, SemanticQuantizer

__all__ = ["SemantiCodecEncoder", "padding_cutoff_frames", "stack_patches"]

#: A fbank frame whose standard deviation over the 128 bins is at most this is padding.
_EMPTY_FRAME_STD = 1e-7


class _AudioMAEHolder(nn.Module):
    """Only gives the ViT the checkpoint prefix ``audiomae.model``."""

    def __init__(self, model: MaskedViTEncoder) -> None:
        super().__init__()
        self.model = model


def padding_cutoff_frames(fbank: Tensor) -> list[int]:
    """For each window Tensor[N x 1024 x 128]: frames up to the last non-flat frame (+1).

    A window with no flat frame is fully used (1024); an all-flat window gives 0.
    """
    flat = fbank.std(dim=-1) <= _EMPTY_FRAME_STD  # [N, 1024]
    cutoffs = []
    for row in flat:
        if not bool(row.any()):
            cutoffs.append(row.shape[0])
            continue
        used = torch.nonzero(~row).flatten()
        cutoffs.append(int(used[-1]) + 1 if used.numel() else 0)
    return cutoffs


def stack_patches(patches: Tensor, stack_factor: int) -> Tensor:
    """Merge AudioMAE patches into token features.

    Args:
        patches: Tensor[B x 512 x C] in (time 64, frequency 8) row-major order.
        stack_factor: 1, 2 (frequency pairs) or 4 (2 time x 2 frequency blocks, channel order (dt, df, c)).

    Returns:
        Tensor[B x 512/K x K C] in time-major order.
    """
    batch, _, channels = patches.shape
    if stack_factor == 1:
        return patches
    if stack_factor == 2:
        return patches.reshape(batch, 256, 2 * channels)
    if stack_factor == 4:
        grid = patches.reshape(batch, 32, 2, 4, 2, channels).permute(0, 1, 3, 2, 4, 5)
        return grid.reshape(batch, 128, 4 * channels)
    raise ValueError(f"stack factor must be 1, 2 or 4, got {stack_factor}")


class SemantiCodecEncoder(nn.Module):
    """Tokeniser half of SemantiCodec (see module docstring).

    Args:
        config: sizes; `encoder_config(token_rate, V)` gives the released ones.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        fd = config.feature_dim
        self.audiomae = _AudioMAEHolder(
            MaskedViTEncoder(
                config.mae_dim, config.mae_depth, config.mae_heads, config.mae_mlp_ratio, config.mae_average_last
            )
        )
        self.encoder = nn.LSTM(
            input_size=2 * fd,
            hidden_size=config.lstm_hidden_size,
            num_layers=config.lstm_layers,
            bias=True,
            batch_first=True,
            bidirectional=True,
        )
        self.encoder_output_linear = nn.Linear(2 * config.lstm_hidden_size, fd, bias=False)
        self.quantizer = AcousticQuantizer(config.acoustic_codebook_size, fd)
        self.semantic = SemanticQuantizer(config.semantic_vocab_size, fd)
        self.eval()

    # -- encoding ---------------------------------------------------------------------------
    @torch.inference_mode()
    def forward(self, fbank: Tensor) -> Tensor:
        """Tokenise independent 10.24 s windows, one at a time.

        Each window runs alone (batch 1), as in the official code: batched matrix products (the LSTM's
        above all) round differently for different batch sizes, which can flip a near-tie token, and
        tokens are the bitstream. So a window's tokens never depend on what it is batched with.

        Args:
            fbank: Tensor[N x 1024 x 128] normalised fbank windows (any mix of clips).

        Returns:
            int64 Tensor[N x 512/K x 2]: [..., 0] semantic index, [..., 1] acoustic index.
        """
        if fbank.dim() != 3 or fbank.shape[1:] != (WINDOW_FBANK_FRAMES, 128):
            raise ValueError(f"expected fbank windows [N, 1024, 128], got {tuple(fbank.shape)}")
        return torch.cat([self._tokenise(window[None]) for window in fbank])

    def _tokenise(self, fbank: Tensor) -> Tensor:
        """Tensor[B x 1024 x 128] -> int64 Tensor[B x 512/K x 2] (`forward` passes B = 1)."""
        param = self.encoder_output_linear.weight
        fbank = fbank.to(device=param.device, dtype=torch.float32)
        cutoffs = padding_cutoff_frames(fbank)
        features = stack_patches(self.audiomae.model(fbank.to(param.dtype)).float(), self.config.stack_factor)
        semantic = self.semantic.quantize(features)
        lstm_in = torch.cat([features, self.semantic.dequantize(semantic)], dim=-1)
        length = lstm_in.shape[1]
        for row, cutoff in enumerate(cutoffs):
            first_padded = math.ceil(length * (cutoff / WINDOW_FBANK_FRAMES))
            lstm_in[row, first_padded:] = -1.0
        residual = self.encoder_output_linear(self.encoder(lstm_in.to(param.dtype))[0]).float()
        acoustic = self.quantizer.quantize(residual)
        return torch.stack([semantic, acoustic], dim=-1)

    # -- decoding side ----------------------------------------------------------------------
    def tokens_to_features(self, tokens: Tensor) -> Tensor:
        """int Tensor[B x L x 2] -> float32 Tensor[B x L x 2 fd] = acoustic vector ‖ semantic vector."""
        if tokens.dim() != 3 or tokens.shape[-1] != 2:
            raise ValueError(f"tokens must be [B, T, 2] (semantic, acoustic), got {tuple(tokens.shape)}")
        tokens = tokens.to(self.quantizer.table.device)
        acoustic = self.quantizer.dequantize(tokens[..., 1]).float()
        semantic = self.semantic.dequantize(tokens[..., 0]).float()
        return torch.cat([acoustic, semantic], dim=-1)
