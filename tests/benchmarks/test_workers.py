"""The worker pool (``workers=N``), the overall progress line and the ``device=`` setting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from benchmarks.pool import threads_per_worker
from benchmarks.progress import OverallProgress, format_duration
from benchmarks.run import EXIT_USAGE, main
from tests.benchmarks._codecs import SR, write_tones
from tests.benchmarks._pool_codecs import KILLER_NUM_SAMPLES
from tests.benchmarks._runs import folder_run_args, read_table
from tests.conftest import harmonic_tone

#: Cheap classical codecs and cheap metrics: the pool's results must not depend on where units ran.
CODECS = "opus@6kbps,codec2@1200,mp3@8kbps"
METRICS = "mel_distance,stft_distance,si_sdr"


def _args(tmp_path: Path, clips: Path, name: str, *extra: str, codecs: str = CODECS, metrics: str = METRICS) -> list[str]:
    return folder_run_args(tmp_path, clips, name, *extra, codecs=codecs, metrics=metrics)


#: Columns that say when, where or in which run a row was written, not what was computed. The audio file's
#: checksum is one: libsndfile writes the time into a float WAV's PEAK chunk (the samples are compared instead).
_CIRCUMSTANCES = {"created_at", "run_id", "used_run_id", "used_seq", "seconds", "audio_path", "codes_path",
                  "audio_sha256"}


def _contents(db: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for table, key in (("reconstructions", ["codec", "clip_id"]), ("scores", ["codec", "clip_id", "output"])):
        frame = read_table(db, table)
        if table == "reconstructions":
            frame["samples"] = [sf.read(path, dtype="float32")[0].tobytes() for path in frame["audio_path"]]
        frame = frame[[c for c in frame.columns if c not in _CIRCUMSTANCES]]
        out[table] = frame.sort_values(key).reset_index(drop=True)
    return out


def test_two_workers_give_the_same_store_contents_as_one(tmp_path):
    clips = tmp_path / "clips"
    write_tones(clips, [f"c{i}.wav" for i in range(5)], duration_s=0.6)
    assert main(_args(tmp_path, clips, "one", "workers=1")) == 0
    assert main(_args(tmp_path, clips, "two", "workers=2")) == 0
    one = _contents(tmp_path / "results" / "one" / "store.sqlite")
    two = _contents(tmp_path / "results" / "two" / "store.sqlite")
    assert len(one["reconstructions"]) == 3 * 5 and (one["reconstructions"]["status"] == "ok").all()
    assert len(one["scores"]) == 3 * 5 * 5  # mel (2 outputs), stft (2 outputs), si_sdr
    for table in one:
        pd.testing.assert_frame_equal(one[table], two[table])
    # Every unit's time is recorded, in the process that ran it.
    for name in ("one", "two"):
        db = tmp_path / "results" / name / "store.sqlite"
        assert (read_table(db, "reconstructions")["seconds"] > 0).all()
        assert (read_table(db, "scores")["seconds"] > 0).all()


def test_a_killed_worker_loses_no_finished_result_and_its_unit_is_an_error(tmp_path):
    clips = tmp_path / "clips"
    write_tones(clips, [f"c{i}.wav" for i in range(6)], duration_s=0.5)
    sf.write(clips / "killer.wav", harmonic_tone(KILLER_NUM_SAMPLES / SR, SR, seed=9), SR)
    args = _args(tmp_path, clips, "kill", "workers=2", "+codec.killer._target_=tests.benchmarks._pool_codecs.KillerCodec",
                 codecs="killer", metrics="si_sdr")
    assert main(args) == 0
    db = tmp_path / "results" / "kill" / "store.sqlite"
    recon = read_table(db, "reconstructions").set_index("clip_id")
    assert len(recon) == 7
    assert recon.loc["killer", "status"] == "error" and recon.loc["killer", "error"].startswith("WorkerLost")
    others = recon.drop(index="killer")
    assert (others["status"] == "ok").all(), others["error"].tolist()
    scores = read_table(db, "scores")
    assert sorted(scores["clip_id"]) == sorted(others.index) and scores["value"].notna().all()
    first = recon["created_at"]
    # The next run retries the failed unit only (it fails again the same way); finished rows stay as written.
    assert main(args) == 0
    again = read_table(db, "reconstructions").set_index("clip_id")
    pd.testing.assert_series_equal(again.drop(index="killer")["created_at"], first.drop(index="killer"))
    attempts = read_table(db, "attempts")
    assert (attempts[attempts["stage"] == "reconstruct"]["clip_id"] == "killer").sum() == 2


def test_threads_per_worker_never_oversubscribe():
    for cores in (1, 2, 3, 8, 64):
        for workers in range(1, 10):
            threads = threads_per_worker(workers, cores)
            assert threads >= 1
            assert workers * threads <= max(cores, workers)


def test_overall_progress_counts_clips_and_extrapolates_the_eta(capsys):
    progress = OverallProgress(enabled=True, codecs=2, units_per_clip=3, clips=20, tty=False)
    progress.start_codec("opus@6kbps", 10)
    progress.advance(3 * 4)  # reused: done at once, no rate
    assert progress.clips_done == 4 and np.isnan(progress.eta_s())
    progress._last -= 6.0  # six seconds of work for the next 6 units
    progress.advance(6, computed=True)
    assert progress.clips_done == 6
    assert progress.eta_s() == pytest.approx((60 - 18) * 1.0, rel=0.05)
    progress.finish_codec()
    assert progress.clips_done == 10
    progress.start_codec("mp3@8kbps", 10)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2  # not a TTY: one line per codec, no redrawn bars
    assert lines[0].startswith("codec 1 of 2 (opus@6kbps) | clips 0/20")
    assert lines[1].startswith("codec 2 of 2 (mp3@8kbps) | clips 10/20")
    assert format_duration(3725) == "1:02:05" and format_duration(65) == "1:05" and format_duration(float("nan")) == "?"


def test_a_run_logs_one_progress_line_per_codec(tmp_path, capsys):
    clips = tmp_path / "clips"
    write_tones(clips, ["a.wav", "b.wav"], duration_s=0.5)
    assert main([*_args(tmp_path, clips, "p", "workers=1", metrics="si_sdr"), "progress=true"]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("codec ")]
    assert [line.split(" (")[0] for line in lines] == ["codec 1 of 3", "codec 2 of 3", "codec 3 of 3"]


@pytest.mark.parametrize(("device", "message"), [
    ("cuda", "device=cuda: CUDA is not available"),
    ("cuda:7", "device=cuda:7: CUDA is not available"),
    ("gpu0", "device=gpu0: give cpu, cuda, cuda:<index> or mps"),
])
def test_a_device_this_machine_lacks_is_a_one_line_error(tmp_path, capsys, device, message):
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    clips = tmp_path / "clips"
    write_tones(clips, ["a.wav"], duration_s=0.5)
    assert main(_args(tmp_path, clips, "d", f"device={device}")) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {message}") and "\n" not in err
    assert not (tmp_path / "results" / "d" / "store.sqlite").exists()


def test_device_reaches_every_constructor_that_takes_one_and_only_those(tmp_path):
    clips = tmp_path / "clips"
    write_tones(clips, ["a.wav", "b.wav"], duration_s=0.5)
    extra = ["+codec.dev._target_=tests.benchmarks._pool_codecs.DeviceCodec",
             "+metric.device_metric._target_=tests.benchmarks._pool_codecs.DeviceMetric"]
    for name, device in (("default", None), ("cpu", "cpu")):
        args = _args(tmp_path, clips, name, *extra, *([f"device={device}"] if device else []),
                     codecs="dev,opus@6kbps", metrics="device_metric,si_sdr")
        assert main(args) == 0
    default = read_table(tmp_path / "results" / "default" / "store.sqlite", "reconstructions").set_index("codec")
    cpu = read_table(tmp_path / "results" / "cpu" / "store.sqlite", "reconstructions").set_index("codec")
    # device=cpu was given to the codec that takes a device; the opus adapter takes none and is unchanged.
    assert json.loads(cpu.loc["dev", "codec_info_json"].iloc[0])["constructor_args"]["device"] == "cpu"
    assert set(cpu.loc["opus@6kbps", "codec_fingerprint"]) == set(default.loc["opus@6kbps", "codec_fingerprint"])
    scores = read_table(tmp_path / "results" / "cpu" / "store.sqlite", "scores")
    provenance = json.loads(scores[scores["metric"] == "device_metric"]["provenance_json"].iloc[0])
    assert provenance["device"] == "cpu"


def test_every_built_in_neural_configuration_takes_the_runs_device():
    """The shipped configuration files leave ``device`` to the run (``null`` or absent), so ``device=cuda:1``
    reaches every built-in codec and metric whose constructor takes a device; a file's own value still wins."""
    from baselines.name_lookup import import_target
    from baselines.registry import expand_codec_names, get_spec, scoped_registrations
    from benchmarks.devices import accepts_device, device_kwargs
    from benchmarks.run_config import load_config
    from benchmarks.run_select import metric_recipes, register_codec_configs

    cfg = load_config(["codecs=all", "metrics=all"], [])
    reached = []
    with scoped_registrations():
        register_codec_configs(cfg)
        for name in expand_codec_names("all"):
            spec = get_spec(name)
            if accepts_device(import_target(spec.target)):
                assert device_kwargs(import_target(spec.target), "cuda:1", dict(spec.kwargs)) == {"device": "cuda:1"}, name
                reached.append(spec.family)
    for name, (target, arguments) in metric_recipes(cfg).items():
        if accepts_device(import_target(target)) and arguments.get("device") != "auto":  # auto: the file's choice
            assert device_kwargs(import_target(target), "cuda:1", arguments) == {"device": "cuda:1"}, name
            reached.append(name)
    assert {"encodec", "dac", "hificodec", "semanticodec", "wer", "wer_pseudo", "speaker_similarity"} <= set(reached)
    speaker = import_target("benchmarks.metrics.speaker:SpeakerSimilarity")
    assert device_kwargs(speaker, "cuda:1", {"device": None}) == {"device": "cuda:1"}
    assert device_kwargs(speaker, "cuda:1", {"device": "cpu"}) == {}  # a configuration's own device wins
