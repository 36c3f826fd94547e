"""SemantiCodec configurations: the 12 released variants, their sizes and bitrates.

A token *pair* is one semantic index (vocabulary V) plus one acoustic index (8192 entries).
``token_rate`` counts both tokens, so a model at ``token_rate`` emits ``token_rate / 2`` pairs per
second and ``bitrate = token_rate / 2 * (log2(V) + 13)`` bit/s.

`EncoderConfig` holds everything the encoder modules need as plain values; the released sizes come
from `encoder_config(token_rate, semantic_vocab_size)` and tests shrink them with
`dataclasses.replace` (fewer ViT blocks, narrower ViT, smaller LSTM, smaller codebooks).
"""

from __future__ import annotations

import dataclasses
import math

__all__ = [
    "ACOUSTIC_CODEBOOK_SIZE",
    "SAMPLE_RATE",
    "SEMANTIC_VOCAB_SIZES",
    "TOKEN_RATES",
    "VARIANTS",
    "WINDOW_FBANK_FRAMES",
    "WINDOW_SAMPLES",
    "EncoderConfig",
    "VariantSpec",
    "bitrate_kbps",
    "checkpoint_dirname",
    "encoder_config",
    "semantic_codebook_filename",
]

#: Audio rate in and out of the model (Hz).
SAMPLE_RATE = 16_000
TOKEN_RATES = (25, 50, 100)
SEMANTIC_VOCAB_SIZES = (4096, 8192, 16384, 32768)
#: Entries of the acoustic VQ codebook (13 bits per acoustic token) in every released model.
ACOUSTIC_CODEBOOK_SIZE = 8192
#: One encoder/decoder window: 10.24 s = 1024 Kaldi frames of 10 ms.
WINDOW_SAMPLES = 163_840
WINDOW_FBANK_FRAMES = 1024
#: AudioMAE patch grid per window: 64 time x 8 frequency patches of 16 x 16 fbank bins.
PATCH_GRID = (64, 8)
#: Width of the sinusoidal position code appended to each condition row.
POSITION_DIM = 192


@dataclasses.dataclass(frozen=True)
class VariantSpec:
    """What differs between the released token rates.

    Attributes:
        token_rate: tokens per second (semantic + acoustic).
        stack_factor: AudioMAE patches merged into one token (1, 2 or 4).
        lstm_layers: layers of the bidirectional acoustic LSTM.
        codebook_dir: folder of the semantic k-means codebooks in the Hugging Face repository.
    """

    token_rate: int
    stack_factor: int
    lstm_layers: int
    codebook_dir: str


VARIANTS: dict[int, VariantSpec] = {
    100: VariantSpec(100, 1, 4, "combine_512_audioset_dominate"),
    50: VariantSpec(50, 2, 3, "combine_256_audioset_dominate"),
    25: VariantSpec(25, 4, 2, "combine_128_audioset_dominate"),
}


def _check(token_rate: int, semantic_vocab_size: int | None = None) -> None:
    if token_rate not in VARIANTS:
        raise ValueError(f"token_rate must be one of {TOKEN_RATES}, got {token_rate!r}")
    if semantic_vocab_size is not None and semantic_vocab_size not in SEMANTIC_VOCAB_SIZES:
        raise ValueError(
            f"semantic_vocab_size must be one of {SEMANTIC_VOCAB_SIZES}, got {semantic_vocab_size!r}"
        )


def bitrate_kbps(token_rate: int, semantic_vocab_size: int) -> float:
    """Exact nominal bitrate: token_rate / 2 * (log2(V) + log2(8192)) / 1000."""
    _check(token_rate, semantic_vocab_size)
    bits_per_pair = math.log2(semantic_vocab_size) + math.log2(ACOUSTIC_CODEBOOK_SIZE)
    return token_rate / 2 * bits_per_pair / 1000.0


