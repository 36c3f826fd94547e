"""The runner's task loader: a selection string -> probe tasks (offline set and, given their folder, HEAR)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.probe.task import ProbeTask, ProbeTaskError
from benchmarks.probe.tasks.hear import find_hear_task_dir, hear_task_names, load_hear_task
from benchmarks.probe.tasks.offline import load_offline_task, offline_task_names

__all__ = ["load_probe_tasks", "probe_task_names"]

_OFFLINE_PREFIX = "offline_"
_HEAR_PREFIX = "hear_"


def probe_task_names(hear_root: str | Path | None = None) -> list[str]:
    """Every selectable task: the offline set, plus the HEAR tasks when `hear_root` is given."""
    names = [_OFFLINE_PREFIX + name for name in offline_task_names()]
    if hear_root is not None:
        names += [_HEAR_PREFIX + name for name in hear_task_names()]
    return names


def load_probe_tasks(
    selection: str = "all",
    root: str | Path | None = None,
    hear_root: str | Path | None = None,
    build: bool = True,
) -> list[ProbeTask]:
    """The tasks named by `selection`, in the order given.

    Args:
        selection: ``all`` (every offline task, and every HEAR task found below `hear_root` when given), or a
            comma list of names: ``offline_<task>`` or the bare offline name (``spoken_digits``), and
            ``hear_<task>`` (``hear_esc50``; needs `hear_root`).
        root: folder of the offline task set (default ``data/probe_tasks``); built there on first use.
        hear_root: a HEAR ``tasks/`` folder (hear-eval-kit's preprocessed layout).
        build: build missing offline tasks (else a missing task is an error naming the build command).

    Raises:
        ProbeTaskError: an unknown name, or a HEAR task without `hear_root` (the message lists the names).
    """
    items = [item.strip() for item in str(selection).split(",") if item.strip()]
    if items == ["all"]:
        tasks = [load_offline_task(name, root, build) for name in offline_task_names()]
        if hear_root is not None:
            for name in hear_task_names():
                try:
                    folder = find_hear_task_dir(name, hear_root)
                except ProbeTaskError:
                    continue  # "all" takes the HEAR tasks that are there
                tasks.append(load_hear_task(folder, name))
        return tasks
    tasks = []
    for item in items:
        if item.startswith(_HEAR_PREFIX) and item[len(_HEAR_PREFIX):] in hear_task_names():
            if hear_root is None:
                raise ProbeTaskError(f"probe task {item}: set probe.task_options.hear_root to the HEAR tasks folder")
            name = item[len(_HEAR_PREFIX):]
            tasks.append(load_hear_task(find_hear_task_dir(name, hear_root), name))
            continue
        name = item[len(_OFFLINE_PREFIX):] if item.startswith(_OFFLINE_PREFIX) else item
        if name not in offline_task_names():
            known = ", ".join(probe_task_names(hear_root) if hear_root else probe_task_names())
            raise ProbeTaskError(f"unknown probe task {item!r}; known: {known}" +
                                 ("" if hear_root else " (and hear_<task> with probe.task_options.hear_root)"))
        tasks.append(load_offline_task(name, root, build))
    return tasks
