"""Fingerprints of codec configurations, weight files and clips; the file-hash memo."""

from __future__ import annotations

import dataclasses
import hashlib
import os

import soundfile as sf

from baselines.registry import build_codec
from benchmarks import fingerprint as fp
from benchmarks.datasets.base import Clip
from benchmarks.fingerprint import FileHasher, clip_fingerprint, codec_fingerprint
from tests.benchmarks import _codecs
from tests.benchmarks._codecs import SR, noise


def _counting(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = fp.file_sha256  # the one file hash (baselines.files), as fingerprint.py uses it

    def counted(path: str) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(fp, "file_sha256", counted)
    return calls


def test_each_file_is_hashed_once_while_unchanged_even_across_processes(tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"a" * 1000)
    memo = tmp_path / "cache" / "hashes.sqlite"
    first = FileHasher(memo)
    assert first.sha256(weights) == hashlib.sha256(b"a" * 1000).hexdigest()
    assert first.sha256(weights) == first.sha256(str(weights))
    first.close()
    assert FileHasher(memo).sha256(weights) == hashlib.sha256(b"a" * 1000).hexdigest()  # a new process's view
    assert len(calls) == 1
    weights.write_bytes(b"b" * 1000)  # same path and size, new content
    stat = os.stat(weights)  # a later save: on coarse-clock file systems two quick writes can share a tick
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert FileHasher(memo).sha256(weights) == hashlib.sha256(b"b" * 1000).hexdigest()
    assert len(calls) == 2


def test_unwritable_memo_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    hasher = FileHasher(blocker / "memo.sqlite")  # its folder cannot be created
    assert hasher.sha256(weights) == hashlib.sha256(b"w").hexdigest()


def test_codec_fingerprint_follows_every_setting_and_nothing_else():
    opus20 = codec_fingerprint(build_codec("opus@6kbps"), FileHasher())
    again = codec_fingerprint(build_codec("opus@6kbps"), FileHasher())
    opus40 = codec_fingerprint(build_codec("opus@6kbps", frame_ms=40), FileHasher())
    other = codec_fingerprint(build_codec("opus@6kbps", complexity=5), FileHasher())
    assert opus20.digest == again.digest
    assert len({opus20.digest, opus40.digest, other.digest}) == 3
    assert opus40.info["constructor_args"]["frame_ms"] == 40


def test_codec_fingerprint_follows_weight_file_content_not_its_name(tmp_path, monkeypatch):
    a, b = tmp_path / "a" / "gain.txt", tmp_path / "b" / "gain.txt"
    for path, text in ((a, "0.5"), (b, "0.5")):
        path.parent.mkdir()
        path.write_text(text)

    def fingerprint_with(path):
        monkeypatch.setattr(_codecs, "DEFAULT_GAIN_FILE", [path])
        return codec_fingerprint(_codecs.GainCodec(), FileHasher())

    same_a, same_b = fingerprint_with(a), fingerprint_with(b)
    assert same_a.digest == same_b.digest  # same content in another place: same weights
    assert same_a.weight_sha256 == {os.path.realpath(a): hashlib.sha256(b"0.5").hexdigest()}
    b.write_text("0.7")
    assert fingerprint_with(b).digest != same_a.digest


def test_clip_fingerprint_follows_content_segment_and_rate(tmp_path):
    path = tmp_path / "c.wav"
    sf.write(path, noise(0.5, seed=0), SR)
    clip = Clip("c", str(path), "speech", "folder")
    hasher = FileHasher()
    base = clip_fingerprint(clip, SR, hasher)
    assert clip_fingerprint(Clip("c", str(path), "speech", "other"), SR, hasher) == base  # names do not matter
    assert clip_fingerprint(clip, 24_000, hasher) != base
    assert clip_fingerprint(dataclasses.replace(clip, offset_s=0.1), SR, hasher) != base
    sf.write(path, noise(0.5, seed=1), SR)
    assert clip_fingerprint(clip, SR, hasher) != base
    missing = clip_fingerprint(Clip("m", str(tmp_path / "missing.wav"), "speech", "folder"), SR, hasher)
    assert len(missing) == fp.FINGERPRINT_HEX_DIGITS


def test_canonical_json_is_stable_for_paths_nan_and_objects(tmp_path):
    class Thing:
        pass

    value = {"b": tmp_path, "a": float("nan"), "c": {3, 1, 2}, "d": Thing()}
    text = fp.canonical_json(value)
    assert text == fp.canonical_json(dict(reversed(list(value.items()))))
    assert " at 0x" not in text and '"a":"nan"' in text and '"c":[1,2,3]' in text
