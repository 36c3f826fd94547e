"""Systems the benchmark scores (`baselines.system.System`: codec adapters, precomputed outputs, the
original) and their registry."""

from baselines.base import Codec, CodecInputError, CodecUnavailable, Encoded, Reconstruction
from baselines.registry import (
    Availability,
    CodecSpec,
    availability,
    build_codec,
    codec_names,
    expand_codec_names,
    get_spec,
    register_codec,
)
from baselines.system import ClipAudio, System, SystemBase

__all__ = [
    "Availability",
    "ClipAudio",
    "Codec",
    "CodecInputError",
    "CodecSpec",
    "CodecUnavailable",
    "Encoded",
    "Reconstruction",
    "System",
    "SystemBase",
    "availability",
    "build_codec",
    "codec_names",
    "expand_codec_names",
    "get_spec",
    "register_codec",
]
