"""What the embedded corpus build needs from Debian and PyPI, and what is missing here."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from benchmarks.datasets.base import DatasetError
from benchmarks.datasets.embedded_corpus.recipe import (
    SOUND_PACKAGES,
    load_recipe,
    plan_clips,
    resolve_sounds_dir,
)

__all__ = ["missing_requirements", "require_all"]


def missing_requirements(
    recipe: dict[str, Any] | None = None, sounds_dir: str | Path | None = None
) -> list[str]:
    """What the build lacks, one line per missing package (empty list = ready)."""
    recipe = recipe or load_recipe()
    root = resolve_sounds_dir(sounds_dir)
    missing: list[str] = []
    needed: dict[str, list[str]] = {}
    for item in plan_clips(recipe):
        if item["kind"] == "concat":
            needed.setdefault(item["package"], []).extend(item["inputs"])
    for package, files in needed.items():
        folder = root / SOUND_PACKAGES[package]
        absent = sorted({f for f in files if not (folder / f).is_file()})
        if absent:
            missing.append(
                f"Debian package {package}: {len(absent)} file(s) missing in {folder}, e.g. {absent[0]}"
            )
    if shutil.which("flite") is None:
        missing.append("Debian package flite: the `flite` command is not on PATH")
    if importlib.util.find_spec("pretty_midi") is None:
        missing.append("PyPI package pretty_midi (extra `corpus`): not installed")
    if importlib.util.find_spec("fluidsynth") is None:
        missing.append("PyPI package pyfluidsynth (extra `corpus`): not installed")
    else:
        try:
            import fluidsynth  # noqa: F401 - loads libfluidsynth
        except (ImportError, OSError) as exc:
            missing.append(f"Debian package libfluidsynth3: pyfluidsynth cannot load it ({exc})")
    return missing


def require_all(recipe: dict[str, Any], sounds_dir: str | Path | None) -> None:
    """Raise `DatasetError` listing every missing package and the install command, if any is missing."""
    missing = missing_requirements(recipe, sounds_dir)
    if missing:
        raise DatasetError(
            "cannot build the embedded corpus:\n  - "
            + "\n  - ".join(missing)
            + "\nInstall with: apt-get install -y alsa-utils sound-theme-freedesktop oxygen-sounds flite "
            "libfluidsynth3 && pip install 'lowrate-codec-bench[corpus]'"
        )
