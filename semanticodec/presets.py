"""Named decoder settings: ``SemantiCodec(..., preset="fast")``.

- ``official``: the paper's and the official code's DDIM, 50 steps (eta 1, the default).
- ``fast``: DPM-Solver++ (2M), the fewest steps whose deviation from the official 50-step DDIM output
  stays within the official sampler's own seed-to-seed deviation, measured side by side by
  ``python -m tools.speed.speed_semanticodec --compare-settings --seed-floor`` (the table and its file
  are in the README, "Fast settings"). Same weights, float32, any device.
"""

from __future__ import annotations

import dataclasses

__all__ = ["DECODE_PRESETS", "DecodePreset", "decode_preset"]


@dataclasses.dataclass(frozen=True)
class DecodePreset:
    """Sampler settings of one preset.

    Attributes:
        sampler: a name in `semanticodec.decoder.SAMPLERS`.
        steps: diffusion steps per window.
        description: what it is and where its measurement lives.
    """

    sampler: str
    steps: int
    description: str


DECODE_PRESETS: dict[str, DecodePreset] = {
    "official": DecodePreset("ddim", 50, "DDIM, 50 steps, eta 1: the official decoder"),
    "fast": DecodePreset(
        "dpmpp_2m", 10,
        "DPM-Solver++ (2M), 10 steps: 2.7x faster decoding at token rate 100, deviating from DDIM-50 no more "
        "than DDIM-50 with another seed (results/semanticodec_fast_settings.json)",
    ),
}


def decode_preset(name: str) -> DecodePreset:
    """The preset called `name`; ValueError naming the presets that exist."""
    try:
        return DECODE_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown decode preset {name!r}; choose one of {', '.join(DECODE_PRESETS)}") from None
