"""The unprocessed clip as a configuration: Table II's ground-truth row.

Scoring the original against itself gives each metric's ceiling (ViSQOL's maximum, the mel distance's
zero) and, for WER, the ASR model's own error on clean speech, the floor every codec is read against.
"""

from __future__ import annotations

import torch

from baselines.base import Reconstruction
from baselines.system import ClipAudio, SystemBase

__all__ = ["OriginalAudio"]


class OriginalAudio(SystemBase):
    """A `System` that returns the input unchanged; nothing is transmitted, so no bitrate is reported."""

    weights = "none"

    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        return Reconstruction(clip.waveform.detach().clone().to(torch.float32), clip.sample_rate, None, None)
