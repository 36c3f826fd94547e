"""Offline weight lookup: standard cache locations, explicit paths, and the unavailable message."""

from __future__ import annotations

import pytest

from baselines.base import CodecUnavailable
from baselines.weights import (
    WeightFile,
    dac_cache_dir,
    huggingface_hub_cache_dir,
    huggingface_snapshot_files,
    torch_hub_checkpoints_dir,
)


def test_cache_locations_follow_each_package_rules(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert torch_hub_checkpoints_dir() == tmp_path / ".cache" / "torch" / "hub" / "checkpoints"
    assert dac_cache_dir() == tmp_path / ".cache" / "descript" / "dac"
    assert huggingface_hub_cache_dir() == tmp_path / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert torch_hub_checkpoints_dir() == tmp_path / "th" / "hub" / "checkpoints"
    assert huggingface_hub_cache_dir() == tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hubcache"))
    assert huggingface_hub_cache_dir() == tmp_path / "hubcache"


def test_locate_prefers_an_explicit_path_and_never_falls_back(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "model.bin").write_bytes(b"cached")
    weights = WeightFile("toy", "model.bin", [lambda: cache], remedy="toy-download model.bin")
    assert weights.locate() == cache / "model.bin"
    own = tmp_path / "mine"
    own.mkdir()
    (own / "model.bin").write_bytes(b"mine")
    assert weights.locate(own) == own / "model.bin"  # a folder means folder/filename
    assert weights.locate(own / "model.bin") == own / "model.bin"
    with pytest.raises(CodecUnavailable) as info:
        weights.locate(tmp_path / "missing.bin")  # the cached copy is NOT used instead
    assert (
        "not found at the given path" in info.value.reason
        and str(tmp_path / "missing.bin") in info.value.reason
    )
    assert "toy-download model.bin" in info.value.remedy


def test_missing_file_message_names_file_every_location_and_remedy(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    weights = WeightFile("toy", "model.bin", [lambda: first, lambda: [second / "model.bin"]], remedy="run X")
    with pytest.raises(CodecUnavailable) as info:
        weights.locate()
    assert "model.bin" in info.value.reason
    assert str(first / "model.bin") in info.value.reason and str(second / "model.bin") in info.value.reason
    assert info.value.remedy == "run X"
    assert "remedy: run X" in str(info.value)


def test_hugging_face_snapshots_are_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    assert huggingface_snapshot_files("org/repo", "ckpt")[0].parts[-2:] == ("<revision>", "ckpt")
    snap = tmp_path / "models--org--repo" / "snapshots" / "rev1"
    snap.mkdir(parents=True)
    (snap / "ckpt").write_bytes(b"x")
    (tmp_path / "models--org--repo" / "refs").mkdir()
    (tmp_path / "models--org--repo" / "refs" / "main").write_text("rev1")  # as a download leaves it
    assert huggingface_snapshot_files("org/repo", "ckpt") == [snap / "ckpt"]
