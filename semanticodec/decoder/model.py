"""`SemantiCodecDecoder`: token condition -> 16 kHz waveform (diffusion, VAE decoder, HiFi-GAN).

The module tree mirrors the official `LatentDiffusion` inference parts so `state_dict()` keys equal
the `decoder.ckpt` keys: `model.diffusion_model.*` (UNet), `first_stage_model.decoder.*`,
`first_stage_model.post_quant_conv.*`, `first_stage_model.vocoder.*` and the `scale_factor` buffer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import Tensor, nn

from semanticodec.decoder.config import DecoderConfig
from semanticodec.decoder.samplers import DenoiseFn, get_sampler, standard_normal
from semanticodec.decoder.schedule import DiffusionSchedule
from semanticodec.decoder.unet import UNetModel
from semanticodec.decoder.vae import FirstStageDecoder, VAEDecoder
from semanticodec.decoder.vocoder import HiFiGANGenerator

# decoder.ckpt entries that exist upstream but are not needed at inference.
UNUSED_KEY_PREFIXES: tuple[str, ...] = ("model_ema.", "first_stage_model.encoder.", "first_stage_model.quant_conv.")
UNUSED_KEYS: frozenset[str] = frozenset({
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    "logvar",
})
USED_KEY_PREFIXES: tuple[str, ...] = (
    "model.diffusion_model.", "first_stage_model.decoder.", "first_stage_model.post_quant_conv.",
    "first_stage_model.vocoder.",
)
USED_KEYS: frozenset[str] = frozenset({"scale_factor"})


def classify_decoder_checkpoint_keys(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split official decoder.ckpt keys into (used at inference, unused by design).

    Raises ValueError naming every key that is neither (an unexpected checkpoint). Whether the
    used keys are exactly the expected ones is checked when loading (`load_official_state_dict`).
    """
    used, unused, unknown = [], [], []
    for key in keys:
        if key in USED_KEYS or key.startswith(USED_KEY_PREFIXES):
            used.append(key)
        elif key in UNUSED_KEYS or key.startswith(UNUSED_KEY_PREFIXES):
            unused.append(key)
        else:
            unknown.append(key)
    if unknown:
        shown = ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else "")
        raise ValueError(f"decoder checkpoint has {len(unknown)} unexpected key(s): {shown}")
    return used, unused


class _DiffusionWrapper(nn.Module):
    """Holds the UNet under the official name `model.diffusion_model`."""

    def __init__(self, unet: UNetModel) -> None:
        super().__init__()
        self.diffusion_model = unet


