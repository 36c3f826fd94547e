"""A plain folder of audio files (searched recursively), all of one domain.

Optional transcripts come from a sidecar text file beside each audio file: `<name>.txt`
(or `<name>.normalized.txt`, LibriTTS style).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.datasets.base import DOMAINS, Clip, DatasetError
from benchmarks.datasets.common import (
    AUDIO_EXTENSIONS,
    as_tuple,
    audio_duration_s,
    deterministic_sample,
    find_audio_files,
    report_missing,
    require_dir,
)

__all__ = ["load_folder"]

_SIDECARS = (".txt", ".normalized.txt")


def _sidecar_text(audio: Path) -> str | None:
    for suffix in _SIDECARS:
        path = audio.with_name(audio.stem + suffix)
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    return None


def load_folder(
    root: str | Path | None = None,
    domain: str | None = None,
    extensions: str | list[str] = AUDIO_EXTENSIONS,
    recursive: bool = True,
    transcripts: bool = True,
    labels: str | list[str] | None = None,
    num_clips: int | None = None,
    seed: int = 0,
    source: str = "",
    licence: str = "",
    dataset: str = "folder",
) -> list[Clip]:
    """Every audio file under `root` as a clip (clip_id = relative path without extension).

    Args:
        root: the folder.
        domain: "speech", "sound" or "music" (required: a folder does not say).
        extensions: file extensions to take (default wav, flac, ogg, mp3).
        recursive: search sub-folders.
        transcripts: read `<name>.txt` sidecars as transcripts (missing ones are reported for speech).
        labels: labels given to every clip.
        num_clips, seed: seeded random draw (None = all).
        source, licence, dataset: recorded in each clip.
    """
    if domain not in DOMAINS:
        raise DatasetError(f"folder dataset needs domain= one of {DOMAINS}, got {domain!r}")
    exts = as_tuple(extensions)
    base = require_dir(root, f"audio files ({', '.join(exts)})")
    files = find_audio_files(base, exts, recursive)
    if not files:
        where = "under" if recursive else "directly in"
        raise DatasetError(f"{base}: no audio files ({', '.join(exts)}) {where} this folder")
    clips: list[Clip] = []
    no_text: list[str] = []
    for path in files:
        text = _sidecar_text(path) if transcripts else None
        if transcripts and text is None:
            no_text.append(path.name)
        clip_id = path.relative_to(base).with_suffix("").as_posix()
        clips.append(
            Clip(
                clip_id=clip_id,
                path=str(path),
                domain=domain,
                dataset=dataset,
                duration_s=None if (d := audio_duration_s(path)) is None else round(d, 6),
                transcript=text,
                labels=as_tuple(labels),
                source=source or f"folder {base.name}",
                licence=licence,
            )
        )
    if domain == "speech" and transcripts and len(no_text) < len(files):
        report_missing(f"{base}: sidecar .txt transcripts", no_text, len(files))
    return deterministic_sample(clips, num_clips, seed, key=lambda c: c.clip_id)
