"""Registry of the offline probe tasks (name -> recipe), in report order."""

from __future__ import annotations

from pathlib import Path

from benchmarks.datasets.files import default_data_dir
from benchmarks.probe.tasks.events import EVENT_RECIPES
from benchmarks.probe.tasks.music import MUSIC_RECIPES
from benchmarks.probe.tasks.plan import OfflineTaskRecipe
from benchmarks.probe.tasks.speech import SPEECH_RECIPES

__all__ = ["MANIFEST_COLUMNS", "OFFLINE_RECIPES", "default_root", "offline_task_names"]

#: Columns of the task-set manifest.
MANIFEST_COLUMNS = (
    "path",
    "task",
    "clip_id",
    "label",
    "split",
    "group",
    "source",
    "licence",
    "duration_s",
    "sha256",
)

OFFLINE_RECIPES: dict[str, OfflineTaskRecipe] = {
    r.name: r for r in (*SPEECH_RECIPES, *MUSIC_RECIPES, *EVENT_RECIPES)
}


def offline_task_names() -> list[str]:
    """Names of the offline probe tasks."""
    return list(OFFLINE_RECIPES)


def default_root(limit: int | None = None) -> Path:
    """Default task-set folder: ``data/probe_tasks`` (``data/probe_tasks_limit<N>`` for a limited build)."""
    return default_data_dir("probe_tasks" if limit is None else f"probe_tasks_limit{limit}")
