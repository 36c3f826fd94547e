"""AudioSet loader on a clip folder + official-format segment CSV written by the test."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from benchmarks.datasets import DatasetError
from benchmarks.datasets.audioset import load_audioset, read_segments_csv
from tests.datasets._audio import write_wav

SEGMENTS = """\
# Segments csv created Sun Mar  5 10:54:25 2017
# num_ytids=5, num_segs=5, num_unique_labels=4, num_positive_labels=7
# YTID, start_seconds, end_seconds, positive_labels
--4gqARaEJE, 0.000, 10.000, "/m/068hy,/m/07q6cd_"
-0RWZT-miFs, 420.000, 430.000, "/m/03v3yw"
Yzy2cLbB0yE, 30.000, 40.000, "/m/09x0r"
abcdefghijk, 10.000, 20.000, "/m/09x0r,/m/03v3yw"
MISSINGclip, 0.000, 10.000, "/m/09x0r"
"""
LABELS = """index,mid,display_name
0,/m/09x0r,"Speech"
1,/m/068hy,"Domestic animals, pets"
2,/m/07q6cd_,"Squeak"
3,/m/03v3yw,"Keys jangling"
"""


@pytest.fixture
def audioset_root(tmp_path: Path) -> Path:
    root = tmp_path / "audioset"
    (root).mkdir()
    (root / "eval_segments.csv").write_text(SEGMENTS)
    (root / "class_labels_indices.csv").write_text(LABELS)
    write_wav(root / "clips" / "Y--4gqARaEJE.wav", 10.0)  # Y<id>
    write_wav(root / "clips" / "-0RWZT-miFs_420.000.flac", 10.0)  # <id>_<start>
    write_wav(root / "clips" / "audioset_YYzy2cLbB0yE.wav", 10.0)  # the paper's name, id starting with Y
    write_wav(root / "clips" / "abcdefghijk.wav", 25.0)  # whole video audio -> cut at 10-20 s
    write_wav(root / "clips" / "Ynot-in-csv.wav", 10.0)
    return root


def test_matches_names_labels_and_reports_missing(audioset_root: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="benchmarks.datasets"):
        clips = load_audioset(audioset_root)
    by_id = {c.clip_id: c for c in clips}
    assert sorted(by_id) == [
        "audioset_Y--4gqARaEJE",
        "audioset_Y-0RWZT-miFs",
        "audioset_YYzy2cLbB0yE",
        "audioset_Yabcdefghijk",
    ]
    assert by_id["audioset_Y--4gqARaEJE"].labels == ("Domestic animals, pets", "Squeak")
    assert by_id["audioset_Y-0RWZT-miFs"].path.endswith("-0RWZT-miFs_420.000.flac")
    long = by_id["audioset_Yabcdefghijk"]
    assert (long.offset_s, long.duration_s) == (10.0, 10.0)
    assert by_id["audioset_YYzy2cLbB0yE"].offset_s == 0.0
    assert all(c.domain == "sound" for c in clips)
    assert "1 of 5 missing" in caplog.text and "MISSINGclip" in caplog.text


def test_require_all_and_raw_label_ids(audioset_root: Path) -> None:
    with pytest.raises(DatasetError, match="1 of 5 missing"):
        load_audioset(audioset_root, require_all=True)
    (audioset_root / "class_labels_indices.csv").unlink()
    clips = load_audioset(audioset_root)
    assert clips[0].labels == ("/m/068hy", "/m/07q6cd_")


def test_seeded_sample(audioset_root: Path) -> None:
    a = [c.clip_id for c in load_audioset(audioset_root, num_clips=2, seed=3)]
    assert a == [c.clip_id for c in load_audioset(audioset_root, num_clips=2, seed=3)]
    assert len(a) == 2


def test_bad_input(tmp_path: Path, audioset_root: Path) -> None:
    with pytest.raises(DatasetError, match="segment CSV not found"):
        load_audioset(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("# header\nnot,a,segment\n")
    with pytest.raises(DatasetError, match="data row 1"):
        read_segments_csv(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "eval_segments.csv").write_text(SEGMENTS)
    with pytest.raises(DatasetError, match="no audio files"):
        load_audioset(empty)
    nomatch = tmp_path / "nomatch"
    write_wav(nomatch / "unrelated.wav", 1.0)
    (nomatch / "eval_segments.csv").write_text(SEGMENTS)
    with pytest.raises(DatasetError, match="5 of 5 missing"):
        load_audioset(nomatch)
