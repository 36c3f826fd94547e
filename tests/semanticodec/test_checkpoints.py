"""Checkpoint discovery and loading with files the tests write (tiny sizes, random weights)."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines import random_weights as rw
from semanticodec import CheckpointMismatchError, CheckpointNotFoundError, SemantiCodec, find_checkpoint_files
from semanticodec.checkpoints import (
    UnsafeCheckpointError,
    classify_encoder_checkpoint_keys,
    load_checked_state_dict,
    load_semantic_codebook,
    load_state_dict_file,
    repository_files,
)
from semanticodec.config import encoder_config
from semanticodec.encoder import SemantiCodecEncoder
from semanticodec.pretrained import load_encoder_checkpoint as _load_encoder
from tests.semanticodec.tiny import TINY_ENCODER

CONFIG = dataclasses.replace(encoder_config(100, 16384), **TINY_ENCODER)
# Entries the official encoder.ckpt holds that tokenisation does not use (tiny shapes).
UNUSED = {
    "audiomae.model.mask_token": (1, 1, 16),
    "audiomae.model.decoder_pos_embed": (1, 513, 16),
    "audiomae.model.decoder_embed.weight": (16, 32),
    "audiomae.model.decoder_blocks.0.attn.qkv.weight": (48, 16),
    "audiomae.model.decoder_norm.weight": (16,),
    "audiomae.model.decoder_pred.weight": (256, 16),
    "quantizer._codebook.initted": (1,),
    "quantizer._codebook.cluster_size": (1, 64),
    "quantizer._codebook.embed_avg": (1, 64, 32),
}


def _official_style_state() -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        model = SemantiCodecEncoder(CONFIG)
    state = {k: rw.random_tensor(k, tuple(v.shape)) for k, v in model.state_dict().items()}
    state.update({k: rw.random_tensor(k, shape) for k, shape in UNUSED.items()})
    return state


def _write_checkpoint_dir(root, state):
    folder = root / "semanticodec_tokenrate_100"
    folder.mkdir(parents=True)
    torch.save(state, folder / "encoder.ckpt")
    (folder / "decoder.ckpt").write_bytes(b"")  # present; not loaded by these tests
    npy = root / repository_files(100, 16384)["semantic_codebook"]
    npy.parent.mkdir(parents=True)
    np.save(npy, rw.semantic_codebook(64, 32).numpy())
    return folder, npy


def test_every_key_is_loaded_or_listed_unused(tmp_path):
    state = _official_style_state()
    used, unused = classify_encoder_checkpoint_keys(state)
    assert set(unused) == set(UNUSED)
    folder, npy = _write_checkpoint_dir(tmp_path, state)
    encoder = _load_encoder(CONFIG, folder / "encoder.ckpt", npy)
    loaded = encoder.state_dict()
    assert set(loaded) == set(used)
    for key in used:
        assert torch.equal(loaded[key], state[key]), key
    assert not any(t.is_meta for t in [*encoder.parameters(), *encoder.buffers()])
    # loaded weights tokenise exactly like a model given the same tensors directly
    direct = SemantiCodecEncoder(CONFIG)
    direct.load_state_dict({k: state[k] for k in used})
    direct.semantic.set_codebook(rw.semantic_codebook(64, 32))
    fbank = torch.randn(2, 1024, 128, generator=torch.Generator().manual_seed(0))
    assert torch.equal(encoder(fbank), direct(fbank))


def test_mismatching_keys_and_shapes_are_errors_listing_them(tmp_path):
    state = _official_style_state()
    broken = dict(state)
    del broken["encoder_output_linear.weight"]
    broken["audiomae.model.surprise.weight"] = torch.zeros(2)
    broken["encoder.weight_hh_l0"] = torch.zeros(3, 3)
    with torch.device("meta"):
        model = SemantiCodecEncoder(CONFIG)
    used, _ = classify_encoder_checkpoint_keys(broken)
    with pytest.raises(CheckpointMismatchError) as info:
        load_checked_state_dict(model, {k: broken[k] for k in used}, name="encoder.ckpt")
    message = str(info.value)
    assert "encoder_output_linear.weight" in message and "missing" in message
    assert "audiomae.model.surprise.weight" in message and "unexpected" in message
    assert "encoder.weight_hh_l0" in message and "shape" in message


class _Sneaky:
    """Unpickling this would create the file named in `marker` (it must never happen)."""

    marker = ""

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _assert_refused_safely(message: str, path) -> None:
    assert str(path) in message
    assert "holds" in message and "will not be loaded" in message
    assert "weights_only" not in message and "allow_pickle" not in message  # never the unsafe retry


def test_poisoned_checkpoint_is_refused_naming_the_file(tmp_path):
    marker = tmp_path / "code_ran"
    sneaky = _Sneaky()
    sneaky.marker = str(marker)
    path = tmp_path / "evil.ckpt"
    torch.save({"weight": torch.zeros(2), "hook": sneaky}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_state_dict_file(path)
    _assert_refused_safely(str(info.value), path)
    assert "holds code (pickled object getattr)" in str(info.value)  # Path.touch is reached through getattr
    assert info.value.__cause__ is None and info.value.__suppress_context__  # torch's hint is not chained in
    npy = tmp_path / "codebook.npy"
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_semantic_codebook(npy)
    _assert_refused_safely(str(info.value), npy)
    # through the public constructor: the poisoned encoder.ckpt of a checkpoint folder
    folder, _ = _write_checkpoint_dir(tmp_path / "ckpt", {"weight": torch.zeros(2), "hook": sneaky})
    with pytest.raises(UnsafeCheckpointError) as info:
        SemantiCodec(100, 16384, checkpoint_path=folder, download=False, load_decoder=False, device="cpu")
    _assert_refused_safely(str(info.value), folder / "encoder.ckpt")
    assert not marker.exists()


def test_corrupt_checkpoint_names_the_file_and_the_expected_format(tmp_path):
    good = tmp_path / "good.ckpt"
    torch.save({"weight": torch.zeros(1000)}, good)
    for name, content in (("truncated.ckpt", good.read_bytes()[:300]), ("empty.ckpt", b""),
                          ("text.ckpt", b"not a checkpoint")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(CheckpointMismatchError) as info:
            load_state_dict_file(path)
        assert str(path) in str(info.value) and "state dict" in str(info.value)


def test_found_in_local_dir_official_and_snapshot_layouts(tmp_path):
    folder, npy = _write_checkpoint_dir(tmp_path, {"x": torch.zeros(1)})
    for root in (folder, tmp_path):  # token-rate folder (official) or repository snapshot
        files = find_checkpoint_files(100, 16384, checkpoint_path=root, cache_dir=tmp_path / "empty", download=False)
        assert files.encoder == folder / "encoder.ckpt"
        assert files.decoder == folder / "decoder.ckpt"
        assert files.semantic_codebook.resolve() == npy.resolve()


def test_found_in_hugging_face_cache_layout(tmp_path):
    snapshot = tmp_path / "models--haoheliu--SemantiCodec" / "snapshots" / ("a" * 40)
    _write_checkpoint_dir(snapshot, {"x": torch.zeros(1)})
    refs = tmp_path / "models--haoheliu--SemantiCodec" / "refs"
    refs.mkdir()
    (refs / "main").write_text("a" * 40)
    files = find_checkpoint_files(100, 16384, cache_dir=tmp_path, download=False)
    assert files.encoder == snapshot / "semanticodec_tokenrate_100" / "encoder.ckpt"


def _hf_cache_snapshot(cache: Path, revision: str = "b" * 40) -> Path:
    """The layout `hf download --cache-dir <cache>` (and the official package) writes; -> snapshot folder."""
    snapshot = cache / "models--haoheliu--SemantiCodec" / "snapshots" / revision
    refs = cache / "models--haoheliu--SemantiCodec" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text(revision)
    return snapshot


def test_official_package_download_locations_are_searched(tmp_path, monkeypatch):
    """The official code caches in ./pretrained (a HF cache) and defaults to ./semanticodec_tokenrate_R."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub"))
    work = tmp_path / "work"
    snapshot = _hf_cache_snapshot(work / "pretrained")
    _write_checkpoint_dir(snapshot, {"x": torch.zeros(1)})
    monkeypatch.chdir(work)
    files = find_checkpoint_files(100, 16384, download=False)
    assert files.encoder == snapshot / "semanticodec_tokenrate_100" / "encoder.ckpt"
    assert files.semantic_codebook == snapshot / repository_files(100, 16384)["semantic_codebook"]
    # an explicit cache_path is the only cache looked in (as upstream)
    with pytest.raises(CheckpointNotFoundError):
        find_checkpoint_files(100, 16384, cache_dir=tmp_path / "other", download=False)
    other = tmp_path / "work2"
    folder, npy = _write_checkpoint_dir(other, {"x": torch.zeros(1)})
    monkeypatch.chdir(other)
    files = find_checkpoint_files(100, 16384, download=False)
    assert files.encoder == folder / "encoder.ckpt" and files.semantic_codebook == npy


