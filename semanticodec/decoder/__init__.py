"""SemantiCodec decoder: latent diffusion (v-prediction UNet + DDIM / DPM-Solver++), AudioLDM VAE
decoder and HiFi-GAN vocoder, with state-dict keys equal to the official `decoder.ckpt`."""

from semanticodec.decoder.config import OFFICIAL_CONTEXT_DIM, DecoderConfig
from semanticodec.decoder.model import SemantiCodecDecoder, classify_decoder_checkpoint_keys
from semanticodec.decoder.samplers import (
    NOISE_DRAWS,
    SAMPLERS,
    WindowNoise,
    ddim_timesteps,
    dpm_timesteps,
    get_sampler,
    register_sampler,
)
from semanticodec.decoder.schedule import DiffusionSchedule

__all__ = [
    "NOISE_DRAWS",
    "OFFICIAL_CONTEXT_DIM",
    "SAMPLERS",
    "DecoderConfig",
    "DiffusionSchedule",
    "SemantiCodecDecoder",
    "WindowNoise",
    "classify_decoder_checkpoint_keys",
    "ddim_timesteps",
    "dpm_timesteps",
    "get_sampler",
    "register_sampler",
]
