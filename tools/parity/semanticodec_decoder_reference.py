"""Run the OFFICIAL SemantiCodec decoder code to produce reference data for our decoder tests.

Runs the official package (also named ``semanticodec``) with the official checkout first on PYTHONPATH;
our packages are never imported (see `tools.official_package`). From the repository root:

    PYTHONPATH=<official checkout>:<its deps> python -m tools.parity.semanticodec_decoder_reference tiny OUT.pt
    PYTHONPATH=... python -m tools.parity.semanticodec_decoder_reference keys OUT.json
    PYTHONPATH=... python -m tools.parity.semanticodec_decoder_reference time-unet --rate 100 --batch 1
    PYTHONPATH=... python -m tools.parity.semanticodec_decoder_reference time-stages --batch 1
    PYTHONPATH=... python -m tools.parity.semanticodec_decoder_reference time-generate --rate 100 --steps 10

`tiny` instantiates the official LatentDiffusion at a tiny size (same structure: 4 UNet levels,
two SpatialTransformers per attention level, 3-level VAE decoder, 5-stage HiFi-GAN), fills every
weight used at inference from the shared recipe (`baselines/random_weights.py`, keyed by the
state-dict name, so our process rebuilds the identical weights without storing them), and saves
inputs/outputs of the UNet, VAE decoder, vocoder, one DDIM step with guidance and a full 5-step
guided DDIM generation (the tests read it from tests/semanticodec/data/decoder_tiny_reference.pt).
`keys` writes the full-size decoder.ckpt key list with shapes for the three token rates
(tests/semanticodec/data/decoder_official_keys.json). The `time-*` commands time official stages at
full size with random weights (speed only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from tools.official_package import load_random_weights, use_official_semanticodec

# Tiny sizes, named as our DecoderConfig fields (the test builds DecoderConfig(**TINY_CONFIG)).
TINY_FEATURE_DIM = 16  # acoustic + semantic features; context = features + 192-d positional encoding
TINY_CONFIG = {
    "context_dim": TINY_FEATURE_DIM + 192,
    "model_channels": 32,
    "channel_mult": (1, 2, 3, 5),
    "num_res_blocks": 2,
    "attention_levels": (1, 2, 3),
    "num_head_channels": 16,
    "latent_channels": 8,
    "latent_time_frames": 16,
    "latent_freq_bins": 8,
    "vae_channels": 32,
    "vae_channel_mult": (1, 2, 4),
    "vae_num_res_blocks": 2,
    "num_mels": 32,
    "vocoder_initial_channel": 64,
    "vocoder_upsample_rates": (5, 4, 2, 2, 2),
    "vocoder_upsample_kernels": (16, 16, 8, 4, 4),
}
TINY_TOKENS = 8  # condition length L of the tiny tests
OFFICIAL_CONTEXT_DIM = {100: 1728, 50: 3264, 25: 6336}


def fill(module: torch.nn.Module, seed: int = 0) -> None:
    """Overwrite every float entry used at inference (schedule buffers, EMA and VAE encoder are kept)."""
    recipe = load_random_weights()
    state = recipe.fill_state_dict(module.state_dict(), seed, prefixes=recipe.DECODER_PREFIXES)
    module.load_state_dict(state, strict=True)


def official_config(context_dim: int, tiny: bool) -> dict:
    unet = {
        "image_size": 64, "in_channels": 8, "out_channels": 8, "model_channels": 64,
        "channel_mult": [1, 2, 3, 5], "attention_resolutions": [8, 4, 2], "num_res_blocks": 2,
        "transformer_depth": 1, "use_spatial_transformer": True, "num_head_channels": 32,
        "context_dim": [context_dim],
    }
    ddconfig = {"ch": 128, "double_z": True, "out_ch": 1, "attn_resolutions": [], "dropout": 0.0,
                "mel_bins": 64, "ch_mult": [1, 2, 4], "num_res_blocks": 2, "z_channels": 8,
                "downsample_time": False, "in_channels": 1, "resolution": 256}
    latent_t, latent_f = 256, 16
    if tiny:
        unet.update(model_channels=TINY_CONFIG["model_channels"], num_head_channels=TINY_CONFIG["num_head_channels"])
        ddconfig.update(ch=TINY_CONFIG["vae_channels"], mel_bins=TINY_CONFIG["num_mels"])
        latent_t, latent_f = TINY_CONFIG["latent_time_frames"], TINY_CONFIG["latent_freq_bins"]
    return {
        "target": "semanticodec.modules.decoder.latent_diffusion.models.ddpm.LatentDiffusion",
        "params": {
            "latent_t_size": latent_t, "latent_f_size": latent_f, "scale_by_std": True,
            "sampling_rate": 16000, "base_learning_rate": 1e-4, "channels": 8, "linear_start": 0.0015,
            "linear_end": 0.0195, "timesteps": 1000, "first_stage_key": "fbank", "parameterization": "v",
            "num_timesteps_cond": 1,
            "cond_stage_config": {"crossattn_audiomae_pooled": {"target": "unused", "params": {}}},
            "unet_config": {
                "target": "semanticodec.modules.decoder.latent_diffusion.modules.diffusionmodules.openaimodel.UNetModel",
                "params": unet,
            },
            "first_stage_config": {
                "target": "semanticodec.modules.decoder.latent_encoder.autoencoder.AutoencoderKL",
                "params": {"embed_dim": 8, "subband": 1, "time_shuffle": 1, "sampling_rate": 16000,
                           "image_key": "fbank", "batchsize": 16, "ddconfig": ddconfig},
            },
        },
    }


def build_official(context_dim: int, tiny: bool) -> torch.nn.Module:
    from semanticodec.modules.decoder import hifigan
    from semanticodec.modules.decoder.latent_diffusion.util import instantiate_from_config
    from semanticodec.modules.decoder.latent_encoder import autoencoder

    if tiny:
        def tiny_vocoder(config, device, mel_bins):
            h = hifigan.AttrDict({
                "resblock": "1", "upsample_rates": list(TINY_CONFIG["vocoder_upsample_rates"]),
                "upsample_kernel_sizes": list(TINY_CONFIG["vocoder_upsample_kernels"]),
                "upsample_initial_channel": TINY_CONFIG["vocoder_initial_channel"],
                "resblock_kernel_sizes": [3, 7, 11], "resblock_dilation_sizes": [[1, 3, 5]] * 3,
                "num_mels": mel_bins,
            })
            vocoder = hifigan.Generator_old(h)
            vocoder.eval()
            vocoder.remove_weight_norm()
            return vocoder

        autoencoder.get_vocoder = tiny_vocoder
    model = instantiate_from_config(official_config(context_dim, tiny))
    return model.eval()


def make_tiny(out_path: str) -> None:
    from semanticodec.modules.decoder.latent_diffusion.models.ddim import DDIMSampler

    torch.set_grad_enabled(False)
    model = build_official(TINY_CONFIG["context_dim"], tiny=True)
    fill(model)
    unet = model.model.diffusion_model
    gen = torch.Generator().manual_seed(1234)
    batch, latent = 2, (8, TINY_CONFIG["latent_time_frames"], TINY_CONFIG["latent_freq_bins"])
    features = torch.randn(batch, TINY_TOKENS, TINY_FEATURE_DIM, generator=gen)
    features[1, TINY_TOKENS - 3:] = -1.0  # a right-padded window, as the encoder side produces
    pe = model.pos_embed(features).repeat(batch, 1, 1)
    condition = torch.cat([features, pe], dim=-1)
    unconditional = torch.cat([features * 0.0, pe], dim=-1)
    ones = torch.ones(batch, TINY_TOKENS)
    data: dict = {"config": TINY_CONFIG, "condition": condition, "unconditional": unconditional}

    # UNet forward at two timesteps
    x = torch.randn(batch, *latent, generator=gen)
    t = torch.tensor([981, 1])
    data["unet_x"], data["unet_t"] = x, t
    data["unet_out"] = unet(x, t, context_list=[condition], context_attn_mask_list=[ones])

    # VAE decoder (with 1/scale_factor) and vocoder
    z = torch.randn(batch, *latent, generator=gen)
    mel = model.decode_first_stage(z)
    data["vae_z"], data["vae_mel"] = z, mel
    data["waveform_from_mel"] = torch.from_numpy(model.mel_spectrogram_to_waveform(mel))

    # one guided DDIM step (50-step schedule, eta 1), step t = 981 (index 49) and t = 1 (index 0)
    cond = {"crossattn_audiomae_pooled": [condition, ones]}
    uncond = {"crossattn_audiomae_pooled": [unconditional, ones]}
    sampler = DDIMSampler(model, device=torch.device("cpu"))
    sampler.make_schedule(ddim_num_steps=50, ddim_eta=1.0, verbose=False)
    data["ddim_x"] = torch.randn(batch, *latent, generator=gen)
    for index, step in ((49, 981), (0, 1)):
        torch.manual_seed(99)
        x_prev, pred_x0 = sampler.p_sample_ddim(
            data["ddim_x"], cond, torch.full((batch,), step, dtype=torch.long), index=index,
            unconditional_guidance_scale=2.0, unconditional_conditioning=uncond)
        torch.manual_seed(99)
        data[f"ddim_noise_{step}"] = torch.randn(data["ddim_x"].shape)
        data[f"ddim_x_prev_{step}"], data[f"ddim_pred_x0_{step}"] = x_prev, pred_x0

    # whole generation: 5 DDIM steps, eta 1, guidance 2, global RNG seeded 7
    torch.manual_seed(7)
    waveform = model.generate_sample(features, ddim_steps=5, ddim_eta=1.0, unconditional_guidance_scale=2.0)
    data["generate_seed"], data["generate_steps"] = 7, 5
    data["generate_waveform"] = torch.from_numpy(waveform)
    # the official decode loop: one window after another from the same global RNG (seeded 7 again)
    torch.manual_seed(7)
    windows = [model.generate_sample(features[i:i + 1], ddim_steps=5, ddim_eta=1.0, unconditional_guidance_scale=2.0)
               for i in range(batch)]
    data["generate_windows_waveform"] = torch.from_numpy(np.concatenate(windows, axis=0))
    torch.save(data, out_path)
    print(f"wrote {out_path}: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in data.items()
                                            if isinstance(v, torch.Tensor)))


def dump_keys(out_path: str) -> None:
    result = {}
    for rate, context_dim in OFFICIAL_CONTEXT_DIM.items():
        model = build_official(context_dim, tiny=False)  # on CPU: upstream converts buffers via numpy
        state = model.state_dict()
        del model
        result[str(rate)] = {k: list(v.shape) for k, v in state.items()}
        print(rate, len(state), file=sys.stderr)
    base = result["100"]
    compact = {"100": base}
    for rate in ("50", "25"):
        assert list(result[rate]) == list(base)
        compact[rate] = {k: s for k, s in result[rate].items() if s != base[k]}
    with open(out_path, "w") as f:
        json.dump({"note": "official decoder.ckpt keys -> shapes (rate 100 full; rates 50/25: entries that differ)",
                   "keys": compact}, f, separators=(",", ":"))


def time_unet(rate: int, batch: int, repeats: int, threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    model = build_official(OFFICIAL_CONTEXT_DIM[rate], tiny=False)
    unet = model.model.diffusion_model
    x = torch.randn(batch, 8, 256, 16)
    context = torch.randn(batch, 512, OFFICIAL_CONTEXT_DIM[rate])
    ones = torch.ones(batch, 512)
    t = torch.full((batch,), 500)
    times, cpu_times = [], []
    for _ in range(repeats + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        unet(x, t, context_list=[context], context_attn_mask_list=[ones])
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    print(json.dumps({"impl": "official", "rate": rate, "batch": batch, "threads": torch.get_num_threads(),
                      "wall_s": times[1:], "cpu_s": cpu_times[1:]}))


def time_stages(batch: int, threads: int | None) -> None:
    """VAE decode and HiFi-GAN of `batch` full-size windows (random weights)."""
    if threads:
        torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    model = build_official(OFFICIAL_CONTEXT_DIM[100], tiny=False)
    z = torch.randn(batch, 8, 256, 16)
    result = {"impl": "official", "batch": batch, "threads": torch.get_num_threads()}
    for name, fn in (("vae", lambda: model.decode_first_stage(z)),):
        start, cpu_start = time.perf_counter(), time.process_time()
        mel = fn()
        result[f"{name}_wall_s"], result[f"{name}_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu_start
    start, cpu_start = time.perf_counter(), time.process_time()
    model.mel_spectrogram_to_waveform(mel)
    result["vocoder_wall_s"], result["vocoder_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps(result))


def time_generate(rate: int, steps: int, threads: int | None) -> None:
    """Official `generate_sample` of one full-size window (random weights): DDIM, eta 1, guidance 2."""
    if threads:
        torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    model = build_official(OFFICIAL_CONTEXT_DIM[rate], tiny=False)
    features = torch.randn(1, 512 * rate // 100, OFFICIAL_CONTEXT_DIM[rate] - 192)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.generate_sample(features, ddim_steps=steps, ddim_eta=1.0, unconditional_guidance_scale=2.0)
    print(json.dumps({"impl": "official", "rate": rate, "steps": steps, "threads": torch.get_num_threads(),
                      "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu_start}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["tiny", "keys", "time-unet", "time-stages", "time-generate"])
    parser.add_argument("out", nargs="?", help="output file of tiny (.pt) and keys (.json)")
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    use_official_semanticodec()
    if args.what == "tiny":
        make_tiny(args.out)
    elif args.what == "keys":
        dump_keys(args.out)
    elif args.what == "time-generate":
        time_generate(args.rate, args.steps, args.threads)
    elif args.what == "time-stages":
        time_stages(args.batch, args.threads)
    else:
        time_unet(args.rate, args.batch, args.repeats, args.threads)


if __name__ == "__main__":
    main()
