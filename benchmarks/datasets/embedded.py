"""The embedded default corpus: about three minutes of real and rendered audio in the three domains,
built deterministically from Debian and PyPI packages (no download, no AudioSet or MUSDB18 audio).

Content (see `embedded_recipe.json`):
- speech: the eight alsa-utils test phrases (real recorded speech, two clips of four phrases; the
  transcript is the phrase names) and eight sentences of the project's own text spoken by four CMU Flite
  voices (exact transcripts);
- sound: freedesktop and Oxygen desktop event sounds (real recordings and designed sounds, native
  8 / 22.05 / 44.1 / 48 / 96 kHz, mono and stereo), alone or as short sequences of the same format;
- music: two four-part pieces composed by the recipe, each stem rendered by its own FluidSynth instance
  with pretty_midi's TimGM6mb General MIDI soundfont; mixture = sum of the stems (MUSDB-style
  mixture/vocals/drums/bass/other clips).

Build: `python -m benchmarks.datasets.embedded build [--out DIR] [--force]` (default `data/embedded/`
under the working directory). The loader builds on first use and rebuilds when the recipe changed.
Needs Debian `alsa-utils sound-theme-freedesktop oxygen-sounds flite libfluidsynth3` and PyPI
`pretty_midi pyfluidsynth` (extra `corpus`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from baselines.files import file_sha256
from benchmarks.datasets.base import Clip, DatasetError, logger, read_manifest, write_manifest
from benchmarks.datasets.files import default_data_dir
from benchmarks.datasets.selection import as_tuple

__all__ = [
    "DEFAULT_SOUNDS_DIR",
    "RECIPE_PATH",
    "build_embedded",
    "compose_piece",
    "load_embedded",
    "load_recipe",
    "missing_requirements",
    "plan_clips",
    "recipe_sha256",
]

RECIPE_PATH = Path(__file__).with_name("embedded_recipe.json")
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
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_NUMERALS = {"I": 0, "ii": 1, "iii": 2, "IV": 3, "V": 4, "vi": 5, "vii": 6}
_DRUM_NOTES = {"kick": 36, "snare": 38, "crash": 49}


# -- recipe -----------------------------------------------------------------------------------


def load_recipe(path: Path = RECIPE_PATH) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read the embedded-corpus recipe ({exc})") from None


def recipe_sha256(recipe: dict[str, Any]) -> str:
    """Hash of the recipe's content (key order and whitespace do not matter)."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()


def _sounds_dir(sounds_dir: str | Path | None) -> Path:
    return Path(sounds_dir or os.environ.get("CODECBENCH_SOUNDS_DIR") or DEFAULT_SOUNDS_DIR)


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


# -- requirements -----------------------------------------------------------------------------


def missing_requirements(
    recipe: dict[str, Any] | None = None, sounds_dir: str | Path | None = None
) -> list[str]:
    """What the build lacks, one line per missing package (empty list = ready)."""
    recipe = recipe or load_recipe()
    root = _sounds_dir(sounds_dir)
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


def _require(recipe: dict[str, Any], sounds_dir: str | Path | None) -> None:
    missing = missing_requirements(recipe, sounds_dir)
    if missing:
        raise DatasetError(
            "cannot build the embedded corpus:\n  - "
            + "\n  - ".join(missing)
            + "\nInstall with: apt-get install -y alsa-utils sound-theme-freedesktop oxygen-sounds flite "
            "libfluidsynth3 && pip install 'lowrate-codec-bench[corpus]'"
        )


# -- audio makers -----------------------------------------------------------------------------


def _concat(files: list[Path], gap_s: float, max_duration_s: float | None) -> tuple[np.ndarray, int]:
    """Files of one format joined with `gap_s` of silence: (float32 ndarray[T x C], rate)."""
    parts, rate, channels = [], None, None
    for path in files:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
        if rate is None:
            rate, channels = file_rate, data.shape[1]
        elif (file_rate, data.shape[1]) != (rate, channels):
            raise DatasetError(
                f"{path}: {file_rate} Hz x {data.shape[1]} ch differs from {files[0]} ({rate} Hz x {channels} ch); "
                "a recipe sequence must use one format"
            )
        if parts:
            parts.append(np.zeros((round(gap_s * rate), channels), dtype=np.float32))
        parts.append(data)
    audio = np.concatenate(parts)
    if max_duration_s is not None:
        audio = audio[: round(max_duration_s * rate)]
    return audio, int(rate)


def _flite(text: str, voice: str, out: Path) -> None:
    result = subprocess.run(
        ["flite", "-voice", voice, "-t", text, "-o", str(out)], check=False, capture_output=True, text=True
    )
    if result.returncode != 0 or not out.is_file():
        raise DatasetError(f"flite failed for voice {voice!r} -> {out}: {result.stderr.strip()[:300]}")