def _remedy(message: str) -> tuple[str, str]:
    command = re.search(r"get them with: (.+)", message).group(1).strip()
    then = re.search(r"then: (SemantiCodec\(.*?\))", message).group(1)
    return command, then


def _fake_hf_download(command: str, home: Path) -> Path:
    """Carry out `hf download haoheliu/SemantiCodec FILES [--cache-dir C | --local-dir D]` without a network.

    Writes tiny stand-ins where the hub client puts the files; returns the folder written to.
    """
    words = command.split()
    assert words[:3] == ["hf", "download", "haoheliu/SemantiCodec"], command
    options, files, rest = {}, [], iter(words[3:])
    for word in rest:
        if word.startswith("--"):
            options[word] = next(rest)
        else:
            files.append(word)
    assert set(options) <= {"--cache-dir", "--local-dir"}, command
    if "--local-dir" in options:
        root = Path(options["--local-dir"])
    else:
        root = _hf_cache_snapshot(Path(options.get("--cache-dir", home)))
    for name in files:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".npy"):
            np.save(target, rw.semantic_codebook(64, 32).numpy())
        else:
            torch.save(_official_style_state(), target)
    return root


def test_every_printed_remedy_can_be_followed_as_written(tmp_path, monkeypatch):
    """The command runs with the installed `hf` CLI's options, and the printed call works as written."""
    help_text = subprocess.run([str(Path(sys.executable).parent / "hf"), "download", "--help"],
                               capture_output=True, text=True, check=False).stdout
    if help_text:
        assert "--cache-dir" in help_text and "--local-dir" in help_text
    import semanticodec.pretrained as pretrained_module

    loaded = []
    monkeypatch.setattr(pretrained_module, "load_encoder_checkpoint", lambda config, enc, npy: (
        loaded.append((enc, npy)), _load_encoder(CONFIG, enc, npy))[1])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    parameters = inspect.signature(SemantiCodec).parameters
    for case in ("cache_path", "default_cache", "local_dir"):
        hub = tmp_path / case / "hub"
        monkeypatch.setenv("HF_HUB_CACHE", str(hub))
        monkeypatch.chdir(tmp_path)
        cache = tmp_path / case / "mine" if case == "cache_path" else None
        with pytest.raises(CheckpointNotFoundError) as info:
            SemantiCodec(100, 16384, cache_path=cache, load_decoder=False, device="cpu")
        command, then = _remedy(str(info.value))
        if case == "local_dir":  # the alternative the message offers: download into a folder of one's own
            command = command.replace("hf download haoheliu/SemantiCodec",
                                      f"hf download haoheliu/SemantiCodec --local-dir {tmp_path / 'dl'}", 1)
            then = re.search(r"load with (SemantiCodec\(.*?\))", str(info.value)).group(1)
            then = then.replace("DIR", repr(str(tmp_path / "dl")))
        root = _fake_hf_download(command, hub)
        keywords = re.findall(r"(\w+)=", then)
        assert keywords and all(k in parameters for k in keywords), then
        codec = eval(then[:-1] + ", load_decoder=False, device='cpu')", {"SemantiCodec": SemantiCodec})
        assert loaded[-1][0] == next(root.rglob("encoder.ckpt")) and codec.weights.endswith("encoder.ckpt")


