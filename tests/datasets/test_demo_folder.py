"""Demo-page loader (shared demo clips and test-written layouts) and the plain-folder loader."""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from baselines.audio_io import load_clip_audio
from baselines.precomputed import PrecomputedCodec, PrecomputedOutputMissing, precomputed_specs
from benchmarks.datasets import DatasetError, load_dataset
from benchmarks.datasets.demo import demo_systems_table, load_demo
from benchmarks.datasets.folder import load_folder
from tests.datasets._audio import write_wav


@pytest.mark.shared
def test_demo_on_the_shared_demo_folder(demo_dir: Path) -> None:
    clips = load_dataset("demo", root=str(demo_dir))
    assert len(clips) == 105
    assert Counter(c.domain for c in clips) == {"sound": 50, "speech": 30, "music": 25}
    assert all(c.duration_s and 6.0 <= c.duration_s <= 10.01 for c in clips)
    music = [c for c in clips if c.domain == "music"]
    assert {c.labels[0] for c in music} == {"mixture", "vocals", "drums", "bass", "other"}
    clip = next(c for c in clips if c.clip_id == "libritts_1089_134686_000009_000006")
    audio = load_clip_audio(clip)
    assert audio.sample_rate == 16000 and len(audio.waveform) == pytest.approx(9.81 * 16000, abs=160)
    speech = load_demo(demo_dir, domains=["speech"], num_clips=5, seed=2)
    assert len(speech) == 5 and speech == load_demo(demo_dir, domains=["speech"], num_clips=5, seed=2)


@pytest.mark.shared
def test_demo_systems_on_the_shared_demo_folder(demo_dir: Path) -> None:
    table = demo_systems_table(demo_dir)
    systems = {s.kwargs["system"]: s for s in precomputed_specs(demo_dir, table)}
    assert len(systems) == 11 and "groundtruth" not in systems
    sc = systems["semanticodec_0_71_kbps"]
    with open(table, newline="", encoding="utf-8") as handle:
        tokens_per_s = {row["system"]: float(row["tokens_per_s"] or "nan") for row in csv.DictReader(handle)}
    assert (sc.family, sc.nominal_bitrate_kbps, tokens_per_s[sc.kwargs["system"]]) == ("semanticodec", 0.7, 50.0)
    assert systems["descript_codec_0_71kbps"].nominal_bitrate_kbps == 0.78  # the paper's figure, not the folder's
    refs = {c.clip_id for c in load_demo(demo_dir, domains="speech")}
    for system in systems.values():
        stems = {p.stem for p in Path(system.kwargs["folder"]).iterdir()}
        assert stems == refs, system.name  # every reconstruction has its reference
        path = PrecomputedCodec(**system.kwargs).output_path("libritts_1089_134686_000009_000006")
        assert path is not None and path.suffix == ".flac"
    with pytest.raises(PrecomputedOutputMissing):  # only speech was reconstructed
        PrecomputedCodec(**sc.kwargs).output_path("audioset_Y-XwtCzUaN1I")
    with_reference = precomputed_specs(demo_dir, table, include_references=True)
    assert "groundtruth" in {s.kwargs["system"] for s in with_reference}


def test_demo_flat_folder_and_transcripts(tmp_path: Path) -> None:
    write_wav(tmp_path / "libritts_1_2_000001_000000.flac", 2.0, 16000)
    write_wav(tmp_path / "audioset_Yabcdefghijk.wav", 2.0, 16000)
    write_wav(tmp_path / "musdb_3bass.flac", 2.0, 16000)
    write_wav(tmp_path / "unrelated.wav", 2.0, 16000)
    texts = tmp_path / "t.json"
    texts.write_text(json.dumps({"libritts_1_2_000001_000000.wav": "Hello there."}))
    clips = load_demo(tmp_path, transcripts_json=texts)
    assert [(c.clip_id, c.domain) for c in clips] == [
        ("audioset_Yabcdefghijk", "sound"),
        ("libritts_1_2_000001_000000", "speech"),
        ("musdb_3bass", "music"),
    ]
    assert clips[1].transcript == "Hello there." and clips[2].labels == ("bass",)


def test_demo_download_through_a_listing(tmp_path: Path) -> None:
    src = tmp_path / "remote"
    names = ["libritts_1_2_000001_000000.wav", "musdb_3vocals.wav"]
    for name in names:
        write_wav(src / name, 1.0, 16000)
    listing = tmp_path / "listing.json"
    entries = [{"name": n, "download_url": (src / n).as_uri()} for n in names] + [{"name": "README.md"}]
    listing.write_text(json.dumps(entries))
    root = tmp_path / "demo"
    clips = load_demo(root, download=True, listing_url=listing.as_uri())
    assert [c.clip_id for c in clips] == ["libritts_1_2_000001_000000", "musdb_3vocals"]
    assert (root / "groundtruth" / names[0]).is_file()


def test_demo_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="haoheliu/SemantiCodec"):
        load_demo(tmp_path / "absent")
    with pytest.raises(DatasetError, match="no demo clips"):
        load_demo(tmp_path)
    (tmp_path / "groundtruth").mkdir()
    write_wav(tmp_path / "groundtruth" / "libritts_1_2_3_4.wav", 1.0)
    (tmp_path / "manifest.csv").write_text("system,clip,domain\ngroundtruth,libritts_1_2_3_4,poetry\n")
    with pytest.raises(DatasetError, match="unknown domain 'poetry'"):
        load_demo(tmp_path)
    with pytest.raises(DatasetError, match="cannot list the demo clips"):
        load_demo(tmp_path / "x", download=True, listing_url=(tmp_path / "none.json").as_uri())


def test_folder_recursive_with_sidecar_transcripts(tmp_path: Path, caplog) -> None:
    write_wav(tmp_path / "a" / "one.wav", 1.0)
    (tmp_path / "a" / "one.txt").write_text("first clip\n")
    write_wav(tmp_path / "a" / "b" / "two.flac", 1.5)
    write_wav(tmp_path / "three.ogg", 0.5)
    (tmp_path / "ignored.txt").write_text("x")
    with caplog.at_level(logging.WARNING, logger="benchmarks.datasets"):
        clips = load_folder(tmp_path, domain="speech", licence="CC0", labels="mine")
    assert [(c.clip_id, c.transcript) for c in clips] == [
        ("a/b/two", None),
        ("a/one", "first clip"),
        ("three", None),
    ]
    assert [c.duration_s for c in clips] == [1.5, 1.0, 0.5]
    assert all(c.licence == "CC0" and c.labels == ("mine",) and c.dataset == "folder" for c in clips)
    assert "2 of 3 missing" in caplog.text
    flat = load_dataset("folder", root=str(tmp_path), domain="sound", recursive=False, extensions=["ogg"])
    assert [c.clip_id for c in flat] == ["three"]
    sample = load_folder(tmp_path, domain="music", num_clips=2, seed=5)
    assert sample == load_folder(tmp_path, domain="music", num_clips=2, seed=5) and len(sample) == 2


def test_folder_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="domain"):
        load_folder(tmp_path)
    with pytest.raises(DatasetError, match="no audio files"):
        load_folder(tmp_path, domain="sound")
    with pytest.raises(DatasetError, match="folder not found"):
        load_folder(tmp_path / "absent", domain="sound")
    (tmp_path / "file.wav").write_bytes(b"")
    with pytest.raises(DatasetError, match="not a folder"):
        load_folder(tmp_path / "file.wav", domain="sound")
