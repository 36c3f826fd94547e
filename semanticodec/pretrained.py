"""Building the SemantiCodec encoder and decoder from the official checkpoints.

`semanticodec.checkpoints` finds the files and reads their tensors safely, checking every key; this
module builds the modules on the meta device and has them adopt those tensors (one copy in memory),
then checks that nothing was left unset.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from semanticodec.checkpoints import (
    classify_encoder_checkpoint_keys,
    find_checkpoint_files,
    load_checked_state_dict,
    load_semantic_codebook,
    load_state_dict_file,
)
from semanticodec.config import EncoderConfig, encoder_config
from semanticodec.encoder import SemantiCodecEncoder

__all__ = ["check_no_meta", "load_decoder_checkpoint", "load_encoder_checkpoint", "load_pretrained"]


def load_pretrained(
    token_rate: int,
    semantic_vocab_size: int,
    *,
    checkpoint_path: str | os.PathLike | None = None,
    cache_path: str | os.PathLike | None = None,
    download: bool = True,
    load_decoder: bool = True,
) -> tuple[SemantiCodecEncoder, nn.Module | None, str]:
    """(encoder, decoder or None, weights label) of one official configuration.

    Files are found as `semanticodec.checkpoints.find_checkpoint_files` describes (folder, caches,
    working directory, download); the label names the encoder checkpoint (``pretrained:<folder>/<file>``).
    """
    config = encoder_config(token_rate, semantic_vocab_size)
    files = find_checkpoint_files(
        token_rate,
        semantic_vocab_size,
        checkpoint_path=checkpoint_path,
        cache_dir=cache_path,
        download=download,
        with_decoder=load_decoder,
    )
    encoder = load_encoder_checkpoint(config, files.encoder, files.semantic_codebook)
    decoder = load_decoder_checkpoint(token_rate, files.decoder) if load_decoder else None
    return encoder, decoder, f"pretrained:{files.encoder.parent.name}/{files.encoder.name}"


def load_encoder_checkpoint(config: EncoderConfig, encoder_path: Path, codebook_path: Path) -> SemantiCodecEncoder:
    """Build on the meta device and adopt the checkpoint tensors (one copy, in process memory).

    Not memory-mapped: the LSTM reads its weights at every time step, and encoding measured about
    7 % slower (CPU time, one thread) with them in mapped file pages than in process memory.
    """
    state = load_state_dict_file(encoder_path, mmap=False)
    used, _unused = classify_encoder_checkpoint_keys(state)
    with torch.device("meta"):
        encoder = SemantiCodecEncoder(config)
    load_checked_state_dict(encoder, {k: state[k] for k in used}, name=str(encoder_path))
    del state
    encoder.semantic.set_codebook(load_semantic_codebook(codebook_path))
    check_no_meta(encoder, str(encoder_path))
    return encoder


def load_decoder_checkpoint(token_rate: int, decoder_path: Path | None) -> nn.Module:
    """The latent-diffusion decoder of `token_rate` from its checkpoint (tensors stay memory-mapped)."""
    from semanticodec.decoder import DecoderConfig, SemantiCodecDecoder

    assert decoder_path is not None
    state = load_state_dict_file(decoder_path)
    with torch.device("meta"):
        decoder = SemantiCodecDecoder(DecoderConfig.official(token_rate))
    decoder.load_official_state_dict(state, assign=True)
    del state
    check_no_meta(decoder, str(decoder_path))
    return decoder


def check_no_meta(module: nn.Module, name: str) -> None:
    """Everything built on the meta device must have been replaced by checkpoint tensors."""
    left = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if left:
        raise RuntimeError(f"{name}: tensors not provided by the checkpoint: {left[:10]}")
