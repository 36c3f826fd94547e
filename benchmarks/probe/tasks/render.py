"""Renderers of the offline probe task set: planned clips -> 16 kHz mono float32 audio.

Every renderer is deterministic in its parameters. MIDI notes of one (soundfont, program) batch are played
by one fresh FluidSynth instance (pretty_midi's `Instrument.fluidsynth`, as the embedded corpus renders its
stems), each note in its own slot, and cut out afterwards.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from benchmarks.probe.tasks.plan import PlannedClip
from benchmarks.probe.tasks.sources import (
    ProbeSourceError,
    drumkits_dir,
    fluidr3_sf2,
    hedgewars_sounds_dir,
    share_dir,
    timgm6mb_sf2,
)

__all__ = ["RENDERERS", "SAMPLE_RATE", "finish", "render_batch", "resolve_ref"]

SAMPLE_RATE = 16_000
_TARGET_RMS = 0.05  # about -26 dBFS


def resolve_ref(ref: str) -> Path:
    """``hedgewars:``, ``drumkits:`` or ``sounds:`` reference -> file path."""
    prefix, _, rel = ref.partition(":")
    roots = {
        "hedgewars": hedgewars_sounds_dir,
        "drumkits": drumkits_dir,
        "sounds": lambda: share_dir() / "sounds",
    }
    if prefix not in roots:
        raise ValueError(f"unknown source reference {ref!r}")
    return roots[prefix]() / rel


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return audio.astype(np.float32)
    g = gcd(int(rate), SAMPLE_RATE)
    return resample_poly(audio.astype(np.float64), SAMPLE_RATE // g, int(rate) // g).astype(np.float32)


def _read_mono(path: Path) -> np.ndarray:
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        raise ProbeSourceError(f"{path}: cannot read audio ({exc})") from None
    return _resample(data.mean(axis=1), rate)


def finish(audio: np.ndarray) -> np.ndarray:
    """Silence trimmed at both ends (-50 dB of the peak, 20 ms kept), level set to a fixed RMS with the
    peak below 0.99. float32 ndarray[T]."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak == 0.0:
        raise ProbeSourceError("rendered silence")
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (-50 / 20))
    margin = SAMPLE_RATE // 50
    audio = audio[max(0, loud[0] - margin) : loud[-1] + margin]
    return _level(audio)


def _level(audio: np.ndarray) -> np.ndarray:
    """`audio` scaled to the fixed RMS, or less if the peak would pass 0.99. float32 ndarray[T]."""
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    gain = min(_TARGET_RMS / max(rms, 1e-9), 0.99 / max(float(np.max(np.abs(audio))), 1e-9))
    return (audio * gain).astype(np.float32)


