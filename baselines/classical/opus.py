"""Opus (libopus through opuslib) at a fixed target bitrate.

Runs at 16 kHz mono, application VOIP, 20 ms frames (320 samples), variable bitrate (libopus'
default). The transmitted payload is the sequence of Opus packets, each preceded by its length in
the self-delimiting form of RFC 6716 appendix B (1 byte below 252, else 2 bytes), so the measured
bitrate includes the framing a real container would need at minimum.

The encoder looks ahead `lookahead` samples (6.5 ms at 16 kHz); the adapter appends that many
zeros before encoding and drops the same number of samples at the start of the decoded signal,
so the output is time-aligned with the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from baselines.availability import require_package
from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.padding import pad_and_stack

__all__ = ["OpusCodec", "pack_lengths", "unpack_packets"]

_REMEDY = "apt-get install -y libopus0 && pip install opuslib==3.0.1  (pyproject extra: classical)"
_APPLICATIONS = ("voip", "audio", "restricted_lowdelay")
_FRAME_MS_ALLOWED = (2.5, 5.0, 10.0, 20.0, 40.0, 60.0)
_MAX_PACKET_BYTES = 1275


def _length_prefix(length: int) -> bytes:
    """RFC 6716 B: lengths < 252 take one byte; otherwise two bytes with length = 4 * second + first."""
    if length < 0 or length > _MAX_PACKET_BYTES:
        raise ValueError(f"Opus packet length {length} outside [0, {_MAX_PACKET_BYTES}]")
    if length < 252:
        return bytes([length])
    first = 252 + ((length - 252) % 4)
    return bytes([first, (length - first) // 4])


def pack_lengths(packets: list[bytes]) -> bytes:
    """Concatenate Opus packets, each preceded by its self-delimiting length."""
    return b"".join(_length_prefix(len(p)) + p for p in packets)


def unpack_packets(payload: bytes) -> list[bytes]:
    """Inverse of `pack_lengths`."""
    packets, pos = [], 0
    while pos < len(payload):
        first = payload[pos]
        if first < 252:
            length, pos = first, pos + 1
        else:
            if pos + 1 >= len(payload):
                raise ValueError("truncated Opus payload: length byte missing")
            length, pos = first + 4 * payload[pos + 1], pos + 2
        if pos + length > len(payload):
            raise ValueError(f"truncated Opus payload: packet of {length} bytes at offset {pos}")
        packets.append(payload[pos : pos + length])
        pos += length
    return packets


class OpusCodec(Codec):
    """Opus at `bitrate_kbps`.

    Args:
        bitrate_kbps: target bitrate given to the encoder (libopus accepts 6-510 kbps).
        sample_rate: native rate in Hz (8000, 12000, 16000, 24000 or 48000).
        frame_ms: frame duration in milliseconds.
        application: ``"voip"``, ``"audio"`` or ``"restricted_lowdelay"``.
        vbr: variable bitrate (libopus default) when True, constant bitrate when False.
        complexity: encoder complexity 0-10.
    """


    def __init__(
        self,
        bitrate_kbps: float,
        sample_rate: int = 16_000,
        frame_ms: float = 20.0,
        application: str = "voip",
        vbr: bool = True,
        complexity: int = 10,
    ) -> None:
        self.check_available()
        if sample_rate not in (8000, 12000, 16000, 24000, 48000):
            raise ValueError(f"Opus sample_rate must be 8/12/16/24/48 kHz, got {sample_rate}")
        if frame_ms not in _FRAME_MS_ALLOWED:
            raise ValueError(f"Opus frame_ms must be one of {_FRAME_MS_ALLOWED}, got {frame_ms}")
        if application not in _APPLICATIONS:
            raise ValueError(f"Opus application must be one of {_APPLICATIONS}, got {application!r}")
        if not 6.0 <= bitrate_kbps <= 510.0:
            raise ValueError(f"Opus bitrate_kbps must be within [6, 510], got {bitrate_kbps}")
        self.sample_rate = int(sample_rate)
        self.bitrate_kbps = float(bitrate_kbps)
        self.frame_ms = float(frame_ms)
        self.frame_size = round(self.sample_rate * self.frame_ms / 1000.0)
        self.application = application
        self.vbr = bool(vbr)
        self.complexity = int(complexity)
        self.nominal_bitrate_kbps = self.bitrate_kbps
        self.frame_rate_hz = 1000.0 / self.frame_ms
        self.weights = "none"

    @classmethod
    def check_available(cls, **kwargs: Any) -> None:
        require_package("opuslib", _REMEDY, what="opus", load=True, error=CodecUnavailable)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "application": self.application,
            "frame_ms": self.frame_ms,
            "vbr": self.vbr,
            "complexity": self.complexity,
        }

    def _new_encoder(self):
        import opuslib

        encoder = opuslib.Encoder(self.sample_rate, 1, self.application)
        encoder.bitrate = round(self.bitrate_kbps * 1000)
        encoder.vbr = int(self.vbr)
        encoder.complexity = self.complexity
        return encoder

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at `sample_rate` -> one length-prefixed packet stream per item."""
        payloads, lookahead = [], 0
        for item in waveform:
            encoder = self._new_encoder()
            lookahead = int(encoder.lookahead)
            x = item.detach().cpu().numpy().astype(np.float32)
            x = np.clip(x, -1.0, 1.0)
            total = x.shape[0] + lookahead
            frames = -(-total // self.frame_size)
            padded = np.zeros(frames * self.frame_size, dtype=np.float32)
            padded[: x.shape[0]] = x
            packets = [
                encoder.encode_float(padded[i : i + self.frame_size].tobytes(), self.frame_size)
                for i in range(0, padded.shape[0], self.frame_size)
            ]
            payloads.append(pack_lengths(packets))
        return Encoded(payloads=payloads, extra={"lookahead": lookahead})

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        import opuslib

        assert encoded.payloads is not None
        lookahead = int(encoded.extra.get("lookahead", 0))
        outputs = []
        for payload in encoded.payloads:
            decoder = opuslib.Decoder(self.sample_rate, 1)
            chunks = [
                np.frombuffer(decoder.decode_float(packet, self.frame_size), dtype=np.float32)
                for packet in unpack_packets(payload)
            ]
            y = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
            outputs.append(torch.from_numpy(y[lookahead:].copy()))
        return pad_and_stack(outputs)
