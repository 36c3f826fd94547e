"""Probe tasks: loaders for the paper's HEAR tasks (hear-eval-kit layout) and the offline task set built
from registry packages (`python -m benchmarks.probe.tasks.build`)."""

from benchmarks.probe.tasks.hear import HEAR_TASKS, find_hear_task_dir, hear_task_names, load_hear_task
from benchmarks.probe.tasks.offline import load_offline_task, offline_task_names
from benchmarks.probe.tasks.selection import load_probe_tasks, probe_task_names

__all__ = [
    "HEAR_TASKS",
    "find_hear_task_dir",
    "hear_task_names",
    "load_hear_task",
    "load_offline_task",
    "load_probe_tasks",
    "offline_task_names",
    "probe_task_names",
]
