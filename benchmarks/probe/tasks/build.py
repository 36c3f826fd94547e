"""Build the offline probe task set from installed Debian/PyPI packages.

``python -m benchmarks.probe.tasks.build [--out DIR] [--tasks a,b] [--limit N] [--seed S] [--force]``

Default folder: ``data/probe_tasks`` under the working directory (``data/probe_tasks_limit<N>`` for a
``--limit`` build, which keeps N clips per task, split and class). The build is deterministic (seeded;
the same plan gives the same files and the same manifest), resumable (each clip is written once, under a
name that hashes its parameters; an interrupted build continues where it stopped) and locked (one builder
per folder). Writes ``manifest.csv`` (path, task, clip_id, label, split, group, source, licence,
duration_s, sha256) and ``build.json`` (seed, limit, plan hash, counts, time, tool versions).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import soundfile as sf

from baselines.files import file_sha256
from benchmarks.probe.tasks.plan import PlannedClip
from benchmarks.probe.tasks.recipes import MANIFEST_COLUMNS, OFFLINE_RECIPES, default_root
from benchmarks.probe.tasks.render import SAMPLE_RATE, render_batch
from benchmarks.probe.tasks.sources import ProbeSourceError, require_packages

__all__ = ["MANIFEST_COLUMNS", "build_offline_tasks", "default_root", "plan_offline_tasks"]


def _select(tasks: list[str] | None) -> list[str]:
    names = list(OFFLINE_RECIPES) if not tasks else list(tasks)
    unknown = [n for n in names if n not in OFFLINE_RECIPES]
    if unknown:
        raise ProbeSourceError(f"unknown offline task {unknown[0]!r}; known: {', '.join(OFFLINE_RECIPES)}")
    return [
        n for n in OFFLINE_RECIPES if n in names
    ]  # registry order: the manifest does not depend on --tasks


def plan_offline_tasks(
    tasks: list[str] | None = None, seed: int = 0, limit: int | None = None
) -> list[PlannedClip]:
    """Every clip of the selected tasks (all by default), sorted by task and clip id; with `limit`, the
    first `limit` clips (by id) of each task, split and class."""
    names = _select(tasks)
    require_packages(sorted({p for n in names for p in OFFLINE_RECIPES[n].packages}))
    plan: list[PlannedClip] = []
    for name in names:
        clips = sorted(OFFLINE_RECIPES[name].planner(seed), key=lambda c: c.clip_id)
        if limit is not None:
            taken: dict[tuple[str, str], int] = defaultdict(int)
            kept = []
            for clip in clips:
                if taken[(clip.split, clip.label)] < limit:
                    taken[(clip.split, clip.label)] += 1
                    kept.append(clip)
            clips = kept
        plan += clips
    return plan


def _plan_sha256(plan: list[PlannedClip]) -> str:
    rows = [(c.rel_path, c.label, c.split, c.group, c.source, c.licence) for c in plan]
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def _write_wav(path: Path, audio) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(str(tmp), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def _render_missing(root: Path, plan: list[PlannedClip]) -> int:
    """Render every planned clip whose file is absent; returns how many were rendered."""
    batches: dict[tuple[str, str], list[PlannedClip]] = defaultdict(list)
    for clip in plan:
        if not (root / clip.rel_path).is_file():
            batches[(clip.kind, clip.batch or f"{clip.task}/{clip.clip_id}")].append(clip)
    for clips in batches.values():
        try:
            rendered = render_batch(clips)
        except ProbeSourceError as exc:
            raise ProbeSourceError(f"{clips[0].task}/{clips[0].clip_id} ({clips[0].source}): {exc}") from None
        for clip, audio in zip(clips, rendered):
            _write_wav(root / clip.rel_path, audio)
    return sum(len(c) for c in batches.values())


def _manifest_text(root: Path, plan: list[PlannedClip]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for clip in plan:
        path = root / clip.rel_path
        info = sf.info(str(path))
        writer.writerow(
            {
                "path": clip.rel_path,
                "task": clip.task,
                "clip_id": clip.clip_id,
                "label": clip.label,
                "split": clip.split,
                "group": clip.group,
                "source": clip.source,
                "licence": clip.licence,
                "duration_s": f"{info.frames / info.samplerate:.4f}",
                "sha256": file_sha256(path),
            }
        )
    return out.getvalue()


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"libsndfile": sf.__libsndfile_version__}
    for dist in ("pretty_midi", "pyfluidsynth", "scipy", "soundfile"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return versions


def build_offline_tasks(
    out: str | Path | None = None,
    tasks: list[str] | None = None,
    limit: int | None = None,
    seed: int = 0,
    force: bool = False,
) -> Path:
    """Build (or finish building) the offline task set into `out`; return the manifest path.

    A folder whose build.json matches this plan is left as it is unless `force`. Raises `ProbeSourceError`
    naming a missing package.
    """
    root = Path(out) if out else default_root(limit)
    plan = plan_offline_tasks(tasks, seed, limit)
    plan_hash = _plan_sha256(plan)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder per folder; a second one then finds it done
        info_path, manifest = root / "build.json", root / "manifest.csv"
        if not force and info_path.is_file() and manifest.is_file():
            info = json.loads(info_path.read_text(encoding="utf-8"))
            if info.get("plan_sha256") == plan_hash and all((root / c.rel_path).is_file() for c in plan):
                return manifest
        started = time.perf_counter()
        if force:
            for clip in plan:
                (root / clip.rel_path).unlink(missing_ok=True)
        rendered = _render_missing(root, plan)
        keep = {c.rel_path for c in plan}
        for task in {c.task for c in plan}:  # files of an older plan of these tasks
            for stale in (root / task).rglob("*.wav"):
                if stale.relative_to(root).as_posix() not in keep:
                    stale.unlink()
        text = _manifest_text(root, plan)
        tmp = manifest.with_name(".manifest.csv.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, manifest)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for clip in plan:
            counts[clip.task][clip.split] += 1
        info = {
            "seed": seed,
            "limit": limit,
            "tasks": sorted({c.task for c in plan}),
            "plan_sha256": plan_hash,
            "manifest_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "num_clips": len(plan),
            "clips_by_task_split": {t: dict(s) for t, s in sorted(counts.items())},
            "rendered_now": rendered,
            "build_seconds": round(time.perf_counter() - started, 2),
            "built_at_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tools": _tool_versions(),
        }
        info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probe.tasks.build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", default=None, help="folder (default: data/probe_tasks)")
    parser.add_argument(
        "--tasks", default=None, help=f"comma-separated subset of: {', '.join(OFFLINE_RECIPES)}"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="keep N clips per task, split and class (smoke build)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="re-render every clip")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be >= 1", file=sys.stderr)
        return 2
    try:
        manifest = build_offline_tasks(
            args.out, args.tasks.split(",") if args.tasks else None, args.limit, args.seed, args.force
        )
    except ProbeSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = json.loads((manifest.parent / "build.json").read_text(encoding="utf-8"))
    sizes = ", ".join(f"{t} {sum(s.values())}" for t, s in info["clips_by_task_split"].items())
    print(
        f"{manifest}: {info['num_clips']} clips ({sizes}); {info['rendered_now']} rendered in {info['build_seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
