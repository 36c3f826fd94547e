"""Reads stay inside declared roots, and names are names (never paths out, never glob patterns).

Covers: system names and absolute paths in a systems table, manifest paths that lead out of the
manifest's folder, clip ids used as patterns, links out of a system folder, the shipped demo systems
table (with a user's file overriding it), padding notes through a run, and duplicate-id messages.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf
import torch

from baselines.audio_io import AudioInputError, load_clip_audio
from baselines.base import CodecUnavailable
from baselines.precomputed import PrecomputedCodec, PrecomputedOutputMissing, precomputed_specs
from baselines.system import ClipAudio
from benchmarks.datasets.base import Clip, DatasetError, check_unique_ids, read_manifest
from benchmarks.datasets.demo import SHIPPED_SYSTEMS_CSV, demo_systems_table
from benchmarks.run import main
from tests.conftest import harmonic_tone

SR = 16_000


def _wav(path: Path, seconds: float = 1.0, f0_hz: float = 220.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), harmonic_tone(seconds, SR, f0_hz=f0_hz), SR)
    return path


def _cli(tmp_path: Path, *args: str) -> int:
    return main([*args, f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}",
                 "progress=false", "report.plots=false"])


def test_system_names_leading_out_of_the_root_are_refused(tmp_path):
    root, outside = tmp_path / "outputs", tmp_path / "outside_sys"
    _wav(root / "sys_ok" / "clip1.wav")
    _wav(outside / "clip1.wav", f0_hz=330.0)
    (root / "systems.csv").write_text(
        "system,codec,nominal_kbps\n"
        "sys_ok,ok,1.0\n"
        "../outside_sys,out,1.0\n"
        f"{outside},abs,1.0\n"
    )
    specs = {s.kwargs["system"]: s for s in precomputed_specs(root, root / "systems.csv", prefix="p")}
    PrecomputedCodec.check_available(**specs["sys_ok"].kwargs)
    for bad in ("../outside_sys", str(outside)):
        with pytest.raises(CodecUnavailable, match="not a plain folder name") as info:
            PrecomputedCodec(**specs[bad].kwargs)
        assert bad in str(info.value)
    # Through a run: the bad systems are reported unavailable, never read or scored.
    _wav(tmp_path / "clips" / "clip1.wav")
    code = _cli(tmp_path, "--codecs", "precomputed:*", "--datasets", "folder", "--metrics", "mel_distance",
                f"dataset.folder.root={tmp_path / 'clips'}", "dataset.folder.domain=sound", "name=sys",
                f"precomputed.root={root}", f"precomputed.systems_csv={root / 'systems.csv'}")
    assert code == 0
    with sqlite3.connect(tmp_path / "results" / "sys" / "store.sqlite") as db:
        codecs = {row[0] for row in db.execute("SELECT codec FROM reconstructions")}
    assert codecs == {"precomputed:sys_ok"}
    unavailable = pd.read_csv(tmp_path / "results" / "sys" / "unavailable.csv")
    assert set(unavailable["name"]) == {"precomputed:../outside_sys", f"precomputed:{outside}"}


def test_manifest_paths_leading_out_of_its_folder_are_refused(tmp_path):
    folder = tmp_path / "corpus"
    _wav(folder / "a.wav")
    outside = _wav(tmp_path / "outside.wav")
    (folder / "manifest.csv").write_text(
        "clip_id,path,domain,dataset\n"
        "a,a.wav,sound,m\n"
        "passwd,../../../../etc/passwd,sound,m\n"
        "up,../outside.wav,sound,m\n"
        f"abs,{outside},sound,m\n"
    )
    clips = {c.clip_id: c for c in read_manifest(folder / "manifest.csv")}
    assert len(load_clip_audio(clips["a"], SR).waveform) == SR
    for clip_id in ("passwd", "up", "abs"):
        with pytest.raises(AudioInputError, match="outside the declared root") as info:
            load_clip_audio(clips[clip_id], SR)
        assert str(folder) in str(info.value)


def test_clip_ids_are_names_not_patterns(tmp_path):
    system = tmp_path / "outputs" / "sys"
    _wav(system / "clipB.wav")
    codec = PrecomputedCodec(folder=str(system), nominal_bitrate_kbps=1.0, system="sys")
    reference = torch.zeros(SR)
    for pattern in ("clip*", "clip?", "[c]lipB", "clip[A-Z]"):
        with pytest.raises(PrecomputedOutputMissing, match="no reconstruction"):
            codec.reconstruct(ClipAudio(pattern, reference, SR))
    _wav(system / "clip*.wav", 0.5)  # a file literally named so is found, and only it
    assert codec.output_path("clip*").name == "clip*.wav"
    with pytest.raises(AudioInputError, match="not a relative name"):
        codec.reconstruct(ClipAudio("../sys/clipB", reference, SR))
    outside = _wav(tmp_path / "elsewhere.wav")
    os.symlink(outside, system / "linked.wav")
    with pytest.raises(AudioInputError, match="outside the declared root"):
        codec.reconstruct(ClipAudio("linked", reference, SR))


def test_duplicate_clip_ids_are_named_with_their_files(tmp_path, capsys):
    _wav(tmp_path / "clips" / "one.wav")
    code = _cli(tmp_path, "--codecs", "original", "--datasets", "folder,folder", "--metrics", "mel_distance",
                f"dataset.folder.root={tmp_path / 'clips'}", "dataset.folder.domain=sound", "name=dup")
    assert code == 2
    err = capsys.readouterr().err
    assert "duplicate clip ids" in err and "folder/'one'" in err and str(tmp_path / "clips" / "one.wav") in err
    clips = [Clip("x", "/a/x.wav", "sound", "d"), Clip("x", "/b/x.flac", "sound", "d"), Clip("y", "/y", "sound", "d")]
    with pytest.raises(DatasetError, match=r"d/'x' \(/a/x.wav, /b/x.flac\)") as info:
        check_unique_ids(clips)
    assert "'y'" not in str(info.value)


SPEECH = ("libritts_1089_134686_000009_000006", "libritts_121_127105_000044_000001")


def _small_demo(demo_dir: Path, dest: Path, systems: tuple[str, ...]) -> Path:
    """A copy of two demo speech clips and their reconstructions, without the folder's systems.csv."""
    for folder in ("groundtruth", *systems):
        (dest / folder).mkdir(parents=True)
        for clip in SPEECH:
            shutil.copy(demo_dir / folder / f"{clip}.flac", dest / folder / f"{clip}.flac")
    return dest


