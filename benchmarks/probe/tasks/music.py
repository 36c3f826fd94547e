"""Music recipes of the offline probe task set.

- ``gm_pitch`` (mirrors NSynth Pitch): single notes C3..B4 (24 pitch classes) of 16 General MIDI programs.
  Train and validation are rendered with FluidR3 (``fluid-soundfont-gm``; 12 programs train, 4 others
  validation), test with TimGM6mb (pretty_midi's copy), so the probe is tested on another sample set.
- ``drum_kits`` (a real-sample percussion task, ESC-50-like one-shots): kick / snare / hi-hat / tom /
  cymbal / other percussion from the 14 Hydrogen drum kits, classes from each kit's ``drumkit.xml``
  instrument names. Split by kit.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks.probe.tasks.plan import (
    OfflineTaskRecipe,
    PlannedClip,
    assign_by_hash,
    seeded_unit,
    stable_order,
)
from benchmarks.probe.tasks.sources import LICENCES, ProbeSourceError, drumkits_dir

__all__ = ["DRUM_CLASSES", "MUSIC_RECIPES", "drum_class", "read_drumkit"]

PITCHES = tuple(range(48, 72))
#: GM program -> split when rendered with FluidR3 (all of them are rendered with TimGM6mb for test).
PROGRAMS = {
    0: "train",
    4: "train",
    11: "valid",
    19: "train",
    24: "train",
    26: "valid",
    32: "train",
    40: "train",
    42: "valid",
    48: "train",
    56: "train",
    60: "train",
    65: "valid",
    71: "train",
    73: "train",
    80: "train",
}
NOTE_S, CLIP_S = 1.5, 2.0

#: Drum class -> pattern on the instrument name (first match wins, in this order).
DRUM_CLASSES: dict[str, str] = {
    "hihat": r"hi.?hat|\bhh\b|hat\b|hihat",
    "kick": r"kick|bass ?drum|\bbd\b|bassdrum",
    "snare": r"snare|\bsd\b|rim",
    "tom": r"tom",
    "cymbal": r"crash|ride|cymbal|china|splash|\bcym",
    "percussion": r"clap|cowbell|shaker|tamb|conga|bongo|clave|perc|wood|block|agogo|guiro|cabasa|triangle|cajon|bell",
}
MAX_PER_KIT_CLASS = 12


def _plan_pitch(seed: int) -> list[PlannedClip]:
    clips: list[PlannedClip] = []
    for soundfont in ("FluidR3_GM", "TimGM6mb"):
        for program, split in PROGRAMS.items():
            split = split if soundfont == "FluidR3_GM" else "test"
            notes = [
                [p, 70 + round(40 * seeded_unit(seed, soundfont, program, p, "velocity"))] for p in PITCHES
            ]
            licence = LICENCES["fluid-soundfont-gm" if soundfont == "FluidR3_GM" else "timgm6mb"]
            for slot, (pitch, velocity) in enumerate(notes):
                clips.append(
                    PlannedClip(
                        "gm_pitch",
                        f"{soundfont}_p{program:03d}_n{pitch}",
                        str(pitch),
                        split,
                        f"{soundfont}:program{program}",
                        f"rendered: GM program {program}, MIDI note {pitch}, velocity {velocity}, {soundfont}.sf2 via FluidSynth",
                        licence,
                        "midi",
                        {
                            "soundfont": soundfont,
                            "program": program,
                            "slot": slot,
                            "notes": notes,
                            "note_s": NOTE_S,
                            "clip_s": CLIP_S,
                        },
                        batch=f"{soundfont}:{program}",
                    )
                )
    return clips


def drum_class(name: str) -> str | None:
    """The drum class of a Hydrogen instrument name, or None (unmapped)."""
    lowered = name.lower().replace("_", " ")
    for label, pattern in DRUM_CLASSES.items():
        if re.search(pattern, lowered):
            return label
    return None


def read_drumkit(xml_path: Path) -> tuple[str, list[tuple[str, str]]]:
    """(licence, [(instrument name, sample file name), ...]) from a kit's drumkit.xml."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ProbeSourceError(f"{xml_path}: cannot read the drum kit description ({exc})") from None
    ns = re.match(r"^\{[^}]*\}", root.tag)
    prefix = ns.group(0) if ns else ""
    author = (root.findtext(f"{prefix}author") or "").strip()
    licence = (
        root.findtext(f"{prefix}license") or ""
    ).strip() or "see /usr/share/doc/hydrogen-drumkits/copyright"
    entries = []
    for inst in root.iter(f"{prefix}instrument"):
        name = (inst.findtext(f"{prefix}name") or "").strip()
        files = [f.text.strip() for f in inst.iter(f"{prefix}filename") if f.text and f.text.strip()]
        entries += [(name, f) for f in files]
    return f"{licence} ({author})" if author else licence, entries


def _drum_samples() -> dict[str, list[tuple[str, str, str]]]:
    """kit -> [(class, ref, licence)] (deduplicated by file; at most MAX_PER_KIT_CLASS per class)."""
    kits: dict[str, list[tuple[str, str, str]]] = {}
    for xml_path in sorted(drumkits_dir().glob("*/drumkit.xml")):
        kit = xml_path.parent.name
        licence, entries = read_drumkit(xml_path)
        seen: dict[str, str] = {}
        for name, file_name in entries:
            label = drum_class(name)
            if label and file_name not in seen and (xml_path.parent / file_name).is_file():
                seen[file_name] = label
        rows = []
        for label in DRUM_CLASSES:
            files = [f for f, lab in seen.items() if lab == label]
            for f in sorted(stable_order(files, 0, f"{kit}-{label}")[:MAX_PER_KIT_CLASS]):
                rows.append((label, f"drumkits:{kit}/{f}", f"{licence}; Hydrogen kit {kit}"))
        kits[kit] = rows
    return kits


def _plan_drums(seed: int) -> list[PlannedClip]:
    kits = _drum_samples()
    fractions = {"train": 0.6, "valid": 0.15, "test": 0.25}
    split_of: dict[str, str] = {}
    for attempt in range(200):  # first seeded kit split in which every split holds every class
        split_of = assign_by_hash(sorted(kits), fractions, seed, f"kits-{attempt}")
        held = {
            s: {lab for k, rows in kits.items() if split_of[k] == s for lab, _, _ in rows} for s in fractions
        }
        if all(len(h) == len(DRUM_CLASSES) for h in held.values()):
            break
    return [
        PlannedClip(
            "drum_kits",
            f"{kit}_{Path(ref).stem}".replace(" ", "_"),
            label,
            split_of[kit],
            f"kit:{kit}",
            f"Debian hydrogen-drumkits: {ref.split(':', 1)[1]}",
            licence,
            "file",
            {"ref": ref, "max_duration_s": 2.0},
        )
        for kit, rows in sorted(kits.items())
        for label, ref, licence in rows
    ]


MUSIC_RECIPES: tuple[OfflineTaskRecipe, ...] = (
    OfflineTaskRecipe(
        "gm_pitch",
        "NSynth Pitch",
        tuple(str(p) for p in PITCHES),
        ("fluid-soundfont-gm", "pretty_midi", "pyfluidsynth"),
        _plan_pitch,
        "24 MIDI pitches x 16 GM programs; train/valid FluidR3, test TimGM6mb",
    ),
    OfflineTaskRecipe(
        "drum_kits",
        "ESC-50 (real one-shots)",
        tuple(DRUM_CLASSES),
        ("hydrogen-drumkits",),
        _plan_drums,
        "6 drum classes from 14 Hydrogen kits; split by kit",
    ),
)
