"""SemantiCodec (this repository's `semanticodec` package) as a benchmark `Codec`.

Codes are ``[B, 2, T']``: row 0 the semantic token (vocabulary V), row 1 the acoustic token (8192),
at ``token_rate / 2`` pairs per second, so the measured bitrate is
``token_rate / 2 * (log2 V + 13)`` bit/s over the coded columns; like the official code, a clip is
coded up to one 0.16 s column beyond its end (see `semanticodec.frontend.num_token_pairs`), so the
bitrate measured over the clip's own duration is slightly higher for short clips.

Weights are the official ``haoheliu/SemantiCodec`` files, found in ``checkpoint_path`` or the Hugging
Face cache; the adapter never downloads unless ``download=True``. Missing files raise
`CodecUnavailable` naming them, the places looked in and the ``hf download`` command. Random weights
only with ``random_weights=True`` (labelled ``random (TEST ONLY)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from baselines.base import Codec, CodecUnavailable, Encoded
from baselines.representation import check_layers, representation_input
from baselines.weights import RANDOM_WEIGHTS

__all__ = ["SemantiCodecCodec"]


class SemantiCodecCodec(Codec):
    """SemantiCodec at one (token rate, semantic vocabulary) configuration.

    Args:
        token_rate: 25, 50 or 100 tokens/s.
        semantic_vocab_size: 4096, 8192, 16384 or 32768.
        checkpoint_path: folder with the official files (token-rate folder or repository snapshot).
        cache_dir: Hugging Face cache to look in (default $HF_HUB_CACHE).
        steps: diffusion steps per window (official 50).
        guidance_scale: classifier-free guidance (official 2.0).
        sampler: "ddim" (official) or another sampler of `semanticodec.decoder.SAMPLERS`.
        seed: decoding seed; results are reproducible.
        device: torch device (default cuda, else cpu).
        download: allow `huggingface_hub` to fetch missing files (off by default: runs stay offline).
        random_weights: build with random weights; TEST ONLY, labelled as such.
        max_batch_windows: 10.24 s windows per model call.
        model_overrides: extra keyword arguments for `SemantiCodec.random` (tests: tiny sizes).
        preset: a named sampler setting of `semanticodec.presets` (``fast``), instead of `steps` and `sampler`.
    """

    sample_rate = 16_000

    def __init__(
        self,
        token_rate: int = 100,
        semantic_vocab_size: int = 32768,
        checkpoint_path: str | None = None,
        cache_dir: str | None = None,
        steps: int = 50,
        guidance_scale: float = 2.0,
        sampler: str = "ddim",
        seed: int = 0,
        device: str | None = None,
        download: bool = False,
        random_weights: bool = False,
        max_batch_windows: int = 8,
        model_overrides: dict[str, Any] | None = None,
        preset: str | None = None,
    ) -> None:
        from semanticodec import SemantiCodec, bitrate_kbps, find_checkpoint_files

        settings: dict[str, Any] = {
            "ddim_sample_step": steps, "cfg_scale": guidance_scale, "sampler": sampler, "seed": seed,
            "device": device, "max_batch_windows": max_batch_windows, "preset": preset,
        }
        if random_weights:
            self.model = SemantiCodec.random(
                token_rate, semantic_vocab_size, weights_seed=seed, **(model_overrides or {}), **settings
            )
            self.weights = RANDOM_WEIGHTS
        else:
            self.check_available(token_rate, semantic_vocab_size, checkpoint_path, cache_dir, download=download)
            self.model = SemantiCodec(
                token_rate, semantic_vocab_size, checkpoint_path=checkpoint_path, cache_path=cache_dir,
                download=download, **settings,
            )
            self.weights = self.model.weights
            # The files just loaded (same lookup, no download): their content identifies the results.
            files = find_checkpoint_files(token_rate, semantic_vocab_size, checkpoint_path=checkpoint_path,
                                          cache_dir=cache_dir, download=False)
            self.weight_files = tuple(str(p) for p in (files.encoder, files.semantic_codebook, files.decoder) if p)
        self.token_rate = int(token_rate)
        self.semantic_vocab_size = int(semantic_vocab_size)
        # The preset's settings, when one is given (the model resolved them).
        self.steps, self.sampler = self.model.ddim_sample_step, self.model.sampler
        self.guidance_scale, self.seed = float(guidance_scale), seed
        self.frame_rate_hz = token_rate / 2
        self.codebook_sizes = (self.model.semantic_vocab_size, self.model.config.acoustic_codebook_size)
        self.nominal_bitrate_kbps = bitrate_kbps(token_rate, semantic_vocab_size)

    @classmethod
    def check_available(
        cls,
        token_rate: int = 100,
        semantic_vocab_size: int = 32768,
        checkpoint_path: str | None = None,
        cache_dir: str | None = None,
        random_weights: bool = False,
        download: bool = False,
        **kwargs: Any,
    ) -> None:
        """Cheap: looks for the three files (no download unless `download`), loads nothing."""
        if random_weights:
            return
        from semanticodec import CheckpointNotFoundError, find_checkpoint_files

        try:
            find_checkpoint_files(
                token_rate, semantic_vocab_size, checkpoint_path=checkpoint_path, cache_dir=cache_dir,
                download=download,
            )
        except CheckpointNotFoundError as exc:
            missing = "; ".join(f"{name} (looked in: {', '.join(places)})" for name, places in exc.missing.items())
            raise CodecUnavailable(
                f"semanticodec@{token_rate}tok/s V={semantic_vocab_size}: weights not found: {missing}",
                f"{exc.command}  then pass checkpoint_path=<folder> or cache_dir=<HF cache>",
            ) from None

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "token_rate": self.token_rate,
            "semantic_vocab_size": self.semantic_vocab_size,
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "sampler": self.sampler,
            "seed": self.seed,
        }

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        """Tensor[B x T] at 16 kHz -> codes int64 Tensor[B x 2 x T'] (semantic row, acoustic row)."""
        tokens = self.model.encode(waveform)
        return Encoded(codes=tokens.transpose(1, 2).cpu(), codebook_sizes=self.codebook_sizes)

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        """-> Tensor[B x T' x 320 K] at 16 kHz (the base class crops to the input length)."""
        assert encoded.codes is not None
        return self.model.decode_waveform(encoded.codes.transpose(1, 2), seed=self.seed).cpu()

    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        """Codebook vectors of the tokens, Tensor[B x D x T'] at token_rate / 2 Hz: acoustic ‖ semantic
        (``all``, D = 2 fd, what the decoder is conditioned on) or semantic only (``first``, D = fd);
        see `semanticodec.representation`."""
        return self.represent_layers(waveform, sample_rate, (layers,))[layers]

    def represent_layers(self, waveform: torch.Tensor, sample_rate: int, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """`represent` for several layer sets from one encoding (the encoder is the expensive part)."""
        from semanticodec.representation import token_representation

        for layer in layers:
            check_layers(layer)
        tokens = self.model.encode(representation_input(waveform, sample_rate, self.sample_rate))
        return {layer: token_representation(self.model.encoder, tokens, layer).cpu() for layer in layers}
