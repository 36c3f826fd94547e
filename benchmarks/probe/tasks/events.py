"""Sound-event recipe of the offline probe task set.

``sound_events`` (mirrors ESC-50): Hedgewars game sound effects (recorded and designed) and the
freedesktop / Oxygen desktop sounds, mapped by hand to six coarse classes. A source is a file stem without
its take number (``Droplet1..3`` are one source); sources are split per class, so every class is in every
split and no source is in two.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.probe.tasks.plan import OfflineTaskRecipe, PlannedClip, assign_by_hash
from benchmarks.probe.tasks.render import resolve_ref
from benchmarks.probe.tasks.sources import LICENCES, hedgewars_sounds_dir, share_dir

__all__ = ["EVENT_CLASSES", "EVENT_RECIPES"]

#: Class -> Hedgewars sound stems (without take digits, lower case).
_HEDGEWARS: dict[str, tuple[str, ...]] = {
    "impact": (
        "explosion",
        "airmine_impact",
        "graveimpact",
        "grenadeimpact",
        "melonimpact",
        "mineimpact",
        "knife_impact",
        "frozen_hog_impact",
        "bump",
        "firepunch_hit",
        "hammer",
        "baseballbat",
        "homerun",
        "whipcrack",
        "egg",
        "cake",
        "placed",
    ),
    "weapon": (
        "gun",
        "shotgunfire",
        "shotgunreload",
        "sniperreload",
        "minigun",
        "drillgun",
        "sinegun",
        "landgun",
        "mortar",
        "blowtorch",
        "flamethrower",
        "pickhammer",
        "ice_beam",
        "lasersight",
        "portalshot",
        "molotov",
        "ropeshot",
    ),
    "water": ("splash", "droplet", "beewater", "planewater", "rubberduck_water", "steam"),
    "engine": ("plane", "rcplane", "ufo", "jetpackboost", "tardis", "ice_beam_idle", "warp"),
    "creature": (
        "bee",
        "hell_growl",
        "hell_ooff",
        "hell_ow",
        "hell_ugh",
        "kiss",
        "yoohoo",
        "hogchant",
        "birdylay",
        "rubberduck_die",
        "whistle",
    ),
    "alert": (
        "beep",
        "denied",
        "countdown",
        "minetick",
        "extratime",
        "suddendeath",
        "skip",
        "switchhog",
        "hellish",
    ),
}
#: Desktop themes: every file is an alert except these (class by name).
_DESKTOP_OTHER = {"camera-shutter": "impact", "trash-empty": "impact", "oxygen-sys-trash-emptied": "impact"}
EVENT_CLASSES = tuple(_HEDGEWARS)
_MAX_DESKTOP_ALERTS = 24
_CROP_S, _MAX_CROPS = 2.0, 4  # sounds of 4 s or more give up to 4 clips of 2 s
_PACKAGE_OF = {
    "hedgewars": "hedgewars-data",
    "sound-theme-freedesktop": "sound-theme-freedesktop",
    "oxygen-sounds": "oxygen-sounds",
}


def _sources() -> list[tuple[str, str, str, str]]:
    """(label, source group, ref, licence) for every mapped file."""
    rows: list[tuple[str, str, str, str]] = []
    stem_class = {stem: label for label, stems in _HEDGEWARS.items() for stem in stems}
    for path in sorted(hedgewars_sounds_dir().glob("*.ogg")):
        stem = re.sub(r"\d+$", "", path.stem).lower()
        if stem in stem_class:
            licence = LICENCES["hedgewars-data:Droplet" if stem == "droplet" else "hedgewars-data"]
            rows.append((stem_class[stem], f"hedgewars:{stem}", f"hedgewars:{path.name}", licence))
    desktop: list[tuple[str, str, str, str]] = []
    sounds = share_dir() / "sounds"
    files = [
        ("sound-theme-freedesktop", p) for p in sorted((sounds / "freedesktop" / "stereo").glob("*.oga"))
    ]
    files += [("oxygen-sounds", p) for p in sorted(sounds.glob("Oxygen-*.ogg"))]
    for package, path in files:
        name = path.stem.lower()
        if name.startswith("audio-channel") or name == "audio-test-signal":
            continue  # spoken channel names and a test tone: not events
        label = _DESKTOP_OTHER.get(name, "alert")
        family = re.sub(r"-(long|short|very|not|serious|critical)$", "", name)
        ref = f"sounds:{path.relative_to(sounds)}"
        desktop.append((label, f"{package}:{family}", ref, LICENCES[package]))
    alerts = [r for r in desktop if r[0] == "alert"]
    keep = {r[2] for r in alerts[:: max(1, len(alerts) // _MAX_DESKTOP_ALERTS)][:_MAX_DESKTOP_ALERTS]}
    rows += [r for r in desktop if r[0] != "alert" or r[2] in keep]
    return rows


def _loud_span(path: Path) -> tuple[float, float]:
    """(start, duration) in seconds of the part of a file above -50 dB of its peak."""
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    level = np.abs(audio).max(axis=1)
    loud = np.flatnonzero(level > level.max() * 10 ** (-50 / 20)) if level.max() > 0 else np.array([0])
    return loud[0] / rate, (loud[-1] - loud[0]) / rate


def _plan_events(seed: int) -> list[PlannedClip]:
    rows = _sources()
    split_of: dict[str, str] = {}
    for label in EVENT_CLASSES:
        groups = sorted({g for lab, g, _, _ in rows if lab == label})
        split_of.update(
            assign_by_hash(groups, {"train": 0.6, "valid": 0.15, "test": 0.25}, seed, f"events-{label}")
        )
    clips = []
    for label, group, ref, licence in rows:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(ref.split(":", 1)[1]).stem)
        start_s, loud_s = _loud_span(resolve_ref(ref))
        crops = max(1, min(_MAX_CROPS, int(loud_s // _CROP_S)))
        for k in range(crops):  # long sounds give several clips; they share the file's group (one split)
            params = (
                {"ref": ref, "max_duration_s": 4.0}
                if crops == 1
                else {"ref": ref, "start_s": round(start_s + k * _CROP_S, 3), "max_duration_s": _CROP_S}
            )
            clips.append(
                PlannedClip(
                    "sound_events",
                    stem if crops == 1 else f"{stem}_{k}",
                    label,
                    split_of[group],
                    group,
                    f"Debian {_PACKAGE_OF[group.split(':', 1)[0]]}: {ref.split(':', 1)[1]}"
                    + ("" if crops == 1 else f" from {start_s + k * _CROP_S:.2f} s"),
                    licence,
                    "file",
                    params,
                )
            )
    return clips


EVENT_RECIPES: tuple[OfflineTaskRecipe, ...] = (
    OfflineTaskRecipe(
        "sound_events",
        "ESC-50",
        EVENT_CLASSES,
        ("hedgewars-data", "sound-theme-freedesktop", "oxygen-sounds"),
        _plan_events,
        "6 coarse event classes from Hedgewars and desktop sounds; split by source file",
    ),
)
