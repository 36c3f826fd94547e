"""Codec2 (through pycodec2, whose wheel bundles libcodec2) at 8 kHz.

Codec2 frames carry a fixed number of bits (e.g. 28 bits per 40 ms at 700C). libcodec2 hands each
frame over padded to whole bytes (4 bytes at 700C = 800 bit/s); the padding bits carry nothing, so
the payload here packs exactly `bits_per_frame` bits per frame back to back, which is the codec's
real bitrate. The decoder knows the mode, so no further side information is needed.

Every clip is decoded from libcodec2's initial state, including its process-wide random seed
(`baselines.classical._codec2_state`), so a clip's output does not depend on what was decoded before.

Codec2 is a parametric vocoder with an algorithmic delay; the adapter drops `delay_samples` at the
start of the decoded signal so the output lines up with the input (median over 9 LibriTTS clips,
measured by cross-correlating 1 ms log-energy envelopes; individual clips vary by about +-5 ms).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from baselines.availability import require_package
from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.classical._codec2_state import decode_frames
from baselines.classical.pcm import from_int16, to_int16
from baselines.padding import pad_and_stack

__all__ = ["CODEC2_MODES", "Codec2Codec"]

_REMEDY = "pip install pycodec2==4.1.1  (pyproject extra: classical; the wheel bundles libcodec2)"

#: mode name -> (pycodec2 mode argument, output delay in samples at 8 kHz).
CODEC2_MODES: dict[str, tuple[int, int]] = {
    "3200": (3200, 128),
    "2400": (2400, 112),
    "1600": (1600, 128),
    "1400": (1400, 112),
    "1300": (1300, 144),
    "1200": (1200, 120),
    "700C": (700, 224),
}


class Codec2Codec(Codec):
    """Codec2 in one of `CODEC2_MODES`.

    Args:
        mode: ``"3200"``, ``"2400"``, ``"1600"``, ``"1400"``, ``"1300"``, ``"1200"`` or ``"700C"``.
        compensate_delay: drop the codec's delay from the decoded signal (True) or keep it.
    """

    sample_rate = 8000

    def __init__(self, mode: str, compensate_delay: bool = True) -> None:
        self.check_available()
        mode = str(mode)
        if mode not in CODEC2_MODES:
            raise ValueError(f"unknown Codec2 mode {mode!r}; choose one of {sorted(CODEC2_MODES)}")
        import pycodec2

        self.mode = mode
        self._mode_arg, delay = CODEC2_MODES[mode]
        self.delay_samples = delay if compensate_delay else 0
        probe = pycodec2.Codec2(self._mode_arg)
        self.samples_per_frame = int(probe.samples_per_frame())
        self.bits_per_frame = int(probe.bits_per_frame())
        self.bytes_per_frame = int(probe.bytes_per_frame())
        self.frame_rate_hz = self.sample_rate / self.samples_per_frame
        self.nominal_bitrate_kbps = self.bits_per_frame * self.frame_rate_hz / 1000.0
        self.weights = "none"

    @classmethod
    def check_available(cls, **kwargs: Any) -> None:
        require_package("pycodec2", _REMEDY, what="codec2", load=True, error=CodecUnavailable)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "mode": self.mode, "bits_per_frame": self.bits_per_frame}

    def _pack(self, frames: list[bytes]) -> bytes:
        """Keep the first `bits_per_frame` bits (MSB first) of each frame and concatenate them."""
        if not frames:
            return b""
        bits = np.unpackbits(np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(len(frames), -1), axis=1)
        return np.packbits(bits[:, : self.bits_per_frame].reshape(-1)).tobytes()

    def _unpack(self, payload: bytes, num_frames: int) -> list[bytes]:
        bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))[: num_frames * self.bits_per_frame]
        if bits.shape[0] < num_frames * self.bits_per_frame:
            raise ValueError(f"Codec2 payload holds fewer than {num_frames} frames")
        bits = bits.reshape(num_frames, self.bits_per_frame)
        padded = np.zeros((num_frames, 8 * self.bytes_per_frame), dtype=np.uint8)
        padded[:, : self.bits_per_frame] = bits
        return [row.tobytes() for row in np.packbits(padded, axis=1)]

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 8 kHz -> one bit-packed Codec2 frame stream per item."""
        import pycodec2

        payloads, frame_counts = [], []
        n = self.samples_per_frame
        for item in waveform:
            pcm = to_int16(item)
            frames_needed = -(-(pcm.shape[0] + self.delay_samples) // n)
            padded = np.zeros(frames_needed * n, dtype=np.int16)
            padded[: pcm.shape[0]] = pcm
            codec = pycodec2.Codec2(self._mode_arg)
            frames = [codec.encode(padded[i : i + n]) for i in range(0, padded.shape[0], n)]
            payloads.append(self._pack(frames))
            frame_counts.append(len(frames))
        # The frame count follows from the payload length for whole-byte modes; for 700C the last
        # byte may hold padding bits, so it is kept as decode state (derivable from the clip length).
        return Encoded(payloads=payloads, extra={"num_frames": frame_counts})

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        assert encoded.payloads is not None
        outputs = []
        for payload, num_frames in zip(encoded.payloads, encoded.extra["num_frames"]):
            pcm = decode_frames(self._mode_arg, self._unpack(payload, num_frames))
            outputs.append(from_int16(pcm[self.delay_samples :]))
        return pad_and_stack(outputs)
