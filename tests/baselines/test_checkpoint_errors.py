"""A corrupt or wrong-format checkpoint gets an error naming the file and the expected format.

Each codec's checkpoint route is given its own format truncated to half, an empty file, random
bytes, a WAV file and another codec's checkpoint. The error must be a `CheckpointError` (a
ValueError, never a bare EOFError), name the file and say what format was expected. Weight lookups
must also never touch the network, so offline machines fail at once.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from baselines.base import CodecUnavailable
from baselines.registry import availability, build_codec
from baselines.weights import CheckpointError
from tests.conftest import harmonic_tone

pytest.importorskip("encodec")
pytest.importorskip("dac")

from baselines.neural.dac import DAC_16KHZ_KWARGS, DAC_WEIGHTS_FORMAT
from baselines.neural.encodec import ENCODEC_24KHZ_CHECKPOINT, ENCODEC_WEIGHTS_FORMAT
from baselines.neural.hificodec import HIFICODEC_WEIGHTS_FORMAT, HiFiCodecConfig, HiFiCodecModel

TINY_DAC = {**DAC_16KHZ_KWARGS, "encoder_dim": 4, "decoder_dim": 16}
TINY_HIFI = HiFiCodecConfig(
    upsample_initial_channel=64,
    resblock_kernel_sizes=(3,),
    resblock_dilation_sizes=((1, 3, 5),),
    n_codes=32,
    latent_channels=256,
    encoder_base_channels=16,
)


def _dac_file(path: Path) -> None:
    import dac

    torch.manual_seed(0)
    torch.save({"state_dict": dac.DAC(**TINY_DAC).state_dict(), "metadata": {"kwargs": dict(TINY_DAC)}}, path)


def _encodec_file(path: Path) -> None:
    from encodec import EncodecModel

    torch.save(EncodecModel.encodec_model_24khz(pretrained=False).state_dict(), path)


def _hificodec_file(path: Path) -> None:
    torch.save(HiFiCodecModel(TINY_HIFI).checkpoint_state(), path)


#: codec configuration -> (writer of a valid file in its format, words of its expected format).
FORMATS: dict[str, tuple[Callable[[Path], None], str]] = {
    "dac@6kbps": (_dac_file, DAC_WEIGHTS_FORMAT),
    "encodec@6kbps": (_encodec_file, ENCODEC_WEIGHTS_FORMAT),
    "hificodec@2kbps": (_hificodec_file, HIFICODEC_WEIGHTS_FORMAT),
}
#: A checkpoint of another codec, as the wrong format each codec is given.
OTHER = {"dac@6kbps": "hificodec@2kbps", "encodec@6kbps": "dac@6kbps", "hificodec@2kbps": "encodec@6kbps"}


def _bad_files(folder: Path, name: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    write, _ = FORMATS[name]
    valid = folder / "valid.pth"
    write(valid)
    data = valid.read_bytes()
    files = {
        "truncated": folder / "truncated.pth",
        "empty": folder / "empty.pth",
        "random bytes": folder / "random.pth",
        "wav": folder / "audio.pth",
        "other codec": folder / "other_codec.pth",
    }
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["empty"].write_bytes(b"")
    files["random bytes"].write_bytes(np.random.default_rng(0).bytes(4096))
    sf.write(files["wav"], harmonic_tone(0.1), 16_000, format="WAV")
    FORMATS[OTHER[name]][0](files["other codec"])
    return files


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_corrupt_and_wrong_format_checkpoints_name_the_file_and_the_format(tmp_path, name):
    expected_format = FORMATS[name][1]
    for case, path in _bad_files(tmp_path / "files", name).items():
        with pytest.raises(CheckpointError) as info:
            build_codec(name, checkpoint=str(path))
        message = str(info.value)
        assert str(path) in message, (case, message)
        assert f"Expected {expected_format}." in message, (case, message)
        assert "\n" not in message, (case, message)
        if case in ("truncated", "empty", "random bytes", "wav"):
            assert "checkpoint" in info.value.problem or "empty" in info.value.problem, (case, message)


def test_encodec_official_name_with_damaged_content_names_file_and_format(tmp_path):
    repository = tmp_path / "repo"
    repository.mkdir()
    _encodec_file(tmp_path / "valid.th")
    path = repository / ENCODEC_24KHZ_CHECKPOINT
    path.write_bytes((tmp_path / "valid.th").read_bytes()[:1000])
    with pytest.raises(CodecUnavailable) as info:
        build_codec("encodec@6kbps", repository=str(repository))
    assert str(path) in info.value.reason and ENCODEC_WEIGHTS_FORMAT in info.value.reason


def test_weight_lookups_never_touch_the_network(tmp_path, monkeypatch):
    """Offline, a missing checkpoint is reported at once: no download, no retry, no connection attempt."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    for name in ("hificodec@2kbps", "hificodec@1kbps", "dac@6kbps", "encodec@6kbps"):
        start = time.monotonic()
        assert not availability(name).available
        with pytest.raises(CodecUnavailable, match="not found"):
            build_codec(name)
        assert time.monotonic() - start < 5.0, name
    assert attempts == []
