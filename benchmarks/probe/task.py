"""The probe task record shared by the task loaders and the probe trainer.

A task is a list of labelled clips, each assigned to one split (``train`` / ``valid`` / ``test``) or, for
tasks evaluated by cross-validation, to a fold. `group` names the source that must never be shared between
splits (a voice, a drum kit, a soundfont, a source file); `check_split_rule` enforces it.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

__all__ = ["SPLITS", "ProbeClip", "ProbeTask", "ProbeTaskError", "check_split_rule"]

#: Split names of a task with predefined splits.
SPLITS: tuple[str, ...] = ("train", "valid", "test")


class ProbeTaskError(ValueError):
    """A probe task is malformed (the message names the task and what is wrong)."""


@dataclasses.dataclass(frozen=True)
class ProbeClip:
    """One labelled clip of a probe task.

    Attributes:
        clip_id: unique within the task, stable across runs.
        path: absolute path of the audio file.
        label: class name (a key of `ProbeTask.label_names`).
        split: one of `SPLITS`, or ``"fold<k>"`` (k >= 0) for cross-validated tasks.
        group: the source that may not appear in two splits (voice, kit, soundfont, source file).
        source: where the audio comes from (package or corpus and file).
        licence: licence of the audio.
        duration_s: duration in seconds, if known without decoding.
    """

    clip_id: str
    path: Path
    label: str
    split: str
    group: str
    source: str = ""
    licence: str = ""
    duration_s: float | None = None


@dataclasses.dataclass(frozen=True)
class ProbeTask:
    """A classification task: clips with labels and splits.

    Attributes:
        name: task name (``offline_digits``, ``hear_esc50``...).
        label_names: every class, in a fixed order (class index = position).
        clips: the task's clips.
        metric: the task's reported measure (``"accuracy"`` for all tasks here).
        mirrors: the paper/HEAR task this one stands for, if any (``"speech_commands_5h"``...).
        evaluation: ``"splits"`` (train/valid/test) or ``"folds"`` (leave one fold out, the next one
            as validation).
    """

    name: str
    label_names: tuple[str, ...]
    clips: tuple[ProbeClip, ...]
    metric: str = "accuracy"
    mirrors: str | None = None
    evaluation: str = "splits"

    def split_names(self) -> list[str]:
        """The splits or folds present, sorted (``["test", "train", "valid"]`` or ``["fold0", ...]``)."""
        return sorted({clip.split for clip in self.clips})


def check_split_rule(task: ProbeTask) -> None:
    """Raise `ProbeTaskError` if a group appears in two splits, a label is unknown or ids repeat."""
    known = set(task.label_names)
    seen_ids: set[str] = set()
    splits_of_group: dict[str, set[str]] = defaultdict(set)
    for clip in task.clips:
        if clip.clip_id in seen_ids:
            raise ProbeTaskError(f"task {task.name}: clip id {clip.clip_id!r} appears twice")
        seen_ids.add(clip.clip_id)
        if clip.label not in known:
            raise ProbeTaskError(f"task {task.name}: clip {clip.clip_id!r} has unknown label {clip.label!r}")
        splits_of_group[clip.group].add(clip.split)
    shared = {group: sorted(splits) for group, splits in splits_of_group.items() if len(splits) > 1}
    if shared:
        group, splits = next(iter(sorted(shared.items())))
        raise ProbeTaskError(
            f"task {task.name}: source {group!r} appears in splits {', '.join(splits)} "
            f"({len(shared)} source(s) shared between splits)"
        )
