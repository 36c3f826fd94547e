"""The clip manifest record and the dataset-loader registry.

A dataset loader turns a folder in a dataset's official layout into a list of `Clip` records; it
reads only metadata (paths, transcripts, labels, durations), never decodes whole corpora. Audio is
read later by `baselines.audio_io.load_clip_audio`, which honours `offset_s` / `duration_s`.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from baselines.name_lookup import import_target, unknown_name

__all__ = [
    "DOMAINS",
    "TABLE_II_DOMAIN_ORDER",
    "DOMAIN_PREFIXES",
    "Clip",
    "DatasetError",
    "check_unique_ids",
    "dataset_names",
    "domain_from_name",
    "load_dataset",
    "logger",
    "read_manifest",
    "register_dataset",
    "write_manifest",
]

#: The three domains of the paper's Table II.
DOMAINS: tuple[str, ...] = ("speech", "sound", "music")
#: `DOMAINS` in the column order of the paper's Table II (general sound, music, speech).
TABLE_II_DOMAIN_ORDER: tuple[str, ...] = tuple(DOMAINS[i] for i in (1, 2, 0))

#: File-name prefixes of the paper's evaluation set and demo page -> domain.
DOMAIN_PREFIXES: dict[str, str] = {"libritts_": "speech", "audioset_": "sound", "musdb_": "music"}

#: The logger of the dataset loaders.
logger = logging.getLogger("benchmarks.datasets")


def domain_from_name(name: str) -> str | None:
    """Domain of a paper-style file name (`libritts_*`, `audioset_*`, `musdb_*`), else None."""
    for prefix, domain in DOMAIN_PREFIXES.items():
        if name.startswith(prefix):
            return domain
    return None


class DatasetError(ValueError):
    """A dataset folder is missing, incomplete, or not in the expected layout (the message says which)."""


@dataclasses.dataclass(frozen=True)
class Clip:
    """One evaluation clip.

    Attributes:
        clip_id: unique within its dataset and stable across runs (used as the result key).
        path: absolute path of the audio file.
        domain: one of `DOMAINS`.
        dataset: name of the dataset loader that produced the record.
        duration_s: duration of the clip (after offset / duration cut), if known without decoding.
        offset_s: where the clip starts inside `path` (segments of longer files).
        transcript: exact reference text for speech, else None.
        labels: class labels (sound events, stem name, instrument...).
        source: where the audio comes from (corpus, package, URL).
        licence: licence of the audio.
        root: the dataset's declared root folder; the audio file (symbolic links resolved) must lie
            inside it or it is not read (None: no confinement). Not written to manifests: a manifest's
            root is its own folder.
        notes: conditions the loader handled for this clip (e.g. an unreadable transcript file); they are
            recorded beside the clip's results like the audio reader's notes.
        error: set by the loader when the clip cannot be used (e.g. two files share its id); reading the
            clip's audio then fails with this reason, as a per-clip error.
    """

    clip_id: str
    path: str
    domain: str
    dataset: str
    duration_s: float | None = None
    offset_s: float = 0.0
    transcript: str | None = None
    labels: tuple[str, ...] = ()
    source: str = ""
    licence: str = ""
    root: str | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"clip {self.clip_id!r}: domain {self.domain!r} is not one of {DOMAINS}")

    def to_row(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row["labels"] = ";".join(self.labels)
        row["notes"] = "\n".join(self.notes)
        row.pop("root")
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Clip:
        def _opt_float(v: Any) -> float | None:
            return None if v in (None, "") else float(v)

        return cls(
            clip_id=row["clip_id"],
            path=row["path"],
            domain=row["domain"],
            dataset=row.get("dataset", ""),
            duration_s=_opt_float(row.get("duration_s")),
            offset_s=float(row.get("offset_s") or 0.0),
            transcript=row.get("transcript") or None,
            labels=tuple(x for x in (row.get("labels") or "").split(";") if x),
            source=row.get("source", ""),
            licence=row.get("licence", ""),
            root=row.get("root") or None,
            notes=tuple(x for x in (row.get("notes") or "").split("\n") if x),
            error=row.get("error") or None,
        )


_FIELDS = [f.name for f in dataclasses.fields(Clip) if f.name != "root"]


def write_manifest(clips: Iterable[Clip], path: Path) -> None:
    """Write clips as a CSV manifest (one row per clip, columns = `Clip` fields)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=_FIELDS)
        writer.writeheader()
        for clip in clips:
            writer.writerow(clip.to_row())


def read_manifest(path: Path) -> list[Clip]:
    """Read a manifest written by `write_manifest`; relative paths resolve against its folder.

    The manifest's folder is every clip's root: a path that leads outside it (``../..``, an absolute path
    elsewhere, a link out) is kept as a clip whose reading fails with a per-clip error; nothing outside
    the folder is opened.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"manifest not found: {path}")
    root = path.parent.resolve()
    clips = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            row["path"] = str(root / row["path"])  # an absolute row["path"] replaces the root
            row["root"] = str(root)
            clips.append(Clip.from_row(row))
    return clips


def check_unique_ids(clips: Sequence[Clip]) -> None:
    """Raise `DatasetError` naming every (dataset, clip id) that occurs more than once, with its files."""
    files: dict[tuple[str, str], list[str]] = {}
    for clip in clips:
        files.setdefault((clip.dataset, clip.clip_id), []).append(clip.path)
    duplicates = {key: paths for key, paths in files.items() if len(paths) > 1}
    if duplicates:
        shown = [
            f"{dataset}/{clip_id!r} ({', '.join(paths)})" for (dataset, clip_id), paths in list(duplicates.items())[:10]
        ]
        more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
        raise DatasetError(
            f"duplicate clip ids in the selected datasets: {'; '.join(shown)}{more}; each clip id must be unique "
            "within its dataset (rename the files, or give the datasets different names)"
        )


# -- registry ---------------------------------------------------------------------------------
# name -> "module:function"; the function takes keyword arguments from the dataset's config and
# returns list[Clip]. Imported lazily so that unused loaders cost nothing.
_LOADERS: dict[str, str] = {}


_catalog_read = False


def register_dataset(name: str, target: str) -> None:
    _ensure_builtin()
    _LOADERS[name] = target


def dataset_names() -> list[str]:
    _ensure_builtin()
    return list(_LOADERS)


def load_dataset(name: str, **kwargs: Any) -> list[Clip]:
    """Call loader `name` with its configuration keyword arguments."""
    _ensure_builtin()
    if name not in _LOADERS:
        raise unknown_name("dataset", name, _LOADERS)
    loader: Callable[..., Sequence[Clip]] = import_target(_LOADERS[name])
    return list(loader(**kwargs))


def _ensure_builtin() -> None:
    """Read the built-in dataset files (`benchmarks.datasets.catalog`) and the installed packages' entry
    points (group ``lowrate_codec_bench.datasets``: name -> loader function), once per process."""
    global _catalog_read
    if _catalog_read:
        return
    _catalog_read = True
    from benchmarks.datasets.catalog import builtin_datasets

    for name, (target, _) in builtin_datasets().items():
        _LOADERS.setdefault(name, target)
    for entry in metadata.entry_points(group="lowrate_codec_bench.datasets"):
        _LOADERS.setdefault(entry.name, entry.value)
