"""The one interface every codec in the suite implements.

A codec takes mono audio at any sample rate and gives back audio at that same rate and length.
Between the two, `Encoded` holds exactly what would be transmitted: integer codes for neural
codecs or the real byte payload for classical ones. The measured bitrate is counted from that.

Adapters implement `_encode` / `_decode` at their native `sample_rate`; the public `encode` /
`decode` validate shapes, resample in and out, and crop to the input length.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Any

import torch

from baselines.availability import Unavailable
from baselines.dsp import resample
from baselines.padding import fit_length
from baselines.system import ClipAudio, SystemBase

__all__ = ["ClipAudio", "Codec", "CodecInputError", "CodecUnavailable", "Encoded", "Reconstruction"]


class CodecUnavailable(Unavailable):
    """A codec configuration cannot run here (missing package or weights): `reason` and `remedy`."""


class CodecInputError(ValueError):
    """The waveform handed to a codec is not usable (wrong rank, empty, non-finite)."""


@dataclasses.dataclass
class Encoded:
    """What a codec transmits for a batch of clips, plus what is needed to put it back.

    Exactly one of `codes` / `payloads` is set.

    Attributes:
        codes: int64 Tensor[B x K x T'] for token codecs (K codebooks, T' frames).
        payloads: one `bytes` object per batch item for classical codecs: the real bitstream.
        codebook_sizes: entries per codebook, length K (empty for payload codecs).
        num_samples: length of the waveform given to `encode`, at `sample_rate`.
        sample_rate: rate of the waveform given to `encode` (the rate `decode` returns).
        side_info_bits: bits per batch item that the decoder needs besides codes (e.g. scales);
            counted in the measured bitrate.
        extra: codec-private decode state that is *not* transmitted (e.g. padding lengths).
    """

    codes: torch.Tensor | None = None
    payloads: list[bytes] | None = None
    codebook_sizes: tuple[int, ...] = ()
    num_samples: int = 0
    sample_rate: int = 0
    side_info_bits: float = 0.0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.codes is None) == (self.payloads is None):
            raise ValueError("Encoded needs exactly one of `codes` or `payloads`")
        if self.codes is not None:
            if self.codes.dim() != 3:
                raise ValueError(f"codes must be [B, K, T'], got shape {tuple(self.codes.shape)}")
            if len(self.codebook_sizes) != self.codes.shape[1]:
                raise ValueError(
                    f"{len(self.codebook_sizes)} codebook sizes for {self.codes.shape[1]} codebooks"
                )

    @property
    def batch_size(self) -> int:
        return self.codes.shape[0] if self.codes is not None else len(self.payloads or [])

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate

    def bits_per_item(self) -> list[float]:
        """Bits actually produced for each batch item (codes at log2(codebook size) each, or bytes x 8)."""
        if self.payloads is not None:
            return [8.0 * len(p) + self.side_info_bits for p in self.payloads]
        assert self.codes is not None
        frames = self.codes.shape[-1]
        per_item = sum(frames * math.log2(size) for size in self.codebook_sizes)
        return [per_item + self.side_info_bits] * self.codes.shape[0]

    def measured_bitrate_kbps(self) -> list[float]:
        """Measured bitrate of each batch item: bits produced / seconds of input audio / 1000."""
        return [bits / self.duration_s / 1000.0 for bits in self.bits_per_item()]


@dataclasses.dataclass
class Reconstruction:
    """A decoded clip as the benchmark sees it.

    Attributes:
        waveform: float32 Tensor[T] at `sample_rate` (mono).
        sample_rate: Hz.
        encoded: the transmitted record, when the codec ran here (None for precomputed outputs).
        bitrate_kbps: measured bitrate of this clip, or None when nothing was measured here.
        notes: conditions handled while producing it (e.g. a stored output padded to the reference's
            length), recorded beside the clip's results.
    """

    waveform: torch.Tensor
    sample_rate: int
    encoded: Encoded | None
    bitrate_kbps: float | None
    notes: list[str] = dataclasses.field(default_factory=list)


class Codec(SystemBase):
    """Base class of every codec adapter: a `System` that encodes and decodes here.

    Subclasses set the facts of `SystemBase` and implement `_encode` / `_decode`. An adapter that
    takes a ``device`` argument puts its network there with `_place`; `encode` then hands `_encode` its
    input on that device, `decode` hands `_decode` its codes there, and both give back CPU tensors, so
    what is stored and scored never depends on the device.
    """

    #: Where `_encode` / `_decode` run (see `_place`).
    device: torch.device = torch.device("cpu")

    def _place(self, model: torch.nn.Module, device: str | torch.device | None) -> torch.nn.Module:
        """Put `model` on `device` (``cpu``, ``cuda``, ``cuda:1``, ``mps``; None: ``cpu``) and run there from now on."""
        self.device = torch.device(device or "cpu")
        return model.to(self.device)

    # -- public API -------------------------------------------------------------------------
    @torch.inference_mode()
    def encode(self, waveform: torch.Tensor, sample_rate: int) -> Encoded:
        """Encode mono audio.

        Args:
            waveform: float Tensor[B x T] or Tensor[T] (or [B x 1 x T]) in [-1, 1].
            sample_rate: rate of `waveform` in Hz; resampled to `self.sample_rate` if different.

        Returns:
            The transmitted record; `decode` turns it back into Tensor[B x T] at `sample_rate`.
        """
        batch = _as_batch(waveform)
        native = resample(batch, sample_rate, self.sample_rate)
        encoded = self._encode(native.to(self.device))
        if encoded.codes is not None:
            encoded.codes = encoded.codes.cpu()
        encoded.num_samples = batch.shape[-1]
        encoded.sample_rate = sample_rate
        encoded.extra.setdefault("native_num_samples", native.shape[-1])
        return encoded

    @torch.inference_mode()
    def decode(self, encoded: Encoded) -> torch.Tensor:
        """Decode to float32 Tensor[B x T] at `encoded.sample_rate`, T = `encoded.num_samples`."""
        if encoded.codes is not None and encoded.codes.device != self.device:
            encoded = dataclasses.replace(encoded, codes=encoded.codes.to(self.device))
        native = self._decode(encoded).cpu()
        if native.dim() == 3:
            native = native[:, 0]
        native = fit_length(native, encoded.extra["native_num_samples"])
        out = resample(native, self.sample_rate, encoded.sample_rate)
        return fit_length(out, encoded.num_samples).to(torch.float32)

    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        """Encode and decode one clip; the measured bitrate is that of the encoded payload."""
        encoded = self.encode(clip.waveform, clip.sample_rate)
        decoded = self.decode(encoded)[0]
        return Reconstruction(decoded, clip.sample_rate, encoded, encoded.measured_bitrate_kbps()[0])

    # -- adapter hooks ----------------------------------------------------------------------
    @abc.abstractmethod
    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at `self.sample_rate` -> Encoded (num_samples/sample_rate filled in by caller)."""

    @abc.abstractmethod
    def _decode(self, encoded: Encoded) -> torch.Tensor:
        """Encoded -> Tensor[B x T] (or [B x 1 x T]) at `self.sample_rate`; any length >= 0."""


def _as_batch(waveform: torch.Tensor) -> torch.Tensor:
    if not isinstance(waveform, torch.Tensor):
        raise CodecInputError(f"expected a torch.Tensor, got {type(waveform).__name__}")
    if waveform.dim() == 1:
        waveform = waveform[None]
    elif waveform.dim() == 3 and waveform.shape[1] == 1:
        waveform = waveform[:, 0]
    if waveform.dim() != 2:
        raise CodecInputError(f"expected mono audio [T], [B, T] or [B, 1, T]; got shape {tuple(waveform.shape)}")
    if waveform.shape[-1] == 0:
        raise CodecInputError("empty waveform (0 samples)")
    if not torch.isfinite(waveform).all():
        raise CodecInputError("waveform contains NaN or Inf")
    return waveform.to(torch.float32)
