"""Text normalisers applied to both reference and hypothesis before counting word errors.

- ``paper``: the SemantiCodec paper's treatment: keep only letters, digits and spaces (every other
  character is dropped, so "don't" -> "dont" and "well-known" -> "wellknown"), lower-case, split on
  whitespace.
- ``whisper``: Whisper's English normaliser (package `whisper-normalizer`, the same rules as
  openai-whisper's `EnglishTextNormalizer`: spelling standardisation, numbers to digits, fillers
  removed). Gives lower WERs than ``paper``; other codec papers use it.
- ``none``: lower-case and whitespace split only (punctuation counts as part of words).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from baselines.availability import package_version
from benchmarks.metrics.base import MetricUnavailable

__all__ = ["normalize", "normalizer_names", "normalizer_version"]


def _paper(text: str) -> str:
    kept = "".join(ch for ch in text if ch.isalpha() or ch.isdigit() or ch == " ")
    return " ".join(kept.lower().split())


def _none(text: str) -> str:
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=1)
def _whisper_normalizer() -> Callable[[str], str]:
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError:
        raise MetricUnavailable(
            "whisper-normalizer is not installed",
            "pip install 'whisper-normalizer>=0.1.12'  (extra: metrics)",
        ) from None
    return EnglishTextNormalizer()


def _whisper(text: str) -> str:
    return " ".join(_whisper_normalizer()(text).split())


_NORMALIZERS: dict[str, Callable[[str], str]] = {"paper": _paper, "whisper": _whisper, "none": _none}


def normalizer_names() -> list[str]:
    return list(_NORMALIZERS)


def normalize(text: str, normalizer: str) -> str:
    """`text` normalised by `normalizer` (one of `normalizer_names()`); words separated by one space."""
    if normalizer not in _NORMALIZERS:
        raise ValueError(f"text normalizer {normalizer!r} is not one of {normalizer_names()}")
    return _NORMALIZERS[normalizer](text)


def normalizer_version(normalizer: str) -> str:
    """Provenance string of `normalizer`."""
    if normalizer == "whisper":
        return f"whisper-normalizer {package_version('whisper-normalizer')} EnglishTextNormalizer"
    if normalizer == "paper":
        return "paper: keep letters/digits/spaces, lower-case"
    return "lower-case, whitespace split"
