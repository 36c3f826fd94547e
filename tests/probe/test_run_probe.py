"""The probe from the runner: Table III layout, reconstruction survival, resume, feature cache, CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from baselines.classical.opus import OpusCodec
from baselines.precomputed import PrecomputedCodec
from benchmarks.probe.evaluate import ProbeSystem
from benchmarks.probe.paper import paper_table3_row, paper_task_column
from benchmarks.probe.run_probe import run_probe
from benchmarks.report.escape import csv_cell_unescape
from benchmarks.run import load_config, main
from tests.probe.fixtures import CountingCodec, band_energies, load_tasks

FAST = ["probe.max_epochs=30", "probe.patience_epochs=5", "probe.hidden_sizes=[32]", "probe.learning_rates=[0.01]",
        "probe.weight_decays=[0.0]", "probe.bootstrap_resamples=200", "progress=false"]


def _cfg(tmp_path, *overrides):
    return load_config([f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}", "name=probe_test",
                        "probe.references=[bands,whisper]", "probe.survival_reference=bands", *FAST, *overrides])


def _read(path) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=True)
    return frame.apply(lambda col: col.map(lambda v: csv_cell_unescape(v) if isinstance(v, str) else v))


def test_table_iii_survival_not_applicable_unavailable_and_a_second_run_that_does_not_encode(tmp_path):
    tasks = load_tasks("all", str(tmp_path / "audio"))
    codec = CountingCodec()
    stored = tmp_path / "precomputed" / "noisy"  # outputs decoded elsewhere: the originals plus noise
    stored.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for clip in tasks[0].clips:
        audio, rate = sf.read(clip.path, dtype="float32")
        sf.write(stored / f"{clip.clip_id}.wav", audio + 0.01 * rng.normal(size=audio.shape).astype("float32"), rate)
    systems = [
        ProbeSystem("counting@1kbps", "test_codec", 1.0, codec=codec),
        ProbeSystem("opus@6kbps", "opus", 6.0, codec=OpusCodec(6.0)),
        ProbeSystem("precomputed:noisy", "precomputed", 2.0, codec=PrecomputedCodec(str(stored), 2.0, system="noisy")),
        ProbeSystem("encodec@6kbps", "encodec", 6.0, unavailable="encodec: weights not found (remedy: download)"),
    ]
    references = {"bands": band_energies, "whisper": "faster-whisper: model files not found"}
    out = tmp_path / "results" / "probe_test"
    status = run_probe(_cfg(tmp_path), out, tasks=tasks, references=references, systems=systems)
    assert status == 1  # something could not run here
    table = _read(out / "probe" / "table_iii.csv")
    row = lambda section, system: table[(table["section"] == section) & (table["system"] == system)].iloc[0]
    bands = row("reference", "bands")
    assert bands["pitch"] > 90 and bands["pitch_folds"] > 90  # pitch classes are easy from band energies
    assert bands["pitch_ci_low"] <= bands["pitch"] <= bands["pitch_ci_high"]
    assert bands["average"] == pytest.approx((bands["pitch"] + bands["pitch_folds"]) / 2)
    assert "unavailable" in row("reference", "whisper")["status"]
    for section in ("all layers", "first layer"):
        counting = row(section, "counting@1kbps")
        assert 33.3 < counting["pitch"] <= 100 and not math.isnan(counting["average"])
        for name in ("opus@6kbps", "precomputed:noisy"):
            other = row(section, name)
            assert math.isnan(other["pitch"]) and "not applicable" in other["status"]  # never a zero
        encodec = row(section, "encodec@6kbps")
        assert math.isnan(encodec["pitch"]) and "weights not found" in encodec["status"]
    assert math.isnan(row("all layers", "counting@1kbps")["pitch_paper"])  # not the paper's system

    survival = _read(out / "probe" / "survival.csv").set_index("system")
    original = survival.loc["original clips (bands)", "pitch"]
    assert original == pytest.approx(bands["pitch"])
    for name in ("counting@1kbps", "opus@6kbps"):
        assert survival.loc[name, "pitch_drop"] == pytest.approx(original - survival.loc[name, "pitch"])
    # A 2 kHz low-pass removes the upper bands the probe was trained on: meaning is lost.
    assert survival.loc["counting@1kbps", "pitch_drop"] > 5
    assert abs(survival.loc["precomputed:noisy", "pitch_drop"]) < 10  # light noise keeps the pitch
    assert "weights not found" in survival.loc["encodec@6kbps", "status"]
    markdown = (out / "probe" / "table_iii.md").read_text()
    assert "| all layers | counting@1kbps |" in markdown and "not applicable" in markdown
    for suffix in (".png", ".pdf", ".svg"):
        assert (out / "probe" / f"accuracy_vs_bitrate{suffix}").stat().st_size > 1000
    calls = dict(codec.calls)
    # Two layer sets per clip; the fold task holds the same audio in other files: served from the cache.
    assert calls["represent"] == 2 * len(tasks[0].clips) and calls["reconstruct"] > 0

    # Same settings: every result comes from the store, identical tables, nothing encoded.
    again = run_probe(_cfg(tmp_path), out, tasks=tasks, references=references, systems=systems)
    assert again == 1 and codec.calls == calls
    pd.testing.assert_frame_equal(_read(out / "probe" / "table_iii.csv"), table)

    # Other training settings: retrained from cached features; the codec is not called again.
    run_probe(_cfg(tmp_path, "probe.seed=7", "probe.classifier=linear"), out, tasks=tasks, references=references,
              systems=systems)
    assert codec.calls == calls
    retrained = _read(out / "probe" / "table_iii.csv")
    assert not retrained["pitch"].equals(table["pitch"]) or not retrained["pitch_ci_low"].equals(table["pitch_ci_low"])


def test_the_runner_command_runs_the_probe_with_unavailable_neural_codecs_listed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no_torch_cache"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    extractor = "tests.probe.fixtures:band_energies"
    status = main([
        "--codecs", "opus_6kbps,encodec_6kbps", "--metrics", "probe", f"output_root={tmp_path / 'results'}",
        f"cache_dir={tmp_path / 'cache'}", "name=cli", "probe.task_loader=tests.probe.fixtures:load_tasks",
        "probe.tasks=pitch", f"probe.task_options={{root: '{tmp_path / 'audio'}'}}",
        f"probe.references=['{extractor}']", f"probe.survival_reference='{extractor}'", "probe.plot=false", *FAST,
    ])
    out = capsys.readouterr().out
    assert status == 1, out  # encodec has no weights here: the run is incomplete, not failed
    probe_dir = tmp_path / "results" / "cli" / "probe"
    table = _read(probe_dir / "table_iii.csv")
    assert set(table["section"]) == {"reference", "all layers", "first layer"}
    encodec = table[table["system"] == "encodec@6kbps"]
    assert len(encodec) == 2 and encodec["pitch"].isna().all() and encodec["status"].str.contains("unavailable").all()
    survival = _read(probe_dir / "survival.csv").set_index("system")
    assert survival.loc["opus@6kbps", "pitch"] > 50
    unavailable = _read(probe_dir / "unavailable.csv")
    assert "encodec@6kbps" in set(unavailable["name"])
    assert (tmp_path / "results" / "cli" / "probe.sqlite").exists()


def test_a_bad_probe_setting_is_one_line_and_exit_2(tmp_path, capsys):
    status = main(["--metrics", "probe", f"output_root={tmp_path}", f"cache_dir={tmp_path / 'c'}",
                   "probe.classifier=forest", "probe.task_loader=tests.probe.fixtures:load_tasks"])
    err = capsys.readouterr().err
    assert status == 2 and "probe" in err and "classifier" in err and "Traceback" not in err


def test_paper_values_match_the_published_table_only_for_the_same_system():
    assert paper_task_column("speech_commands_5h") == "speech_commands"
    assert paper_task_column("hear_esc50") == "esc50" and paper_task_column("drums") is None
    assert paper_table3_row("encodec", 6.0, "all")["nsynth_pitch"] == 60.8
    assert paper_table3_row("encodec", 6.0, "first")["esc50"] == 32.0
    assert paper_table3_row("semanticodec", 1.40, "first")["avg"] == 53.1
    assert paper_table3_row("semanticodec", 0.35, "all")["speech_commands"] == 33.7
    assert paper_table3_row("hificodec", 2.0, "first")["libricount"] == 58.3
    assert paper_table3_row("dac", 1.0, "all") is None  # a codebook prefix is not the paper's retrained DAC
    assert paper_table3_row("opus", 6.0, "all") is None
