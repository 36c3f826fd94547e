"""The four-part composer of the embedded corpus's music pieces (no audio: note lists only)."""

from __future__ import annotations

import itertools
from typing import Any

from benchmarks.datasets.base import DatasetError
from benchmarks.datasets.embedded_corpus.recipe import RECIPE_PATH

__all__ = ["DRUM_NOTES", "MAJOR_SCALE", "NUMERALS", "compose_piece"]

#: Semitones above the tonic of the seven degrees of the major scale.
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
#: Chord numeral -> 0-based scale degree of its root.
NUMERALS = {"I": 0, "ii": 1, "iii": 2, "IV": 3, "V": 4, "vi": 5, "vii": 6}
#: General MIDI percussion notes of the drum part.
DRUM_NOTES = {"kick": 36, "snare": 38, "crash": 49}


def _chord_degrees(numeral: str) -> tuple[int, int, int]:
    if numeral not in NUMERALS:
        raise DatasetError(f"{RECIPE_PATH}: unknown chord numeral {numeral!r}; use one of {list(NUMERALS)}")
    root = NUMERALS[numeral]
    return root, (root + 2) % 7, (root + 4) % 7


def _semitones(degree0: int) -> int:
    """Semitones above the tonic of a 0-based major-scale degree (7 = the octave)."""
    return 12 * (degree0 // 7) + MAJOR_SCALE[degree0 % 7]


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
        pcs = {d: (key_pc + MAJOR_SCALE[d]) % 12 for d in chord}
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
    hits = [(0.0, DRUM_NOTES["crash"], 90)]
    for bar in range(0, total_beats, 4):
        hits += [(bar + b, DRUM_NOTES["kick"], 100) for b in drums["kick"]]
        hits += [(bar + b, DRUM_NOTES["snare"], 85) for b in drums["snare"]]
        per = int(drums["hat_per_beat"])
        hits += [(bar + k / per, int(drums["hat_note"]), 60) for k in range(4 * per)]
    hits += [(total_beats, DRUM_NOTES["kick"], 100), (total_beats, DRUM_NOTES["crash"], 95)]
    notes["drums"] = sorted((b * beat_s, b * beat_s + 0.15, p, v) for b, p, v in hits if b <= total_beats)
    return notes
