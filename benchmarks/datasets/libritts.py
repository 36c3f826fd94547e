"""LibriTTS in its official layout: `<root>/<subset>/<speaker>/<chapter>/<utt>.wav` with
`<utt>.normalized.txt` and `<utt>.original.txt` transcripts beside each WAV.

The paper's protocol (arXiv 2405.00233, section IV-A): 300 random test-clean utterances of 8-10 s.
Those are this loader's defaults; the draw is reproducible from `seed`.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.datasets import licences
from benchmarks.datasets.base import Clip, DatasetError
from benchmarks.datasets.files import audio_duration_s, read_transcript_file, require_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import as_tuple, deterministic_sample, report_missing

__all__ = ["LAYOUT", "load_libritts"]

LAYOUT = "<root>/<subset>/<speaker>/<chapter>/<utt>.wav with <utt>.normalized.txt transcripts"
_TRANSCRIPT_SUFFIXES = {"normalized": ".normalized.txt", "original": ".original.txt"}


def _subset_dir(root: Path, subset: str) -> Path:
    if (root / subset).is_dir():
        return root / subset
    if root.name == subset:  # the user pointed at the subset folder itself
        return root
    raise DatasetError(f"{root / subset}: LibriTTS subset folder not found; expected {LAYOUT}")


def load_libritts(
    root: str | Path | None = None,
    subsets: str | list[str] = "test-clean",
    min_duration_s: float | None = 8.0,
    max_duration_s: float | None = 10.0,
    num_clips: int | None = 300,
    seed: int = 0,
    transcript: str = "normalized",
) -> list[Clip]:
    """LibriTTS utterances as clips (clip_id `libritts_<utt>`, like the paper's file names).

    Args:
        root: the LibriTTS folder (holding `test-clean/` ...), or a subset folder itself.
        subsets: one or more subset names.
        min_duration_s, max_duration_s: keep utterances within [min, max] seconds (None = no bound).
        num_clips: seeded random draw of this many eligible utterances (None = all).
        seed: seed of the draw.
        transcript: "normalized" or "original" text file.
    """
    if transcript not in _TRANSCRIPT_SUFFIXES:
        raise DatasetError(f"transcript must be one of {sorted(_TRANSCRIPT_SUFFIXES)}, got {transcript!r}")
    base = require_dir(root, LAYOUT)
    candidates: list[Clip] = []
    no_text: list[str] = []
    total = 0
    for subset in as_tuple(subsets):
        subset_dir = _subset_dir(base, subset)
        wavs = sorted(subset_dir.glob("*/*/*.wav"))
        if not wavs:
            raise DatasetError(f"{subset_dir}: no <speaker>/<chapter>/<utt>.wav files; expected {LAYOUT}")
        for wav in wavs:
            total += 1
            duration = audio_duration_s(wav, base)  # None: unreadable; kept, its reading is a per-clip error
            if duration is not None and min_duration_s is not None and duration < min_duration_s:
                continue
            if duration is not None and max_duration_s is not None and duration > max_duration_s:
                continue
            utt = wav.stem
            text_path = wav.with_name(utt + _TRANSCRIPT_SUFFIXES[transcript])
            text, note = read_transcript_file(text_path, base) if text_path.exists() else (None, None)
            if text is None:
                no_text.append(str(text_path))
            speaker = wav.parent.parent.name
            candidates.append(
                clip_record(
                    f"libritts_{utt}",
                    wav,
                    "speech",
                    "libritts",
                    root=base,
                    duration_s=duration,
                    transcript=text,
                    labels=f"speaker={speaker}",
                    source=f"LibriTTS {subset_dir.name}",
                    licence=licences.LIBRITTS,
                    notes=[note],
                )
            )
    if not candidates:
        raise DatasetError(
            f"{base}: none of {total} LibriTTS utterances lies within [{min_duration_s}, {max_duration_s}] s"
        )
    report_missing(f"{base}: LibriTTS {transcript} transcripts", no_text, len(candidates))
    return deterministic_sample(candidates, num_clips, seed, key=lambda c: c.clip_id)
