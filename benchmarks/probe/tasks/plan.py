"""The plan of the offline probe task set: every clip it makes, decided before any audio is touched.

A task recipe turns the installed packages into `PlannedClip`s (label, split, group, source, licence and the
renderer's parameters). The clip's file name carries a hash of its parameters, so a changed recipe never
reuses a stale file and an unchanged one is never rendered twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["OfflineTaskRecipe", "PlannedClip", "assign_by_hash", "params_key", "seeded_unit", "stable_order"]


@dataclasses.dataclass(frozen=True)
class PlannedClip:
    """One clip of the offline task set, before rendering.

    Attributes:
        task: task name.
        clip_id: unique within the task.
        label, split, group, source, licence: as in `ProbeClip`.
        kind: the renderer (``espeak``, ``flite``, ``file``, ``mix``, ``midi``).
        params: the renderer's JSON-able parameters (everything that decides the audio).
        batch: clips rendered together (one synthesiser run); "" = alone.
    """

    task: str
    clip_id: str
    label: str
    split: str
    group: str
    source: str
    licence: str
    kind: str
    params: dict[str, Any] = dataclasses.field(compare=False, hash=False)
    batch: str = ""

    @property
    def rel_path(self) -> str:
        """Path below the task-set folder: ``<task>/<split>/<clip_id>-<params hash>.wav``."""
        return f"{self.task}/{self.split}/{self.clip_id}-{params_key(self.kind, self.params)}.wav"


@dataclasses.dataclass(frozen=True)
class OfflineTaskRecipe:
    """An offline task: its classes, what it mirrors, the packages it reads and its planner."""

    name: str
    mirrors: str
    label_names: tuple[str, ...]
    packages: tuple[str, ...]
    planner: Callable[[int], list[PlannedClip]]
    about: str = ""


#: Bump when a renderer changes its output for the same parameters (every clip file is then renewed).
RENDERER_VERSION = 2


def params_key(kind: str, params: dict[str, Any]) -> str:
    """12 hex digits identifying the audio a renderer makes from `params`."""
    text = json.dumps({"kind": kind, "params": params, "renderer": RENDERER_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def seeded_unit(seed: int, *parts: object) -> float:
    """A number in [0, 1) drawn from (`seed`, `parts`), the same on every platform and run."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stable_order(items: Iterable[str], seed: int, salt: str) -> list[str]:
    """`items` in a seeded order that does not depend on the platform or on Python's hash seed."""
    return sorted(set(items), key=lambda x: hashlib.sha256(f"{seed}:{salt}:{x}".encode()).hexdigest())


def assign_by_hash(
    groups: Sequence[str], fractions: dict[str, float], seed: int, salt: str
) -> dict[str, str]:
    """Each group -> a split, in proportions `fractions` (e.g. train 0.6, valid 0.2, test 0.2); every split
    gets at least one group when there are enough groups. Deterministic in (`groups`, `seed`, `salt`)."""
    order = stable_order(groups, seed, salt)
    names = list(fractions)
    total = sum(fractions.values())
    counts = [max(1, round(len(order) * fractions[n] / total)) for n in names]
    while sum(counts) > len(order) and max(counts) > 1:
        counts[counts.index(max(counts))] -= 1
    counts[0] += len(order) - sum(counts)
    out: dict[str, str] = {}
    start = 0
    for name, count in zip(names, counts):
        for group in order[start : start + count]:
            out[group] = name
        start += count
    return out
