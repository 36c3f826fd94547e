"""Tiny SemantiCodec sizes shared by the fast tests (random weights, full 10.24 s windows)."""

from __future__ import annotations

from semanticodec import SemantiCodec

TINY_ENCODER = {
    "mae_dim": 32, "mae_depth": 3, "mae_heads": 2, "lstm_layers": 1, "lstm_hidden": 16,
    "acoustic_codebook_size": 64, "semantic_vocab_size": 64,
}
# Small channels, but the official latent grid so one window still renders 10.24 s of audio.
TINY_DECODER = {
    "model_channels": 32, "channel_mult": (1, 1, 1), "num_res_blocks": 1, "attention_levels": (2,), "num_head_channels": 32,
    "vae_channels": 32, "vae_num_res_blocks": 1, "vocoder_initial_channel": 32,
    "vocoder_resblock_kernels": (3,), "vocoder_resblock_dilations": (1,),
}


def tiny_codec(token_rate: int = 100, *, load_decoder: bool = False, **settings) -> SemantiCodec:
    settings.setdefault("device", "cpu")
    settings.setdefault("ddim_sample_step", 2)
    return SemantiCodec.random(
        token_rate, 16384, weights_seed=0, encoder_overrides=TINY_ENCODER, decoder_overrides=TINY_DECODER,
        load_decoder=load_decoder, **settings,
    )
