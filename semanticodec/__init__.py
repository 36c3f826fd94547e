"""SemantiCodec (arXiv 2405.00233) in PyTorch, loading the official checkpoints.

    from semanticodec import SemantiCodec
    codec = SemantiCodec(token_rate=100, semantic_vocab_size=16384)
    tokens = codec.encode("speech.wav")      # int64 Tensor[1 x T x 2]
    waveform = codec.decode(tokens)          # float32 ndarray[1 x 1 x N], 16 kHz
"""

from semanticodec.checkpoints import CheckpointMismatchError, CheckpointNotFoundError, find_checkpoint_files
from semanticodec.codec import RANDOM_WEIGHTS, SemantiCodec
from semanticodec.config import (
    SAMPLE_RATE,
    SEMANTIC_VOCAB_SIZES,
    TOKEN_RATES,
    EncoderConfig,
    bitrate_kbps,
    encoder_config,
)
from semanticodec.inputs import SemantiCodecInputError
from semanticodec.presets import DECODE_PRESETS, decode_preset

__all__ = [
    "DECODE_PRESETS",
    "RANDOM_WEIGHTS",
    "SAMPLE_RATE",
    "SEMANTIC_VOCAB_SIZES",
    "TOKEN_RATES",
    "CheckpointMismatchError",
    "CheckpointNotFoundError",
    "EncoderConfig",
    "SemantiCodec",
    "SemantiCodecInputError",
    "bitrate_kbps",
    "decode_preset",
    "encoder_config",
    "find_checkpoint_files",
]
