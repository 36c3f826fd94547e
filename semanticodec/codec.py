"""`SemantiCodec`: the public model (official-checkpoint compatible, batched, deterministic with a seed).

Runs the official README example unchanged::

    from semanticodec import SemantiCodec
    semanticodec = SemantiCodec(token_rate=100, semantic_vocab_size=16384)  # 1.35 kbps
    tokens = semanticodec.encode(filepath)     # int64 Tensor[1 x T x 2]
    waveform = semanticodec.decode(tokens)     # float32 ndarray[1 x 1 x N] at 16 kHz

and adds: tensors or lists of clips as input, `device` / `dtype`, `seed` for reproducible
decoding, sampler settings, `checkpoint_path` / `cache_path`, and ``upstream_compatible`` to
reproduce the official padding/joining quirks bit for bit (see `frontend` and `windowing`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from semanticodec import frontend
from semanticodec.config import (
    SAMPLE_RATE,
    WINDOW_FBANK_FRAMES,
    EncoderConfig,
    encoder_config,
)
from semanticodec.encoder import SemantiCodecEncoder
from semanticodec.fusion import build_condition
from semanticodec.inputs import AudioInput, SemantiCodecInputError, as_clips, check_tokens
from semanticodec.presets import DECODE_PRESETS, decode_preset
from semanticodec.pretrained import load_pretrained
from semanticodec.windowing import overlap_add, split_token_windows

__all__ = ["RANDOM_WEIGHTS", "SemantiCodec", "SemantiCodecInputError"]

RANDOM_WEIGHTS = "random (TEST ONLY)"


def _default_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class SemantiCodec(nn.Module):
    """SemantiCodec encoder + latent-diffusion decoder.

    Args:
        token_rate: 25, 50 or 100 tokens/s (semantic + acoustic).
        semantic_vocab_size: 4096, 8192, 16384 or 32768.
        ddim_sample_step: diffusion steps per window (official default 50).
        cfg_scale: classifier-free guidance scale (official default 2.0; 1.0 disables guidance).
        checkpoint_path: folder with encoder.ckpt / decoder.ckpt (official layout) or a snapshot of the
            Hugging Face repository; missing files are looked up in the caches, then downloaded.
        cache_path: Hugging Face cache folder (default: $HF_HUB_CACHE, then ./pretrained where the
            official package downloads; order in `semanticodec.checkpoints`).
        device: default cuda, else mps, else cpu.
        dtype: weight/activation dtype (float32 default; bfloat16/float16 for speed on GPU).
        seed: default seed of `decode` (None: fresh noise every call, like the official code).
        sampler: "ddim" (official) or any sampler registered in `semanticodec.decoder.SAMPLERS`.
        eta: DDIM stochasticity (official 1.0).
        upstream_compatible: reproduce the official padding, token count and window joins exactly.
        download: allow `huggingface_hub` downloads of missing files.
        load_decoder: False builds a tokeniser only (`decode` then raises).
        max_batch_windows: windows per decoder call (memory vs speed; the output does not depend on
            it). The encoder always runs window by window, so tokens never depend on batching.
        preset: a named sampler setting of `semanticodec.presets` (``"fast"``: DPM-Solver++ (2M), fewer
            steps, measured against the official DDIM-50); sets `sampler` and `ddim_sample_step`, so
            give it instead of them.
    """

    def __init__(
        self,
        token_rate: int = 100,
        semantic_vocab_size: int = 16384,
        ddim_sample_step: int = 50,
        cfg_scale: float = 2.0,
        checkpoint_path: str | os.PathLike | None = None,
        cache_path: str | os.PathLike | None = None,
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        seed: int | None = None,
        sampler: str = "ddim",
        eta: float = 1.0,
        upstream_compatible: bool = False,
        download: bool = True,
        load_decoder: bool = True,
        max_batch_windows: int = 8,
        preset: str | None = None,
    ) -> None:
        super().__init__()
        encoder, decoder, weights = load_pretrained(
            token_rate,
            semantic_vocab_size,
            checkpoint_path=checkpoint_path,
            cache_path=cache_path,
            download=download,
            load_decoder=load_decoder,
        )
        self._configure(
            encoder,
            decoder,
            weights=weights,
            ddim_sample_step=ddim_sample_step,
            cfg_scale=cfg_scale,
            device=device,
            dtype=dtype,
            seed=seed,
            sampler=sampler,
            eta=eta,
            upstream_compatible=upstream_compatible,
            max_batch_windows=max_batch_windows,
            preset=preset,
        )

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_modules(
        cls, encoder: SemantiCodecEncoder, decoder: nn.Module | None, *, weights: str, **settings: Any
    ) -> SemantiCodec:
        """Wrap already-built modules (tests, custom weights). `weights` labels their provenance."""
        model = cls.__new__(cls)
        nn.Module.__init__(model)
        model._configure(encoder, decoder, weights=weights, **settings)
        return model

    @classmethod
    def random(
        cls,
        token_rate: int = 100,
        semantic_vocab_size: int = 16384,
        *,
        weights_seed: int = 0,
        encoder_overrides: dict[str, Any] | None = None,
        decoder_overrides: dict[str, Any] | None = None,
        load_decoder: bool = True,
        **settings: Any,
    ) -> SemantiCodec:
        """A model with RANDOM weights (tests, speed benchmarks only), labelled ``random (TEST ONLY)``.

        `encoder_overrides` / `decoder_overrides` replace `EncoderConfig` / `DecoderConfig` fields
        (tiny models for tests). Weights are a deterministic function of `weights_seed`; `settings`
        are the constructor's keyword settings (`seed` is the decoding seed).
        """
        import dataclasses

        config = dataclasses.replace(encoder_config(token_rate, semantic_vocab_size), **(encoder_overrides or {}))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(weights_seed)
            encoder = SemantiCodecEncoder(config)
            with torch.no_grad():
                encoder.quantizer._codebook.embed.normal_(0.0, 0.3)
            encoder.semantic.set_codebook(torch.randn(config.semantic_vocab_size, config.feature_dim))
            decoder = None
            if load_decoder:
                from semanticodec.decoder import DecoderConfig, SemantiCodecDecoder

                fields = {"context_dim": config.context_dim, **(decoder_overrides or {})}
                decoder = SemantiCodecDecoder(DecoderConfig(**fields))
        return cls.from_modules(encoder, decoder, weights=RANDOM_WEIGHTS, **settings)

    def _configure(
        self,
        encoder: SemantiCodecEncoder,
        decoder: nn.Module | None,
        *,
        weights: str,
        ddim_sample_step: int = 50,
        cfg_scale: float = 2.0,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        seed: int | None = None,
        sampler: str = "ddim",
        eta: float = 1.0,
        upstream_compatible: bool = False,
        max_batch_windows: int = 8,
        preset: str | None = None,
    ) -> None:
        if preset is not None:
            chosen = decode_preset(preset)
            default = DECODE_PRESETS["official"]  # the constructor's own sampler settings: not a conflict
            if (sampler, ddim_sample_step) not in ((default.sampler, default.steps), (chosen.sampler, chosen.steps)):
                raise ValueError(f"preset={preset!r} sets sampler and ddim_sample_step; "
                                 f"give either the preset or sampler={sampler!r}, ddim_sample_step={ddim_sample_step}")
            sampler, ddim_sample_step = chosen.sampler, chosen.steps
        if ddim_sample_step < 1:
            raise ValueError(f"ddim_sample_step must be >= 1, got {ddim_sample_step}")
        if max_batch_windows < 1:
            raise ValueError(f"max_batch_windows must be >= 1, got {max_batch_windows}")
        self.config: EncoderConfig = encoder.config
        self.token_rate = self.config.token_rate
        self.semantic_vocab_size = self.config.semantic_vocab_size
        self.stack_factor_K = self.config.stack_factor
        self.weights = weights
        self.ddim_sample_step = int(ddim_sample_step)
        self.cfg_scale = float(cfg_scale)
        self.seed = seed
        self.sampler = sampler
        self.preset = preset
        self.eta = float(eta)
        self.upstream_compatible = bool(upstream_compatible)
        self.max_batch_windows = int(max_batch_windows)
        self.device = torch.device(device) if device is not None else _default_device()
        self.dtype = dtype or torch.float32
        self.encoder = encoder.to(device=self.device, dtype=self.dtype).eval()
        self.encoder.semantic.codebook = self.encoder.semantic.codebook.float()
        self.encoder.quantizer._codebook.embed = self.encoder.quantizer._codebook.embed.float()
        self.decoder = decoder.to(device=self.device, dtype=self.dtype).eval() if decoder is not None else None
        if self.decoder is not None:
            self.decoder.scale_factor = self.decoder.scale_factor.float()

    # -- facts ------------------------------------------------------------------------------
    @property
    def bitrate_kbps(self) -> float:
        """token_rate / 2 x (log2(V) + log2(acoustic codebook size)) / 1000; 13 bits acoustic when released."""
        return self.config.bitrate_kbps

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def pairs_per_window(self) -> int:
        return self.config.pairs_per_window

    # -- encoding ---------------------------------------------------------------------------
    @torch.inference_mode()
    def encode(
        self, audio: AudioInput | Sequence[AudioInput], sample_rate: int | None = None
    ) -> Tensor | list[Tensor]:
        """Audio -> token pairs.

        Args:
            audio: a file path; a waveform Tensor/ndarray [T], [B x T] or [B x 1 x T]; or a list of
                paths / waveforms of any lengths.
            sample_rate: rate of waveform input (default 16 000); files use their own rate.

        Returns:
            int64 Tensor[B x T' x 2] on `self.device` ([..., 0] semantic, [..., 1] acoustic), or for
            a list input a list of Tensor[1 x T'_i x 2].
        """
        if isinstance(audio, (list, tuple)):
            clips = [self._as_clips(item, sample_rate) for item in audio]
            flat = [clip for group in clips for clip in group]
            tokens = self._encode_clips(flat)
            return [t[None] for t in tokens]
        clips = self._as_clips(audio, sample_rate)
        return torch.stack(self._encode_clips(clips))

    def _as_clips(self, audio: AudioInput, sample_rate: int | None) -> list[Tensor]:
        """One input -> list of mono float32 Tensor[T] at 16 kHz, validated (`semanticodec.inputs`)."""
        return as_clips(audio, sample_rate, first_channel=self.upstream_compatible)

    def _encode_clips(self, clips: list[Tensor]) -> list[Tensor]:
        """Mono Tensor[T_i] at 16 kHz -> int64 Tensor[T'_i x 2] each; windows of all clips batched."""
        upstream = self.upstream_compatible
        fbanks = [
            frontend.waveform_to_fbank(clip, upstream_compatible=upstream).reshape(-1, WINDOW_FBANK_FRAMES, 128)
            for clip in clips
        ]
        # The encoder tokenises window by window (as upstream), so tokens never depend on batching.
        tokens = self.encoder(torch.cat(fbanks).to(self.device))
        out, start = [], 0
        for clip, fbank in zip(clips, fbanks):
            clip_tokens = tokens[start : start + fbank.shape[0]].reshape(-1, 2)
            start += fbank.shape[0]
            keep = frontend.num_token_pairs(clip.shape[-1], self.stack_factor_K, upstream_compatible=upstream)
            out.append(clip_tokens[:keep])
        return out

    # -- decoding ---------------------------------------------------------------------------
    def decode(self, tokens: Tensor | np.ndarray, **options: Any) -> np.ndarray:
        """Tokens Tensor[B x T x 2] -> float32 ndarray[B x 1 x N] at 16 kHz (official return type).

        `options` as in `decode_waveform`.
        """
        return self.decode_waveform(tokens, **options)[:, None].cpu().numpy()

    @torch.inference_mode()
    def decode_waveform(
        self,
        tokens: Tensor | np.ndarray | Sequence[Tensor],
        *,
        seed: int | None = None,
        steps: int | None = None,
        guidance_scale: float | None = None,
        sampler: str | None = None,
        eta: float | None = None,
    ) -> Tensor | list[Tensor]:
        """Tokens -> float32 Tensor[B x N] at 16 kHz, N = T x 320 x K samples.

        A list of Tensor[1 x T_i x 2] gives a list of Tensor[1 x N_i]. All windows of all clips are
        rendered in batches of `max_batch_windows`. The diffusion noise is drawn window by window in
        the official order (each window's x_T and step noise, then the next window's), so the output
        never depends on the batching. With a seed (argument or constructor default) the output is
        reproducible; otherwise the noise comes from the global RNG, as upstream.
        """
        if self.decoder is None:
            raise RuntimeError("this SemantiCodec was built with load_decoder=False; it cannot decode")
        if isinstance(tokens, (list, tuple)):
            sequences = [self._check_tokens(t) for t in tokens]
            sequences = [row for seq in sequences for row in seq]
            as_list = True
        else:
            sequences = list(self._check_tokens(tokens))
            as_list = False
        window_pairs = self.pairs_per_window
        conditions, unconditionals, owners = [], [], []
        for index, seq in enumerate(sequences):
            for start, stop in split_token_windows(seq.shape[0], window_pairs):
                features = self.encoder.tokens_to_features(seq[None, start:stop]).to(self.dtype)
                condition, unconditional = build_condition(features, window_pairs)
                conditions.append(condition)
                unconditionals.append(unconditional)
                owners.append(index)
        seed = self.seed if seed is None else seed
        generator = None
        if seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(int(seed))
        guidance = self.cfg_scale if guidance_scale is None else float(guidance_scale)
        options = {
            "steps": self.ddim_sample_step if steps is None else int(steps),
            "guidance_scale": guidance,
            "sampler": self.sampler if sampler is None else sampler,
            "eta": self.eta if eta is None else float(eta),
        }
        rendered: list[Tensor] = []
        for first in range(0, len(conditions), self.max_batch_windows):
            part = slice(first, first + self.max_batch_windows)
            batch = torch.cat(conditions[part])
            waveform = self.decoder.generate(
                batch,
                torch.cat(unconditionals[part]) if guidance != 1.0 else None,
                generator=self._window_noise(generator, batch.shape[0], options),
                **options,
            )
            rendered.extend(waveform.float())
        outputs = []
        for index, seq in enumerate(sequences):
            windows = [w for w, owner in zip(rendered, owners) if owner == index]
            joined = overlap_add(windows, upstream_compatible=self.upstream_compatible)
            length = frontend.num_output_samples(
                seq.shape[0], self.stack_factor_K, upstream_compatible=self.upstream_compatible
            )
            outputs.append(joined[:length])
        if as_list:
            return [o[None] for o in outputs]
        return torch.stack(outputs)

    def _window_noise(self, generator: torch.Generator | None, windows: int, options: dict[str, Any]) -> Any:
        """Noise for a batch of `windows`, drawn window by window in the official order (x_T, then one draw
        per step, window after window) so that batching never changes a seeded output. Samplers that do not
        declare their draws get the plain generator (then the batch shares one stream)."""
        from semanticodec.decoder import NOISE_DRAWS, WindowNoise

        count = NOISE_DRAWS.get(options["sampler"])
        config = getattr(self.decoder, "config", None)
        if count is None or config is None:
            return generator
        draws = count(options["steps"], options["eta"], self.decoder.schedule.num_timesteps)
        return WindowNoise(generator, windows, draws, tuple(config.latent_shape), self.device)

    def _check_tokens(self, tokens: Tensor | np.ndarray) -> Tensor:
        """-> int64 Tensor[B x T x 2] on the device, range-checked (`semanticodec.inputs`)."""
        return check_tokens(tokens, self.device, self.semantic_vocab_size, self.config.acoustic_codebook_size)

    def forward(self, audio: AudioInput, sample_rate: int | None = None) -> np.ndarray:
        """Encode then decode (official `forward`)."""
        return self.decode(self.encode(audio, sample_rate))

