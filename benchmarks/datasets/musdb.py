"""MUSDB18 / MUSDB18-HQ: one non-silent segment per track and stem (the paper's protocol).

Layouts:
- HQ (WAV): `<root>/<subset>/<track>/{mixture,vocals,drums,bass,other}.wav`. Clips point into these
  files through `offset_s` / `duration_s`.
- Stems (`.stem.mp4`, the original MUSDB18): `<root>/<subset>/<track>.stem.mp4`, five AAC streams in the
  order mixture, drums, bass, other, vocals. Streams are read with `stempeg` (extra `musdb`), which runs
  the `ffmpeg` / `ffprobe` command-line tools (Debian package `ffmpeg`) locally, and only the chosen
  segment is written, as 16-bit WAV, into `cache_dir`; clips point at those files.

Segment choice: candidate starts on a `hop_s` grid; a candidate is non-silent when at least
`min_active_fraction` of its 100 ms frames have an RMS above `silence_db` dBFS. The start is drawn from the
non-silent candidates with `random.Random(f"{seed}:{track}:{stem}")`, so it is reproducible and
independent of which other tracks are present. A stem with no non-silent window is skipped with a warning.
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.datasets import licences
from benchmarks.datasets.base import Clip, DatasetError, logger
from benchmarks.datasets.files import require_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import as_tuple

__all__ = ["STEMS", "STEM_STREAMS", "choose_segment", "load_musdb18"]

STEMS: tuple[str, ...] = ("mixture", "vocals", "drums", "bass", "other")
#: Stream index of each source inside a `.stem.mp4` file (MUSDB18 / NI Stems order).
STEM_STREAMS: dict[str, int] = {"mixture": 0, "drums": 1, "bass": 2, "other": 3, "vocals": 4}
LAYOUT = "<root>/<subset>/<track>/{mixture,vocals,drums,bass,other}.wav or <root>/<subset>/<track>.stem.mp4"
_FRAME_S = 0.1


def choose_segment(
    mono: np.ndarray,
    sample_rate: int,
    rng: random.Random,
    segment_s: float = 10.0,
    hop_s: float = 0.5,
    silence_db: float = -50.0,
    min_active_fraction: float = 0.5,
) -> float | None:
    """Start (s) of a random non-silent `segment_s` window of `mono` (ndarray[T]), or None if none.

    A track shorter than `segment_s` yields start 0.0 when it is non-silent itself.
    """
    frame = max(1, round(_FRAME_S * sample_rate))
    n_frames = len(mono) // frame
    if n_frames == 0:
        return None
    rms = np.sqrt(np.mean(mono[: n_frames * frame].astype(np.float64).reshape(n_frames, frame) ** 2, axis=1))
    active = (20 * np.log10(rms + 1e-12) > silence_db).astype(np.float64)
    win = max(1, round(segment_s / _FRAME_S))
    if n_frames <= win:
        return 0.0 if active.mean() >= min_active_fraction else None
    csum = np.concatenate([[0.0], np.cumsum(active)])
    hop = max(1, round(hop_s / _FRAME_S))
    starts = np.arange(0, n_frames - win + 1, hop)
    fractions = (csum[starts + win] - csum[starts]) / win
    good = starts[fractions >= min_active_fraction]
    if len(good) == 0:
        return None
    return round(int(rng.choice(list(good))) * frame / sample_rate, 6)


def _stem_streams(path: Path) -> list[tuple[int, int]]:
    """(sample rate, channels) of each audio stream of a .stem.mp4, read by `stempeg` (ffprobe)."""
    import stempeg

    try:
        info = stempeg.Info(str(path))
    except Exception as exc:  # noqa: BLE001 - stempeg raises ffmpeg's and its own errors
        raise DatasetError(f"{path}: ffprobe cannot read it ({str(exc).strip()[:200]})") from None
    return [(int(info.sample_rate(i)), int(info.channels(i))) for i in range(info.nb_audio_streams)]


def _decode_stream(path: Path, stream: int, sample_rate: int) -> np.ndarray:
    """Decode audio stream `stream` of `path` with `stempeg` (ffmpeg): float32 ndarray[T x C]."""
    import stempeg

    try:
        audio, _ = stempeg.read_stems(str(path), stem_id=stream, sample_rate=sample_rate, dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - stempeg raises ffmpeg's and its own errors
        raise DatasetError(f"{path}: ffmpeg cannot decode stream {stream} ({str(exc).strip()[:200]})") from None
    return np.asarray(audio, dtype=np.float32).reshape(audio.shape[0], -1)


def _track_dirs(subset_dir: Path) -> list[Path]:
    return sorted(d for d in subset_dir.iterdir() if d.is_dir() and (d / "mixture.wav").is_file())


def load_musdb18(
    root: str | Path | None = None,
    subset: str = "test",
    stems: str | list[str] = STEMS,
    segment_s: float = 10.0,
    seed: int = 0,
    silence_db: float = -50.0,
    min_active_fraction: float = 0.5,
    num_tracks: int | None = None,
    cache_dir: str | Path | None = None,
) -> list[Clip]:
    """One non-silent `segment_s` segment per track and stem (clip_id `musdb_<track>_<stem>`).

    Args:
        root: MUSDB18 folder holding `<subset>/` (or the subset folder itself).
        subset: "test" (the paper) or "train".
        stems: which of mixture/vocals/drums/bass/other.
        segment_s, seed, silence_db, min_active_fraction: segment choice (see module docstring).
        num_tracks: only the first N tracks in name order (quick runs).
        cache_dir: where `.stem.mp4` segments and the HQ layout's chosen segment starts are cached
            (keyed by file size, mtime and the parameters); default `data/musdb18_segments` under
            the working directory.
    """
    base = require_dir(root, LAYOUT)
    subset_dir = base / subset if (base / subset).is_dir() else base if base.name == subset else None
    if subset_dir is None:
        raise DatasetError(f"{base / subset}: MUSDB18 subset folder not found; expected {LAYOUT}")
    wanted = as_tuple(stems)
    unknown = [s for s in wanted if s not in STEMS]
    if unknown:
        raise DatasetError(f"unknown MUSDB18 stems {unknown}; choose from {list(STEMS)}")

    track_dirs = _track_dirs(subset_dir)
    stem_files = sorted(subset_dir.glob("*.stem.mp4"))
    if not track_dirs and not stem_files:
        raise DatasetError(f"{subset_dir}: no MUSDB18 tracks found; expected {LAYOUT}")
    clips: list[Clip] = []
    out_dir = Path(cache_dir) if cache_dir else Path.cwd() / "data" / "musdb18_segments"
    if track_dirs:
        cache = out_dir / "hq_segment_choices.json"
        try:
            choices = json.loads(cache.read_text()) if cache.is_file() else {}
        except ValueError:
            choices = {}
        before = dict(choices)
        for track_dir in track_dirs[:num_tracks]:
            clips += _hq_track(
                track_dir, subset, wanted, segment_s, seed, silence_db, min_active_fraction, choices
            )
        if choices != before:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(choices, indent=0))
    else:
        if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
            raise DatasetError(
                f"{subset_dir}: reading .stem.mp4 files needs ffmpeg and ffprobe on PATH "
                "(Debian: apt-get install ffmpeg), or convert the set to the HQ WAV layout"
            )
        if importlib.util.find_spec("stempeg") is None:
            raise DatasetError(
                f"{subset_dir}: reading .stem.mp4 files needs the Python package stempeg "
                "(pip install stempeg==0.2.6, extra `musdb`), or convert the set to the HQ WAV layout"
            )
        for stem_file in stem_files[:num_tracks]:
            clips += _stem_mp4_track(
                stem_file, subset, wanted, segment_s, seed, silence_db, min_active_fraction, out_dir
            )
    if not clips:
        raise DatasetError(f"{subset_dir}: every stem of every track is silent under the threshold")
    return clips


def _clip(
    track: str, stem: str, path: Path, offset_s: float, duration_s: float, subset: str, src: str
) -> Clip:
    return clip_record(
        f"musdb_{track}_{stem}",
        path,
        "music",
        "musdb18",
        duration_s=duration_s,
        offset_s=offset_s,
        labels=stem,
        source=f"MUSDB18 {subset}: {src}",
        licence=licences.MUSDB18,
    )


def _hq_track(
    track_dir, subset, wanted, segment_s, seed, silence_db, min_active_fraction, choices: dict
) -> list[Clip]:
    """Clips of one HQ track; `choices` caches segment starts keyed by file identity and parameters."""
    clips = []
    for stem in wanted:
        path = track_dir / f"{stem}.wav"
        if not path.is_file():
            raise DatasetError(f"{path}: stem file missing; expected {LAYOUT}")
        stat = path.stat()
        key = (
            f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{seed}|{segment_s}|{silence_db}|{min_active_fraction}"
        )
        if key not in choices:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
            rng = random.Random(f"{seed}:{track_dir.name}:{stem}")
            start = choose_segment(
                data.mean(axis=1),
                rate,
                rng,
                segment_s,
                silence_db=silence_db,
                min_active_fraction=min_active_fraction,
            )
            length_s = data.shape[0] / rate
            choices[key] = None if start is None else [start, min(segment_s, length_s - start)]
        if choices[key] is None:
            logger.warning("%s: no non-silent %.1f s segment; skipped", path, segment_s)
            continue
        start, duration = choices[key]
        clips.append(
            _clip(track_dir.name, stem, path, start, duration, subset, f"{track_dir.name}/{stem}.wav")
        )
    return clips


def _stem_mp4_track(stem_file, subset, wanted, segment_s, seed, silence_db, min_active_fraction, out_dir):
    track = stem_file.name[: -len(".stem.mp4")]
    streams = _stem_streams(stem_file)
    if len(streams) < len(STEM_STREAMS):
        raise DatasetError(
            f"{stem_file}: {len(streams)} audio streams; a MUSDB18 .stem.mp4 has 5 "
            "(mixture, drums, bass, other, vocals)"
        )
    clips = []
    for stem in wanted:
        index = STEM_STREAMS[stem]
        rate = streams[index][0]
        rng = random.Random(f"{seed}:{track}:{stem}")
        out = out_dir / subset / track / f"{stem}_seed{seed}_{segment_s:g}s.wav"
        meta_path = out.with_suffix(".json")
        key = {
            "source": str(stem_file),
            "size": stem_file.stat().st_size,
            "stream": index,
            "seed": seed,
            "segment_s": segment_s,
            "silence_db": silence_db,
            "min_active_fraction": min_active_fraction,
        }
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() and out.is_file() else {}
        if meta.get("key") == key:
            start, duration = meta["offset_s"], meta["duration_s"]
        else:
            data = _decode_stream(stem_file, index, rate)
            start = choose_segment(
                data.mean(axis=1),
                rate,
                rng,
                segment_s,
                silence_db=silence_db,
                min_active_fraction=min_active_fraction,
            )
            if start is None:
                logger.warning(
                    "%s stream %d (%s): no non-silent %.1f s segment; skipped",
                    stem_file,
                    index,
                    stem,
                    segment_s,
                )
                continue
            a = round(start * rate)
            segment = data[a : a + round(segment_s * rate)]
            duration = segment.shape[0] / rate
            out.parent.mkdir(parents=True, exist_ok=True)
            sf.write(str(out), segment, rate, subtype="PCM_16")
            meta_path.write_text(json.dumps({"key": key, "offset_s": start, "duration_s": duration}))
        src = f"{stem_file.name} stream {index} ({stem}) at {start:.2f} s"
        clips.append(_clip(track, stem, out, 0.0, duration, subset, src))
    return clips
