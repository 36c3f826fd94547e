"""The representation a neural codec's decoder receives, for probing what it carries.

A codec that can expose it implements `Representable.represent`: the *quantized* encoder output (the
decoder's input) as Tensor[B x D x T'] at the codec's `frame_rate_hz`:

* ``layers="all"``: what the decoder is given (for residual VQ, the sum of every codebook's vector;
  for SemantiCodec, the acoustic ‖ semantic vectors its diffusion decoder is conditioned on);
* ``layers="first"``: the first quantizer only (for SemantiCodec, the semantic stream).

A codec may also offer ``represent_layers(waveform, sample_rate, layers) -> {layers: Tensor}`` to
compute several layer sets from one encoding (`represent_layers` below falls back to `represent`).

Codecs without such a representation (classical codecs, precomputed outputs) simply do not have the
method: `supports_representation` tells them apart, and reports list them as not applicable. Any
out-of-tree codec with a `represent` method of this signature takes part as well.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from baselines.dsp import resample

__all__ = [
    "LAYERS", "Representable", "check_layers", "represent_layers", "representation_input", "supports_representation",
]

#: Accepted values of the `layers` argument.
LAYERS: tuple[str, ...] = ("all", "first")


@runtime_checkable
class Representable(Protocol):
    """A codec that exposes its decoder's input.

    Attributes:
        frame_rate_hz: frames per second of the representation (T' per second of audio).
    """

    frame_rate_hz: float | None

    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Quantized encoder output of audio.

        Args:
            waveform: float Tensor[B x C x T] (also [B x T] or [T]); channels are averaged to mono.
            sample_rate: rate of `waveform` in Hz (resampled to the codec's rate).
            layers: ``"all"`` or ``"first"`` (see the module docstring).

        Returns:
            float32 Tensor[B x D x T'] at `frame_rate_hz`.
        """
        ...


def supports_representation(codec: object) -> bool:
    """True when `codec` has a callable `represent` method (classical and precomputed systems do not)."""
    return callable(getattr(codec, "represent", None))


def check_layers(layers: str) -> str:
    """`layers` if it is one of `LAYERS`, else ValueError naming the accepted values."""
    if layers not in LAYERS:
        raise ValueError(f"layers must be one of {', '.join(LAYERS)}; got {layers!r}")
    return layers


def representation_input(waveform: torch.Tensor, sample_rate: int, native_sample_rate: int) -> torch.Tensor:
    """Validate audio for `represent` and bring it to the codec's rate.

    Args:
        waveform: float Tensor[B x C x T], [B x T] or [T].
        sample_rate: its rate in Hz.
        native_sample_rate: the codec's rate in Hz.

    Returns:
        float32 Tensor[B x T''] (mono, channels averaged) at `native_sample_rate`.

    Raises:
        TypeError: not a tensor.
        ValueError: not of rank 1-3, empty, or not finite.
    """
    if not isinstance(waveform, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor waveform, got {type(waveform).__name__}")
    if waveform.dim() == 1:
        waveform = waveform[None]
    elif waveform.dim() == 3:
        waveform = waveform.mean(dim=1)
    if waveform.dim() != 2:
        raise ValueError(f"expected a waveform [B, C, T], [B, T] or [T]; got shape {tuple(waveform.shape)}")
    if waveform.shape[-1] == 0:
        raise ValueError("empty waveform (0 samples)")
    if not torch.isfinite(waveform).all():
        raise ValueError("waveform contains NaN or Inf")
    return resample(waveform.to(torch.float32), int(sample_rate), int(native_sample_rate))


def represent_layers(codec: Representable, waveform: torch.Tensor, sample_rate: int,
                     layers: tuple[str, ...] | list[str]) -> dict[str, torch.Tensor]:
    """{layer set: Tensor[B x D x T']} for each of `layers`, from one encoding when the codec offers it."""
    several = getattr(codec, "represent_layers", None)
    if callable(several):
        return dict(several(waveform, sample_rate, tuple(layers)))
    return {layer: codec.represent(waveform, sample_rate, layer) for layer in layers}
