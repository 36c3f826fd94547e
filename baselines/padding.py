"""Zero-padding and cropping of waveform batches to the lengths codecs need."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["fit_length", "pad_and_stack", "pad_to_multiple"]


def fit_length(x: torch.Tensor, length: int) -> torch.Tensor:
    """Crop or zero-pad the last axis of Tensor[..., T] to `length`."""
    if x.shape[-1] >= length:
        return x[..., :length]
    return torch.nn.functional.pad(x, (0, length - x.shape[-1]))


def pad_to_multiple(waveform: torch.Tensor, hop: int) -> torch.Tensor:
    """Right-pad Tensor[B x T] with zeros so that T is a multiple of `hop` (at least one hop)."""
    length = waveform.shape[-1]
    target = max(hop, -(-length // hop) * hop)
    return torch.nn.functional.pad(waveform, (0, target - length))


def pad_and_stack(waveforms: Sequence[torch.Tensor]) -> torch.Tensor:
    """Tensor[T_i] each -> Tensor[B x max T_i], shorter ones zero-padded at the end."""
    length = max(w.shape[-1] for w in waveforms)
    return torch.stack([fit_length(w, length) for w in waveforms])
