"""Load a task of the offline probe task set (built first when missing)."""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.probe.task import ProbeClip, ProbeTask, ProbeTaskError
from benchmarks.probe.tasks.recipes import MANIFEST_COLUMNS, OFFLINE_RECIPES, default_root, offline_task_names

__all__ = ["load_offline_task", "offline_task_names", "read_offline_manifest"]


def read_offline_manifest(manifest: str | Path) -> list[dict[str, str]]:
    """Rows of a task-set manifest; `ProbeTaskError` naming the file when columns are missing."""
    path = Path(manifest)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ProbeTaskError(f"{path}: manifest lacks column(s) {', '.join(missing)}")
            return list(reader)
    except OSError as exc:
        raise ProbeTaskError(f"{path}: cannot read the task-set manifest ({exc})") from None


def load_offline_task(name: str, root: str | Path | None = None, build: bool = True) -> ProbeTask:
    """Offline task `name` (one of `offline_task_names()`) as a `ProbeTask` named ``offline_<name>``.

    Args:
        name: task name.
        root: task-set folder (default ``data/probe_tasks`` under the working directory).
        build: build the whole set into `root` when the task is not there yet (else raise).
    """
    if name not in OFFLINE_RECIPES:
        raise ProbeTaskError(f"unknown offline task {name!r}; known: {', '.join(offline_task_names())}")
    folder = Path(root) if root else default_root()
    manifest = folder / "manifest.csv"
    rows = read_offline_manifest(manifest) if manifest.is_file() else []
    if not any(r["task"] == name for r in rows):
        if not build:
            raise ProbeTaskError(
                f"{manifest}: task {name!r} not built; run `python -m benchmarks.probe.tasks.build --out {folder}`"
            )
        from benchmarks.probe.tasks.build import build_offline_tasks  # the builder needs the audio packages

        rows = read_offline_manifest(build_offline_tasks(folder))
    recipe = OFFLINE_RECIPES[name]
    clips = tuple(
        ProbeClip(
            clip_id=r["clip_id"],
            path=(folder / r["path"]).resolve(),
            label=r["label"],
            split=r["split"],
            group=r["group"],
            source=r["source"],
            licence=r["licence"],
            duration_s=float(r["duration_s"]) if r["duration_s"] else None,
        )
        for r in rows
        if r["task"] == name
    )
    return ProbeTask(
        name=f"offline_{name}",
        label_names=recipe.label_names,
        clips=clips,
        metric="accuracy",
        mirrors=recipe.mirrors,
        evaluation="splits",
    )