def test_offline_machine_fails_fast_without_retrying(tmp_path):
    """No network and no HF_HUB_OFFLINE: one short probe, then the error (the hub client alone retries ~70 s)."""
    import socket

    with socket.socket() as probe:  # a local port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = (
        "import time\nfrom semanticodec import CheckpointNotFoundError, find_checkpoint_files\n"
        "start = time.perf_counter()\n"
        "try:\n    find_checkpoint_files(100, 16384)\nexcept CheckpointNotFoundError as exc:\n"
        "    print(repr(str(exc)))\nprint(time.perf_counter() - start)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HUB_CACHE=str(tmp_path / "hub"),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=True)
    wall_s = time.perf_counter() - start
    message, seconds = done.stdout.strip().splitlines()
    assert "offline" in message and f"127.0.0.1:{port}" in message
    assert float(seconds) < 10, f"gave up after {float(seconds):.0f} s"
    assert wall_s < 60


def test_offline_without_weights_names_files_places_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError) as info:
        find_checkpoint_files(25, 32768, checkpoint_path=tmp_path / "mine", cache_dir=tmp_path / "cache")
    message = str(info.value)
    for name in ("semanticodec_tokenrate_25/encoder.ckpt", "semanticodec_tokenrate_25/decoder.ckpt",
                 "codebook_idx/combine_128_audioset_dominate/codebook_16384_0.npy"):
        assert name in message
    assert str(tmp_path / "mine") in message and str(tmp_path / "cache") in message
    assert "HF_HUB_OFFLINE" in message
    assert "hf download haoheliu/SemantiCodec" in message
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointNotFoundError) as info:
        find_checkpoint_files(100, 16384)
    assert str(tmp_path / "pretrained") in str(info.value)  # where the official package downloads
    assert str(tmp_path / "semanticodec_tokenrate_100") in str(info.value)


