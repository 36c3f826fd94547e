"""Shards of a run (``shard.index=i shard.count=n``), their merge, and Hydra multirun over local processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.merge import merge_run
from benchmarks.run import EXIT_INCOMPLETE, main
from benchmarks.shards import shard_plan
from tests.benchmarks._codecs import write_tones
from tests.benchmarks._runs import folder_run_args, read_table
from tests.conftest import REPO_ROOT

CODECS = "opus@6kbps,codec2@1200,mp3@8kbps"
METRICS = "mel_distance,si_sdr"
_KEYS = {"reconstructions": ["codec", "dataset", "clip_id", "codec_fingerprint", "clip_fingerprint"],
         "scores": ["codec", "dataset", "clip_id", "codec_fingerprint", "clip_fingerprint", "output", "fingerprint"]}


def _args(tmp_path: Path, clips: Path, name: str, *extra: str) -> list[str]:
    return folder_run_args(tmp_path, clips, name, "workers=1", *extra, codecs=CODECS, metrics=METRICS,
                           cache_dir=tmp_path / "cache")


def _same_tables(one: Path, other: Path) -> None:
    for name in ("table_ii.csv", "summary.csv", "bitrates.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(one / name), pd.read_csv(other / name), obj=name)


@pytest.mark.parametrize(("codecs", "clips", "count"), [(3, 7, 4), (1, 5, 5), (2, 3, 7), (12, 1050, 40), (3, 1, 2)])
def test_shards_cover_every_unit_exactly_once(codecs, clips, count):
    names = [f"codec{i}" for i in range(codecs)]
    items = list(range(clips))
    units = [(n, c) for i in range(count) for n, cs in shard_plan(names, items, i, count).items() for c in cs]
    assert sorted(units) == sorted((n, c) for n in names for c in items)
    sizes = [sum(len(v) for v in shard_plan(names, items, i, count).values()) for i in range(count)]
    assert max(sizes) - min(sizes) <= 1


def test_sharded_run_merges_to_the_single_process_store_and_tables(tmp_path, capsys):
    clips = tmp_path / "clips"
    write_tones(clips, [f"c{i}.wav" for i in range(5)], duration_s=0.5)
    assert main(_args(tmp_path, clips, "single")) == 0
    for index in range(3):
        assert main(_args(tmp_path, clips, "sharded", f"shard.index={index}", "shard.count=3")) == 0
    run_dir = tmp_path / "results" / "sharded"
    assert not (run_dir / "table_ii.csv").exists()  # a shard writes only its store
    shard_rows = {t: sum(len(read_table(db, t)) for db in sorted(run_dir.glob("shards/*/store.sqlite"))) for t in _KEYS}
    assert shard_rows == {"reconstructions": 15, "scores": 15 * 3}

    capsys.readouterr()
    assert merge_run(run_dir) == 0
    assert "0 reconstructed now, 0 read from the cache, 15 already in the store" in capsys.readouterr().out
    _same_tables(tmp_path / "results" / "single", run_dir)
    merged = {t: read_table(run_dir / "store.sqlite", t) for t in _KEYS}
    single = {t: read_table(tmp_path / "results" / "single" / "store.sqlite", t) for t in _KEYS}
    for table, key in _KEYS.items():
        assert len(merged[table]) == shard_rows[table] == len(single[table])  # nothing lost
        assert not merged[table].duplicated(key).any()  # nothing doubled
        assert set(map(tuple, merged[table][key].values)) == set(map(tuple, single[table][key].values))
    attempts = len(read_table(run_dir / "store.sqlite", "attempts"))

    # Merging again (e.g. after re-running a shard) adds nothing twice.
    assert merge_run(run_dir) == 0
    for table in _KEYS:
        assert len(read_table(run_dir / "store.sqlite", table)) == shard_rows[table]
    assert len(read_table(run_dir / "store.sqlite", "attempts")) == attempts
    _same_tables(tmp_path / "results" / "single", run_dir)

    # A shard resumes from its own store: run again, it computes nothing.
    capsys.readouterr()
    assert main(_args(tmp_path, clips, "sharded", "shard.index=1", "shard.count=3")) == 0
    assert "0 reconstructed now, 0 read from the cache, 5 already in the store" in capsys.readouterr().out


def test_merge_refuses_missing_or_unfinished_shards(tmp_path, capsys):
    clips = tmp_path / "clips"
    write_tones(clips, ["a.wav", "b.wav"], duration_s=0.5)
    assert main(_args(tmp_path, clips, "part", "shard.index=0", "shard.count=2")) == 0
    capsys.readouterr()
    assert merge_run(tmp_path / "results" / "part") == EXIT_INCOMPLETE
    err = capsys.readouterr().err.strip()
    assert "missing shard(s) [1] of 2" in err and "\n" not in err
    assert not (tmp_path / "results" / "part" / "store.sqlite").exists()
    # With --allow-incomplete the tables cover what the shards hold; nothing is computed.
    assert merge_run(tmp_path / "results" / "part", allow_incomplete=True) == 0
    assert "units missing from the store were not computed" in capsys.readouterr().out


def test_multirun_over_local_processes_gives_the_single_process_tables(tmp_path):
    clips = tmp_path / "clips"
    write_tones(clips, [f"c{i}.wav" for i in range(4)], duration_s=0.5)
    assert main(_args(tmp_path, clips, "single")) == 0
    run_args = " ".join(_args(tmp_path, clips, "multi"))
    command = [
        sys.executable, "-m", "benchmarks.multirun", "-m", "shard.count=3", "shard.index=0,1,2",
        f"run_args=\"{run_args}\"", f"hydra.sweep.dir={tmp_path / 'sweep'}",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "results" / "multi"
    assert sorted(p.name for p in (run_dir / "shards").iterdir()) == ["0-of-3", "1-of-3", "2-of-3"]
    assert sorted(p.name for p in (tmp_path / "sweep").glob("shard_*")) == ["shard_0", "shard_1", "shard_2"]
    pids = {int(read_table(db, "runs")["pid"].iloc[0]) for db in run_dir.glob("shards/*/store.sqlite")}
    assert len(pids) == 3 and os.getpid() not in pids  # three jobs, each in its own process
    _same_tables(tmp_path / "results" / "single", run_dir)
    merged = read_table(run_dir / "store.sqlite", "scores")
    assert len(merged) == 3 * 4 * 3 and not merged.duplicated(_KEYS["scores"]).any()
