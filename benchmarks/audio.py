"""Reading a dataset clip's audio (the file reader itself lives in `baselines.audio_io`)."""

from __future__ import annotations

from baselines.audio_io import MIN_DURATION_S, AudioInputError, LoadedAudio, load_audio

__all__ = ["AudioInputError", "LoadedAudio", "load_audio", "load_clip_audio", "MIN_DURATION_S"]


def load_clip_audio(clip, sample_rate: int | None = None) -> LoadedAudio:
    """Read a `benchmarks.datasets.Clip` (honours its offset and duration)."""
    return load_audio(
        clip.path,
        offset_s=clip.offset_s,
        duration_s=clip.duration_s,
        sample_rate=sample_rate,
    )
