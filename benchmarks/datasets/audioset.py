"""AudioSet segments: a folder of downloaded clips plus the official segment CSV.

Segment CSV (e.g. `eval_segments.csv`): three `#` comment lines, then rows
`YTID, start_seconds, end_seconds, "label_mid,label_mid,..."`. The optional
`class_labels_indices.csv` (`index,mid,display_name`) turns label ids into names.

Clip files are matched to rows by YouTube id under the common naming schemes: `Y<YTID>.*`, `<YTID>.*`,
`audioset_Y<YTID>.*` (the paper's), and `<YTID>_<start>...` / `Y<YTID>_<start>...`. Rows with no file
on disk are reported (count and examples), or raise with `require_all=True`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from baselines.audio_io import AUDIO_EXTENSIONS
from benchmarks.datasets import licences
from benchmarks.datasets.base import Clip, DatasetError
from benchmarks.datasets.files import audio_duration_s, find_audio_files, require_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import deterministic_sample, report_missing

__all__ = ["load_audioset", "read_class_labels", "read_segments_csv"]

LAYOUT = "AudioSet clips named Y<YTID>.wav (or <YTID>.wav, audioset_Y<YTID>.wav) and eval_segments.csv"
_YTID_LEN = 11
_YTID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def read_segments_csv(path: Path) -> list[dict]:
    """Rows of an AudioSet segment CSV: dicts with ytid, start_s, end_s, label_ids (tuple)."""
    if not path.is_file():
        raise DatasetError(f"{path}: AudioSet segment CSV not found (expected eval_segments.csv format)")
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        lines = (line for line in fh if line.strip() and not line.lstrip().startswith("#"))
        for n, fields in enumerate(csv.reader(lines, skipinitialspace=True), start=1):
            if len(fields) < 4 or not _YTID.match(fields[0].strip()):
                raise DatasetError(
                    f"{path}: data row {n} is not 'YTID, start_seconds, end_seconds, \"labels\"': {fields!r}"
                )
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                raise DatasetError(f"{path}: data row {n} has non-numeric start/end: {fields!r}") from None
            labels = tuple(x.strip() for x in ",".join(fields[3:]).split(",") if x.strip())
            rows.append({"ytid": fields[0].strip(), "start_s": start, "end_s": end, "label_ids": labels})
    if not rows:
        raise DatasetError(f"{path}: no segment rows (only comments or empty)")
    return rows


def read_class_labels(path: Path) -> dict[str, str]:
    """`class_labels_indices.csv` as {mid: display_name}."""
    if not path.is_file():
        raise DatasetError(f"{path}: class label CSV not found (expected columns index,mid,display_name)")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"mid", "display_name"} <= set(reader.fieldnames):
            raise DatasetError(f"{path}: expected header index,mid,display_name, got {reader.fieldnames}")
        return {row["mid"]: row["display_name"] for row in reader}


def _ytid_keys(stem: str) -> list[str]:
    """Possible YouTube ids a file stem may carry, most specific first."""
    name = stem.removeprefix("audioset_")
    keys = []
    if len(name) >= _YTID_LEN + 1 and name.startswith("Y"):
        keys.append(name[1 : 1 + _YTID_LEN])
    if len(name) >= _YTID_LEN:
        keys.append(name[:_YTID_LEN])
    # keep a key only if the name ends right after it or continues with a "_<start>" suffix
    return [k for k in keys if _is_whole_id(name, k)]


def _is_whole_id(name: str, key: str) -> bool:
    rest = name[name.index(key) + len(key) :]
    return rest == "" or rest.startswith("_")


def _index_files(files: list[Path]) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for f in files:
        for key in _ytid_keys(f.stem):
            index.setdefault(key, []).append(f)
    return index


def _pick(files: list[Path], ytid: str, start_s: float) -> Path:
    """Prefer an exact `Y<id>`/`<id>` file, then one whose suffix names the start second."""
    exact = [f for f in files if f.stem in (ytid, "Y" + ytid, "audioset_Y" + ytid)]
    if exact:
        return exact[0]
    for f in files:
        suffix = f.stem.split(ytid, 1)[1].lstrip("_")
        try:
            if abs(float(suffix.split("_")[0]) - start_s) < 0.5:
                return f
        except ValueError:
            continue
    return files[0]


def load_audioset(
    root: str | Path | None = None,
    segments_csv: str | Path | None = None,
    class_labels_csv: str | Path | None = None,
    num_clips: int | None = None,
    seed: int = 0,
    require_all: bool = False,
    extensions: tuple[str, ...] = AUDIO_EXTENSIONS,
) -> list[Clip]:
    """AudioSet segments present on disk as clips (clip_id `audioset_Y<YTID>`, domain "sound").

    Args:
        root: folder of clip files (searched recursively).
        segments_csv: segment CSV; default `<root>/eval_segments.csv`.
        class_labels_csv: label-name CSV; default `<root>/class_labels_indices.csv` when it exists.
            Without it labels are the raw ids (`/m/...`).
        num_clips: seeded random draw among the segments found (the paper: 500 of the evaluation set).
        seed: seed of the draw.
        require_all: raise instead of reporting when some segments have no file.
    A file longer than its segment by more than 1 s is taken to be the whole video's audio, and the
    clip is cut at the segment's start/end via offset_s/duration_s.
    """
    base = require_dir(root, LAYOUT)
    seg_path = Path(segments_csv) if segments_csv else base / "eval_segments.csv"
    rows = read_segments_csv(seg_path)
    names: dict[str, str] = {}
    if class_labels_csv:
        names = read_class_labels(Path(class_labels_csv))
    elif (base / "class_labels_indices.csv").is_file():
        names = read_class_labels(base / "class_labels_indices.csv")

    files = find_audio_files(base, extensions)
    if not files:
        raise DatasetError(f"{base}: no audio files ({', '.join(extensions)}); expected {LAYOUT}")
    index = _index_files(files)

    clips: list[Clip] = []
    missing: list[str] = []
    for row in rows:
        ytid = row["ytid"]
        if ytid not in index:
            missing.append(ytid)
            continue
        path = _pick(index[ytid], ytid, row["start_s"])
        seg_s = row["end_s"] - row["start_s"]
        file_s = audio_duration_s(path, base)  # None: unreadable; kept, its reading is a per-clip error
        offset_s, duration_s = 0.0, file_s
        if file_s is not None and file_s > seg_s + 1.0 and row["start_s"] < file_s:
            offset_s, duration_s = row["start_s"], min(seg_s, file_s - row["start_s"])
        clips.append(
            clip_record(
                f"audioset_Y{ytid}",
                path,
                "sound",
                "audioset",
                root=base,
                duration_s=duration_s,
                offset_s=offset_s,
                labels=[names.get(m, m) for m in row["label_ids"]],
                source=f"AudioSet {seg_path.name}: YouTube {ytid} {row['start_s']:.3f}-{row['end_s']:.3f} s",
                licence=licences.AUDIOSET,
            )
        )
    message = report_missing(
        f"{base}: AudioSet segments of {seg_path.name} with no audio file", missing, len(rows)
    )
    if message and (require_all or not clips):
        raise DatasetError(message + f"; expected {LAYOUT}")
    # one clip per YouTube id (the official CSVs hold one segment per id)
    unique = {c.clip_id: c for c in reversed(clips)}
    return deterministic_sample(list(unique.values()), num_clips, seed, key=lambda c: c.clip_id)
