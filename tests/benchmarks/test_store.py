"""The result store: results follow what produced them, failures are retried, a lost store is noticed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from baselines.registry import CodecSpec, build_codec, register_codec, scoped_registrations
from benchmarks.cache import ReconstructionCache
from benchmarks.datasets.base import load_dataset
from benchmarks.metrics import build_metric
from benchmarks.run import main
from benchmarks.runner import Runner
from benchmarks.store import SCHEMA_VERSION, ResultStore, StoreError
from tests.benchmarks import _codecs
from tests.benchmarks._codecs import SR, write_tones


def _clips(root: Path):
    return load_dataset("folder", root=str(root), domain="speech")


def _runner(tmp_path: Path, name: str = "s", cache: str = "cache") -> Runner:
    return Runner(ResultStore(tmp_path / f"{name}.sqlite"), ReconstructionCache(tmp_path / cache), SR, progress=False)


def _values(store: ResultStore, output: str = "si_sdr") -> pd.Series:
    scores = store.scores()
    return scores[scores["output"] == output].set_index("clip_id")["value"].sort_index()


def _cli(tmp_path: Path, clips: Path, codecs: str, *extra: str, name: str = "r", metrics: str = "si_sdr") -> list[str]:
    return [
        "--codecs", codecs, "--datasets", "folder", "--metrics", metrics, f"dataset.folder.root={clips}",
        "dataset.folder.domain=speech", f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}",
        f"name={name}", "progress=false", "report.plots=false", *extra,
    ]


# -- results follow the codec configuration and its weights (#9.1) --------------------------------
def test_changed_codec_setting_under_the_same_name_is_recomputed(tmp_path, capsys):
    """The issue's reproducer: opus frame_ms 40, then the default 20, under one name=."""
    write_tones(tmp_path / "clips", ["c0.wav"])
    assert main(_cli(tmp_path, tmp_path / "clips", "opus@6kbps", "+codec={opus@6kbps:{frame_ms:40}}",
                     metrics="mel_distance")) == 0
    assert main(_cli(tmp_path, tmp_path / "clips", "opus@6kbps", metrics="mel_distance")) == 0
    out = capsys.readouterr().out
    assert "1 reconstructed now, 0 read from the cache, 0 already in the store" in out.rsplit("clips x", 1)[-1]
    with ResultStore(tmp_path / "results" / "r" / "store.sqlite") as store:
        current = store.reconstructions()
        every = store.reconstructions(all_versions=True)
        assert len(current) == 1 and len(every) == 2
        assert json.loads(current["codec_info_json"].iloc[0])["frame_ms"] == 20
        assert every["codec_fingerprint"].nunique() == 2
        # Only the current version's scores are read; the frame_ms 40 scores stay as history.
        assert len(store.scores()) == 2 and len(store.scores(all_versions=True)) == 4


