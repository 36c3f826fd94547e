"""MUSDB18 loader: HQ WAV layout and `.stem.mp4` layout (made with ffmpeg), both written by the test."""

from __future__ import annotations

import logging
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.audio_io import load_clip_audio
from benchmarks.datasets import DatasetError, load_dataset
from benchmarks.datasets.musdb import STEM_STREAMS, choose_segment, load_musdb18
from tests.datasets._audio import tone

RATE = 8000
#: A distinct tone per stem, so a test can tell which stream a clip came from.
FREQS = {"mixture": 300.0, "drums": 500.0, "bass": 700.0, "other": 900.0, "vocals": 1100.0}


def _stem_signal(stem: str, seconds: float, silent_until_s: float = 0.0) -> np.ndarray:
    x = tone(seconds, RATE, FREQS[stem])
    x[: int(silent_until_s * RATE)] = 0.0
    return x


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


@pytest.fixture
def hq_root(tmp_path: Path) -> Path:
    root = tmp_path / "musdb18hq"
    for track, seconds in (("Artist A - Song", 12.0), ("Artist B - Tune", 9.0)):
        folder = root / "test" / track
        folder.mkdir(parents=True)
        for stem in FREQS:
            # vocals enter late: a chosen vocals segment must start after the silence
            silent = 5.0 if stem == "vocals" else 0.0
            stereo = np.stack([_stem_signal(stem, seconds, silent)] * 2, axis=1)
            sf.write(str(folder / f"{stem}.wav"), stereo, RATE, subtype="PCM_16")
    return root


def test_hq_one_non_silent_segment_per_stem(hq_root: Path, tmp_path: Path) -> None:
    clips = load_musdb18(hq_root, segment_s=4.0, seed=0, cache_dir=tmp_path)
    assert len(clips) == 10
    assert {c.labels[0] for c in clips} == set(FREQS)
    vocals = [c for c in clips if c.labels == ("vocals",)]
    assert all(c.offset_s >= 5.0 - 4.0 * 0.5 for c in vocals)  # at least half of the window is active
    for clip in clips:
        assert clip.domain == "music" and clip.duration_s == pytest.approx(4.0)
        assert clip.clip_id == f"musdb_{Path(clip.path).parent.name}_{clip.labels[0]}"
        audio = load_clip_audio(clip)
        active = np.sqrt(np.mean(audio.waveform.reshape(-1, RATE // 10) ** 2, axis=1)) > 1e-3
        assert active.mean() >= 0.5


def test_hq_deterministic_per_seed(hq_root: Path, tmp_path: Path) -> None:
    a = [(c.clip_id, c.offset_s) for c in load_musdb18(hq_root, segment_s=4.0, seed=7, cache_dir=tmp_path)]
    b = [
        (c.clip_id, c.offset_s)
        for c in load_dataset(
            "musdb18", root=str(hq_root), segment_s=4.0, seed=7, cache_dir=str(tmp_path / "c2")
        )
    ]
    assert a == b
    offsets = {
        tuple(c.offset_s for c in load_musdb18(hq_root, segment_s=4.0, seed=s, cache_dir=tmp_path))
        for s in range(5)
    }
    assert len(offsets) > 1


def test_silent_stem_is_skipped_with_a_warning(hq_root: Path, tmp_path: Path, caplog) -> None:
    track = hq_root / "test" / "Artist B - Tune"
    sf.write(str(track / "vocals.wav"), np.zeros((9 * RATE, 2), np.float32), RATE)
    with caplog.at_level(logging.WARNING, logger="benchmarks.datasets"):
        clips = load_musdb18(hq_root, segment_s=4.0, cache_dir=tmp_path)
    assert "musdb_Artist B - Tune_vocals" not in {c.clip_id for c in clips}
    assert len(clips) == 9 and "no non-silent" in caplog.text


def test_hq_choices_are_cached(hq_root: Path, tmp_path: Path, monkeypatch) -> None:
    first = load_musdb18(hq_root, segment_s=4.0, cache_dir=tmp_path)
    assert (tmp_path / "hq_segment_choices.json").is_file()

    def no_decoding(*args, **kwargs):
        raise AssertionError("audio decoded although the choice is cached")

    monkeypatch.setattr("benchmarks.datasets.musdb.sf.read", no_decoding)
    assert load_musdb18(hq_root, segment_s=4.0, cache_dir=tmp_path) == first
    with pytest.raises(AssertionError, match="decoded"):  # other parameters -> a new choice
        load_musdb18(hq_root, segment_s=3.0, cache_dir=tmp_path)


def test_choose_segment_edge_cases() -> None:
    rng = random.Random(0)
    assert choose_segment(np.zeros(RATE * 20), RATE, rng, 10.0) is None
    assert choose_segment(tone(3.0, RATE), RATE, rng, 10.0) == 0.0  # shorter than a segment
    x = np.concatenate([np.zeros(RATE * 30), tone(12.0, RATE)])
    starts = {choose_segment(x, RATE, random.Random(s), 10.0) for s in range(20)}
    assert min(starts) >= 25.0 and max(starts) <= 32.0 and len(starts) > 1


def test_bad_layouts(tmp_path: Path, hq_root: Path) -> None:
    with pytest.raises(DatasetError, match="subset folder not found"):
        load_musdb18(tmp_path)
    (tmp_path / "test").mkdir()
    with pytest.raises(DatasetError, match="no MUSDB18 tracks"):
        load_musdb18(tmp_path)
    (hq_root / "test" / "Artist A - Song" / "bass.wav").unlink()
    with pytest.raises(DatasetError, match="bass.wav: stem file missing"):
        load_musdb18(hq_root, cache_dir=tmp_path)
    with pytest.raises(DatasetError, match="unknown MUSDB18 stems"):
        load_musdb18(hq_root, stems=["guitar"])


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (needed to make and read .stem.mp4)"
)
def test_stem_mp4_layout(tmp_path: Path) -> None:
    root, cache = tmp_path / "musdb18", tmp_path / "cache"
    (root / "test").mkdir(parents=True)
    inputs = []
    for stem, index in sorted(STEM_STREAMS.items(), key=lambda kv: kv[1]):
        path = tmp_path / f"{stem}.wav"
        sf.write(
            str(path), np.stack([_stem_signal(stem, 8.0, 3.0 if stem == "vocals" else 0.0)] * 2, 1), RATE
        )
        inputs += ["-i", str(path)]
    maps = [arg for i in range(5) for arg in ("-map", str(i))]
    out = root / "test" / "Band - Track.stem.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, *maps, "-c:a", "aac", "-b:a", "64k", "-f", "mp4", str(out)],
        check=True,
    )
    clips = load_musdb18(root, segment_s=3.0, cache_dir=cache)
    assert len(clips) == 5
    for clip in clips:
        stem = clip.labels[0]
        audio = load_clip_audio(clip)
        assert audio.sample_rate == RATE and clip.duration_s == pytest.approx(3.0, abs=0.01)
        assert abs(_dominant_hz(audio.waveform, RATE) - FREQS[stem]) < 20, stem  # the right stream
        assert f"stream {STEM_STREAMS[stem]} ({stem})" in clip.source
        assert Path(clip.path).is_relative_to(cache)
    vocals = next(c for c in clips if c.labels == ("vocals",))
    start = float(vocals.source.rsplit(" at ", 1)[1].split(" s")[0])
    assert start >= 3.0 - 1.5
    again = load_musdb18(root, segment_s=3.0, cache_dir=cache)  # served from the cache, same choice
    assert [(c.clip_id, c.source) for c in again] == [(c.clip_id, c.source) for c in clips]
