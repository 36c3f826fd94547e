"""No checkpoint runs code: every adapter's checkpoint route refuses a pickle payload, names the file.

Each payload file, when unpickled without restriction (or imported as a torch.package), writes a
marker file. Every route by which a checkpoint reaches a model is fed every payload format: the
explicit file argument of each codec, the default cache folders, and a whole benchmark run. The
tests check that the marker never appears and that the error names the file.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from baselines.registry import build_codec
from baselines.weights import CheckpointError, load_weights_only
from tests.conftest import harmonic_tone


class Payload:
    """Unpickling this object runs `exec` of code that writes `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('payload ran')",))


def _torch_package(path: Path, marker: Path) -> None:
    """A torch.package archive whose resources (DAC's own resource names included) hold the payload."""
    with torch.package.PackageExporter(str(path)) as exporter:
        exporter.extern(["builtins"])
        for package, resource in (("DAC", "DAC.pth"), ("model", "model.pkl")):
            exporter.save_pickle(package, resource, Payload(marker))


def _write_payloads(folder: Path, marker: Path) -> dict[str, Path]:
    """Payload files in the three formats a checkpoint can come in: torch.save zip, raw pickle, torch.package."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        # Looks like a DAC weights dict: real tensors, the code hidden in the metadata.
        "torch.save": folder / "payload_zip.pth",
        "pickle": folder / "payload_raw.pth",
        "torch.package": folder / "payload_package.pth",
    }
    torch.save(
        {"state_dict": {"w": torch.zeros(2)}, "metadata": {"kwargs": Payload(marker)}}, files["torch.save"]
    )
    files["pickle"].write_bytes(pickle.dumps({"generator": Payload(marker)}, protocol=2))
    _torch_package(files["torch.package"], marker)
    return files


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "PAYLOAD_RAN"
    yield path
    assert not path.exists(), "a checkpoint payload was executed"


@pytest.fixture
def payloads(tmp_path, marker) -> dict[str, Path]:
    return _write_payloads(tmp_path / "payloads", marker)


def _refused(path: Path, marker: Path, function, *args, **kwargs) -> Exception:
    """Call `function(*args, **kwargs)`: it must raise an exception naming `path`, and run no payload."""
    with pytest.raises(Exception) as info:
        function(*args, **kwargs)
    assert not marker.exists(), f"payload in {path.name} ran"
    message = str(info.value)
    assert str(path) in message, message
    return info.value


def test_the_payloads_really_run_when_loaded_without_restriction(tmp_path, payloads, marker):
    """The test files are live: an unrestricted load (what the adapters must never do) runs each one."""
    for kind, path in payloads.items():
        if kind == "torch.package":
            torch.package.PackageImporter(str(path)).load_pickle("DAC", "DAC.pth")
        elif kind == "pickle":
            pickle.loads(path.read_bytes())
        else:
            torch.load(path, weights_only=False)
        assert marker.read_text() == "payload ran", kind
        marker.unlink()


@pytest.mark.parametrize("kind", ["torch.save", "pickle", "torch.package"])
def test_every_adapter_refuses_every_payload_and_names_the_file(kind, payloads, marker):
    pytest.importorskip("encodec")
    pytest.importorskip("dac")
    path = payloads[kind]
    routes = {
        "encodec checkpoint=": (build_codec, "encodec@6kbps", {"checkpoint": str(path)}),
        "dac checkpoint=": (build_codec, "dac@6kbps", {"checkpoint": str(path)}),
        "hificodec checkpoint=": (build_codec, "hificodec@2kbps", {"checkpoint": str(path)}),
        "shared loader": (load_weights_only, path, {"expected_format": "tensors"}),
    }
    for route, (function, argument, kwargs) in routes.items():
        error = _refused(path, marker, function, argument, **kwargs)
        assert isinstance(error, CheckpointError), (route, error)
        if kind == "torch.package":
            assert "torch.package archive" in str(error), route
        else:
            assert "would run code from the file, so it is refused" in str(error), route
            assert "exec" in str(error), route


def test_dac_refusal_says_how_to_convert_a_trusted_file(payloads, marker):
    pytest.importorskip("dac")
    for kind in ("torch.save", "torch.package"):
        path = payloads[kind]
        error = _refused(path, marker, build_codec, "dac@6kbps", checkpoint=str(path))
        message = str(error)
        assert "Only if you trust where the file came from" in message
        assert f"dac.DAC.load('{path}').save(" in message and "package=False" in message
        assert path.stem + "_weights_only.pth" in message


def test_encodec_repository_folder_with_a_payload_under_the_official_name(tmp_path, payloads, marker):
    pytest.importorskip("encodec")
    from baselines.neural.encodec import ENCODEC_24KHZ_CHECKPOINT

    for kind, source in payloads.items():
        repository = tmp_path / f"repo_{kind}"
        repository.mkdir()
        path = repository / ENCODEC_24KHZ_CHECKPOINT
        path.write_bytes(source.read_bytes())
        _refused(path, marker, build_codec, "encodec@6kbps", repository=str(repository))


def test_default_cache_routes(tmp_path, monkeypatch, payloads, marker):
    """Files found in each codec's default cache go through the same safe loader."""
    pytest.importorskip("encodec")
    pytest.importorskip("dac")
    from baselines.neural.dac import DAC_16KHZ_CHECKPOINT
    from baselines.neural.hificodec import CHECKPOINT_NAME, HF_REPO_ID

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    dac_cached = tmp_path / "home" / ".cache" / "descript" / "dac" / DAC_16KHZ_CHECKPOINT
    snapshot = tmp_path / "hub" / ("models--" + HF_REPO_ID.replace("/", "--")) / "snapshots" / "abc123"
    (snapshot.parent.parent / "refs").mkdir(parents=True)
    (snapshot.parent.parent / "refs" / "main").write_text("abc123")  # as a download leaves it
    hifi_cached = snapshot / CHECKPOINT_NAME
    for folder in (dac_cached.parent, snapshot):
        folder.mkdir(parents=True)
    for source in payloads.values():
        dac_cached.write_bytes(source.read_bytes())
        _refused(dac_cached, marker, build_codec, "dac@6kbps")
        hifi_cached.write_bytes(source.read_bytes())
        _refused(hifi_cached, marker, build_codec, "hificodec@2kbps")


def test_a_benchmark_run_with_a_payload_in_the_dac_cache_runs_no_code(tmp_path, monkeypatch, capsys, marker):
    pytest.importorskip("dac")
    from baselines.neural.dac import DAC_16KHZ_CHECKPOINT
    from benchmarks.run import main

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cached = tmp_path / "home" / ".cache" / "descript" / "dac" / DAC_16KHZ_CHECKPOINT
    _write_payloads(tmp_path / "payloads", marker)
    cached.parent.mkdir(parents=True)
    cached.write_bytes((tmp_path / "payloads" / "payload_zip.pth").read_bytes())
    clips = tmp_path / "clips"
    clips.mkdir()
    sf.write(clips / "tone.wav", harmonic_tone(0.5, 16_000), 16_000)
    main(
        [
            "--codecs",
            "dac@6kbps",
            "--datasets",
            "folder",
            "--metrics",
            "mel_distance",
            f"dataset.folder.root={clips}",
            "dataset.folder.domain=sound",
            f"output_root={tmp_path / 'out'}",
            f"cache_dir={tmp_path / 'cache'}",
            "name=payload",
            "progress=false",
            "report.plots=false",
        ]
    )
    assert not marker.exists()
    captured = capsys.readouterr()
    assert str(cached) in captured.out + captured.err


def test_semanticodec_loader_runs_no_payload(payloads, marker):
    """SemantiCodec's public checkpoint loaders: the state dicts and the semantic codebook (.npy)."""
    from semanticodec.checkpoints import load_semantic_codebook, load_state_dict_file

    for path in payloads.values():
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do here; the point is that nothing ran
            load_state_dict_file(path)
        assert not marker.exists(), path.name
    codebook = payloads["pickle"].parent / "codebook_payload.npy"
    np.save(codebook, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(Exception):  # noqa: B017 - as above
        load_semantic_codebook(codebook)
    assert not marker.exists()


def test_semanticodec_loader_names_the_refused_file(payloads, marker):
    from semanticodec.checkpoints import load_state_dict_file

    for path in payloads.values():
        _refused(path, marker, load_state_dict_file, path)