@pytest.mark.shared
def test_demo_systems_table_ships_with_the_package(tmp_path, demo_dir):
    assert SHIPPED_SYSTEMS_CSV.read_text() == (demo_dir / "systems.csv").read_text()
    demo = _small_demo(demo_dir, tmp_path / "demo", ("descript_codec_6kbps", "hifi-codec-2kbps"))
    systems = {s.kwargs["system"]: s for s in precomputed_specs(demo, demo_systems_table(demo))}
    assert systems["descript_codec_6kbps"].nominal_bitrate_kbps == 6.0
    assert systems["hifi-codec-2kbps"].family == "hificodec_16k_320d"
    code = _cli(tmp_path, "--codecs", "demo:*", "--datasets", "demo", "--metrics", "mel_distance",
                f"dataset.demo.root={demo}", "name=demo")
    assert code == 0
    out = tmp_path / "results" / "demo"
    table = pd.read_csv(out / "table_ii.csv").set_index("codec")
    assert table.loc["demo:descript_codec_6kbps", "speech/mel_distance/paper"] == pytest.approx(2.79)
    assert table.loc["demo:hifi-codec-2kbps", "speech/mel_distance/paper"] == pytest.approx(3.93)
    # Issue 8.15: the HiFi-Codec outputs are 160 samples short; the padding is a note of each clip.
    with sqlite3.connect(out / "store.sqlite") as db:
        notes = dict(db.execute("SELECT clip_id, notes FROM reconstructions WHERE codec='demo:hifi-codec-2kbps'"))
    for clip in SPEECH:
        assert "160 samples (10.0 ms) shorter than the reference: padded with silence" in notes[clip]


@pytest.mark.shared
def test_a_demo_folder_systems_csv_overrides_the_shipped_one(tmp_path, demo_dir, capsys):
    demo = _small_demo(demo_dir, tmp_path / "demo", ("descript_codec_6kbps",))
    (demo / "systems.csv").write_text("system,codec,nominal_kbps\ndescript_codec_6kbps,mydac,5.5\n")
    assert main(["--list", "--datasets", "demo", f"dataset.demo.root={demo}"]) == 0
    listing = capsys.readouterr().out
    line = next(row for row in listing.splitlines() if "demo:descript_codec_6kbps" in row)
    assert re.search(r"\b5\.50*\s*kbps", line), line
    assert "demo:hifi-codec-2kbps" not in listing
