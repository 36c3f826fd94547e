"""The paper's evaluation-set loader: local folder, local tar, and the download path (file:// URLs)."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from benchmarks.datasets import DatasetError
from benchmarks.datasets.evalset import TAR_NAME, TAR_URL, load_evalset, zenodo_file_md5
from tests.datasets._audio import write_wav

TRANSCRIPTS = {
    "libritts_1089_134686_000009_000006.wav": "He hoped there would be stew for dinner.",
    "libritts_121_127105_000044_000001.wav": "It was the beauty of it.",
}


def _make_set(folder: Path) -> Path:
    wav_dir = folder / "evaluationset_16k"
    for name in TRANSCRIPTS:
        write_wav(wav_dir / name, 8.5, 16000)
    write_wav(wav_dir / "audioset_Y-XwtCzUaN1I.wav", 10.0, 16000)
    write_wav(wav_dir / "musdb_114mixture.wav", 10.5, 16000)
    write_wav(wav_dir / "musdb_114mixture_trimmed.wav", 10.0, 16000)
    write_wav(wav_dir / "notes.wav", 1.0, 16000)
    (folder / "libritts_transcription.json").write_text(json.dumps(TRANSCRIPTS))
    return wav_dir


def test_local_folder(tmp_path: Path) -> None:
    _make_set(tmp_path)
    clips = load_evalset(tmp_path)
    by_id = {c.clip_id: c for c in clips}
    assert sorted(by_id) == [
        "audioset_Y-XwtCzUaN1I",
        "libritts_1089_134686_000009_000006",
        "libritts_121_127105_000044_000001",
        "musdb_114mixture",
    ]
    assert by_id["libritts_121_127105_000044_000001"].transcript == "It was the beauty of it."
    assert by_id["musdb_114mixture"].path.endswith("musdb_114mixture_trimmed.wav")  # trimmed preferred
    assert by_id["musdb_114mixture"].duration_s == pytest.approx(10.0)
    assert [c.domain for c in clips] == ["sound", "speech", "speech", "music"]
    assert [c.clip_id for c in load_evalset(tmp_path / "evaluationset_16k", domains="speech")] == [
        "libritts_1089_134686_000009_000006",
        "libritts_121_127105_000044_000001",
    ]


def test_missing_set_names_url_file_and_place(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        load_evalset(tmp_path / "evalset")
    message = str(info.value)
    assert TAR_URL in message and TAR_NAME in message and str(tmp_path / "evalset") in message


def _tar_and_api(tmp_path: Path) -> tuple[Path, Path, str]:
    src = tmp_path / "src"
    _make_set(src)
    (src / "evaluationset_16k" / "libritts_transcription.json").write_text(json.dumps(TRANSCRIPTS))
    tar_path = tmp_path / "upload" / TAR_NAME
    tar_path.parent.mkdir()
    with tarfile.open(tar_path, "w") as tar:
        tar.add(src / "evaluationset_16k", arcname="evaluationset_16k")
    md5 = hashlib.md5(tar_path.read_bytes()).hexdigest()
    api = tmp_path / "upload" / "record.json"
    api.write_text(json.dumps({"files": [{"key": TAR_NAME, "checksum": f"md5:{md5}", "size": 1}]}))
    return tar_path, api, md5


def test_download_verifies_and_records_checksums(tmp_path: Path) -> None:
    tar_path, api, md5 = _tar_and_api(tmp_path)
    assert zenodo_file_md5(TAR_NAME, api.as_uri()) == md5
    root = tmp_path / "data"
    sha256 = hashlib.sha256(tar_path.read_bytes()).hexdigest()
    clips = load_evalset(root, download=True, url=tar_path.as_uri(), api_url=api.as_uri(), sha256=sha256)
    assert len(clips) == 4 and sum(c.transcript is not None for c in clips) == 2
    record = json.loads((root / f"{TAR_NAME}.checksums.json").read_text())
    assert record["computed"] == {"md5": md5, "sha256": sha256} and record["zenodo_md5"] == md5
    assert len(load_evalset(root)) == 4  # extracted copy is reused without the network


def test_checksum_mismatch_rejects_the_download(tmp_path: Path) -> None:
    tar_path, api, _ = _tar_and_api(tmp_path)
    root = tmp_path / "data"
    with pytest.raises(DatasetError, match="md5 mismatch"):
        load_evalset(root, download=True, url=tar_path.as_uri(), api_url=api.as_uri(), md5="0" * 32)
    assert not (root / TAR_NAME).exists() and (root / f"{TAR_NAME[:-4]}.tar.bad").exists()
    assert not (root / "evaluationset_16k").exists()


def test_unreachable_download_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="download failed"):
        load_evalset(tmp_path, download=True, url=(tmp_path / "absent.tar").as_uri(), api_url=None)
