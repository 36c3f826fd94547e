"""What `SemantiCodec` accepts: audio (files, waveforms, lists of them) and tokens, parsed and checked.

Every problem raises `SemantiCodecInputError` naming the input and what is wrong (a missing file
raises `FileNotFoundError`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from semanticodec.config import SAMPLE_RATE

__all__ = ["AudioInput", "SemantiCodecInputError", "as_clips", "check_tokens", "read_audio_file"]

#: One audio input: a file path, or a waveform Tensor / ndarray.
AudioInput = str | os.PathLike | Tensor | np.ndarray


class SemantiCodecInputError(ValueError):
    """Audio or tokens handed to `SemantiCodec` are unusable; the message says which and why."""


def as_clips(audio: AudioInput, sample_rate: int | None, *, first_channel: bool = False) -> list[Tensor]:
    """One input -> list of mono float32 Tensor[T] at 16 kHz, validated.

    Args:
        audio: a file path, or a waveform Tensor / ndarray [T], [B x T] or [B x 1 x T].
        sample_rate: rate of waveform input (None: 16 000); files use their own rate.
        first_channel: a stereo file gives its first channel (the official code) instead of the mean.
    """
    if isinstance(audio, (str, os.PathLike)):
        waveform, rate = read_audio_file(Path(audio), first_channel=first_channel)
        clips = [waveform]
        name = str(audio)
    else:
        name = "waveform"
        if isinstance(audio, np.ndarray):
            audio = torch.from_numpy(np.ascontiguousarray(audio))
        if not isinstance(audio, Tensor):
            raise SemantiCodecInputError(f"audio must be a path, a Tensor or an ndarray, got {type(audio).__name__}")
        if not audio.dtype.is_floating_point:
            raise SemantiCodecInputError(f"waveform must be floating point, got {audio.dtype}")
        if audio.dim() == 3 and audio.shape[1] == 1:
            audio = audio[:, 0]
        if audio.dim() == 1:
            audio = audio[None]
        if audio.dim() != 2:
            raise SemantiCodecInputError(
                f"waveform must be [T], [B, T] or [B, 1, T] (mono), got shape {tuple(audio.shape)}"
            )
        rate = SAMPLE_RATE if sample_rate is None else int(sample_rate)
        clips = list(audio.detach().to("cpu", torch.float32))
    if rate <= 0:
        raise SemantiCodecInputError(f"{name}: sample rate must be positive, got {rate}")
    out = []
    for clip in clips:
        if clip.shape[-1] == 0:
            raise SemantiCodecInputError(f"{name}: audio is empty (0 samples)")
        if not torch.isfinite(clip).all():
            raise SemantiCodecInputError(f"{name}: audio contains NaN or Inf")
        if rate != SAMPLE_RATE:
            import torchaudio.functional as AF

            clip = AF.resample(clip, rate, SAMPLE_RATE)
        if clip.shape[-1] == 0:
            raise SemantiCodecInputError(f"{name}: audio is shorter than one sample at 16 kHz")
        out.append(clip)
    return out


def read_audio_file(path: Path, *, first_channel: bool) -> tuple[Tensor, int]:
    """(mono float32 Tensor[T], sample rate). Stereo: mean of channels, or channel 0 upstream."""
    import soundfile as sf

    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError
        raise SemantiCodecInputError(f"{path}: cannot read audio ({exc})") from exc
    channels = torch.from_numpy(np.ascontiguousarray(data.T))
    mono = channels[0] if first_channel or channels.shape[0] == 1 else channels.mean(dim=0)
    return mono.contiguous(), int(rate)


def check_tokens(
    tokens: Tensor | np.ndarray, device: torch.device, semantic_vocab_size: int, acoustic_codebook_size: int
) -> Tensor:
    """Tokens [B x T x 2] or [T x 2] -> int64 Tensor[B x T x 2] on `device`, range-checked against the
    semantic vocabulary and the acoustic codebook."""
    if isinstance(tokens, np.ndarray):
        tokens = torch.from_numpy(tokens)
    if not isinstance(tokens, Tensor):
        raise SemantiCodecInputError(f"tokens must be a Tensor or ndarray, got {type(tokens).__name__}")
    if tokens.dtype.is_floating_point or tokens.dtype == torch.bool:
        raise SemantiCodecInputError(f"tokens must be integers, got {tokens.dtype}")
    if tokens.dim() == 2:
        tokens = tokens[None]
    if tokens.dim() != 3 or tokens.shape[-1] != 2:
        raise SemantiCodecInputError(f"tokens must be [B, T, 2] (semantic, acoustic), got {tuple(tokens.shape)}")
    if tokens.shape[1] == 0:
        raise SemantiCodecInputError("tokens are empty (T = 0)")
    tokens = tokens.to(device, torch.int64)
    for column, name, size in ((0, "semantic", semantic_vocab_size), (1, "acoustic", acoustic_codebook_size)):
        low, high = int(tokens[..., column].min()), int(tokens[..., column].max())
        if low < 0 or high >= size:
            raise SemantiCodecInputError(f"{name} tokens must be in [0, {size}), found [{low}, {high}]")
    return tokens
