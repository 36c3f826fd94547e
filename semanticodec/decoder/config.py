"""Sizes of the SemantiCodec decoder (latent-diffusion UNet, AudioLDM VAE decoder, HiFi-GAN).

Defaults are the official sizes of `decoder.ckpt` (the same for all three token rates except the
UNet's cross-attention `context_dim`). Tests build tiny decoders by overriding fields.
"""

from __future__ import annotations

import dataclasses

# UNet cross-attention context width per token rate: 2 * feature_dim + 192 (positional encoding).
OFFICIAL_CONTEXT_DIM: dict[int, int] = {100: 1728, 50: 3264, 25: 6336}


@dataclasses.dataclass(frozen=True)
class DecoderConfig:
    """Plain-value description of the decoder; `SemantiCodecDecoder(config)` builds it."""

    context_dim: int
    # --- latent-diffusion UNet (openaimodel UNetModel, AudioLDM variant) ---
    model_channels: int = 64
    channel_mult: tuple[int, ...] = (1, 2, 3, 5)
    num_res_blocks: int = 2
    attention_levels: tuple[int, ...] = (1, 2, 3)  # official attention_resolutions (2, 4, 8)
    num_head_channels: int = 32
    latent_channels: int = 8
    # latent grid per 10.24 s window: [latent_channels, latent_time_frames, latent_freq_bins]
    latent_time_frames: int = 256
    latent_freq_bins: int = 16
    # --- VAE decoder (first_stage_model) ---
    vae_channels: int = 128
    vae_channel_mult: tuple[int, ...] = (1, 2, 4)
    vae_num_res_blocks: int = 2
    num_mels: int = 64
    # --- HiFi-GAN vocoder ---
    vocoder_initial_channel: int = 1024
    vocoder_upsample_rates: tuple[int, ...] = (5, 4, 2, 2, 2)
    vocoder_upsample_kernels: tuple[int, ...] = (16, 16, 8, 4, 4)
    vocoder_resblock_kernels: tuple[int, ...] = (3, 7, 11)
    vocoder_resblock_dilations: tuple[int, ...] = (1, 3, 5)
    sample_rate: int = 16000
    # --- diffusion schedule ("linear" = linear in sqrt(beta)), v-prediction ---
    num_timesteps: int = 1000
    linear_start: float = 0.0015
    linear_end: float = 0.0195

    def __post_init__(self) -> None:
        if self.context_dim <= 0:
            raise ValueError(f"DecoderConfig.context_dim must be positive, got {self.context_dim}")
        for name in ("channel_mult", "vae_channel_mult", "vocoder_upsample_rates",
                     "vocoder_upsample_kernels", "attention_levels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if len(self.vocoder_upsample_rates) != len(self.vocoder_upsample_kernels):
            raise ValueError("vocoder_upsample_rates and vocoder_upsample_kernels differ in length")
        if any(level >= len(self.channel_mult) for level in self.attention_levels):
            raise ValueError(f"attention_levels {self.attention_levels} exceed channel_mult {self.channel_mult}")
        down = 2 ** (len(self.channel_mult) - 1)
        if self.latent_time_frames % down or self.latent_freq_bins % down:
            raise ValueError(
                f"latent grid {self.latent_time_frames}x{self.latent_freq_bins} must be divisible by {down}"
            )

    @classmethod
    def official(cls, token_rate: int) -> DecoderConfig:
        """Official decoder sizes for token rate 25, 50 or 100."""
        if token_rate not in OFFICIAL_CONTEXT_DIM:
            raise ValueError(f"token_rate must be one of {sorted(OFFICIAL_CONTEXT_DIM)}, got {token_rate}")
        return cls(context_dim=OFFICIAL_CONTEXT_DIM[token_rate])

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """Shape of one window's diffusion latent, `[C, T, F]`."""
        return (self.latent_channels, self.latent_time_frames, self.latent_freq_bins)

    @property
    def mel_frames(self) -> int:
        """Mel frames the VAE emits per window (1024 officially)."""
        return self.latent_time_frames * 2 ** (len(self.vae_channel_mult) - 1)

    @property
    def hop_length(self) -> int:
        """Vocoder samples per mel frame (160 officially)."""
        hop = 1
        for rate in self.vocoder_upsample_rates:
            hop *= rate
        return hop

    @property
    def samples_per_window(self) -> int:
        """Waveform samples per window: per ConvTranspose stage `L_out = (L_in - 1)*u - 2*((k - u)//2) + k`.

        Officially 1024 mel frames -> 163 872 samples (the x5 stage yields 5L + 1).
        """
        length = self.mel_frames
        for rate, kernel in zip(self.vocoder_upsample_rates, self.vocoder_upsample_kernels):
            length = (length - 1) * rate - 2 * ((kernel - rate) // 2) + kernel
        return length
