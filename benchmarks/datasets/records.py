"""One builder for the `Clip` records the dataset loaders produce.

Every loader gives the same few facts (id, file, domain, dataset, where the clip lies inside its file,
text, labels, provenance); `clip_record` turns them into a `Clip` the same way for all of them: paths
as strings, durations read from the file header unless given, rounded to the microsecond, labels and
notes as tuples.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from benchmarks.datasets.base import Clip
from benchmarks.datasets.files import audio_duration_s
from benchmarks.datasets.selection import as_tuple

__all__ = ["clip_record"]


def clip_record(
    clip_id: str,
    path: str | Path,
    domain: str,
    dataset: str,
    *,
    root: str | Path | None = None,
    duration_s: float | None | Literal["header"] = "header",
    offset_s: float = 0.0,
    transcript: str | None = None,
    labels: str | Iterable[str] | None = (),
    source: str = "",
    licence: str = "",
    notes: Iterable[str | None] = (),
    error: str | None = None,
) -> Clip:
    """A `Clip` built from a loader's facts.

    Args:
        clip_id, domain, dataset, offset_s, transcript, source, licence, error: as in `Clip`.
        path: the audio file.
        root: the dataset's root folder (the file must lie inside it); None = no confinement.
        duration_s: the clip's duration in seconds; ``"header"`` (default) reads it from the file's
            header without decoding (None when the file is unreadable or outside `root`).
        labels: one label or several.
        notes: per-clip notes; empty or None entries are dropped.
    """
    if duration_s == "header":
        duration_s = audio_duration_s(path, root)
    return Clip(
        clip_id=clip_id,
        path=str(path),
        domain=domain,
        dataset=dataset,
        duration_s=None if duration_s is None else round(float(duration_s), 6),
        offset_s=offset_s,
        transcript=transcript,
        labels=as_tuple(labels),
        source=source,
        licence=licence,
        root=None if root is None else str(root),
        notes=tuple(note for note in notes if note),
        error=error,
    )
