"""The embedded corpus's recipe (`embedded_recipe.json`) and the clips it plans, without touching audio."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from benchmarks.datasets.base import DatasetError

__all__ = [
    "DEFAULT_SOUNDS_DIR",
    "RECIPE_PATH",
    "SOUND_LICENCES",
    "SOUND_PACKAGES",
    "load_recipe",
    "plan_clips",
    "recipe_sha256",
    "resolve_sounds_dir",
]

RECIPE_PATH = Path(__file__).parent.with_name("embedded_recipe.json")
#: Where Debian installs desktop and test sounds (override with `sounds_dir` / CODECBENCH_SOUNDS_DIR).
DEFAULT_SOUNDS_DIR = Path("/usr/share/sounds")
#: Debian package -> folder of its sounds below the sounds dir.
SOUND_PACKAGES: dict[str, str] = {
    "alsa-utils": "alsa",
    "sound-theme-freedesktop": "freedesktop/stereo",
    "oxygen-sounds": ".",
}
SOUND_LICENCES: dict[str, str] = {
    "oxygen-sounds": "LGPL-3.0-or-later (Nuno Povoa, Oxygen sound theme)",
    # per-file licences from the package's debian/copyright
    "alarm-clock-elapsed.oga": "CC-BY-SA-3.0 (Tim/corsica_s)",
    "bell.oga": "CC-BY-3.0 (Dr. Richard Boulanger et al)",
    "complete.oga": "CC-BY-3.0 (Dr. Richard Boulanger et al)",
    "trash-empty.oga": "CC-BY-3.0 (Dr. Richard Boulanger et al)",
    "camera-shutter.oga": "CC-BY-SA-3.0 (freesound user horsthorstensen)",
    "screen-capture.oga": "CC-BY-SA-3.0 (freesound user horsthorstensen)",
    "message.oga": "CC-BY-SA-3.0 (Ivica Bukvic)",
    "dialog-warning.oga": "CC-BY-SA-3.0 (Ivica Bukvic)",
    "window-attention.oga": "CC-BY-SA-3.0 (Ivica Bukvic)",
    "phone-incoming-call.oga": "GPL-2+ (Damien Sandras)",
    "phone-outgoing-busy.oga": "GPL-2+ (Damien Sandras)",
    "phone-outgoing-calling.oga": "GPL-2+ (Damien Sandras)",
    "service-login.oga": "GPL-2 (The Pidgin developers)",
    "service-logout.oga": "GPL-2 (The Pidgin developers)",
}


def load_recipe(path: Path = RECIPE_PATH) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read the embedded-corpus recipe ({exc})") from None


def recipe_sha256(recipe: dict[str, Any]) -> str:
    """Hash of the recipe's content (key order and whitespace do not matter)."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()


def resolve_sounds_dir(folder: str | Path | None) -> Path:
    """The folder of the Debian sound packages: `folder`, else $CODECBENCH_SOUNDS_DIR, else the default."""
    return Path(folder or os.environ.get("CODECBENCH_SOUNDS_DIR") or DEFAULT_SOUNDS_DIR)


def plan_clips(recipe: dict[str, Any]) -> list[dict[str, Any]]:
    """Every clip the recipe makes, without touching audio: dicts with clip_id, domain, kind, rel_path,
    inputs, transcript, labels, source, licence (and kind-specific fields)."""
    plan: list[dict[str, Any]] = []
    alsa = recipe["speech"]["alsa"]
    for i, group in enumerate(alsa["groups"], start=1):
        plan.append(
            {
                "clip_id": f"speech_alsa_{i}",
                "domain": "speech",
                "kind": "concat",
                "rel_path": f"speech/alsa_{i}.wav",
                "package": alsa["package"],
                "inputs": [f"{name}.wav" for name in group],
                "gap_s": alsa["gap_s"],
                "transcript": " ".join(name.replace("_", " ").capitalize() + "." for name in group),
                "labels": ("speaker=alsa",),
                "source": f"Debian {alsa['package']}: " + ", ".join(f"{n}.wav" for n in group),
                "licence": alsa["licence"],
            }
        )
    flite = recipe["speech"]["flite"]
    voices = flite["voices"]
    for i, sentence in enumerate(flite["sentences"]):
        voice = voices[i % len(voices)]
        plan.append(
            {
                "clip_id": f"speech_flite_{voice}_{i + 1:02d}",
                "domain": "speech",
                "kind": "flite",
                "rel_path": f"speech/flite_{voice}_{i + 1:02d}.wav",
                "package": flite["package"],
                "voice": voice,
                "inputs": [],
                "transcript": sentence,
                "labels": (f"speaker=flite-{voice}",),
                "source": f"Debian flite, voice {voice}",
                "licence": flite["licence"],
            }
        )
    sound = recipe["sound"]
    for item in sound["clips"]:
        licences = sorted(
            {SOUND_LICENCES.get(f, SOUND_LICENCES.get(item["package"], "")) for f in item["files"]}
        )
        plan.append(
            {
                "clip_id": f"sound_{item['id']}",
                "domain": "sound",
                "kind": "concat",
                "rel_path": f"sound/{item['id']}.wav",
                "package": item["package"],
                "inputs": list(item["files"]),
                "gap_s": sound["gap_s"],
                "max_duration_s": sound["max_duration_s"],
                "transcript": None,
                "labels": tuple(item["labels"]),
                "source": f"Debian {item['package']}: " + ", ".join(item["files"]),
                "licence": "; ".join(x for x in licences if x),
            }
        )
    music = recipe["music"]
    for piece in music["pieces"]:
        for stem in music["stems"]:
            plan.append(
                {
                    "clip_id": f"music_{piece['id']}_{stem}",
                    "domain": "music",
                    "kind": "midi",
                    "rel_path": f"music/{piece['id']}/{stem}.wav",
                    "package": "pretty_midi",
                    "piece": piece["id"],
                    "stem": stem,
                    "inputs": [],
                    "transcript": None,
                    "labels": (stem,),
                    "source": f"rendered: {piece['id']} ({stem}) with pretty_midi TimGM6mb.sf2 via FluidSynth",
                    "licence": music["licence"],
                }
            )
    ids = [p["clip_id"] for p in plan]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{RECIPE_PATH}: duplicate clip ids in the recipe")
    return plan
