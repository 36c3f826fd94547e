"""The unprocessed clip as a configuration: Table II's ground-truth row.

Scoring the original against itself gives each metric's ceiling (ViSQOL's maximum, the mel distance's
zero) and, for WER, the ASR model's own error on clean speech, the floor every codec is read against.
"""

from __future__ import annotations

import torch

from baselines.base import Codec, Encoded, Reconstruction

__all__ = ["OriginalAudio"]


class OriginalAudio(Codec):
    """Returns the input unchanged; nothing is transmitted, so no bitrate is reported."""

    family = "reference"
    weights = "none"

    def reconstruct(self, waveform: torch.Tensor, sample_rate: int, clip_id: str) -> Reconstruction:
        return Reconstruction(waveform.detach().clone().to(torch.float32), sample_rate, None, None)

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        raise NotImplementedError("the original audio is not encoded; use reconstruct()")

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        raise NotImplementedError("the original audio is not decoded; use reconstruct()")
