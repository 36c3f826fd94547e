"""The embedded corpus build: one builder at a time (file lock), into a temporary sibling folder that
is renamed when complete, with a manifest and a build record (recipe hash, tool versions, checksums)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from baselines.files import file_sha256
from benchmarks.datasets.base import DOMAINS, Clip, DatasetError, logger, write_manifest
from benchmarks.datasets.embedded_corpus.recipe import (
    RECIPE_PATH,
    SOUND_PACKAGES,
    load_recipe,
    plan_clips,
    recipe_sha256,
    resolve_sounds_dir,
)
from benchmarks.datasets.embedded_corpus.render import concat_files, render_piece, speak_flite
from benchmarks.datasets.embedded_corpus.requirements import require_all
from benchmarks.datasets.files import default_data_dir
from benchmarks.datasets.records import clip_record

__all__ = ["build_embedded", "is_current"]


def _tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    try:
        out = subprocess.run(["flite", "--version"], check=False, capture_output=True, text=True).stdout
        versions["flite"] = next((ln.strip() for ln in out.splitlines() if "version" in ln), out.strip()[:80])
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("pretty_midi", "pyfluidsynth", "soundfile"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            pass
    versions["libsndfile"] = sf.__libsndfile_version__
    return versions


def build_embedded(
    out: str | Path | None = None,
    recipe_path: str | Path = RECIPE_PATH,
    sounds_dir: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Build the corpus into `out` (default `data/embedded`); return the manifest path.

    Writes `<out>/manifest.csv` (clip paths relative to it) and `<out>/build.json` (recipe hash, tool
    versions, per-file sha256, durations, build time). Builds into a temporary sibling folder and
    renames it, so an interrupted build leaves no half corpus. An up-to-date corpus is kept unless
    `force`.
    """
    recipe = load_recipe(Path(recipe_path))
    root = Path(out) if out else default_data_dir("embedded")
    if not force and is_current(root, recipe):
        return root / "manifest.csv"
    require_all(recipe, sounds_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(f".{root.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others then find it current
        if not force and is_current(root, recipe):
            return root / "manifest.csv"
        return _build_atomically(root, recipe, Path(recipe_path), resolve_sounds_dir(sounds_dir))


def _build_atomically(root: Path, recipe: dict[str, Any], recipe_path: Path, sounds: Path) -> Path:
    started = time.perf_counter()
    tmp = root.with_name(f".{root.name}.building-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        clips = _build_into(tmp, recipe, sounds)
        files = {c.path: file_sha256(tmp / c.path) for c in clips}
        write_manifest(clips, tmp / "manifest.csv")
        info = {
            "recipe": str(Path(recipe_path).name),
            "recipe_sha256": recipe_sha256(recipe),
            "recipe_version": recipe.get("version"),
            "built_at_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 2),
            "num_clips": len(clips),
            "total_duration_s": round(sum(c.duration_s or 0.0 for c in clips), 3),
            "duration_s_by_domain": {
                d: round(sum(c.duration_s or 0.0 for c in clips if c.domain == d), 3) for d in DOMAINS
            },
            "tools": _tool_versions(),
            "files_sha256": files,
        }
        (tmp / "build.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if root.exists():
            shutil.rmtree(root)
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info(
        "embedded corpus: %d clips, %.1f s of audio, built in %.1f s -> %s",
        info["num_clips"],
        info["total_duration_s"],
        info["build_seconds"],
        root,
    )
    return root / "manifest.csv"


def _build_into(folder: Path, recipe: dict[str, Any], sounds: Path) -> list[Clip]:
    music = recipe["music"]
    rendered: dict[str, dict[str, np.ndarray]] = {}
    clips: list[Clip] = []
    for item in plan_clips(recipe):
        path = folder / item["rel_path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if item["kind"] == "concat":
            src = sounds / SOUND_PACKAGES[item["package"]]
            audio, rate = concat_files(
                [src / f for f in item["inputs"]], item["gap_s"], item.get("max_duration_s")
            )
            sf.write(str(path), audio, rate, subtype="PCM_16")
        elif item["kind"] == "flite":
            speak_flite(item["transcript"], item["voice"], path)
        else:
            piece_id = item["piece"]
            if piece_id not in rendered:
                piece = next(p for p in music["pieces"] if p["id"] == piece_id)
                stems = render_piece(piece, int(music["sample_rate"]))
                a = round(float(music["segment_start_s"]) * music["sample_rate"])
                b = a + round(float(music["segment_s"]) * music["sample_rate"])
                peak = max(float(np.max(np.abs(x[a:b]))) for x in stems.values())
                if peak == 0.0:
                    raise DatasetError(
                        f"piece {piece_id}: FluidSynth rendered silence (soundfont or library problem)"
                    )
                rendered[piece_id] = {k: (0.8 / peak) * v[a:b] for k, v in stems.items()}
            sf.write(
                str(path),
                rendered[piece_id][item["stem"]].astype(np.float32),
                int(music["sample_rate"]),
                subtype="PCM_16",
            )
        info = sf.info(str(path))
        clips.append(
            clip_record(
                item["clip_id"],
                item["rel_path"],  # relative to the corpus folder, as the manifest stores it
                item["domain"],
                "embedded",
                duration_s=info.frames / info.samplerate,
                transcript=item["transcript"],
                labels=item["labels"],
                source=item["source"],
                licence=item["licence"],
            )
        )
    return clips


def is_current(root: Path, recipe: dict[str, Any]) -> bool:
    """True when `root` holds a complete corpus built from `recipe` (its build record and every file)."""
    info_path, manifest = root / "build.json", root / "manifest.csv"
    if not (info_path.is_file() and manifest.is_file()):
        return False
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if info.get("recipe_sha256") != recipe_sha256(recipe):
        return False
    return all((root / rel).is_file() for rel in info.get("files_sha256", {}))
