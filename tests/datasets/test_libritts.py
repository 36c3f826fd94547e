"""LibriTTS loader on a small tree in the official layout, written by the test."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from benchmarks.datasets import DatasetError, load_dataset
from benchmarks.datasets.libritts import load_libritts
from tests.datasets._audio import write_wav


def _utt(root: Path, subset: str, spk: str, chapter: str, idx: int, seconds: float, text: str | None) -> str:
    utt = f"{spk}_{chapter}_{idx:06d}_000000"
    folder = root / subset / spk / chapter
    write_wav(folder / f"{utt}.wav", seconds)
    if text is not None:
        (folder / f"{utt}.normalized.txt").write_text(text + "\n", encoding="utf-8")
        (folder / f"{utt}.original.txt").write_text(text.upper(), encoding="utf-8")
    return utt


@pytest.fixture
def libritts_root(tmp_path: Path) -> Path:
    root = tmp_path / "LibriTTS"
    durations = [3.0, 8.2, 8.9, 9.4, 9.9, 10.6, 8.5, 9.1, 9.6, 8.05]
    for i, seconds in enumerate(durations):
        spk, chapter = ("1089", "134686") if i < 5 else ("121", "127105")
        _utt(root, "test-clean", spk, chapter, i, seconds, f"Sentence number {i}.")
    _utt(root, "test-other", "7000", "1", 0, 9.0, "Other subset.")
    (root / "test-clean" / "README.txt").write_text("not an utterance")
    return root


def test_duration_filter_transcripts_and_ids(libritts_root: Path) -> None:
    clips = load_libritts(libritts_root, min_duration_s=8.0, max_duration_s=10.0, num_clips=None)
    assert len(clips) == 8  # 3.0 s and 10.6 s are out
    assert all(8.0 <= c.duration_s <= 10.0 for c in clips)
    first = next(c for c in clips if c.clip_id == "libritts_1089_134686_000001_000000")
    assert first.transcript == "Sentence number 1."
    assert first.domain == "speech" and first.labels == ("speaker=1089",)
    assert first.licence == "CC BY 4.0" and "test-clean" in first.source
    assert Path(first.path).is_file()
    original = load_libritts(libritts_root, transcript="original", num_clips=None)
    assert {c.transcript for c in original} >= {"SENTENCE NUMBER 1."}


def test_several_subsets_and_subset_folder_as_root(libritts_root: Path) -> None:
    both = load_libritts(libritts_root, subsets=["test-clean", "test-other"], num_clips=None)
    assert "libritts_7000_1_000000_000000" in {c.clip_id for c in both}
    direct = load_libritts(libritts_root / "test-other", subsets="test-other", num_clips=None)
    assert [c.clip_id for c in direct] == ["libritts_7000_1_000000_000000"]


def test_seeded_sample_is_deterministic(libritts_root: Path) -> None:
    a = load_libritts(libritts_root, num_clips=4, seed=1)
    b = load_libritts(libritts_root, num_clips=4, seed=1)
    assert [c.clip_id for c in a] == [c.clip_id for c in b]
    assert len(a) == 4
    draws = {tuple(c.clip_id for c in load_libritts(libritts_root, num_clips=4, seed=s)) for s in range(6)}
    assert len(draws) > 1  # the seed matters


def test_registered_and_missing_transcripts_reported(libritts_root: Path, caplog) -> None:
    (libritts_root / "test-clean" / "121" / "127105" / "121_127105_000006_000000.normalized.txt").unlink()
    with caplog.at_level(logging.WARNING, logger="benchmarks.datasets"):
        clips = load_dataset("libritts", root=str(libritts_root), num_clips=None)
    assert "1 of 8 missing" in caplog.text and "121_127105_000006_000000.normalized.txt" in caplog.text
    assert sum(c.transcript is None for c in clips) == 1


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="folder not found"):
        load_libritts(tmp_path / "nope")
    with pytest.raises(DatasetError, match="subset folder not found"):
        load_libritts(tmp_path)
    (tmp_path / "test-clean" / "flat").mkdir(parents=True)
    write_wav(tmp_path / "test-clean" / "flat.wav", 9.0)
    with pytest.raises(DatasetError, match=r"<speaker>/<chapter>/<utt>\.wav"):
        load_libritts(tmp_path)
    with pytest.raises(DatasetError, match="no dataset root"):
        load_libritts(None)


def test_nothing_in_range(libritts_root: Path) -> None:
    with pytest.raises(DatasetError, match=r"within \[20"):
        load_libritts(libritts_root, min_duration_s=20, max_duration_s=30)


def test_bad_transcript_and_unreadable_wav_are_per_clip(libritts_root: Path) -> None:
    """A non-UTF-8 transcript is a note of its clip (no crash); an unreadable WAV is kept as a clip whose
    reading fails, instead of aborting the whole dataset."""
    from baselines.audio_io import AudioInputError, load_clip_audio

    folder = libritts_root / "test-clean" / "1089" / "134686"
    (folder / "1089_134686_000001_000000.normalized.txt").write_bytes("na\xefve".encode("latin-1"))
    (folder / "1089_134686_000002_000000.wav").write_bytes(b"RIFF0000WAVEjunk")
    clips = {c.clip_id: c for c in load_libritts(libritts_root, min_duration_s=8.0, max_duration_s=10.0)}
    bad_text = clips["libritts_1089_134686_000001_000000"]
    assert bad_text.transcript is None and "000001_000000.normalized.txt is not UTF-8" in bad_text.notes[0]
    broken = clips["libritts_1089_134686_000002_000000"]
    assert broken.duration_s is None
    with pytest.raises(AudioInputError, match="unreadable audio"):
        load_clip_audio(broken, 16_000)
