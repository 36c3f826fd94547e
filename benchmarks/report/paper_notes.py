"""Where our measurement convention differs from the paper's, the tables say so beside its number.

A registry: metric output -> `PaperCaveat`. An output without an entry (``mel_distance``,
``visqol_paper``) reproduces the paper's convention and its paper column can be compared in value.
The reasons are measured and documented in docs/metrics.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["PaperCaveat", "PAPER_CAVEATS", "caveat_for", "SUPERSCRIPTS"]


@dataclasses.dataclass(frozen=True)
class PaperCaveat:
    """Why a paper value is not comparable in absolute value with ours.

    Attributes:
        comparable: what can be compared (``"ranking only"``).
        note: one sentence shown under the table.
        applies: given the provenance of our scores, whether the caveat applies (default: always).
    """

    comparable: str
    note: str
    applies: Callable[[dict[str, Any]], bool] = lambda provenance: True


def _not_large_v3(provenance: dict[str, Any]) -> bool:
    # The provenance reads "<model name or folder> (<source>, sha256 ...)"; judge by the name alone.
    name = str(provenance.get("model", "")).split(" (")[0]
    return "large-v3" not in name


PAPER_CAVEATS: dict[str, PaperCaveat] = {
    "stft_distance": PaperCaveat(
        "ranking only",
        "the paper's STFT-distance convention is not reproduced: its values are 8.0-10.1 times our log10 "
        "distance depending on the system, so no constant scale matches (docs/metrics.md); compare ranks, "
        "not values.",
    ),
    "visqol": PaperCaveat(
        "ranking only",
        "profile `standard` (lattice mapping for speech, audio mode at 48 kHz for sound and music) is not "
        "the setting that reproduces Table II; the `visqol_paper` profile is (docs/metrics.md). Compare "
        "ranks, not values.",
    ),
    "wer_pseudo": PaperCaveat(
        "ranking only",
        "our reference is the same ASR model's transcript of the original clip (so ground truth scores 0), "
        "the paper's is the human transcript with Whisper large-v3; compare ranks, not values.",
    ),
    "wer": PaperCaveat(
        "ranking only",
        "transcribed by a smaller Whisper model than the paper's large-v3 (model in provenance.csv); "
        "absolute WERs differ, compare ranks.",
        applies=_not_large_v3,
    ),
}

#: Footnote markers, in order of first use.
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def caveat_for(output: str, provenance: dict[str, Any] | None = None) -> PaperCaveat | None:
    """The caveat of `output` under the given score provenance, or None when values are comparable."""
    caveat = PAPER_CAVEATS.get(output)
    if caveat is None or not caveat.applies(provenance or {}):
        return None
    return caveat