class SemantiCodecDecoder(nn.Module):
    """Condition `Tensor[B x L x context_dim]` -> waveform `Tensor[B x samples]` at 16 kHz."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.config = config
        self.model = _DiffusionWrapper(UNetModel(
            in_channels=config.latent_channels, model_channels=config.model_channels,
            channel_mult=config.channel_mult, num_res_blocks=config.num_res_blocks,
            attention_levels=config.attention_levels, num_head_channels=config.num_head_channels,
            context_dim=config.context_dim,
        ))
        vae = VAEDecoder(channels=config.vae_channels, channel_mult=config.vae_channel_mult,
                         num_res_blocks=config.vae_num_res_blocks, z_channels=config.latent_channels)
        vocoder = HiFiGANGenerator(
            num_mels=config.num_mels, initial_channel=config.vocoder_initial_channel,
            upsample_rates=config.vocoder_upsample_rates, upsample_kernels=config.vocoder_upsample_kernels,
            resblock_kernels=config.vocoder_resblock_kernels, resblock_dilations=config.vocoder_resblock_dilations,
        )
        self.first_stage_model = FirstStageDecoder(latent_channels=config.latent_channels, decoder=vae, vocoder=vocoder)
        self.register_buffer("scale_factor", torch.tensor(1.0))
        self.schedule = DiffusionSchedule.linear(config.num_timesteps, config.linear_start, config.linear_end)

    @property
    def unet(self) -> UNetModel:
        return self.model.diffusion_model

    # ------------------------------------------------------------------------------ loading
    def load_official_state_dict(self, state_dict: Mapping[str, Tensor], *, assign: bool = False) -> list[str]:
        """Load an official decoder.ckpt state dict; returns the keys skipped as unused by design.

        Every used key must match a parameter of this module and vice versa (strict); unexpected
        keys raise ValueError (see `classify_decoder_checkpoint_keys`). `assign=True` adopts the
        given tensors without copying (use with a meta-device module and an mmap-loaded file).
        """
        used, unused = classify_decoder_checkpoint_keys(state_dict.keys())
        expected = set(self.state_dict().keys())
        missing, extra = sorted(expected - set(used)), sorted(set(used) - expected)
        if missing or extra:
            raise ValueError(
                "decoder checkpoint does not match the decoder config "
                f"(missing {len(missing)}: {missing[:10]}; unexpected {len(extra)}: {extra[:10]})"
            )
        self.load_state_dict({k: state_dict[k] for k in used}, strict=True, assign=assign)
        return unused

    # ------------------------------------------------------------------------------ stages
    def _check_condition(self, name: str, tensor: Tensor) -> None:
        if tensor.dim() != 3 or tensor.shape[-1] != self.config.context_dim:
            raise ValueError(
                f"{name} must be Tensor[B x L x {self.config.context_dim}], got shape {tuple(tensor.shape)}"
            )

    def make_denoiser(self, condition: Tensor, unconditional: Tensor | None, guidance_scale: float) -> DenoiseFn:
        """`denoise(x_t, t) -> guided v`. With guidance the conditional and unconditional passes run
        as ONE UNet call of batch 2B; cross-attention keys/values are computed here, once."""
        unet = self.unet
        batch = condition.shape[0]
        if guidance_scale == 1.0 or unconditional is None:
            if guidance_scale != 1.0:
                raise ValueError("guidance_scale != 1 needs the unconditional condition")
            context_kv = unet.encode_context(condition)

            def denoise(x: Tensor, t: int) -> Tensor:
                steps = torch.full((batch,), t, device=x.device, dtype=torch.long)
                return unet(x, steps, context_kv=context_kv).float()

            return denoise

        context_kv = unet.encode_context(torch.cat([unconditional, condition], dim=0))

        def denoise_guided(x: Tensor, t: int) -> Tensor:
            # x (batch B) is shared by both halves of the 2B context batch; the UNet tiles it right
            # before the first cross-attention, so the layers in front of it run once, not twice.
            steps = torch.full((batch,), t, device=x.device, dtype=torch.long)
            v_uncond, v_cond = unet(x, steps, context_kv=context_kv).float().chunk(2)
            return v_uncond + guidance_scale * (v_cond - v_uncond)

        return denoise_guided

    @torch.inference_mode()
    def sample_latent(self, condition: Tensor, unconditional: Tensor | None = None, *, steps: int = 50,
                      guidance_scale: float = 2.0, sampler: str = "ddim", eta: float = 1.0,
                      generator: torch.Generator | None = None, x_T: Tensor | None = None) -> Tensor:
        """Run the sampler; returns the latent `Tensor[B x 8 x 256 x 16]` (float32, before 1/scale_factor)."""
        self._check_condition("condition", condition)
        if unconditional is not None:
            self._check_condition("unconditional", unconditional)
            if unconditional.shape != condition.shape:
                raise ValueError(
                    f"unconditional shape {tuple(unconditional.shape)} != condition shape {tuple(condition.shape)}"
                )
        sample = get_sampler(sampler)
        device = self.scale_factor.device
        condition = condition.to(device)
        unconditional = unconditional.to(device) if unconditional is not None else None
        shape = (condition.shape[0], *self.config.latent_shape)
        if x_T is None:
            x_T = standard_normal(shape, device, generator)
        elif tuple(x_T.shape) != shape:
            raise ValueError(f"x_T must have shape {shape}, got {tuple(x_T.shape)}")
        denoise = self.make_denoiser(condition, unconditional, guidance_scale)
        return sample(denoise, x_T.to(device, torch.float32), self.schedule, steps=steps, eta=eta, generator=generator)

    @torch.inference_mode()
    def latent_to_mel(self, latent: Tensor) -> Tensor:
        """Latent `Tensor[B x 8 x T x F]` -> log-mel `Tensor[B x 1 x 4T x 4F]` (divides by scale_factor)."""
        weight = self.first_stage_model.post_quant_conv.weight
        z = (latent.float() / self.scale_factor.float()).to(weight.dtype)
        return self.first_stage_model.decode(z)

    @torch.inference_mode()
    def mel_to_waveform(self, mel: Tensor) -> Tensor:
        """Mel `Tensor[B x 1 x frames x mels]` -> waveform `Tensor[B x samples]` float32."""
        return self.first_stage_model.vocoder(mel.squeeze(1).transpose(1, 2)).squeeze(1).float()

    @torch.inference_mode()
    def generate(self, condition: Tensor, unconditional: Tensor | None = None, *, steps: int = 50,
                 guidance_scale: float = 2.0, sampler: str = "ddim", eta: float = 1.0,
                 generator: torch.Generator | None = None) -> Tensor:
        """Condition windows `Tensor[B x L x context_dim]` (-1 padded, PE included) and their
        unconditional copies (features zeroed, PE kept) -> waveform `Tensor[B x samples]` at 16 kHz
        (163 872 samples per window with official sizes). Reproducible with `generator`."""
        latent = self.sample_latent(condition, unconditional, steps=steps, guidance_scale=guidance_scale,
                                    sampler=sampler, eta=eta, generator=generator)
        return self.mel_to_waveform(self.latent_to_mel(latent))
