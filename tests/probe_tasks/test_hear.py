"""HEAR-layout loaders on fixtures written in hear-eval-kit's preprocessed layout (tiny 16 kHz tones)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.probe.task import ProbeTaskError, check_split_rule
from benchmarks.probe.tasks.hear import find_hear_task_dir, hear_task_names, load_hear_task


def _tone(path: Path, freq_hz: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(1600) / 16000
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), 16000, subtype="PCM_16")


def write_hear_task(
    root: Path, metadata: dict, labels_by_split: dict[str, dict[str, list]], vocab: list[str] | None = None
) -> Path:
    """A task folder: task_metadata.json, <split>.json, labelvocabulary.csv and 16000/<split>/*.wav."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "task_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    for split, entries in labels_by_split.items():
        (root / f"{split}.json").write_text(json.dumps(entries, indent=True), encoding="utf-8")
        for i, name in enumerate(sorted(entries)):
            _tone(root / "16000" / split / name, 200.0 + 50 * i)
    if vocab is not None:
        (root / "labelvocabulary.csv").write_text(
            "idx,label\n" + "".join(f"{i},{lab}\n" for i, lab in enumerate(vocab)), encoding="utf-8"
        )
    return root


def _speech_commands(tmp_path: Path) -> Path:
    meta = {
        "task_name": "speech_commands",
        "version": "v0.0.2",
        "embedding_type": "scene",
        "prediction_type": "multiclass",
        "split_mode": "trainvaltest",
        "sample_duration": 1.0,
        "evaluation": ["top1_acc"],
        "splits": ["train", "test", "valid"],
        "mode": "5h",
    }
    splits = {
        "train": {
            "yes_0a7c2a8d_nohash_0.wav": ["yes"],
            "no_0a7c2a8d_nohash_1.wav": ["no"],
            "no_1b2c3d4e_nohash_0.wav": ["no"],
        },
        "valid": {"yes_22aa33bb_nohash_0.wav": ["yes"], "no_22aa33bb_nohash_0.wav": ["no"]},
        "test": {"yes_ffee0011_nohash_0.wav": ["yes"], "_silence__x.wav": ["_silence_"]},
    }
    return write_hear_task(
        tmp_path / "tasks" / "speech_commands-v0.0.2-5h", meta, splits, ["_silence_", "no", "yes"]
    )


def _esc50(tmp_path: Path) -> Path:
    meta = {
        "task_name": "esc50",
        "version": "v2.0.0",
        "embedding_type": "scene",
        "prediction_type": "multiclass",
        "split_mode": "presplit_kfold",
        "nfolds": 3,
        "sample_duration": 5,
        "evaluation": ["top1_acc", "mAP"],
        "splits": ["fold00", "fold01", "fold02"],
    }
    splits = {
        "fold00": {
            "1-100038-A-14.wav": ["chirping_birds"],
            "1-100038-B-14.wav": ["chirping_birds"],
            "1-5996-A-6.wav": ["hen"],
        },
        "fold01": {"2-109505-A-21.wav": ["sneezing"], "2-5996-A-6.wav": ["hen"]},
        "fold02": {"3-1000-A-21.wav": ["sneezing"], "3-2000-A-14.wav": ["chirping_birds"]},
    }
    return write_hear_task(tmp_path / "tasks" / "esc50-v2.0.0-full", meta, splits)


def test_trainvaltest_task_loads_with_splits_labels_and_speaker_groups(tmp_path: Path) -> None:
    folder = _speech_commands(tmp_path)
    task = load_hear_task(folder)
    assert task.name == "hear_speech_commands_5h" and task.evaluation == "splits"
    assert task.label_names == ("_silence_", "no", "yes")  # labelvocabulary.csv order
    assert task.split_names() == ["test", "train", "valid"]
    assert len(task.clips) == 7
    by_id = {c.clip_id: c for c in task.clips}
    assert by_id["train/no_0a7c2a8d_nohash_1"].group == "speaker:0a7c2a8d"
    assert (
        by_id["train/no_0a7c2a8d_nohash_1"].path
        == (folder / "16000" / "train" / "no_0a7c2a8d_nohash_1.wav").resolve()
    )
    assert all(c.duration_s == 1.0 for c in task.clips)
    check_split_rule(task)


def test_fold_task_names_folds_and_keeps_esc50_sources_together(tmp_path: Path) -> None:
    task = load_hear_task(_esc50(tmp_path), name="esc50")
    assert task.evaluation == "folds" and task.split_names() == ["fold0", "fold1", "fold2"]
    assert task.label_names == ("chirping_birds", "hen", "sneezing")  # sorted without a vocabulary file
    groups = {c.clip_id: c.group for c in task.clips}
    assert groups["fold00/1-100038-A-14"] == groups["fold00/1-100038-B-14"] == "freesound:100038"
    # the same Freesound source (5996) in two folds is exactly what the split rule catches
    with pytest.raises(ProbeTaskError, match="freesound:5996"):
        check_split_rule(task)


def test_split_rule_catches_a_speaker_in_two_splits(tmp_path: Path) -> None:
    folder = _speech_commands(tmp_path)
    entries = json.loads((folder / "test.json").read_text())
    entries["no_0a7c2a8d_nohash_4.wav"] = ["no"]  # speaker of the train split
    (folder / "test.json").write_text(json.dumps(entries))
    _tone(folder / "16000" / "test" / "no_0a7c2a8d_nohash_4.wav", 300.0)
    with pytest.raises(ProbeTaskError, match="speaker:0a7c2a8d"):
        check_split_rule(load_hear_task(folder))


def test_find_task_dir_by_name_under_a_tasks_folder(tmp_path: Path) -> None:
    _speech_commands(tmp_path)
    _esc50(tmp_path)
    assert find_hear_task_dir("esc50", tmp_path / "tasks").name == "esc50-v2.0.0-full"
    assert find_hear_task_dir("speech_commands_5h", tmp_path / "tasks").name == "speech_commands-v0.0.2-5h"
    with pytest.raises(ProbeTaskError, match="libricount"):
        find_hear_task_dir("libricount", tmp_path / "tasks")
    assert set(hear_task_names()) == {
        "esc50",
        "nsynth_pitch_5h",
        "speech_commands_5h",
        "libricount",
        "crema_d",
        "vocal_imitation",
    }


def test_numeric_labels_sort_as_numbers(tmp_path: Path) -> None:
    meta = {
        "task_name": "nsynth_pitch",
        "version": "v2.2.3",
        "embedding_type": "scene",
        "prediction_type": "multiclass",
        "split_mode": "trainvaltest",
        "sample_duration": 4.0,
        "splits": ["train", "valid", "test"],
    }
    splits = {
        "train": {"guitar_acoustic_001-082-050.wav": [82], "guitar_acoustic_001-100-050.wav": [100]},
        "valid": {"keyboard_electronic_002-021-100.wav": [21]},
        "test": {"bass_synthetic_009-100-075.wav": [100]},
    }
    task = load_hear_task(write_hear_task(tmp_path / "nsynth_pitch-v2.2.3-5h", meta, splits))
    assert task.label_names == ("21", "82", "100")
    assert {c.group for c in task.clips if c.split == "train"} == {"instrument:guitar_acoustic_001"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: (d / "task_metadata.json").unlink(), "task_metadata.json: file not found"),
        (lambda d: _edit_meta(d, split_mode="random"), "split_mode 'random'"),
        (lambda d: _edit_meta(d, prediction_type="multilabel"), "prediction_type 'multilabel'"),
        (lambda d: _edit_meta(d, embedding_type="event"), "embedding_type 'event'"),
        (lambda d: (d / "valid.json").unlink(), "valid.json: file not found"),
        (
            lambda d: (d / "16000" / "test" / "yes_ffee0011_nohash_0.wav").unlink(),
            "yes_ffee0011_nohash_0.wav not found",
        ),
        (lambda d: (d / "train.json").write_text('{"a.wav": ["x", "y"]}'), "exactly one label"),
        (lambda d: (d / "train.json").write_text("{not json"), "train.json: not readable JSON"),
        (lambda d: _edit_meta(d, task_name="unknown_task"), "task_name 'unknown_task'"),
    ],
)
def test_bad_layout_gives_a_clear_error_naming_the_file(tmp_path: Path, change, message: str) -> None:
    folder = _speech_commands(tmp_path)
    change(folder)
    with pytest.raises(ProbeTaskError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_hear_task(folder)


def test_missing_sample_rate_folder_lists_the_rates_present(tmp_path: Path) -> None:
    with pytest.raises(
        ProbeTaskError, match=r"22050: audio folder not found \(sample rates present: \['16000'\]\)"
    ):
        load_hear_task(_speech_commands(tmp_path), sample_rate=22050)


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / "task_metadata.json").read_text())
    meta.update(changes)
    (folder / "task_metadata.json").write_text(json.dumps(meta))
