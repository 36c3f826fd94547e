"""Reading a dataset clip's audio (the file reader itself lives in `baselines.audio_io`)."""

from __future__ import annotations

from baselines.audio_io import (
    MAX_DURATION_S,
    MIN_DURATION_S,
    AudioInputError,
    LoadedAudio,
    load_audio,
)

__all__ = ["MAX_DURATION_S", "MIN_DURATION_S", "AudioInputError", "LoadedAudio", "load_audio", "load_clip_audio"]


def load_clip_audio(clip, sample_rate: int | None = None, max_duration_s: float = MAX_DURATION_S) -> LoadedAudio:
    """Read a `benchmarks.datasets.Clip`: honours its offset and duration, reads only inside its root,
    raises the loader's per-clip error (`clip.error`) and adds the loader's notes (`clip.notes`).

    Raises:
        AudioInputError: naming the file and what is wrong.
    """
    if clip.error:
        raise AudioInputError(clip.path, clip.error)
    loaded = load_audio(
        clip.path,
        offset_s=clip.offset_s,
        duration_s=clip.duration_s,
        sample_rate=sample_rate,
        max_duration_s=max_duration_s,
        root=clip.root,
    )
    loaded.notes[:0] = list(clip.notes)
    return loaded