def test_going_back_to_an_earlier_setting_reuses_its_results(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    clips = _clips(tmp_path / "clips")
    metrics = {"si_sdr": build_metric("si_sdr")}
    results = []
    for levels in (10, 40, 10):
        codec = _codecs.QuantCodec(levels=levels)
        codec.name = "quant"
        runner = _runner(tmp_path)
        summary = runner.run([codec], metrics, clips)
        results.append((summary, _values(runner.store)))
        runner.store.close()
    (_, v10), (second, v40), (third, v10_again) = results
    assert second.reconstructed == 2 and second.reused == 0
    assert (v40 > v10).all()  # finer quantisation, better SI-SDR: the second run really used levels=40
    assert third.reused == 2 and third.reconstructed == 0 and third.scored == 0
    pd.testing.assert_series_equal(v10, v10_again)


def _gain_file_run(tmp_path: Path, clips, codec_factory):
    runner = _runner(tmp_path)
    codec = codec_factory()
    codec.name = "gain@1"
    summary = runner.run([codec], {"mel_distance": build_metric("mel_distance")}, clips)
    values = _values(runner.store, "mel_distance")
    recons = runner.store.reconstructions()
    runner.store.close()
    return summary, values, recons


@pytest.mark.parametrize("declared", [True, False], ids=["weight_files", "checkpoint_argument"])
def test_replacing_a_checkpoint_file_in_place_recomputes_its_rows(tmp_path, monkeypatch, declared):
    """Same path, same name, new content: the weights' sha256 changes the fingerprint."""
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    clips = _clips(tmp_path / "clips")
    weights = tmp_path / "weights" / "gain.txt"
    weights.parent.mkdir()
    weights.write_text("0.9")
    monkeypatch.setattr(_codecs, "DEFAULT_GAIN_FILE", [weights])

    def factory():
        return _codecs.GainCodec() if declared else _codecs.GainCodec(checkpoint=str(weights))

    _, _, recons_before = _gain_file_run(tmp_path, clips, factory)
    weights.write_text("0.3")  # a retrained checkpoint saved over the old one
    second, after, recons_after = _gain_file_run(tmp_path, clips, factory)
    assert second.reconstructed == 2 and second.reused == 0
    # The new audio is the new weights' (gain 0.3 instead of 0.9), not the old file's.
    for clip_id in ("c0", "c1"):
        old_audio = sf.read(recons_before.set_index("clip_id").loc[clip_id, "audio_path"])[0]
        new_audio = sf.read(recons_after.set_index("clip_id").loc[clip_id, "audio_path"])[0]
        assert np.abs(new_audio).max() == pytest.approx(np.abs(old_audio).max() / 3, rel=1e-5)
    assert set(recons_before["codec_fingerprint"]).isdisjoint(recons_after["codec_fingerprint"])
    weights_json = json.loads(recons_after["weights_json"].iloc[0])
    assert list(weights_json) == [os.path.realpath(weights)]
    third, again, _ = _gain_file_run(tmp_path, clips, factory)
    assert third.reused == 2 and third.reconstructed == 0
    pd.testing.assert_series_equal(after, again)


def test_codec_fingerprint_is_in_every_reconstruction_row(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    runner = _runner(tmp_path)
    codec = build_codec("codec2@1200")
    summary = runner.run([codec], {}, _clips(tmp_path / "clips"))
    recons = runner.store.reconstructions()
    assert list(recons["codec_fingerprint"]) == [summary.codec_fingerprints["codec2@1200"]] * 2
    assert recons["clip_fingerprint"].nunique() == 2
    info = json.loads(recons["codec_info_json"].iloc[0])
    assert info["constructor_args"] == {"mode": "1200", "compensate_delay": True}
    assert info["codec_class"] == "baselines.classical.codec2:Codec2Codec"


# -- stores of the earlier layout (#9.1) ------------------------------------------------------------
# The layout written before results were keyed by fingerprints (schema "0": no user_version).
_SCHEMA_V0 = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL,
    config_json TEXT NOT NULL, versions_json TEXT NOT NULL, git_revision TEXT);
CREATE TABLE reconstructions (codec TEXT NOT NULL, dataset TEXT NOT NULL, clip_id TEXT NOT NULL, domain TEXT NOT NULL,
    duration_s REAL, status TEXT NOT NULL, error TEXT, notes TEXT, nominal_bitrate_kbps REAL,
    measured_bitrate_kbps REAL, codec_info_json TEXT, audio_path TEXT, codes_path TEXT, seconds REAL, run_id TEXT,
    created_at REAL NOT NULL, PRIMARY KEY (codec, dataset, clip_id));
CREATE TABLE scores (codec TEXT NOT NULL, dataset TEXT NOT NULL, clip_id TEXT NOT NULL, metric TEXT NOT NULL,
    output TEXT NOT NULL, fingerprint TEXT NOT NULL, value REAL, reason TEXT, provenance_json TEXT NOT NULL,
    run_id TEXT, created_at REAL NOT NULL, PRIMARY KEY (codec, dataset, clip_id, output, fingerprint));
INSERT INTO runs VALUES ('old', 1.0, NULL, 'running', '{}', '{}', NULL);
INSERT INTO reconstructions VALUES ('codec2@1200', 'folder', 'c0', 'speech', 0.5, 'ok', NULL, NULL, 1.2, 1.2, '{}',
    '/nowhere/c0.wav', NULL, 0.1, 'old', 1.0);
INSERT INTO scores VALUES ('codec2@1200', 'folder', 'c0', 'si_sdr', 'si_sdr', 'ffffffffffff', 99.0, NULL, '{}', 'old', 1.0);
"""


def test_store_of_the_earlier_layout_is_migrated_and_its_rows_never_reused(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav"])
    db = tmp_path / "results" / "r" / "store.sqlite"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as con:
        con.executescript(_SCHEMA_V0)
    assert main(_cli(tmp_path, tmp_path / "clips", "codec2@1200")) == 0
    with ResultStore(db) as store:
        assert store.migrated_from is None  # already migrated by the run
        scores = store.scores()
        assert len(scores) == 1 and scores["value"].iloc[0] != 99.0  # recomputed, not the stored 99
        assert store.reconstructions()["audio_path"].iloc[0] != "/nowhere/c0.wav"
        assert list(store.runs()["status"]) == ["interrupted", "finished"]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT value FROM v0_scores").fetchall() == [(99.0,)]  # kept as history


def test_store_from_a_newer_version_or_corrupt_is_refused_with_a_message(tmp_path, capsys):
    write_tones(tmp_path / "clips", ["c0.wav"])
    db = tmp_path / "results" / "r" / "store.sqlite"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        ResultStore(db)
    db.write_bytes(b"this is not a database" * 100)
    assert main(_cli(tmp_path, tmp_path / "clips", "codec2@1200")) == 2
    err = capsys.readouterr().err
    assert str(db) in err and "not a usable result store" in err and "Traceback" not in err


# -- failures are retried, with their history (#8.7) -------------------------------------------------
def test_failed_reconstructions_are_retried_after_the_cause_is_fixed(tmp_path):
    """The issue's case: a cache folder that cannot be written fails every clip; fixed, a rerun succeeds.

    The command line now refuses such a cache folder before running anything, so the runner is driven
    directly here (the folder can also become unwritable during a run)."""
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    blocker = tmp_path / "cachefile"
    blocker.write_text("a file where the cache folder should be")
    db = tmp_path / "r.sqlite"

    def run_once() -> None:
        with ResultStore(db) as store:
            runner = Runner(store, ReconstructionCache(blocker / "cache"), SR, progress=False)
            runner.run([build_codec("codec2@1200")], {"si_sdr": build_metric("si_sdr")}, _clips(tmp_path / "clips"))

    run_once()
    with ResultStore(db) as store:
        assert (store.reconstructions()["status"] == "error").all()
    blocker.unlink()
    run_once()
    with ResultStore(db) as store:
        assert (store.reconstructions()["status"] == "ok").all()
        assert len(_values(store)) == 2
        history = store.attempts()
        recon = history[history["stage"] == "reconstruct"]
        assert list(recon["status"]) == ["error", "error", "ok", "ok"]
        assert recon["error"].iloc[0] and "cache" in recon["error"].iloc[0]


def test_an_unwritable_cache_folder_is_refused_before_the_run(tmp_path, capsys):
    write_tones(tmp_path / "clips", ["c0.wav"])
    blocker = tmp_path / "cachefile"
    blocker.write_text("a file where the cache folder should be")
    args = _cli(tmp_path, tmp_path / "clips", "codec2@1200")
    args = [a if not a.startswith("cache_dir=") else f"cache_dir={blocker / 'cache'}" for a in args]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "cache" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


class _FlakyMetric:
    """Fails while a flag file exists (as a metric does when its model folder is missing), then works."""

    def __init__(self, flag: Path) -> None:
        self.flag = flag
        self.inner = build_metric("mel_distance")
        self.outputs = self.inner.outputs

    def applies_to(self, clip):
        return True

    def fingerprint(self, domain):
        return self.inner.fingerprint(domain)

    def provenance(self, domain):
        return self.inner.provenance(domain)

    def score_batch(self, items):
        if self.flag.exists():
            return [FileNotFoundError("model folder missing") for _ in items]
        return self.inner.score_batch(items)


def test_failed_metric_units_are_retried_and_history_kept(tmp_path):
    write_tones(tmp_path / "clips", ["c0.wav"])
    flag = tmp_path / "broken"
    flag.touch()
    clips = _clips(tmp_path / "clips")
    first = _runner(tmp_path).run([build_codec("codec2@1200")], {"mel_distance": _FlakyMetric(flag)}, clips)
    assert first.failed_scores == 1
    flag.unlink()
    runner = _runner(tmp_path)
    second = runner.run([build_codec("codec2@1200")], {"mel_distance": _FlakyMetric(flag)}, clips)
    assert second.failed_scores == 0 and second.scored == 1
    values = _values(runner.store, "mel_distance")
    assert values.notna().all()
    history = runner.store.attempts()
    assert list(history[history["stage"] == "score"]["status"]) == ["error", "ok"]


# -- a lost store fails loudly; killed runs are marked (#8.8) ----------------------------------------
class StoreDeletingCodec(_codecs.QuantCodec):
    """Deletes the file named by `target` while encoding its second clip (as a user's `rm` would)."""

    def __init__(self, target: str = "") -> None:
        super().__init__()
        self.target = target
        self.calls = 0

    def _encode(self, waveform):
        self.calls += 1
        if self.calls == 2:
            os.unlink(self.target)
        return super()._encode(waveform)


def test_deleting_the_store_mid_run_fails_loudly(tmp_path, capsys):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav", "c2.wav"])
    db = tmp_path / "results" / "r" / "store.sqlite"
    with scoped_registrations():
        register_codec(CodecSpec("deleter@1", "tests.benchmarks.test_store:StoreDeletingCodec",
                                 {"target": str(db)}, "x", 1.0))
        code = main(_cli(tmp_path, tmp_path / "clips", "deleter@1"))
    assert code != 0
    err = capsys.readouterr().err
    assert f"{db} was deleted while this run was writing to it" in err and "Traceback" not in err


def test_runs_of_dead_processes_are_marked_interrupted_live_ones_are_not(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with ResultStore(tmp_path / "s.sqlite") as store:
        store.start_run("killed", {}, {}, None)
        store.start_run("alive", {}, {}, None)
        with store._db:  # the two runs as other processes left them
            store._db.execute("UPDATE runs SET pid=? WHERE run_id='killed'", (dead.pid,))
            store._db.execute("UPDATE runs SET pid=? WHERE run_id='alive'", (os.getppid(),))
        assert store.start_run("next", {}, {}, None) == ["killed"]
        status = store.runs().set_index("run_id")["status"]
    assert status.to_dict() == {"killed": "interrupted", "alive": "running", "next": "running"}


# -- the summary says where reconstructions came from (#8.19) ----------------------------------------
def test_cache_hits_are_counted_apart_from_reconstructions(tmp_path, capsys):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    assert main(_cli(tmp_path, tmp_path / "clips", "codec2@1200", name="first")) == 0
    capsys.readouterr()
    assert main(_cli(tmp_path, tmp_path / "clips", "codec2@1200", name="second")) == 0  # new store, same cache
    out = capsys.readouterr().out
    assert "0 reconstructed now, 2 read from the cache, 0 already in the store" in out
    with ResultStore(tmp_path / "results" / "second" / "store.sqlite") as store:
        assert list(store.reconstructions()["source"]) == ["cache", "cache"]


def test_unreadable_weight_file_is_an_error_on_every_clip_not_earlier_results(tmp_path, monkeypatch):
    write_tones(tmp_path / "clips", ["c0.wav", "c1.wav"])
    clips = _clips(tmp_path / "clips")
    weights = tmp_path / "gain.txt"
    weights.write_text("0.5")
    monkeypatch.setattr(_codecs, "DEFAULT_GAIN_FILE", [weights])
    _gain_file_run(tmp_path, clips, _codecs.GainCodec)
    codec = _codecs.GainCodec()
    codec.weight_files = (str(tmp_path / "moved_away.txt"),)  # the declared file is gone
    codec.name = "gain@1"
    runner = _runner(tmp_path)
    summary = runner.run([codec], {"mel_distance": build_metric("mel_distance")}, clips)
    recons = runner.store.reconstructions()
    assert summary.failed_clips == 2 and (recons["status"] == "error").all()
    assert recons["error"].str.contains("moved_away.txt").all()
    assert runner.store.scores().empty  # the earlier version's scores are not presented as this run's
