"""A plain folder of audio files (searched recursively), all of one domain.

Optional transcripts come from a sidecar text file beside each audio file: `<name>.txt`
(or `<name>.normalized.txt`, LibriTTS style).

Every entry with an audio extension becomes a clip, readable or not: a dangling or looping link, a
directory named ``x.wav``, a FIFO or a link to a file outside the root is a clip whose reading fails
with a per-clip error naming the file (nothing outside the root is opened, nothing hangs; a folder of
links into a larger corpus can be read with `allow_links_outside_root=True`, each such clip then
carrying a note naming its target). Two files
that share a clip id (``sound.mp3`` and ``sound.ogg``) become one clip whose error names both. A
transcript that is not UTF-8 is a per-clip note, and the clip has no transcript.
"""

from __future__ import annotations

import os
from pathlib import Path

from baselines.audio_io import AUDIO_EXTENSIONS
from benchmarks.datasets.base import DOMAINS, Clip, DatasetError
from benchmarks.datasets.files import list_audio_entries, read_transcript_file, require_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import as_tuple, deterministic_sample, report_missing

__all__ = ["load_folder"]

_SIDECARS = (".txt", ".normalized.txt")


def _sidecar_text(audio: Path, root: Path) -> tuple[str | None, str | None]:
    """(transcript, note) from the first sidecar beside `audio` that exists (links count, even broken)."""
    for suffix in _SIDECARS:
        path = audio.with_name(audio.stem + suffix)
        if path.exists() or path.is_symlink():
            return read_transcript_file(path, root)
    return None, None


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
    allow_links_outside_root: bool = False,
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
        allow_links_outside_root: read files that are symbolic links to audio outside `root` (each
            such clip gets a note naming the target); by default they are per-clip errors.
    """
    if domain not in DOMAINS:
        raise DatasetError(f"folder dataset needs domain= one of {DOMAINS}, got {domain!r}")
    exts = as_tuple(extensions)
    base = require_dir(root, f"audio files ({', '.join(exts)})")
    entries = list_audio_entries(base, exts, recursive)
    if not entries:
        where = "under" if recursive else "directly in"
        raise DatasetError(f"{base}: no audio files ({', '.join(exts)}) {where} this folder")
    by_id: dict[str, list[Path]] = {}
    for path in entries:
        by_id.setdefault(path.relative_to(base).with_suffix("").as_posix(), []).append(path)
    clips: list[Clip] = []
    no_text: list[str] = []
    for clip_id, paths in by_id.items():
        path = paths[0]
        error = None
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            error = f"{len(paths)} files share the clip id {clip_id!r} ({names}); rename all but one"
        clip_root: str | None = str(base)
        notes: list[str] = []
        target = Path(os.path.realpath(path))
        if allow_links_outside_root and not target.is_relative_to(base):
            clip_root = None
            notes.append(f"symbolic link to {target}, outside the root {base} (allow_links_outside_root)")
        text, note = _sidecar_text(path, base) if transcripts else (None, None)
        if note:
            notes.append(note)
        if transcripts and text is None:
            no_text.append(path.name)
        clips.append(
            clip_record(
                clip_id,
                path,
                domain,
                dataset,
                root=clip_root,
                transcript=text,
                labels=labels,
                source=source or f"folder {base.name}",
                licence=licence,
                notes=notes,
                error=error,
            )
        )
    if domain == "speech" and transcripts and len(no_text) < len(clips):
        report_missing(f"{base}: sidecar .txt transcripts", no_text, len(clips))
    return deterministic_sample(clips, num_clips, seed, key=lambda c: c.clip_id)
