"""The embedded corpus's audio makers: package sounds joined into one clip, flite speech, FluidSynth stems."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from benchmarks.datasets.base import DatasetError
from benchmarks.datasets.embedded_corpus.harmony import compose_piece

__all__ = ["concat_files", "render_piece", "speak_flite"]


def concat_files(files: list[Path], gap_s: float, max_duration_s: float | None) -> tuple[np.ndarray, int]:
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


def speak_flite(text: str, voice: str, out: Path) -> None:
    result = subprocess.run(
        ["flite", "-voice", voice, "-t", text, "-o", str(out)], check=False, capture_output=True, text=True
    )
    if result.returncode != 0 or not out.is_file():
        raise DatasetError(f"flite failed for voice {voice!r} -> {out}: {result.stderr.strip()[:300]}")


def render_piece(piece: dict[str, Any], sample_rate: int) -> dict[str, np.ndarray]:
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
