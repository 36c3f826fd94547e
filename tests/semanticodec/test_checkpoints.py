"""Checkpoint discovery and loading with files the tests write (tiny sizes, random weights)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from semanticodec import CheckpointMismatchError, CheckpointNotFoundError, find_checkpoint_files
from semanticodec.checkpoints import (
    classify_encoder_checkpoint_keys,
    load_checked_state_dict,
    load_state_dict_file,
    repository_files,
)
from semanticodec.codec import _load_encoder
from semanticodec.config import encoder_config
from semanticodec.encoder import SemantiCodecEncoder
from tests.semanticodec import random_weights as rw
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


def test_safe_loading_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"weight": torch.zeros(2), "hook": _Sneaky()}, path)
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        load_state_dict_file(path)
    npy = tmp_path / "codebook.npy"
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    from semanticodec.checkpoints import load_semantic_codebook

    with pytest.raises(ValueError, match="(?i)pickle"):
        load_semantic_codebook(npy)


class _Sneaky:
    pass


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


_MEMORY_PROBE = r"""
import resource, sys, torch
from semanticodec.codec import _load_encoder
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
