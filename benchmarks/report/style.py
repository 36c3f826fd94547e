"""One place for how systems and metrics look in every figure and table: colours, markers, readable names.

Colours and markers are fixed per codec family, so opus has the same colour in every figure of every
run whatever else was selected. Families not in the table get a colour and marker from a hash of their
name (never from their position in a run). Metric outputs get a display name, a unit and a value range
(used to clip error bars); a declared `MetricOutput` range takes precedence over the table's.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "FamilyStyle", "MetricStyle", "family_style", "family_display", "metric_style", "metric_axis_label",
    "figure_title", "highlighted_families", "HIGHLIGHT_LINE_WIDTH", "FAMILY_STYLES", "METRIC_STYLES",
    "FALLBACK_COLOURS", "FALLBACK_MARKERS",
]


@dataclasses.dataclass(frozen=True)
class FamilyStyle:
    display: str
    colour: str
    marker: str


#: Known families (and the paper's names for them) -> look. Colour-blind-safe hues (Okabe-Ito and Tableau).
FAMILY_STYLES: dict[str, FamilyStyle] = {
    "original": FamilyStyle("Original (reference)", "#000000", "*"),
    "semanticodec": FamilyStyle("SemantiCodec", "#D55E00", "o"),
    "encodec": FamilyStyle("EnCodec 24 kHz", "#0072B2", "s"),
    "dac": FamilyStyle("DAC 16 kHz", "#009E73", "^"),
    "dac_retrained_lowrate": FamilyStyle("DAC (retrained, low rate)", "#56B4E9", "v"),
    "hificodec": FamilyStyle("HiFi-Codec 16 kHz", "#CC79A7", "D"),
    "opus": FamilyStyle("Opus", "#E69F00", "P"),
    "codec2": FamilyStyle("Codec 2", "#8C564B", "X"),
    "mp3": FamilyStyle("MP3", "#7F7F7F", "h"),
    "semanticodec_no_acoustic_vq": FamilyStyle("SemantiCodec (no acoustic VQ)", "#F0A37A", "p"),
}

#: Other names of the same family (suite family names and the paper's system names).
_ALIASES: dict[str, str] = {
    "reference": "original",
    "ground_truth": "original",
    "encodec_24khz": "encodec",
    "dac_16khz": "dac",
    "hificodec_16k_320d": "hificodec",
}

#: Palette and markers for unknown families, chosen by a hash of the name.
FALLBACK_COLOURS: tuple[str, ...] = (
    "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#17BECF", "#BCBD22", "#E377C2",
    "#393B79", "#637939", "#8C6D31", "#843C39",
)
FALLBACK_MARKERS: tuple[str, ...] = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "h")


def _canonical(family: str) -> str:
    key = str(family).strip().lower()
    return _ALIASES.get(key, key)


def family_style(family: str) -> FamilyStyle:
    """The look of `family`: from `FAMILY_STYLES`, else deterministic from a hash of the name."""
    key = _canonical(family)
    if key in FAMILY_STYLES:
        return FAMILY_STYLES[key]
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    colour = FALLBACK_COLOURS[digest % len(FALLBACK_COLOURS)]
    marker = FALLBACK_MARKERS[(digest // len(FALLBACK_COLOURS)) % len(FALLBACK_MARKERS)]
    return FamilyStyle(str(family), colour, marker)


def family_display(family: str) -> str:
    """Readable family name (the name itself when unknown)."""
    return family_style(family).display


@dataclasses.dataclass(frozen=True)
class MetricStyle:
    display: str
    unit: str = ""
    lower: float | None = None
    upper: float | None = None


#: Metric output -> display name, unit and value range. Units follow the metric's definition
#: (mel distance: 20 x mean absolute log10-magnitude difference, i.e. dB, as in the paper's tables).
METRIC_STYLES: dict[str, MetricStyle] = {
    "mel_distance": MetricStyle("Mel distance", "dB", 0.0, None),
    # The paper's STFT scale is 10 x the log10-magnitude distance (benchmarks.metrics.spectral).
    "stft_distance": MetricStyle("STFT distance", "10·log10 |STFT|", 0.0, None),
    "visqol": MetricStyle("ViSQOL", "MOS-LQO", 1.0, 5.0),
    "visqol_paper": MetricStyle("ViSQOL (paper profile)", "MOS-LQO", 1.0, 5.0),
    "pesq": MetricStyle("PESQ (wideband)", "MOS-LQO", -0.5, 4.64),
    "pesq_wb": MetricStyle("PESQ (wideband)", "MOS-LQO", -0.5, 4.64),
    "pesq_nb": MetricStyle("PESQ (narrowband)", "MOS-LQO", -0.5, 4.64),
    "stoi": MetricStyle("STOI", "", 0.0, 1.0),
    "estoi": MetricStyle("ESTOI", "", 0.0, 1.0),
    "si_sdr": MetricStyle("SI-SDR", "dB", None, None),
    "wer": MetricStyle("WER", "%", 0.0, None),
    "wer_corpus": MetricStyle("WER (corpus)", "%", 0.0, None),
    "wer_pseudo": MetricStyle("WER vs ASR of original", "%", 0.0, None),
    "wer_pseudo_corpus": MetricStyle("WER vs ASR of original (corpus)", "%", 0.0, None),
    "speaker_similarity": MetricStyle("Speaker similarity", "cosine", -1.0, 1.0),
}

_DOMAIN_NAMES = {"speech": "speech", "music": "music", "sound": "general sound"}


def metric_style(
    output: str, unit: str | None = None, lower: float | None = None, upper: float | None = None
) -> MetricStyle:
    """Display style of a metric output; a declared `unit`/`lower`/`upper` overrides the table."""
    base = METRIC_STYLES.get(output, MetricStyle(output))
    return MetricStyle(
        base.display,
        unit if unit else base.unit,
        lower if lower is not None else base.lower,
        upper if upper is not None else base.upper,
    )


def metric_axis_label(style: MetricStyle, higher_is_better: bool, suffix: str = "") -> str:
    """E.g. ``Mel distance (dB) — lower is better``."""
    unit = f" ({style.unit})" if style.unit else ""
    direction = "higher is better ↑" if higher_is_better else "lower is better ↓"
    return f"{style.display}{suffix}{unit} — {direction}"


def figure_title(output: str, label: str, domain: str) -> str:
    """E.g. ``ViSQOL (paper profile) vs bitrate — speech``; a label with a fingerprint keeps it."""
    extra = label[len(output):] if label.startswith(output) else ""
    return f"{metric_style(output).display}{extra} vs bitrate — {_DOMAIN_NAMES.get(domain, domain)}"


#: Line width of highlighted systems' curves (matplotlib's default is 1.5).
HIGHLIGHT_LINE_WIDTH = 3.0


def highlighted_families(systems: Iterable[tuple[str, str]], patterns: Sequence[str]) -> set[str]:
    """Families to emphasise: those whose family name or any of whose codec names matches a pattern.

    Args:
        systems: (codec name, family) pairs of the figure.
        patterns: names or shell-style globs (``opus``, ``mycodec@*``), matched case-sensitively.
    """
    chosen = set()
    for codec, family in systems:
        if any(fnmatch.fnmatchcase(codec, p) or fnmatch.fnmatchcase(family, p) for p in patterns):
            chosen.add(family)
    return chosen
