"""The reconstruction cache: entries keyed by codec fingerprint and clip content, verified on read."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from baselines.precomputed import PrecomputedCodec
from baselines.registry import build_codec
from benchmarks.cache import ReconstructionCache, escape_name
from benchmarks.datasets.base import load_dataset
from benchmarks.metrics import build_metric
from benchmarks.run import main
from benchmarks.runner import Runner
from benchmarks.store import ResultStore
from tests.benchmarks._codecs import SR, QuantCodec, noise, write_tones


def _quant(levels: int) -> QuantCodec:
    codec = QuantCodec(levels=levels)
    codec.name = f"quant@{levels}"
    return codec


def _run(tmp_path: Path, root: Path, name: str, codec, metric: str = "si_sdr", cache: str = "cache"):
    clips = load_dataset("folder", root=str(root), domain="speech")
    store = ResultStore(tmp_path / f"{name}.sqlite")
    runner = Runner(store, ReconstructionCache(tmp_path / cache), SR, progress=False)
    summary = runner.run([codec], {metric: build_metric(metric)}, clips)
    scores = store.scores().set_index("clip_id")
    scores = scores[scores["output"] == metric]["value"]
    recons = store.reconstructions().set_index("clip_id")
    store.close()
    return summary, scores, recons


def test_escaped_names_are_distinct_and_safe():
    names = ["take.v1", "take.v2", "take", "a/b", "a_b", "a b", "..", ".", "%41", "A", "x" * 300, "x" * 299 + "y"]
    escaped = [escape_name(n) for n in names]
    assert len(set(escaped)) == len(names)
    for e in escaped:
        assert "/" not in e and not e.startswith(".") and len(e.encode()) < 200


def test_clip_names_differing_after_their_last_dot_do_not_share_a_cache_file(tmp_path):
    write_tones(tmp_path / "clips", ["take.v1.wav", "take.v2.wav"])
    _, si_sdr, recons = _run(tmp_path, tmp_path / "clips", "s", build_codec("original"))
    assert set(si_sdr.index) == {"take.v1", "take.v2"}
    # The unprocessed clip against itself: SI-SDR of a perfect copy (over 80 dB), never a
    # different take's audio (about -40 dB with the old file naming).
    assert (si_sdr > 60).all(), si_sdr
    assert recons.loc["take.v1", "audio_path"] != recons.loc["take.v2", "audio_path"]


def test_two_folders_with_the_same_file_name_under_different_names_do_not_collide(tmp_path):
    write_tones(tmp_path / "a", ["001.wav"], seed=0)
    write_tones(tmp_path / "b", ["001.wav"], seed=7)
    for folder in ("a", "b"):
        code = main([
            "--codecs", "original", "--datasets", "folder", "--metrics", "si_sdr",
            f"dataset.folder.root={tmp_path / folder}", "dataset.folder.domain=speech",
            f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}", f"name={folder}",
            "progress=false", "report.plots=false",
        ])
        assert code == 0
        with ResultStore(tmp_path / "results" / folder / "store.sqlite") as store:
            assert store.scores()["value"].iloc[0] > 60


def test_replacing_an_input_file_recomputes_its_results(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    codec = _quant(20)
    _, before, _ = _run(tmp_path, tmp_path / "clips", "s", codec)
    sf.write(tmp_path / "clips" / "c1.wav", noise(0.5, seed=3), SR)  # same name, same length, new content
    summary, after, _ = _run(tmp_path, tmp_path / "clips", "s", codec)
    assert summary.reused == 1 and summary.reconstructed == 1  # c0 unchanged, c1 redone
    _, fresh, _ = _run(tmp_path, tmp_path / "clips", "fresh", codec, cache="fresh_cache")
    assert after["c0"] == before["c0"]
    assert after["c1"] == pytest.approx(fresh["c1"]) and after["c1"] != pytest.approx(before["c1"])


def test_precomputed_system_with_the_same_folder_name_under_another_root_is_not_reused(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav"])
    reference, _ = sf.read(tmp_path / "clips" / "c0.wav", dtype="float32")
    (tmp_path / "root1" / "sys").mkdir(parents=True)
    (tmp_path / "root2" / "sys").mkdir(parents=True)
    sf.write(tmp_path / "root1" / "sys" / "c0.wav", reference, SR)  # a perfect system
    sf.write(tmp_path / "root2" / "sys" / "c0.wav", noise(0.5, seed=1), SR)  # a useless one

    def system(root: str) -> PrecomputedCodec:
        codec = PrecomputedCodec(folder=str(tmp_path / root / "sys"), nominal_bitrate_kbps=1.0, system="sys")
        codec.name = "precomputed:sys"
        return codec

    _, first, _ = _run(tmp_path, tmp_path / "clips", "r1", system("root1"))
    _, second, _ = _run(tmp_path, tmp_path / "clips", "r2", system("root2"))
    assert first["c0"] > 60
    assert second["c0"] < 0


def _entry_and_files(tmp_path: Path):
    cache = ReconstructionCache(tmp_path / "cache")
    entry = cache.entry("q@1", "f" * 16, "folder", "clip.v1", "c" * 16)
    waveform = noise(0.5)
    cache.save(entry, waveform, SR, np.arange(40).reshape(1, 40), {"measured_bitrate_kbps": 1.0})
    return cache, entry, waveform


def test_cache_entry_round_trips_and_a_truncated_file_is_a_miss(tmp_path):
    cache, entry, waveform = _entry_and_files(tmp_path)
    loaded = cache.load(entry)
    assert loaded is not None and np.array_equal(loaded.waveform, waveform)
    assert loaded.codes is not None and loaded.codes.shape == (1, 40)
    size = entry.audio_path.stat().st_size
    os.truncate(entry.audio_path, size // 2)
    assert cache.load(entry) is None


def test_cache_entry_with_altered_codes_or_foreign_identity_is_a_miss(tmp_path):
    cache, entry, _ = _entry_and_files(tmp_path)
    data = bytearray(entry.codes_path.read_bytes())
    data[-1] ^= 0xFF  # same length, other content
    entry.codes_path.write_bytes(bytes(data))
    assert cache.load(entry) is None
    cache, entry, _ = _entry_and_files(tmp_path / "second")
    other = cache.entry("q@1", "f" * 16, "folder", "clip.v1", "d" * 16)
    os.replace(entry.meta_path, other.meta_path)  # an entry's record put under another clip fingerprint
    assert cache.load(other) is None


def test_truncated_cached_reconstruction_is_recomputed_not_scored(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    codec = _quant(20)
    _, _, recons = _run(tmp_path, tmp_path / "clips", "s", codec, metric="mel_distance")
    audio = Path(recons.loc["c0", "audio_path"])
    os.truncate(audio, audio.stat().st_size // 2)
    # A rerun that adds a metric: it must not score the surviving half of c0.
    summary, after, recons = _run(tmp_path, tmp_path / "clips", "s", codec, metric="si_sdr")
    _, fresh, _ = _run(tmp_path, tmp_path / "clips", "fresh", codec, metric="si_sdr", cache="fresh_cache")
    assert summary.reconstructed == 1 and summary.reused == 1
    assert "failed verification" in recons.loc["c0", "notes"] and "bytes" in recons.loc["c0", "notes"]
    pd.testing.assert_series_equal(after.sort_index(), fresh.sort_index())
    assert sf.info(str(audio)).frames == 8000


def test_truncated_cache_file_found_by_a_new_store_is_recomputed(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav"])
    codec = _quant(20)
    _, before, recons = _run(tmp_path, tmp_path / "clips", "s1", codec)
    audio = Path(recons.loc["c0", "audio_path"])
    os.truncate(audio, audio.stat().st_size // 2)
    summary, after, _ = _run(tmp_path, tmp_path / "clips", "s2", codec)  # new store, same cache
    assert after["c0"] == pytest.approx(before["c0"])  # not the surviving half
    assert summary.reconstructed == 1 and summary.cache_hits == 0


def test_altered_cached_audio_is_never_scored_and_is_reconstructed_by_the_next_run(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    codec = _quant(20)
    _, _, recons = _run(tmp_path, tmp_path / "clips", "s", codec, metric="mel_distance")
    audio = Path(recons.loc["c0", "audio_path"])
    data = bytearray(audio.read_bytes())
    data[-400:] = bytes(400)  # same length, last 100 samples silenced
    audio.write_bytes(bytes(data))
    summary, after, recons = _run(tmp_path, tmp_path / "clips", "s", codec, metric="si_sdr")
    assert "c0" not in after.index and summary.failed_clips == 1
    assert recons.loc["c0", "status"] == "error" and "sha256" in recons.loc["c0", "error"]
    summary, after, recons = _run(tmp_path, tmp_path / "clips", "s", codec, metric="si_sdr")
    _, fresh, _ = _run(tmp_path, tmp_path / "clips", "fresh", codec, metric="si_sdr", cache="fresh_cache")
    assert summary.reconstructed == 1 and (recons["status"] == "ok").all()
    pd.testing.assert_series_equal(after.sort_index(), fresh.sort_index())


def test_replacing_a_stored_output_recomputes_that_clip_only(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    (tmp_path / "sys").mkdir()
    for name in ("c0", "c1"):
        sf.write(tmp_path / "sys" / f"{name}.wav", sf.read(tmp_path / "clips" / f"{name}.wav")[0], SR)

    def system() -> PrecomputedCodec:
        codec = PrecomputedCodec(folder=str(tmp_path / "sys"), nominal_bitrate_kbps=1.0, system="sys")
        codec.name = "precomputed:sys"
        return codec

    _, before, _ = _run(tmp_path, tmp_path / "clips", "s", system())
    sf.write(tmp_path / "sys" / "c1.wav", noise(0.5, seed=2), SR)  # the system's output re-rendered
    summary, after, _ = _run(tmp_path, tmp_path / "clips", "s", system())
    assert summary.reused == 1 and summary.reconstructed == 1
    assert after["c0"] == before["c0"] and before["c1"] > 60 and after["c1"] < 0