def _chord_degrees(numeral: str) -> tuple[int, int, int]:
    if numeral not in _NUMERALS:
        raise DatasetError(f"{RECIPE_PATH}: unknown chord numeral {numeral!r}; use one of {list(_NUMERALS)}")
    root = _NUMERALS[numeral]
    return root, (root + 2) % 7, (root + 4) % 7


def _semitones(degree0: int) -> int:
    """Semitones above the tonic of a 0-based major-scale degree (7 = the octave)."""
    return 12 * (degree0 // 7) + _MAJOR[degree0 % 7]


def _nearest(pitch_class: int, lo: int, hi: int, target: float) -> list[int]:
    return sorted((p for p in range(lo, hi + 1) if p % 12 == pitch_class), key=lambda p: abs(p - target))


def compose_piece(piece: dict[str, Any]) -> dict[str, list[tuple[float, float, int, int]]]:
    """Four-part piece from a recipe entry: {stem: [(start_s, end_s, midi_pitch, velocity), ...]}.

    Soprano = the recipe's scale degrees (a passing note fills each melodic third), bass = chord roots,
    alto and tenor = the two other chord tones nearest their previous notes (the third is never doubled).
    Drums follow the recipe's per-bar pattern (4/4). Velocities: recipe `velocities` per stem. Raises `DatasetError` on a soprano note outside its
    chord.
    """
    tonic = int(piece["tonic_midi"])
    beat_s = 60.0 / float(piece["tempo_bpm"])
    chord_s = beat_s * float(piece["beats_per_chord"])
    progression, soprano = piece["progression"], piece["soprano_degrees"]
    if len(progression) != len(soprano):
        raise DatasetError(f"piece {piece['id']}: {len(progression)} chords but {len(soprano)} soprano notes")
    notes: dict[str, list[tuple[float, float, int, int]]] = {
        "vocals": [],
        "other": [],
        "bass": [],
        "drums": [],
    }
    prev_alto, prev_tenor, prev_bass = tonic - 7.0, tonic - 12.0, tonic - 24.0
    vel = {"vocals": 90, "other": 70, "bass": 85, **piece.get("velocities", {})}
    n = len(progression)
    for i, (numeral, degree) in enumerate(zip(progression, soprano)):
        chord = _chord_degrees(numeral)
        s_deg = int(degree) - 1
        if s_deg % 7 not in chord:
            raise DatasetError(
                f"piece {piece['id']}: soprano degree {degree} is not in chord {numeral} (#{i + 1})"
            )
        start = i * chord_s
        end = start + chord_s * (2 if i == n - 1 else 1)
        s_pitch = tonic + _semitones(s_deg)
        nxt = int(soprano[i + 1]) - 1 if i + 1 < n else None
        if nxt is not None and abs(nxt - s_deg) == 2:  # a third: fill it with a passing note
            mid = start + chord_s / 2
            passing = tonic + _semitones((s_deg + nxt) // 2)
            notes["vocals"] += [
                (start, mid, s_pitch, vel["vocals"]),
                (mid, start + chord_s, passing, vel["vocals"]),
            ]
        else:
            notes["vocals"].append((start, end, s_pitch, vel["vocals"]))
        key_pc = tonic % 12
        pcs = {d: (key_pc + _MAJOR[d]) % 12 for d in chord}
        bass = _nearest(pcs[chord[0]], 36, 52, prev_bass)[0]
        inner = [d for d in chord if d != s_deg % 7]
        if len(inner) == 3:  # cannot happen (soprano is a chord tone); kept for clarity
            inner = inner[1:]
        best: tuple[float, int, int] | None = None
        for a_deg, t_deg in itertools.permutations(inner, 2):
            for a in _nearest(pcs[a_deg], 53, s_pitch - 1, prev_alto)[:3]:
                for t in _nearest(pcs[t_deg], max(45, bass + 1), a - 1, prev_tenor)[:3]:
                    cost = abs(a - prev_alto) + abs(t - prev_tenor)
                    if best is None or cost < best[0]:
                        best = (cost, a, t)
        if best is None:
            raise DatasetError(f"piece {piece['id']}: no alto/tenor voicing for chord {numeral} (#{i + 1})")
        _, alto, tenor = best
        legato_end = end - 0.02
        notes["other"] += [(start, legato_end, alto, vel["other"]), (start, legato_end, tenor, vel["other"])]
        notes["bass"].append((start, legato_end, bass, vel["bass"]))
        prev_alto, prev_tenor, prev_bass = float(alto), float(tenor), float(bass)

    drums = piece["drums"]
    total_beats = round((n - 1) * float(piece["beats_per_chord"]))
    hits = [(0.0, _DRUM_NOTES["crash"], 90)]
    for bar in range(0, total_beats, 4):
        hits += [(bar + b, _DRUM_NOTES["kick"], 100) for b in drums["kick"]]
        hits += [(bar + b, _DRUM_NOTES["snare"], 85) for b in drums["snare"]]
        per = int(drums["hat_per_beat"])
        hits += [(bar + k / per, int(drums["hat_note"]), 60) for k in range(4 * per)]
    hits += [(total_beats, _DRUM_NOTES["kick"], 100), (total_beats, _DRUM_NOTES["crash"], 95)]
    notes["drums"] = sorted((b * beat_s, b * beat_s + 0.15, p, v) for b, p, v in hits if b <= total_beats)
    return notes


def _render_piece(piece: dict[str, Any], sample_rate: int) -> dict[str, np.ndarray]:
    """Each stem rendered by a fresh FluidSynth instance; mixture = sum. {stem: float64 ndarray[T]}."""
    import pretty_midi

    sf2 = str(Path(pretty_midi.__file__).with_name("TimGM6mb.sf2"))
    programs = piece["programs"]
    stems: dict[str, np.ndarray] = {}
    for stem, events in compose_piece(piece).items():
        inst = pretty_midi.Instrument(
            program=0 if stem == "drums" else int(programs[stem]), is_drum=stem == "drums"
        )
        inst.notes = [pretty_midi.Note(velocity=v, pitch=p, start=s, end=e) for s, e, p, v in events]
        stems[stem] = np.asarray(inst.fluidsynth(fs=sample_rate, synthesizer=sf2), dtype=np.float64)
    length = max(len(x) for x in stems.values())
    stems = {k: np.pad(v, (0, length - len(v))) for k, v in stems.items()}
    stems["mixture"] = sum(stems[k] for k in ("vocals", "drums", "bass", "other"))
    return stems


# -- build ------------------------------------------------------------------------------------


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
    if not force and _is_current(root, recipe):
        return root / "manifest.csv"
    _require(recipe, sounds_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(f".{root.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others then find it current
        if not force and _is_current(root, recipe):
            return root / "manifest.csv"
        return _build_atomically(root, recipe, Path(recipe_path), _sounds_dir(sounds_dir))


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
                d: round(sum(c.duration_s or 0.0 for c in clips if c.domain == d), 3)
                for d in ("speech", "sound", "music")
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
            audio, rate = _concat(
                [src / f for f in item["inputs"]], item["gap_s"], item.get("max_duration_s")
            )
            sf.write(str(path), audio, rate, subtype="PCM_16")
        elif item["kind"] == "flite":
            _flite(item["transcript"], item["voice"], path)
        else:
            piece_id = item["piece"]
            if piece_id not in rendered:
                piece = next(p for p in music["pieces"] if p["id"] == piece_id)
                stems = _render_piece(piece, int(music["sample_rate"]))
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
            Clip(
                clip_id=item["clip_id"],
                path=item["rel_path"],
                domain=item["domain"],
                dataset="embedded",
                duration_s=round(info.frames / info.samplerate, 6),
                transcript=item["transcript"],
                labels=tuple(item["labels"]),
                source=item["source"],
                licence=item["licence"],
            )
        )
    return clips


def _is_current(root: Path, recipe: dict[str, Any]) -> bool:
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


# -- loader -----------------------------------------------------------------------------------


def load_embedded(
    root: str | Path | None = None,
    build: bool = True,
    domains: str | list[str] | None = None,
    sounds_dir: str | Path | None = None,
) -> list[Clip]:
    """The embedded corpus as clips (built first when missing or out of date, unless `build=False`).

    Args:
        root: corpus folder; default `data/embedded` under the working directory.
        build: build (or rebuild) when needed; False raises `DatasetError` instead.
        domains: keep only these domains.
        sounds_dir: where the Debian sound packages are (default /usr/share/sounds).
    """
    folder = Path(root) if root else default_data_dir("embedded")
    recipe = load_recipe()
    if not _is_current(folder, recipe):
        if not build:
            raise DatasetError(
                f"{folder}: embedded corpus missing or built from another recipe; "
                f"run `python -m benchmarks.datasets.embedded build --out {folder}`"
            )
        build_embedded(folder, sounds_dir=sounds_dir)
    clips = read_manifest(folder / "manifest.csv")
    keep = set(as_tuple(domains))
    return [c for c in clips if not keep or c.domain in keep]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.datasets.embedded", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the corpus (kept when already up to date)")
    b.add_argument("--out", default=None, help="output folder (default: data/embedded)")
    b.add_argument("--force", action="store_true", help="rebuild even when up to date")
    b.add_argument("--sounds-dir", default=None, help="folder of the Debian sound packages")
    c = sub.add_parser("check", help="list missing packages")
    c.add_argument("--sounds-dir", default=None)
    args = parser.parse_args(argv)
    if args.command == "check":
        missing = missing_requirements(sounds_dir=args.sounds_dir)
        print("\n".join(missing) if missing else "all requirements present")
        return 1 if missing else 0
    try:
        manifest = build_embedded(args.out, sounds_dir=args.sounds_dir, force=args.force)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = json.loads((manifest.parent / "build.json").read_text())
    print(
        f"{manifest}: {info['num_clips']} clips, {info['total_duration_s']:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in info['duration_s_by_domain'].items())}), "
        f"built in {info['build_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
