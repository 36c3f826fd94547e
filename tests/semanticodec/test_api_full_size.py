"""Opt-in (slow): the README constructor on official-size checkpoint files the test writes.

Writes a rate-100 `encoder.ckpt` (our used keys + the official unused ones) and a `decoder.ckpt`
with every official key (list in data/decoder_official_keys.json), random values, then runs
``SemantiCodec(token_rate=100, semantic_vocab_size=4096, checkpoint_path=...)`` end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines import random_weights as rw
from semanticodec import SemantiCodec, frontend
from semanticodec.checkpoints import repository_files
from semanticodec.config import encoder_config
from semanticodec.encoder import SemantiCodecEncoder

ENCODER_UNUSED = {
    "audiomae.model.mask_token": (1, 1, 512),
    "audiomae.model.decoder_pos_embed": (1, 513, 512),
    "audiomae.model.decoder_embed.weight": (512, 768),
    "audiomae.model.decoder_embed.bias": (512,),
    "audiomae.model.decoder_blocks.0.attn.qkv.weight": (1536, 512),
    "audiomae.model.decoder_norm.weight": (512,),
    "audiomae.model.decoder_pred.weight": (256, 512),
    "quantizer._codebook.initted": (1,),
    "quantizer._codebook.cluster_size": (1, 8192),
    "quantizer._codebook.embed_avg": (1, 8192, 768),
}


@pytest.mark.slow
def test_readme_constructor_on_official_size_files(tmp_path):
    keys_file = Path(__file__).parent / "data" / "decoder_official_keys.json"  # committed with the tests
    folder = tmp_path / "semanticodec_tokenrate_100"
    folder.mkdir()
    config = encoder_config(100, 4096)
    with torch.device("meta"):
        encoder = SemantiCodecEncoder(config)
    state = {k: rw.random_tensor(k, tuple(v.shape)) for k, v in encoder.state_dict().items()}
    state.update({k: rw.random_tensor(k, s) for k, s in ENCODER_UNUSED.items()})
    torch.save(state, folder / "encoder.ckpt")
    del state
    shapes = json.loads(keys_file.read_text())["keys"]["100"]
    decoder_state = {k: rw.random_tensor(k, tuple(s)) for k, s in shapes.items()}
    decoder_state["scale_factor"] = torch.tensor(0.9)
    torch.save(decoder_state, folder / "decoder.ckpt")
    del decoder_state
    npy = folder / repository_files(100, 4096)["semantic_codebook"]
    npy.parent.mkdir(parents=True)
    np.save(npy, rw.semantic_codebook(4096, 768).numpy())

    codec = SemantiCodec(token_rate=100, semantic_vocab_size=4096, checkpoint_path=str(folder),
                         download=False, device="cpu", ddim_sample_step=1, seed=0)
    assert codec.weights == "pretrained:semanticodec_tokenrate_100/encoder.ckpt"
    assert float(codec.decoder.scale_factor) == pytest.approx(0.9)
    tokens = codec.encode(rw.test_signal(1.0, seed=1))
    assert tokens.shape == (1, 57, 2)  # the official count for 1 s: 7 columns = 56 pairs, +1 by its rounding
    waveform = codec.decode(tokens)
    assert waveform.shape == (1, 1, frontend.num_output_samples(57, 1)) and np.isfinite(waveform).all()
