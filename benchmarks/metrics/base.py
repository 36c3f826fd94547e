"""The metric interface: what a metric computes, how it is read, and where its numbers come from.

Every metric declares its outputs (name, direction, range, unit, how clip values aggregate) and its
provenance (implementation, version, mode, model, sample rate). Result rows carry a fingerprint of
that provenance, and reports refuse to put numbers with different fingerprints in one column.

A metric that cannot score a clip raises `MetricError` (or any exception); the runner records NaN
with the reason. A metric never substitutes a made-up value such as 0 or 1.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from baselines.availability import Unavailable
from benchmarks.datasets.base import DOMAINS, Clip
from benchmarks.fingerprint import digest

__all__ = ["Metric", "MetricError", "MetricOutput", "MetricUnavailable", "ScoreItem", "fingerprint"]


class MetricError(RuntimeError):
    """This clip cannot be scored by this metric; the message is recorded as the reason."""


class MetricUnavailable(Unavailable, MetricError):
    """A metric configuration cannot run here (missing package or model file): `reason` and `remedy`."""


@dataclasses.dataclass(frozen=True)
class MetricOutput:
    """One number a metric writes per clip.

    Attributes:
        name: column name, unique across metrics (e.g. ``"visqol"``, ``"wer"``, ``"mel_distance"``).
        higher_is_better: direction, used by tables (arrows) and plots.
        lower / upper: the value range (None = unbounded), used for plot axes and sanity checks.
        unit: e.g. ``"MOS"``, ``"%"``, ``"dB"``; empty when dimensionless.
        aggregate: ``"mean"`` (mean of clip values), or ``"ratio:NUM/DEN"`` where NUM and DEN are
            other outputs of the same metric summed over clips (corpus-level WER = errors / words).
        hidden: bookkeeping output (e.g. word counts) that tables do not show as a column.
    """

    name: str
    higher_is_better: bool
    lower: float | None = None
    upper: float | None = None
    unit: str = ""
    aggregate: str = "mean"
    hidden: bool = False


@dataclasses.dataclass
class ScoreItem:
    """One clip to score: reference and estimate as float32 ndarray[T] at `sample_rate`, same length."""

    reference: np.ndarray
    estimate: np.ndarray
    sample_rate: int
    clip: Clip


class Metric(abc.ABC):
    """Base class of every metric.

    Attributes:
        name: registry name (also the prefix in listings).
        outputs: what `score` returns, by output name.
        domains: domains the metric applies to; other clips are not scored (not NaN: absent).
        needs_transcript: the metric uses `clip.transcript` (or a pseudo-reference it makes).
    """

    name: str = ""
    outputs: tuple[MetricOutput, ...] = ()
    domains: tuple[str, ...] = DOMAINS
    needs_transcript: bool = False

    @abc.abstractmethod
    def provenance(self, domain: str) -> dict[str, Any]:
        """Implementation, version, mode, model, sample rate... of the numbers for `domain`."""

    @abc.abstractmethod
    def score(self, item: ScoreItem) -> dict[str, float]:
        """Score one clip; returns one value per output name. Raise `MetricError` to give up."""

    def score_batch(self, items: Sequence[ScoreItem]) -> list[dict[str, float] | BaseException]:
        """Score several clips (override to batch); a failed clip gives its exception, not a value."""
        results: list[dict[str, float] | BaseException] = []
        for item in items:
            try:
                results.append(self.score(item))
            except Exception as exc:  # noqa: BLE001 - every failure is recorded with its reason
                results.append(exc)
        return results

    def applies_to(self, clip: Clip) -> bool:
        return clip.domain in self.domains

    def fingerprint(self, domain: str) -> str:
        return fingerprint(self.provenance(domain))


def fingerprint(provenance: dict[str, Any]) -> str:
    """Short stable hash of a provenance dict (12 hex digits of `benchmarks.fingerprint.digest`)."""
    return digest(provenance, 12)
