"""Speech recipes of the offline probe task set.

- ``spoken_digits`` (mirrors Speech Commands): the words zero..nine by 48 eSpeak NG voices (8 English
  accents x 6 voice variants) and 5 CMU Flite voices, two takes per voice at seeded rate and pitch. Split
  by voice; whole accents go to one split, and every Flite voice is held out for test (an unseen engine).
- ``voice_speaker`` (a speaker probe; CREMA-D and LibriCount are speech-by-people tasks): which of the 15
  Hedgewars voice packs (real voice acting) says a line. Split by phrase, so no line is in two splits.
- ``vocalisation`` (mirrors CREMA-D's emotion classes): pain / laugh / triumph / alarm / taunt lines of the
  Hedgewars packs. Split by pack (speaker).
- ``speaker_count`` (mirrors LibriCount): 1-4 overlapping Hedgewars voices in 3 s; the packs of each split
  are disjoint.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.probe.tasks.plan import (
    OfflineTaskRecipe,
    PlannedClip,
    assign_by_hash,
    seeded_unit,
    stable_order,
)
from benchmarks.probe.tasks.sources import LICENCES, hedgewars_sounds_dir

__all__ = ["SPEECH_RECIPES", "VOCALISATION_CLASSES", "hedgewars_lines"]

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ESPEAK_ACCENTS = {
    "en-us": "train",
    "en-gb": "train",
    "en-gb-scotland": "train",
    "en-gb-x-rp": "train",
    "en-us-nyc": "train",
    "en-gb-x-gbcwmd": "valid",
    "en-gb-x-gbclan": "test",
    "en-029": "test",
}
ESPEAK_VARIANTS = ("m1", "m3", "m7", "f2", "f4", "croak")
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
TAKES = 2

#: Hedgewars phrase (file stem without take digits, lower case) -> vocalisation class.
VOCALISATION_CLASSES: dict[str, str] = {
    **dict.fromkeys(("ow", "ooff", "ouch", "poisonmoan"), "pain"),
    "laugh": "laugh",
    **dict.fromkeys(
        ("victory", "excellent", "amazing", "brilliant", "flawless", "enemydown", "firstblood"), "triumph"
    ),
    **dict.fromkeys(
        ("nooo", "uh-oh", "incoming", "takecover", "runaway", "ohdear", "oops", "whatthe"), "alarm"
    ),
    **dict.fromkeys(
        (
            "coward",
            "stupid",
            "nutter",
            "illgetyou",
            "gonnagetyou",
            "justyouwait",
            "youllregretthat",
            "comeonthen",
            "revenge",
            "thisoneismine",
            "traitor",
            "watchthis",
        ),
        "taunt",
    ),
}
_VOCAL_LABELS = ("pain", "laugh", "triumph", "alarm", "taunt")
_PACK_FRACTIONS = {"train": 0.55, "valid": 0.2, "test": 0.25}


def _plan_digits(seed: int) -> list[PlannedClip]:
    clips: list[PlannedClip] = []
    for accent, split in ESPEAK_ACCENTS.items():
        for variant in ESPEAK_VARIANTS:
            voice = f"{accent}+{variant}"
            for digit in DIGITS:
                for take in range(TAKES):
                    speed = 130 + round(60 * seeded_unit(seed, voice, digit, take, "speed"))
                    pitch = 30 + round(40 * seeded_unit(seed, voice, digit, take, "pitch"))
                    clips.append(
                        PlannedClip(
                            "spoken_digits",
                            f"espeak_{accent}_{variant}_{digit}_{take}",
                            digit,
                            split,
                            f"espeak-ng:{voice}",
                            f"Debian espeak-ng, voice {voice}, -s {speed} -p {pitch}",
                            LICENCES["espeak-ng"],
                            "espeak",
                            {"voice": voice, "text": digit, "speed_wpm": speed, "pitch": pitch},
                        )
                    )
    for voice in FLITE_VOICES:
        for digit in DIGITS:
            for take in range(TAKES):
                stretch = round(0.85 + 0.35 * seeded_unit(seed, voice, digit, take, "stretch"), 3)
                f0 = 90 + round(90 * seeded_unit(seed, voice, digit, take, "f0")) if voice != "slt" else 170
                clips.append(
                    PlannedClip(
                        "spoken_digits",
                        f"flite_{voice}_{digit}_{take}",
                        digit,
                        "test",
                        f"flite:{voice}",
                        f"Debian flite, voice {voice}, duration_stretch {stretch}",
                        LICENCES["flite"],
                        "flite",
                        {"voice": voice, "text": digit, "duration_stretch": stretch, "f0_hz": f0},
                    )
                )
    return clips


def hedgewars_lines(root: Path | None = None) -> list[tuple[str, str, str]]:
    """Every voice line as (pack, phrase, ref), sorted; phrase = file stem without take digits, lower case;
    ref = ``hedgewars:voices/<pack>/<file>``."""
    voices = (root or hedgewars_sounds_dir()) / "voices"
    lines = []
    for path in sorted(voices.glob("*/*.ogg")):
        phrase = re.sub(r"\d+$", "", path.stem).lower()
        lines.append((path.parent.name, phrase, f"hedgewars:voices/{path.parent.name}/{path.name}"))
    return lines


def _licence_of(ref: str) -> str:
    return LICENCES["hedgewars-data:Droplet"] if "/Droplet" in ref else LICENCES["hedgewars-data"]


def _plan_speaker(seed: int) -> list[PlannedClip]:
    lines = hedgewars_lines()
    split_of = assign_by_hash(
        [p for _, p, _ in lines], {"train": 0.6, "valid": 0.15, "test": 0.25}, seed, "phrase"
    )
    return [
        PlannedClip(
            "voice_speaker",
            f"{pack}_{Path(ref).stem}",
            pack,
            split_of[phrase],
            f"phrase:{phrase}",
            f"Debian hedgewars-data: {ref.split(':', 1)[1]}",
            _licence_of(ref),
            "file",
            {"ref": ref, "max_duration_s": 4.0},
        )
        for pack, phrase, ref in lines
    ]


def _plan_vocalisation(seed: int) -> list[PlannedClip]:
    lines = [x for x in hedgewars_lines() if x[1] in VOCALISATION_CLASSES]
    split_of = assign_by_hash([pack for pack, _, _ in lines], _PACK_FRACTIONS, seed, "pack-vocal")
    return [
        PlannedClip(
            "vocalisation",
            f"{pack}_{Path(ref).stem}",
            VOCALISATION_CLASSES[phrase],
            split_of[pack],
            f"pack:{pack}",
            f"Debian hedgewars-data: {ref.split(':', 1)[1]}",
            _licence_of(ref),
            "file",
            {"ref": ref, "max_duration_s": 4.0},
        )
        for pack, phrase, ref in lines
    ]


_COUNT_MIXES = {"train": 80, "valid": 20, "test": 40}  # per speaker count


def _plan_count(seed: int) -> list[PlannedClip]:
    lines = hedgewars_lines()
    packs = sorted({pack for pack, _, _ in lines})
    split_of = assign_by_hash(packs, {"train": 0.47, "valid": 0.265, "test": 0.265}, seed, "pack-count")
    by_pack: dict[str, list[str]] = {}
    for pack, _, ref in lines:
        by_pack.setdefault(pack, []).append(ref)
    clips: list[PlannedClip] = []
    for split, per_count in _COUNT_MIXES.items():
        members = [p for p in packs if split_of[p] == split]
        for count in range(1, 5):
            for i in range(per_count):
                chosen = stable_order(members, seed, f"count-{split}-{count}-{i}")[:count]
                refs = [
                    stable_order(by_pack[p], seed, f"line-{split}-{count}-{i}-{p}")[0] for p in sorted(chosen)
                ]
                offsets = [round(1.2 * seeded_unit(seed, split, count, i, k), 3) for k in range(count)]
                clips.append(
                    PlannedClip(
                        "speaker_count",
                        f"{split}_{count}_{i:03d}",
                        str(count),
                        split,
                        "packs:" + "+".join(sorted(chosen)),
                        "Debian hedgewars-data: " + ", ".join(r.split(":", 1)[1] for r in refs),
                        LICENCES["hedgewars-data"],
                        "mix",
                        {"refs": refs, "offsets_s": offsets, "duration_s": 3.0},
                    )
                )
    return clips


SPEECH_RECIPES: tuple[OfflineTaskRecipe, ...] = (
    OfflineTaskRecipe(
        "spoken_digits",
        "Speech Commands",
        DIGITS,
        ("espeak-ng", "flite"),
        _plan_digits,
        "digits 0-9 by 48 eSpeak NG and 5 Flite voices; split by voice, Flite only in test",
    ),
    OfflineTaskRecipe(
        "voice_speaker",
        "speaker (CREMA-D / LibriCount voices)",
        tuple(
            sorted(
                {
                    "British",
                    "Classic",
                    "Default",
                    "Default_es",
                    "Default_pl",
                    "Default_ru",
                    "Default_uk",
                    "HillBilly",
                    "Mobster",
                    "Pirate",
                    "Robot",
                    "Russian",
                    "Russian_pl",
                    "Singer",
                    "Surfer",
                }
            )
        ),
        ("hedgewars-data",),
        _plan_speaker,
        "15 Hedgewars voice packs; split by phrase",
    ),
    OfflineTaskRecipe(
        "vocalisation",
        "CREMA-D",
        _VOCAL_LABELS,
        ("hedgewars-data",),
        _plan_vocalisation,
        "5 vocalisation types of Hedgewars lines; split by pack (speaker)",
    ),
    OfflineTaskRecipe(
        "speaker_count",
        "LibriCount",
        ("1", "2", "3", "4"),
        ("hedgewars-data",),
        _plan_count,
        "1-4 overlapping Hedgewars voices, 3 s; packs disjoint between splits",
    ),
)
