"""The offline probe task set: split rule on every task, determinism, resume and missing-package errors.

Fast tests use a `--limit 1` build (one clip per task, split and class: about 210 clips); the full build is
marked slow.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from benchmarks.probe.task import ProbeTaskError, check_split_rule
from benchmarks.probe.tasks import load_offline_task, offline_task_names
from benchmarks.probe.tasks.build import build_offline_tasks, main
from benchmarks.probe.tasks.sources import ProbeSourceError, missing_packages

pytestmark = pytest.mark.skipif(
    bool(missing_packages()), reason=f"task-set packages missing: {missing_packages()}"
)

SUBSET = ["spoken_digits", "gm_pitch", "speaker_count"]  # one task per renderer family: TTS, MIDI, mixing


@pytest.fixture(scope="module")
def smoke_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("probe_tasks") / "limit1"
    build_offline_tasks(root, limit=1)
    return root


def _rows(manifest: Path, tasks: list[str] | None = None) -> list[dict[str, str]]:
    with manifest.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if tasks is None or r["task"] in tasks]


@pytest.mark.parametrize("name", offline_task_names())
def test_every_task_keeps_each_source_in_one_split_and_has_every_class_in_every_split(
    smoke_root: Path, name: str
) -> None:
    task = load_offline_task(name, smoke_root, build=False)
    check_split_rule(task)
    assert task.split_names() == ["test", "train", "valid"]
    for split in ("train", "valid", "test"):
        assert {c.label for c in task.clips if c.split == split} == set(task.label_names), split
    for clip in task.clips:
        assert clip.path.is_file() and clip.source and clip.licence
        info = sf.info(str(clip.path))
        assert info.samplerate == 16000 and info.channels == 1
        assert clip.duration_s == pytest.approx(info.frames / 16000, abs=1e-3) and clip.duration_s > 0.05


def test_pitch_task_never_tests_on_the_training_soundfont(smoke_root: Path) -> None:
    task = load_offline_task("gm_pitch", smoke_root, build=False)
    fonts = {
        s: {c.group.split(":")[0] for c in task.clips if c.split == s} for s in ("train", "valid", "test")
    }
    assert fonts == {"train": {"FluidR3_GM"}, "valid": {"FluidR3_GM"}, "test": {"TimGM6mb"}}


def test_digit_voices_and_drum_kits_are_split_by_voice_and_kit(smoke_root: Path) -> None:
    digits = load_offline_task("spoken_digits", smoke_root, build=False)
    assert all(c.group.startswith(("espeak-ng:", "flite:")) for c in digits.clips)
    assert {c.group.split(":")[0] for c in digits.clips if c.split == "train"} == {"espeak-ng"}
    drums = load_offline_task("drum_kits", smoke_root, build=False)
    assert all(c.group.startswith("kit:") for c in drums.clips)


def test_rebuild_gives_the_identical_manifest_and_resumes_a_lost_clip(
    smoke_root: Path, tmp_path: Path
) -> None:
    manifest = build_offline_tasks(tmp_path / "again", tasks=SUBSET, limit=1)
    assert _rows(manifest) == _rows(smoke_root / "manifest.csv", SUBSET)  # same audio hashes too
    lost = tmp_path / "again" / _rows(manifest)[3]["path"]
    lost.unlink()
    before = manifest.read_text()
    build_offline_tasks(tmp_path / "again", tasks=SUBSET, limit=1)
    assert manifest.read_text() == before
    assert json.loads((tmp_path / "again" / "build.json").read_text())["rendered_now"] == 1


def test_an_up_to_date_folder_is_left_alone(smoke_root: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(smoke_root, tmp_path / "copy")
    stamp = (copy / "build.json").read_text()
    build_offline_tasks(copy, limit=1)
    assert (copy / "build.json").read_text() == stamp


def test_missing_debian_package_gives_one_line_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CODECBENCH_SHARE_DIR", str(tmp_path))  # an empty /usr/share
    with pytest.raises(ProbeSourceError, match=r"hedgewars-data.*apt-get install"):
        build_offline_tasks(tmp_path / "out", tasks=["voice_speaker"], limit=1)
    assert main(["--out", str(tmp_path / "out"), "--tasks", "drum_kits", "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hydrogen-drumkits" in err and "apt-get install" in err


def test_unknown_task_and_unbuilt_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ProbeTaskError, match="unknown offline task 'nope'; known: spoken_digits"):
        load_offline_task("nope", tmp_path)
    with pytest.raises(ProbeTaskError, match="not built; run `python -m benchmarks.probe.tasks.build"):
        load_offline_task("spoken_digits", tmp_path, build=False)


@pytest.mark.slow
def test_full_build_obeys_the_split_rule(tmp_path: Path) -> None:
    manifest = build_offline_tasks(tmp_path / "full")
    info = json.loads((manifest.parent / "build.json").read_text())
    assert info["num_clips"] > 4000
    for name in offline_task_names():
        task = load_offline_task(name, tmp_path / "full", build=False)
        check_split_rule(task)
        for split in ("train", "valid", "test"):
            assert {c.label for c in task.clips if c.split == split} == set(task.label_names), (name, split)


def test_difficulty_check_writes_csv_and_markdown_with_its_command(smoke_root: Path, tmp_path: Path) -> None:
    from benchmarks.probe.tasks import difficulty

    out = tmp_path / "acc"
    args = [
        "--root",
        str(smoke_root),
        "--extractors",
        "logmel",
        "--tasks",
        "spoken_digits,gm_pitch",
        "--out",
        str(out),
    ]
    assert difficulty.main(args) == 0
    rows = _rows_any(out.with_suffix(".csv"))
    assert [r["task"] for r in rows] == ["offline_spoken_digits", "offline_gm_pitch"]
    for row in rows:
        assert 0.0 <= float(row["test_accuracy"]) <= 1.0 and row["n_test"] == row["classes"]
        assert float(row["test_ci95_low"]) <= float(row["test_accuracy"]) <= float(row["test_ci95_high"])
    text = out.with_suffix(".md").read_text()
    assert "python -m benchmarks.probe.tasks.difficulty --root" in text and "manifest sha256" in text
    cached = list((smoke_root / "features").glob("offline_spoken_digits.logmel.*.npy"))
    assert len(cached) == 1  # a rerun fits from the cache
    assert difficulty.main(args) == 0 and _rows_any(out.with_suffix(".csv")) == rows


def _rows_any(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