def checkpoint_dirname(token_rate: int) -> str:
    """Folder of encoder.ckpt / decoder.ckpt in the Hugging Face repository."""
    _check(token_rate)
    return f"semanticodec_tokenrate_{token_rate}"


def semantic_codebook_filename(token_rate: int, semantic_vocab_size: int) -> str:
    """Repository path of the k-means codebook; the file named ``codebook_{V/2}_0.npy`` holds V rows."""
    _check(token_rate, semantic_vocab_size)
    return f"codebook_idx/{VARIANTS[token_rate].codebook_dir}/codebook_{semantic_vocab_size // 2}_0.npy"


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
    """Sizes of the encoder (AudioMAE, semantic quantiser, acoustic LSTM + VQ).

    Released values are the defaults; tests use tiny values.

    Attributes:
        token_rate: 25, 50 or 100 tokens/s.
        semantic_vocab_size: rows of the semantic k-means codebook.
        mae_dim: AudioMAE width (768).
        mae_depth: AudioMAE blocks (12).
        mae_heads: attention heads (12).
        mae_mlp_ratio: MLP width / mae_dim (4).
        mae_average_last: blocks (from the end) whose normed outputs are averaged (3).
        lstm_layers: bidirectional LSTM layers (4 / 3 / 2 for 100 / 50 / 25 tok/s).
        lstm_hidden: LSTM hidden size per direction; None -> 2 x feature_dim (released).
        acoustic_codebook_size: entries of the acoustic VQ (8192).
    """

    token_rate: int = 100
    semantic_vocab_size: int = 16384
    mae_dim: int = 768
    mae_depth: int = 12
    mae_heads: int = 12
    mae_mlp_ratio: float = 4.0
    mae_average_last: int = 3
    lstm_layers: int = 4
    lstm_hidden: int | None = None
    acoustic_codebook_size: int = ACOUSTIC_CODEBOOK_SIZE

    def __post_init__(self) -> None:
        if self.token_rate not in VARIANTS:
            raise ValueError(f"token_rate must be one of {TOKEN_RATES}, got {self.token_rate!r}")
        if self.semantic_vocab_size < 1 or self.acoustic_codebook_size < 1:
            raise ValueError("codebook sizes must be positive")
        if self.mae_dim % self.mae_heads:
            raise ValueError(f"mae_dim {self.mae_dim} is not divisible by mae_heads {self.mae_heads}")
        if not 1 <= self.mae_average_last <= self.mae_depth:
            raise ValueError("mae_average_last must be between 1 and mae_depth")

    @property
    def stack_factor(self) -> int:
        return VARIANTS[self.token_rate].stack_factor

    @property
    def feature_dim(self) -> int:
        """Width of one semantic / acoustic feature vector: mae_dim x stack factor (768/1536/3072)."""
        return self.mae_dim * self.stack_factor

    @property
    def lstm_hidden_size(self) -> int:
        return self.lstm_hidden if self.lstm_hidden is not None else 2 * self.feature_dim

    @property
    def pairs_per_window(self) -> int:
        return 512 // self.stack_factor

    @property
    def context_dim(self) -> int:
        """Width of one decoder condition row: acoustic ‖ semantic ‖ position (1728/3264/6336)."""
        return 2 * self.feature_dim + POSITION_DIM

    @property
    def bitrate_kbps(self) -> float:
        """Bitrate of this configuration's codebook sizes at its token rate."""
        bits = math.log2(self.semantic_vocab_size) + math.log2(self.acoustic_codebook_size)
        return self.token_rate / 2 * bits / 1000.0


def encoder_config(token_rate: int = 100, semantic_vocab_size: int = 16384) -> EncoderConfig:
    """The released encoder configuration for a token rate and vocabulary (one of the 12)."""
    _check(token_rate, semantic_vocab_size)
    return EncoderConfig(
        token_rate=token_rate,
        semantic_vocab_size=semantic_vocab_size,
        lstm_layers=VARIANTS[token_rate].lstm_layers,
    )
