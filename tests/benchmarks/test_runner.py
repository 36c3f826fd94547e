"""The runner end to end: resume after SIGKILL, bad inputs recorded per clip, bad config, reports."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from benchmarks.cache import ReconstructionCache
from benchmarks.datasets.base import load_dataset
from benchmarks.metrics import build_metric
from benchmarks.run import main
from benchmarks.runner import Runner
from benchmarks.store import ResultStore
from tests.conftest import REPO_ROOT, harmonic_tone

SR = 16_000


def _write_tones(folder: Path, count: int, duration_s: float = 1.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sf.write(folder / f"clip{i:03d}.wav", harmonic_tone(duration_s, SR, f0_hz=120 + 10 * i, seed=i), SR)


# A codec that takes a known time per clip, so the test can kill the run in the middle.
_SLOW_RUN = textwrap.dedent(
    """
    import sys, time, torch
    from baselines.base import Codec, Encoded
    from baselines.registry import CodecSpec, register_codec
    from benchmarks.run import main

    class SlowCodec(Codec):
        sample_rate = 16000
        frame_rate_hz = 50.0
        codebook_sizes = (1024,)
        nominal_bitrate_kbps = 0.5

        def _encode(self, waveform):
            time.sleep(0.4)
            with open(sys.argv[1] + ".calls", "a") as fh:
                fh.write("x\\n")
            frames = waveform.shape[-1] // 320
            return Encoded(codes=torch.zeros(waveform.shape[0], 1, frames, dtype=torch.long), codebook_sizes=(1024,))

        def _decode(self, encoded):
            return torch.zeros(encoded.codes.shape[0], encoded.extra["native_num_samples"]) + 0.01

    sys.modules["slowcodec"] = sys.modules[__name__]
    register_codec(CodecSpec("slow@0.5kbps", "slowcodec:SlowCodec", {}, "slow", 0.5))
    sys.exit(main(sys.argv[2:]))
    """
)


def _run_slow(tmp_path: Path, clips_dir: Path, *, background: bool):
    script = tmp_path / "slow_run.py"
    script.write_text(_SLOW_RUN)
    args = [
        sys.executable, str(script), str(tmp_path / "run"), "--codecs", "slow@0.5kbps", "--datasets", "folder",
        "--metrics", "mel_distance", f"dataset.folder.root={clips_dir}", "dataset.folder.domain=sound",
        f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}", "name=resume",
        "progress=false", "report.plots=false",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    if background:
        return subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def _rows(db: Path, table: str) -> pd.DataFrame:
    with sqlite3.connect(db) as con:
        return pd.read_sql_query(f"SELECT * FROM {table}", con)


def test_run_killed_with_sigkill_resumes_without_recomputing_or_duplicating(tmp_path):
    clips_dir = tmp_path / "clips"
    _write_tones(clips_dir, 12)
    db = tmp_path / "results" / "resume" / "store.sqlite"
    proc = _run_slow(tmp_path, clips_dir, background=True)
    deadline = time.time() + 120
    done_before_kill = 0
    while time.time() < deadline:
        if db.exists():
            try:
                done_before_kill = len(_rows(db, "reconstructions"))
            except (sqlite3.OperationalError, pd.errors.DatabaseError):
                done_before_kill = 0
            if done_before_kill >= 3:
                break
        if proc.poll() is not None:
            pytest.fail(f"run ended before it could be interrupted: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert list(_rows(db, "runs")["status"]) == ["running"]
    before = _rows(db, "reconstructions").set_index("clip_id")
    assert 3 <= len(before) < 12, "the kill must land in the middle of the run"
    calls_before = len((tmp_path / "run.calls").read_text().split())

    result = _run_slow(tmp_path, clips_dir, background=False)
    assert result.returncode == 0, result.stderr[-3000:]
    after = _rows(db, "reconstructions").set_index("clip_id")
    assert len(after) == 12 and after.index.is_unique
    assert (after["status"] == "ok").all()
    # Rows finished before the kill were kept as they were, not recomputed.
    pd.testing.assert_series_equal(after.loc[before.index, "created_at"], before["created_at"])
    calls_total = len((tmp_path / "run.calls").read_text().split())
    assert calls_total - calls_before == 12 - len(before)
    scores = _rows(db, "scores")
    assert len(scores) == 12 * 2  # mel_distance + its log10 output, once per clip
    assert not scores.duplicated(["clip_id", "output"]).any()
    runs = _rows(db, "runs")
    # The killed run never got to say finished; the next start saw its process gone and said it for it.
    assert list(runs["status"]) == ["interrupted", "finished"]
    assert "marked 1 earlier run(s) that never finished as interrupted" in result.stdout
    assert all("torch" in v for v in runs["versions_json"])


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Write one file per kind of bad input; returns clip_id -> expected outcome."""
    folder.mkdir(parents=True)
    good = harmonic_tone(1.0, SR, seed=1)
    (folder / "unreadable.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    (folder / "empty.wav").write_bytes(b"")
    sf.write(folder / "zero_length.wav", np.zeros(0, np.float32), SR)
    nan = good.copy()
    nan[100:110] = np.nan
    sf.write(folder / "nan.wav", nan, SR, subtype="FLOAT")
    inf = good.copy()
    inf[5] = np.inf
    sf.write(folder / "inf.wav", inf, SR, subtype="FLOAT")
    sf.write(folder / "very_short.wav", good[:800], SR)
    sf.write(folder / "clipped.wav", np.clip(good * 8, -1, 1), SR)
    sf.write(folder / "stereo.wav", np.stack([good, 0.5 * good], axis=1), SR)
    sf.write(folder / "odd_rate.wav", harmonic_tone(1.0, 11_025, seed=2), 11_025)
    sf.write(folder / "good.wav", good, SR)
    return {
        "unreadable": "error:unreadable", "empty": "error:", "zero_length": "error:", "nan": "error:NaN",
        "inf": "error:NaN/Inf", "very_short": "error:too short", "clipped": "ok:clipped", "stereo": "ok:mono",
        "odd_rate": "ok:resampled 11025 Hz", "good": "ok:",
    }


def test_bad_inputs_become_per_clip_errors_and_the_run_goes_on(tmp_path):
    expected = _bad_inputs(tmp_path / "bad")
    clips = load_dataset("folder", root=str(tmp_path / "bad"), domain="sound")
    assert sorted(c.clip_id for c in clips) == sorted(expected)
    from baselines.registry import build_codec

    codec = build_codec("codec2@1200")
    store = ResultStore(tmp_path / "store.sqlite")
    runner = Runner(store, ReconstructionCache(tmp_path / "cache"), SR, progress=False)
    summary = runner.run([codec], {"mel_distance": build_metric("mel_distance")}, clips)
    rows = store.reconstructions().set_index("clip_id")
    for clip_id, outcome in expected.items():
        status, _, text = outcome.partition(":")
        row = rows.loc[clip_id]
        assert row["status"] == status, (clip_id, row["error"])
        if status == "error":
            assert clip_id in row["error"] and text in row["error"], row["error"]
        else:
            assert text in (row["notes"] or ""), (clip_id, row["notes"])
    assert summary.failed_clips == 6
    scored = store.scores()
    assert set(scored["clip_id"]) == {k for k, v in expected.items() if v.startswith("ok")}
    assert scored["value"].notna().all()


def test_metric_failure_is_nan_with_reason_not_a_substitute(tmp_path):
    _write_tones(tmp_path / "clips", 2, duration_s=0.3)
    clips = load_dataset("folder", root=str(tmp_path / "clips"), domain="speech", transcripts=False)
    from baselines.registry import build_codec

    store = ResultStore(tmp_path / "s.sqlite")
    runner = Runner(store, ReconstructionCache(tmp_path / "cache"), SR, progress=False)

    class Failing:
        """A metric that gives up on every clip, as a real one does on e.g. a silent reference."""

        name = "always_fails"
        outputs = build_metric("mel_distance").outputs
        domains = ("speech",)

        def applies_to(self, clip):
            return True

        def fingerprint(self, domain):
            return "f" * 12

        def provenance(self, domain):
            return {"implementation": "test"}

        def score_batch(self, items):
            return [RuntimeError("reference has no speech") for _ in items]

    runner.run([build_codec("codec2@1200")], {"always_fails": Failing()}, clips)
    scores = store.scores()
    assert len(scores) == 4 and scores["value"].isna().all()
    assert (scores["reason"] == "RuntimeError: reference has no speech").all()


def test_bad_config_names_the_key(capsys):
    assert main(["--codecs", "codec2@1200", "no_such_key=3"]) == 2
    assert "no_such_key" in capsys.readouterr().err
    assert main(["--codecs", "codec2@12OO"]) == 2
    err = capsys.readouterr().err
    assert "codec2@12OO" in err and "Did you mean" in err
    assert main(["--metrics", "visqoll"]) == 2
    assert "visqoll" in capsys.readouterr().err


def test_cli_writes_table_plots_and_paper_columns(tmp_path, demo_dir):
    out = tmp_path / "results"
    code = main([
        "--codecs", "original,codec2@3200,demo:descript_codec_6kbps", "--datasets", "demo", "--metrics", "mel_distance",
        f"dataset.demo.root={demo_dir}", "dataset.demo.domains=[speech]", "max_clips=3",
        f"output_root={out}", f"cache_dir={tmp_path / 'cache'}", "name=t", "progress=false",
    ])
    assert code == 0
    table = pd.read_csv(out / "t" / "table_ii.csv").set_index("codec")
    # The demo DAC 6 kbps row is matched to the paper's Table II row (speech mel 2.79 dB).
    assert table.loc["demo:descript_codec_6kbps", "speech/mel_distance/paper"] == pytest.approx(2.79)
    assert np.isnan(table.loc["codec2@3200", "speech/mel_distance/paper"])
    # The unprocessed clip is the ground-truth row: zero distance, matched to the paper's 0.0.
    assert table.loc["original", "speech/mel_distance/mean"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["original", "speech/mel_distance/paper"] == pytest.approx(0.0)
    assert table.loc["codec2@3200", "measured_bitrate_kbps"] == pytest.approx(3.2, rel=0.05)
    assert (out / "t" / "plots" / "mel_distance_speech.png").stat().st_size > 1000
    assert (out / "t" / "plots" / "mel_distance_speech.svg").exists()
    assert "(2.79)" in (out / "t" / "table_ii.md").read_text()
    # The demo systems were registered for that run only.
    from baselines.registry import codec_names

    assert not [n for n in codec_names() if n.startswith("demo:")]


def test_scores_with_different_provenance_are_never_pooled(tmp_path):
    from benchmarks.metrics.base import MetricOutput
    from benchmarks.report.summary import summarise

    rows = []
    for fp, base in (("aaaaaaaaaaaa", 1.0), ("bbbbbbbbbbbb", 3.0)):
        for i in range(4):
            rows.append(dict(codec="x", domain="speech", output="visqol", fingerprint=fp, value=base + 0.1 * i,
                             provenance_json='{"mode": "%s"}' % fp))
    summary = summarise(pd.DataFrame(rows), {"visqol": MetricOutput("visqol", True, 1, 5)})
    assert sorted(summary["label"]) == ["visqol[aaaaaaaaaaaa]", "visqol[bbbbbbbbbbbb]"]
    assert sorted(summary["mean"].round(3)) == [1.15, 3.15]
    assert (summary["n"] == 4).all()


def test_several_datasets_get_pooled_and_per_dataset_tables(tmp_path):
    for name, f0 in (("a", 110.0), ("b", 330.0)):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(3):
            sf.write(folder / f"{name}{i}.wav", harmonic_tone(1.0, SR, f0_hz=f0 + i, seed=i), SR)
    out = tmp_path / "results"
    code = main([
        "--codecs", "codec2@1200", "--datasets", "folder_a,folder_b", "--metrics", "mel_distance",
        f"+dataset.folder_a={{loader: folder, root: {tmp_path / 'a'}, domain: sound}}",
        f"+dataset.folder_b={{loader: folder, root: {tmp_path / 'b'}, domain: sound}}",
        f"output_root={out}", f"cache_dir={tmp_path / 'cache'}", "name=two", "progress=false", "report.plots=false",
    ])
    assert code == 0
    pooled = pd.read_csv(out / "two" / "table_ii.csv").set_index("codec")
    assert pooled.loc["codec2@1200", "sound/mel_distance/n"] == 6
    for name in ("folder_a", "folder_b"):
        table = pd.read_csv(out / "two" / "by_dataset" / name / "table_ii.csv").set_index("codec")
        assert table.loc["codec2@1200", "sound/mel_distance/n"] == 3


def test_paper_agreement_ranks_and_differences():
    from benchmarks.report.tables import paper_agreement

    table = pd.DataFrame({
        "codec": ["original", "a", "b", "c", "d"],
        "nominal_bitrate_kbps": [np.nan, 0.5, 1.0, 2.0, 6.0],
        "speech/visqol/mean": [5.0, 2.0, 2.5, 3.9, 3.0],
        "speech/visqol/paper": [4.99, 2.1, 2.4, 3.0, 3.8],
    })
    row = paper_agreement(table).set_index("column").loc["speech/visqol"]
    assert row["systems"] == 4
    assert row["spearman"] == pytest.approx(0.8)  # ranks 1,2,4,3 vs 1,2,3,4
    assert row["max_abs_diff"] == pytest.approx(0.9)
    assert row["mean_abs_diff"] == pytest.approx((0.1 + 0.1 + 0.9 + 0.8) / 4)  # the 4 systems it counts


class OverclaimingCodec:
    """Claims 2 kbps but transmits one 1024-entry code per 20 ms (0.5 kbps)."""

    def __new__(cls, **kwargs):
        import torch

        from baselines.base import Codec, Encoded

        class _Codec(Codec):
            sample_rate = 16_000
            frame_rate_hz = 50.0
            codebook_sizes = (1024,)
            nominal_bitrate_kbps = 2.0

            def _encode(self, waveform):
                frames = waveform.shape[-1] // 320
                codes = torch.arange(frames).remainder(1024).repeat(waveform.shape[0], 1, 1)
                return Encoded(codes=codes, codebook_sizes=(1024,))

            def _decode(self, encoded):
                return torch.zeros(encoded.codes.shape[0], encoded.extra["native_num_samples"])

        return _Codec()


def test_measured_bitrate_disagreeing_with_nominal_is_warned_about(tmp_path, capsys):
    from baselines.registry import CodecSpec, register_codec, scoped_registrations

    _write_tones(tmp_path / "clips", 2)
    with scoped_registrations():
        register_codec(CodecSpec("overclaim@2kbps", "tests.benchmarks.test_runner:OverclaimingCodec", {}, "x", 2.0))
        code = main([
            "--codecs", "overclaim@2kbps", "--datasets", "folder", "--metrics", "mel_distance",
            f"dataset.folder.root={tmp_path / 'clips'}", "dataset.folder.domain=sound",
            f"output_root={tmp_path / 'r'}", f"cache_dir={tmp_path / 'c'}", "name=w", "progress=false",
            "report.plots=false",
        ])
    assert code == 0
    out = capsys.readouterr().out
    assert "WARNING overclaim@2kbps: measured bitrate 0.500 kbps differs from nominal 2.000 kbps" in out
    bitrates = pd.read_csv(tmp_path / "r" / "w" / "bitrates.csv").set_index("codec")
    assert bitrates.loc["overclaim@2kbps", "measured_bitrate_kbps"] == pytest.approx(0.5, rel=0.01)
    # 50 distinct codes per second used uniformly over 1 s clips: entropy is log2(50) bits per frame.
    assert bitrates.loc["overclaim@2kbps", "entropy_bitrate_kbps"] == pytest.approx(50 * np.log2(50) / 1000, rel=0.01)


def test_paper_values_are_shown_only_beside_the_paper_data(tmp_path):
    _write_tones(tmp_path / "clips", 2)
    code = main([
        "--codecs", "original", "--datasets", "folder", "--metrics", "mel_distance",
        f"dataset.folder.root={tmp_path / 'clips'}", "dataset.folder.domain=sound",
        f"output_root={tmp_path / 'r'}", f"cache_dir={tmp_path / 'c'}", "name=p", "progress=false", "report.plots=false",
    ])
    assert code == 0
    table = pd.read_csv(tmp_path / "r" / "p" / "table_ii.csv").set_index("codec")
    assert table.loc["original", "sound/mel_distance/mean"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(table.loc["original", "sound/mel_distance/paper"])  # a folder is not the paper's data
