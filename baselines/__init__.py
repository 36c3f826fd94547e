"""Codec adapters behind one interface (see `baselines.base.Codec`) and their registry."""

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

__all__ = [
    "Availability",
    "Codec",
    "CodecInputError",
    "CodecSpec",
    "CodecUnavailable",
    "Encoded",
    "Reconstruction",
    "availability",
    "build_codec",
    "codec_names",
    "expand_codec_names",
    "get_spec",
    "register_codec",
]