def _run(make_cmd: Callable[[str], list[str]], what: str) -> np.ndarray:
    """Run a TTS command that writes a WAV file (its path is passed to `make_cmd`); the audio, mono 16 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        try:
            result = subprocess.run(make_cmd(str(out)), capture_output=True, text=True, check=False)
        except OSError as exc:
            raise ProbeSourceError(f"{what} failed: {exc}") from None
        if result.returncode != 0 or not out.is_file():
            raise ProbeSourceError(f"{what} failed: {(result.stderr or result.stdout).strip()[:300]}")
        return _read_mono(out)


def _espeak(clip: PlannedClip) -> np.ndarray:
    p = clip.params
    return _run(
        lambda out: [
            "espeak-ng",
            "-v",
            p["voice"],
            "-s",
            str(p["speed_wpm"]),
            "-p",
            str(p["pitch"]),
            "-w",
            out,
            p["text"],
        ],
        f"espeak-ng ({clip.clip_id})",
    )


def _flite(clip: PlannedClip) -> np.ndarray:
    p = clip.params
    return _run(
        lambda out: [
            "flite",
            "-voice",
            p["voice"],
            "--setf",
            f"duration_stretch={p['duration_stretch']}",
            "--setf",
            f"int_f0_target_mean={p['f0_hz']}",
            "-t",
            p["text"],
            "-o",
            out,
        ],
        f"flite ({clip.clip_id})",
    )


def _file(clip: PlannedClip) -> np.ndarray:
    """A file (from ``start_s``, default 0), silence-trimmed and levelled, at most ``max_duration_s``."""
    audio = _read_mono(resolve_ref(clip.params["ref"]))
    start = round(float(clip.params.get("start_s", 0.0)) * SAMPLE_RATE)
    if start:
        audio = audio[start : start + round(float(clip.params["max_duration_s"]) * SAMPLE_RATE)]
    audio = finish(audio)
    return audio[: round(float(clip.params["max_duration_s"]) * SAMPLE_RATE)]


def _mix(clip: PlannedClip) -> np.ndarray:
    p = clip.params
    out = np.zeros(round(float(p["duration_s"]) * SAMPLE_RATE), dtype=np.float64)
    for ref, offset in zip(p["refs"], p["offsets_s"]):
        voice = finish(_read_mono(resolve_ref(ref)))
        start = round(float(offset) * SAMPLE_RATE)
        part = voice[: max(0, len(out) - start)]
        out[start : start + len(part)] += part
    return _level(out.astype(np.float32))  # one level for every count: loudness must not tell the count


def _midi_batch(clips: Sequence[PlannedClip]) -> list[np.ndarray]:
    import fluidsynth
    import pretty_midi

    first = clips[0].params
    sf2 = fluidr3_sf2() if first["soundfont"] == "FluidR3_GM" else timgm6mb_sf2()
    if not sf2.is_file():
        raise ProbeSourceError(f"{sf2}: soundfont not found")
    slot_s = float(first["clip_s"]) + 1.0
    inst = pretty_midi.Instrument(program=int(first["program"]))
    inst.notes = [
        pretty_midi.Note(
            velocity=int(v), pitch=int(p), start=i * slot_s, end=i * slot_s + float(first["note_s"])
        )
        for i, (p, v) in enumerate(first["notes"])
    ]
    synth = fluidsynth.Synth(
        samplerate=float(SAMPLE_RATE)
    )  # a fresh synthesiser per batch: same state every time
    try:
        sfid = synth.sfload(str(sf2))
        audio = np.asarray(inst.fluidsynth(fs=SAMPLE_RATE, synthesizer=synth, sfid=sfid), dtype=np.float32)
    finally:
        synth.delete()
    out = []
    for clip in clips:
        start = round(int(clip.params["slot"]) * slot_s * SAMPLE_RATE)
        segment = audio[start : start + round(float(first["clip_s"]) * SAMPLE_RATE)]
        out.append(finish(segment)[: round(float(first["clip_s"]) * SAMPLE_RATE)])
    return out


def _each(render_one: Callable[[PlannedClip], np.ndarray], clips: Sequence[PlannedClip]) -> list[np.ndarray]:
    return [render_one(c) for c in clips]


_SINGLE: dict[str, Callable[[PlannedClip], np.ndarray]] = {
    "espeak": lambda c: finish(_espeak(c)),
    "flite": lambda c: finish(_flite(c)),
    "file": _file,
    "mix": _mix,
}
#: kind -> renderer of a batch of clips of that kind (same `batch`), returning one array per clip.
RENDERERS: dict[str, Callable[[Sequence[PlannedClip]], list[np.ndarray]]] = {
    **{kind: functools.partial(_each, fn) for kind, fn in _SINGLE.items()},
    "midi": _midi_batch,
}


def render_batch(clips: Sequence[PlannedClip]) -> list[np.ndarray]:
    """Audio of clips that share kind and batch: 16 kHz mono float32 arrays, in order."""
    kinds = {c.kind for c in clips}
    if len(kinds) != 1 or next(iter(kinds)) not in RENDERERS:
        raise ValueError(f"cannot render kinds {sorted(kinds)} together; known: {sorted(RENDERERS)}")
    return RENDERERS[next(iter(kinds))](clips)
