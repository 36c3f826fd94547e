"""MP3 (LAME through lameenc) at a constant bitrate, decoded with libsndfile (soundfile).

The payload is the complete MP3 stream LAME writes (including its Xing/LAME info frame and the
final partial frame), so the measured bitrate is the file size over the clip duration. At 8 kbps
LAME resamples 16 kHz input to 8 kHz itself; the decoded audio is resampled back.

LAME delays the signal by its encoder delay (576 samples) plus the MP3 decoder delay (529
samples), counted at the MP3 stream's own rate; libsndfile does not strip it, so the adapter drops
those 1105 samples from the start of the decoded signal.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

from baselines.availability import require_package
from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.classical.pcm import to_int16
from baselines.dsp import resample
from baselines.padding import pad_and_stack

__all__ = ["LAME_TOTAL_DELAY_SAMPLES", "Mp3Codec"]

_REMEDY = "pip install lameenc==1.9.0 soundfile  (pyproject extra: classical)"
#: LAME encoder delay (576) + MP3 decoder delay (528 + 1), in samples at the MP3 stream's rate.
LAME_TOTAL_DELAY_SAMPLES = 576 + 529


class Mp3Codec(Codec):
    """MP3 at `bitrate_kbps` (constant bitrate).

    Args:
        bitrate_kbps: LAME's constant bitrate (8, 16, 24, 32, ... kbps).
        sample_rate: rate at which audio is handed to LAME.
        quality: LAME quality 0 (best) - 9 (fastest).
        compensate_delay: drop the encoder + decoder delay from the decoded signal.
    """


    def __init__(
        self, bitrate_kbps: int, sample_rate: int = 16_000, quality: int = 2, compensate_delay: bool = True
    ) -> None:
        self.check_available()
        if int(bitrate_kbps) != bitrate_kbps or bitrate_kbps < 8:
            raise ValueError(f"MP3 bitrate_kbps must be an integer >= 8, got {bitrate_kbps}")
        self.bitrate_kbps = int(bitrate_kbps)
        self.sample_rate = int(sample_rate)
        self.quality = int(quality)
        self.compensate_delay = bool(compensate_delay)
        self.nominal_bitrate_kbps = float(self.bitrate_kbps)
        self.frame_rate_hz = None
        self.weights = "none"

    @classmethod
    def check_available(cls, **kwargs: Any) -> None:
        require_package("lameenc", _REMEDY, what="mp3", load=True, error=CodecUnavailable)
        require_package("soundfile", _REMEDY, what="mp3", load=True, error=CodecUnavailable)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "quality": self.quality, "decoder": "libsndfile (mpg123)"}

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at `sample_rate` -> one MP3 stream per item."""
        import lameenc

        payloads = []
        for item in waveform:
            encoder = lameenc.Encoder()
            encoder.set_bit_rate(self.bitrate_kbps)
            encoder.set_in_sample_rate(self.sample_rate)
            encoder.set_channels(1)
            encoder.set_quality(self.quality)
            payloads.append(bytes(encoder.encode(to_int16(item).tobytes())) + bytes(encoder.flush()))
        return Encoded(payloads=payloads)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        import soundfile as sf

        assert encoded.payloads is not None
        outputs = []
        for payload in encoded.payloads:
            data, stream_rate = sf.read(io.BytesIO(payload), dtype="float32", always_2d=True)
            mono = np.ascontiguousarray(data.mean(axis=1))
            if self.compensate_delay:
                mono = mono[LAME_TOTAL_DELAY_SAMPLES:]
            outputs.append(resample(torch.from_numpy(mono.copy()), int(stream_rate), self.sample_rate))
        return pad_and_stack(outputs)