_MEMORY_PROBE = r"""
import resource, sys, torch
from semanticodec.pretrained import load_encoder_checkpoint as _load_encoder
from semanticodec.config import EncoderConfig
config = EncoderConfig(**eval(sys.argv[3]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
encoder = _load_encoder(config, sys.argv[1], sys.argv[2])
total = sum(float(t.float().sum()) for t in encoder.state_dict().values())  # touch every page
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024)
"""


@pytest.mark.slow
def test_loading_holds_one_copy_of_the_weights(tmp_path):
    """Peak memory growth while loading (and reading every tensor) stays well under two copies."""
    import subprocess
    import sys

    overrides = dict(TINY_ENCODER, lstm_hidden=1536, lstm_layers=2)  # ~77 M LSTM weights, ~0.3 GB
    config = dataclasses.replace(CONFIG, **overrides)
    with torch.device("meta"):
        model = SemantiCodecEncoder(config)
    state = {k: torch.randn(v.shape) * 0.01 for k, v in model.state_dict().items()}
    folder = tmp_path / "semanticodec_tokenrate_100"
    folder.mkdir()
    torch.save(state, folder / "encoder.ckpt")
    size = sum(t.numel() * 4 for t in state.values())
    del state
    npy = tmp_path / "codebook.npy"
    np.save(npy, rw.semantic_codebook(64, 32).numpy())
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(folder / "encoder.ckpt"), str(npy), repr(fields)],
        capture_output=True, text=True, check=True,
    )
    growth = int(probe.stdout.strip().splitlines()[-1])
    assert size > 250e6
    assert growth < 1.4 * size, f"loading grew memory by {growth / 1e6:.0f} MB for {size / 1e6:.0f} MB of weights"


def _file_mapped_ranges() -> list[tuple[int, int, str]]:
    """(start, end, path) of this process's file-backed memory mappings (Linux /proc/self/maps)."""
    ranges = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/"):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            ranges.append((start, end, fields[5]))
    return ranges


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs Linux /proc/self/maps")
def test_encoder_weights_are_in_process_memory_not_mapped_from_the_file(tmp_path):
    """The LSTM streams its weights at every time step; from mapped file pages encoding was slower."""
    folder, npy = _write_checkpoint_dir(tmp_path, _official_style_state())
    encoder = _load_encoder(CONFIG, folder / "encoder.ckpt", npy)
    ckpt = str((folder / "encoder.ckpt").resolve())
    mapped = [(start, end) for start, end, path in _file_mapped_ranges() if path == ckpt]
    for name, tensor in encoder.state_dict().items():
        address = tensor.data_ptr()
        assert not any(start <= address < end for start, end in mapped), f"{name} is mapped from {ckpt}"
