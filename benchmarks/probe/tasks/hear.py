"""Loaders for HEAR tasks in hear-eval-kit's preprocessed layout (the paper's six classification tasks).

A preprocessed HEAR task folder (as written by hear-preprocess) holds:

- ``task_metadata.json``: the task config, with ``task_name``, ``version``, ``embedding_type`` (``scene``),
  ``prediction_type`` (``multiclass``), ``split_mode`` (``trainvaltest``, ``presplit_kfold`` or
  ``new_split_kfold``), ``nfolds``, ``sample_duration`` (s), ``evaluation`` and ``splits`` (the split or
  fold names: ``train``/``valid``/``test`` or ``fold00``, ``fold01``...);
- ``<split>.json`` per split or fold: ``{"<file>.wav": [label, ...]}``;
- ``labelvocabulary.csv`` (``idx,label``), optional here;
- ``<sample_rate>/<split>/<file>.wav``: the audio, one folder per sample rate (16000, 22050, 44100, 48000).

Folds ``fold00``... become ``fold0``... in `ProbeClip.split` (the `ProbeTask` convention); a fold task is
evaluated leave-one-fold-out (test fold k, validation fold k+1), as hear-eval-kit does.

The `group` of a clip (what may not cross splits) is the speaker for Speech Commands (the hash before
``_nohash_``, HEAR's own split key), the instrument for NSynth (HEAR's split key), the Freesound source clip
for ESC-50 (its folds keep takes of one source together), and the file itself for the other tasks (their
files carry no reliable source id).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.probe.task import SPLITS, ProbeClip, ProbeTask, ProbeTaskError

__all__ = ["HEAR_TASKS", "HearTaskSpec", "find_hear_task_dir", "hear_task_names", "load_hear_task"]

_FOLD = re.compile(r"^fold(\d+)$")
_SPLIT_MODES = {"trainvaltest": "splits", "presplit_kfold": "folds", "new_split_kfold": "folds"}


def _stem(name: str) -> str:
    return Path(name).stem


def _speech_commands_speaker(name: str) -> str:
    match = re.search(r"([0-9a-f]{8})_nohash_", name)
    return f"speaker:{match.group(1)}" if match else _stem(name)


def _nsynth_instrument(name: str) -> str:
    return "instrument:" + _stem(name).split("-")[0]


def _esc50_source(name: str) -> str:
    match = re.match(r"^\d+-(\d+)-[A-Z]-\d+$", _stem(name))
    return f"freesound:{match.group(1)}" if match else _stem(name)


@dataclasses.dataclass(frozen=True)
class HearTaskSpec:
    """One of the paper's HEAR tasks.

    Attributes:
        name: short name used here (``esc50``...); the `ProbeTask` is named ``hear_<name>``.
        task_name: HEAR's ``task_name`` in task_metadata.json (the folder starts with it).
        mirrors: the paper's column for it.
        group_of: file name -> the source that may not cross splits.
        licence: licence of the original corpus (for the clip records).
    """

    name: str
    task_name: str
    mirrors: str
    group_of: Callable[[str], str] = _stem
    licence: str = ""


HEAR_TASKS: dict[str, HearTaskSpec] = {
    spec.name: spec
    for spec in (
        HearTaskSpec("esc50", "esc50", "ESC-50", _esc50_source, "CC-BY-NC-3.0 (ESC-50)"),
        HearTaskSpec(
            "nsynth_pitch_5h", "nsynth_pitch", "NSynth Pitch", _nsynth_instrument, "CC-BY-4.0 (NSynth)"
        ),
        HearTaskSpec(
            "speech_commands_5h", "speech_commands", "Speech Commands", _speech_commands_speaker, "CC-BY-4.0"
        ),
        HearTaskSpec("libricount", "libricount", "LibriCount", _stem, "CC-BY-4.0 (LibriCount)"),
        HearTaskSpec("crema_d", "tfds_crema_d", "CREMA-D", _stem, "ODbL-1.0 (CREMA-D)"),
        HearTaskSpec(
            "vocal_imitation", "vocal_imitation", "Vocal Imitations", _stem, "CC-BY-4.0 (VocalSketch)"
        ),
    )
}


def hear_task_names() -> list[str]:
    """Short names of the supported HEAR tasks."""
    return list(HEAR_TASKS)


def find_hear_task_dir(name: str, hear_root: str | Path) -> Path:
    """The folder of task `name` below a HEAR ``tasks/`` folder (``<task_name>-<version>-<mode>``).

    For the 5h tasks the ``-5h`` folder is preferred. Raises `ProbeTaskError` when none or several match.
    """
    spec = _spec(name)
    root = Path(hear_root)
    if not root.is_dir():
        raise ProbeTaskError(f"{root}: HEAR tasks folder not found")
    candidates = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and (p.name == spec.task_name or p.name.startswith(spec.task_name + "-"))
    )
    if spec.name.endswith("_5h"):
        candidates = [p for p in candidates if p.name.endswith("-5h")] or candidates
    if len(candidates) != 1:
        found = ", ".join(p.name for p in candidates) or "none"
        raise ProbeTaskError(f"{root}: expected one folder for HEAR task {spec.task_name!r}, found {found}")
    return candidates[0]


def _spec(name: str) -> HearTaskSpec:
    if name not in HEAR_TASKS:
        raise ProbeTaskError(f"unknown HEAR task {name!r}; known: {', '.join(HEAR_TASKS)}")
    return HEAR_TASKS[name]


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ProbeTaskError(f"{path}: file not found (HEAR task layout needs it)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProbeTaskError(f"{path}: not readable JSON ({exc})") from None


def _split_names(task_dir: Path, metadata: dict[str, Any], evaluation: str) -> list[str]:
    splits = metadata.get("splits")
    if splits is None:  # older exports: infer from the label files present
        found = sorted(p.stem for p in task_dir.glob("*.json") if p.stem != "task_metadata")
        splits = [s for s in found if s in SPLITS or _FOLD.match(s)]
    if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits) or not splits:
        raise ProbeTaskError(f"{task_dir / 'task_metadata.json'}: 'splits' must be a non-empty list of names")
    if evaluation == "folds":
        bad = [s for s in splits if not _FOLD.match(s)]
        if bad or len(splits) < 3:
            raise ProbeTaskError(
                f"{task_dir / 'task_metadata.json'}: a k-fold task needs >= 3 folds named fold00..., got {splits}"
            )
    elif sorted(splits) != sorted(SPLITS):
        raise ProbeTaskError(
            f"{task_dir / 'task_metadata.json'}: a trainvaltest task needs splits {list(SPLITS)}, got {splits}"
        )
    return list(splits)


def _label_order(task_dir: Path, labels: set[str]) -> tuple[str, ...]:
    vocab = task_dir / "labelvocabulary.csv"
    if vocab.is_file():
        with vocab.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "label" not in rows[0] or "idx" not in rows[0]:
            raise ProbeTaskError(f"{vocab}: expected columns idx,label")
        ordered = [str(r["label"]) for r in sorted(rows, key=lambda r: int(r["idx"]))]
        unknown = sorted(labels - set(ordered))
        if unknown:
            raise ProbeTaskError(f"{vocab}: label {unknown[0]!r} of the split files is missing")
        return tuple(ordered)
    if all(re.fullmatch(r"-?\d+", x) for x in labels):
        return tuple(sorted(labels, key=int))
    return tuple(sorted(labels))


def load_hear_task(
    task_dir: str | Path, name: str | None = None, sample_rate: int = 16000, check_audio: bool = True
) -> ProbeTask:
    """A HEAR task folder as a `ProbeTask` named ``hear_<name>``.

    Args:
        task_dir: the task folder (holding task_metadata.json).
        name: short name (a key of `HEAR_TASKS`); default: found from the metadata's ``task_name``.
        sample_rate: which audio folder to use (``<task_dir>/<sample_rate>/<split>/``).
        check_audio: raise when a labelled file is missing from its audio folder.

    Raises `ProbeTaskError` naming the file when the layout is wrong (missing metadata, unknown split mode,
    multi-label or event task, missing audio).
    """
    root = Path(task_dir)
    meta_path = root / "task_metadata.json"
    metadata = _read_json(meta_path)
    if not isinstance(metadata, dict):
        raise ProbeTaskError(f"{meta_path}: expected a JSON object")
    if name is None:
        task_name = str(metadata.get("task_name", ""))
        matches = [s.name for s in HEAR_TASKS.values() if s.task_name == task_name]
        if not matches:
            raise ProbeTaskError(
                f"{meta_path}: task_name {task_name!r} is not one of {sorted(s.task_name for s in HEAR_TASKS.values())}"
            )
        name = matches[0]
    spec = _spec(name)
    if metadata.get("embedding_type", "scene") != "scene":
        raise ProbeTaskError(
            f"{meta_path}: embedding_type {metadata.get('embedding_type')!r}; only 'scene' tasks are probes"
        )
    if metadata.get("prediction_type", "multiclass") != "multiclass":
        raise ProbeTaskError(
            f"{meta_path}: prediction_type {metadata.get('prediction_type')!r}; only 'multiclass' is supported"
        )
    mode = metadata.get("split_mode")
    if mode not in _SPLIT_MODES:
        raise ProbeTaskError(f"{meta_path}: split_mode {mode!r}; expected one of {sorted(_SPLIT_MODES)}")
    evaluation = _SPLIT_MODES[mode]
    duration = metadata.get("sample_duration")
    duration_s = float(duration) if isinstance(duration, (int, float)) else None
    audio_root = root / str(int(sample_rate))
    if not audio_root.is_dir():
        rates = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit())
        raise ProbeTaskError(
            f"{audio_root}: audio folder not found (sample rates present: {rates or 'none'})"
        )
    clips: list[ProbeClip] = []
    labels: set[str] = set()
    for split in _split_names(root, metadata, evaluation):
        label_path = root / f"{split}.json"
        entries = _read_json(label_path)
        if not isinstance(entries, dict) or not entries:
            raise ProbeTaskError(
                f"{label_path}: expected a non-empty object mapping file names to label lists"
            )
        fold = _FOLD.match(split)
        split_name = f"fold{int(fold.group(1))}" if fold else split
        folder = audio_root / split
        for file_name in sorted(entries):
            value = entries[file_name]
            if not isinstance(value, list) or len(value) != 1 or isinstance(value[0], (dict, list)):
                raise ProbeTaskError(
                    f"{label_path}: {file_name!r} must map to a list of exactly one label, got {value!r}"
                )
            path = folder / file_name
            if check_audio and not path.is_file():
                raise ProbeTaskError(f"{label_path}: audio file {path} not found")
            label = str(value[0])
            labels.add(label)
            clips.append(
                ProbeClip(
                    clip_id=f"{split}/{_stem(file_name)}",
                    path=path.resolve(),
                    label=label,
                    split=split_name,
                    group=spec.group_of(file_name),
                    source=f"HEAR {metadata.get('task_name')}-{metadata.get('version', '?')}: {split}/{file_name}",
                    licence=spec.licence,
                    duration_s=duration_s,
                )
            )
    return ProbeTask(
        name=f"hear_{spec.name}",
        label_names=_label_order(root, labels),
        clips=tuple(clips),
        metric="accuracy",
        mirrors=spec.mirrors,
        evaluation=evaluation,
    )
