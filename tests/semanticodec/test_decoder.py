"""SemantiCodec decoder: key names vs the official checkpoint, parity with the official code on a
tiny random-weight model, sampler schedules/accuracy, batching, CFG batching and determinism.

Reference data (`data/decoder_tiny_reference.pt`, `data/decoder_official_keys.json`) were produced
by running the OFFICIAL code with `python -m tools.parity.semanticodec_decoder_reference` (see its
docstring); the weights are not stored but rebuilt here from the same per-key recipe
(`baselines.random_weights`). With SEMANTICODEC_OFFICIAL_PATH set, one
test re-runs the official code live instead of trusting the stored file.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from baselines import random_weights as rw
from semanticodec.decoder import (
    DecoderConfig,
    DiffusionSchedule,
    SemantiCodecDecoder,
    classify_decoder_checkpoint_keys,
    ddim_timesteps,
    dpm_timesteps,
    get_sampler,
)
from semanticodec.decoder.samplers import NOISE_DRAWS, WindowNoise, ddim_plan, ddim_update

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO_ROOT = HERE.parents[1]


def build_reference_decoder(config: DecoderConfig) -> SemantiCodecDecoder:
    decoder = SemantiCodecDecoder(config).eval()
    state = {k: rw.random_tensor(k, tuple(v.shape)) for k, v in decoder.state_dict().items()}
    decoder.load_official_state_dict(state)
    return decoder


def assert_close(ours: torch.Tensor, ref: torch.Tensor, rel: float = 1e-4) -> None:
    """Max abs difference within `rel` of the reference's max magnitude (float32 rounding only)."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = ref.abs().max().item()
    assert scale > 1e-3, "reference is degenerate"
    err = (ours.float() - ref.float()).abs().max().item()
    assert err <= rel * scale, f"max abs error {err:.3e} > {rel:.0e} x {scale:.3e}"


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """Tiny models run fastest on one thread, and far faster than 2 threads on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference() -> dict:
    return torch.load(DATA / "decoder_tiny_reference.pt", weights_only=True)


@pytest.fixture(scope="module")
def tiny(reference) -> SemantiCodecDecoder:
    torch.manual_seed(0)
    return build_reference_decoder(DecoderConfig(**reference["config"]))


# ----------------------------------------------------------------------------------- key names

@pytest.mark.parametrize("rate", [100, 50, 25])
def test_state_dict_keys_and_shapes_equal_official_checkpoint(rate):
    stored = json.loads((DATA / "decoder_official_keys.json").read_text())["keys"]
    official = {k: tuple(v) for k, v in stored["100"].items()}
    official.update({k: tuple(v) for k, v in stored[str(rate)].items()})
    assert len(official) == 2622
    used, unused = classify_decoder_checkpoint_keys(official)
    assert len(used) + len(unused) == 2622
    with torch.device("meta"):
        decoder = SemantiCodecDecoder(DecoderConfig.official(rate))
    ours = {k: tuple(v.shape) for k, v in decoder.state_dict().items()}
    assert ours == {k: official[k] for k in used}
    assert sum(k.startswith("model.diffusion_model.") for k in used) == 1104
    assert {k.split(".")[0] for k in unused} >= {"model_ema", "first_stage_model", "betas", "logvar"}
    assert not any(k.startswith("model_ema.") for k in used)


def test_classify_rejects_unknown_keys():
    with pytest.raises(ValueError, match="cond_stage_models.0.weight"):
        classify_decoder_checkpoint_keys(["scale_factor", "cond_stage_models.0.weight"])


def test_load_official_state_dict_is_strict(reference):
    config = DecoderConfig(**reference["config"])
    decoder = SemantiCodecDecoder(config)
    state = dict(decoder.state_dict())
    state["scale_factor"] = torch.tensor(0.5)
    extra = {"model_ema.decay": torch.tensor(0.9999), "betas": torch.zeros(1000),
             "first_stage_model.quant_conv.weight": torch.zeros(16, 16, 1, 1)}
    skipped = decoder.load_official_state_dict({**state, **extra})
    assert sorted(skipped) == sorted(extra)
    assert decoder.scale_factor.item() == 0.5
    missing = dict(state)
    del missing["first_stage_model.vocoder.conv_post.weight"]
    with pytest.raises(ValueError, match="conv_post.weight"):
        decoder.load_official_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected"):
        decoder.load_official_state_dict({**state, "model.diffusion_model.extra.weight": torch.zeros(1)})


def test_meta_device_build_with_assign_loads_without_copies(tiny, reference):
    """The 1 GB official file can be adopted as-is: build on meta, load with assign=True."""
    config = DecoderConfig(**reference["config"])
    state = {k: v.clone() for k, v in tiny.state_dict().items()}
    with torch.device("meta"):
        decoder = SemantiCodecDecoder(config)
    decoder.load_official_state_dict(state, assign=True)
    assert not any(t.is_meta for t in [*decoder.parameters(), *decoder.buffers()])
    weight = decoder.unet.time_embed[0].weight
    assert weight.data_ptr() == state["model.diffusion_model.time_embed.0.weight"].data_ptr()
    with torch.no_grad():
        out = decoder.eval().unet(reference["unet_x"], reference["unet_t"], reference["condition"])
    assert_close(out, reference["unet_out"])


def test_official_sizes():
    config = DecoderConfig.official(100)
    assert config.latent_shape == (8, 256, 16)
    assert config.mel_frames == 1024 and config.hop_length == 160
    assert config.samples_per_window == 163872
    with pytest.raises(ValueError, match="token_rate"):
        DecoderConfig.official(75)


# --------------------------------------------------------------------- parity with the official code

def test_unet_matches_official(tiny, reference):
    with torch.no_grad():
        out = tiny.unet(reference["unet_x"], reference["unet_t"], reference["condition"])
    assert_close(out, reference["unet_out"])


def test_vae_decoder_matches_official(tiny, reference):
    assert_close(tiny.latent_to_mel(reference["vae_z"]), reference["vae_mel"])


def test_vocoder_matches_official(tiny, reference):
    wave = tiny.mel_to_waveform(reference["vae_mel"])
    assert wave.shape == (2, tiny.config.samples_per_window)
    assert_close(wave, reference["waveform_from_mel"][:, 0])


@pytest.mark.parametrize("t", [981, 1])
def test_one_guided_ddim_step_matches_official(tiny, reference, t):
    plan = {step.t: step for step in ddim_plan(tiny.schedule, 50, eta=1.0)}
    denoise = tiny.make_denoiser(reference["condition"], reference["unconditional"], guidance_scale=2.0)
    with torch.no_grad():
        x = reference["ddim_x"]
        v = denoise(x, t)
        x_prev = ddim_update(x, v, plan[t], reference[f"ddim_noise_{t}"])
    assert_close(tiny.schedule.x0_from_v(x, v, t), reference[f"ddim_pred_x0_{t}"])
    assert_close(x_prev, reference[f"ddim_x_prev_{t}"])


def test_full_guided_generation_matches_official(tiny, reference):
    """Same seed => same x_T and per-step noise as upstream's global RNG: the whole waveform matches."""
    generator = torch.Generator().manual_seed(reference["generate_seed"])
    wave = tiny.generate(reference["condition"], reference["unconditional"], steps=reference["generate_steps"],
                         guidance_scale=2.0, sampler="ddim", eta=1.0, generator=generator)
    assert_close(wave, reference["generate_waveform"][:, 0], rel=1e-3)


@pytest.mark.skipif(not os.environ.get("SEMANTICODEC_OFFICIAL_PATH"),
                    reason="set SEMANTICODEC_OFFICIAL_PATH to the official SemantiCodec-inference checkout "
                           "(plus its deps, os.pathsep-separated) to compare against freshly run upstream code")
def test_live_official_run_matches(tmp_path):
    out = tmp_path / "reference.pt"
    env = {**os.environ, "PYTHONPATH": os.environ["SEMANTICODEC_OFFICIAL_PATH"], "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "tools.parity.semanticodec_decoder_reference", "tiny", str(out)],
                   check=True, env=env, cwd=REPO_ROOT, capture_output=True)
    live = torch.load(out, weights_only=True)
    decoder = build_reference_decoder(DecoderConfig(**live["config"]))
    with torch.no_grad():
        assert_close(decoder.unet(live["unet_x"], live["unet_t"], live["condition"]), live["unet_out"])
    assert_close(decoder.latent_to_mel(live["vae_z"]), live["vae_mel"])
    generator = torch.Generator().manual_seed(live["generate_seed"])
    wave = decoder.generate(live["condition"], live["unconditional"], steps=live["generate_steps"],
                            generator=generator)
    assert_close(wave, live["generate_waveform"][:, 0], rel=1e-3)
    # multi-window: upstream renders window after window from one seeded stream; a batch with per-window
    # noise gives the same waveforms
    draws = NOISE_DRAWS["ddim"](live["generate_steps"], 1.0, decoder.schedule.num_timesteps)
    noise = WindowNoise(torch.Generator().manual_seed(live["generate_seed"]), live["condition"].shape[0], draws,
                        tuple(decoder.config.latent_shape), torch.device("cpu"))
    windows = decoder.generate(live["condition"], live["unconditional"], steps=live["generate_steps"], generator=noise)
    assert_close(windows, live["generate_windows_waveform"][:, 0], rel=1e-3)
    assert not torch.allclose(live["generate_windows_waveform"], live["generate_waveform"], atol=1e-2)


# ------------------------------------------------------------------------- batching, CFG, seeds

def test_batched_guidance_equals_two_separate_passes(tiny, reference):
    cond, uncond = reference["condition"], reference["unconditional"]
    x = reference["ddim_x"]
    t = 501
    with torch.no_grad():
        guided = tiny.make_denoiser(cond, uncond, guidance_scale=2.0)(x, t)
        steps = torch.full((2,), t)
        v_cond = tiny.unet(x, steps, cond)
        v_uncond = tiny.unet(x, steps, uncond)
    assert_close(guided, v_uncond + 2.0 * (v_cond - v_uncond), rel=1e-5)
    assert (v_cond - v_uncond).abs().max() > 1e-2  # the condition matters, so the test can fail


@pytest.mark.parametrize("sampler", ["ddim", "dpmpp_2m"])
def test_batch_equals_one_by_one(tiny, reference, sampler):
    cond, uncond = reference["condition"], reference["unconditional"]
    x_T = torch.randn(2, *tiny.config.latent_shape, generator=torch.Generator().manual_seed(3))
    kwargs = {"steps": 4, "guidance_scale": 2.0, "sampler": sampler, "eta": 0.0}
    batched = tiny.sample_latent(cond, uncond, x_T=x_T, **kwargs)
    single = torch.cat([tiny.sample_latent(cond[i:i + 1], uncond[i:i + 1], x_T=x_T[i:i + 1], **kwargs)
                        for i in range(2)])
    assert_close(batched, single, rel=1e-5)
    assert (batched[0] - batched[1]).abs().max() > 1e-2


def test_generator_makes_generation_reproducible(tiny, reference):
    cond, uncond = reference["condition"], reference["unconditional"]

    def run(seed: int) -> torch.Tensor:
        return tiny.generate(cond, uncond, steps=3, generator=torch.Generator().manual_seed(seed))

    first, again, other = run(11), run(11), run(12)
    assert torch.equal(first, again)
    assert (first - other).abs().max() > 1e-4
    assert first.shape == (2, tiny.config.samples_per_window)
    assert torch.isfinite(first).all() and first.abs().max() <= 1.0


def test_runs_in_bfloat16_close_to_float32(reference):
    decoder = build_reference_decoder(DecoderConfig(**reference["config"]))
    cond, uncond = reference["condition"], reference["unconditional"]
    full = decoder.generate(cond, uncond, steps=3, generator=torch.Generator().manual_seed(5))
    decoder = decoder.to(torch.bfloat16)
    decoder.scale_factor = decoder.scale_factor.float()
    half = decoder.generate(cond.to(torch.bfloat16), uncond.to(torch.bfloat16), steps=3,
                            generator=torch.Generator().manual_seed(5))
    assert half.dtype == torch.float32 and half.shape == full.shape
    assert_close(half, full, rel=0.2)  # bf16 rounding only: same seed, same trajectory


def test_guidance_scale_one_needs_no_unconditional(tiny, reference):
    generator = torch.Generator().manual_seed(0)
    wave = tiny.generate(reference["condition"], None, steps=2, guidance_scale=1.0, generator=generator)
    assert wave.shape == (2, tiny.config.samples_per_window)
    with pytest.raises(ValueError, match="unconditional"):
        tiny.generate(reference["condition"], None, steps=2, guidance_scale=2.0)


def test_bad_condition_is_rejected(tiny, reference):
    with pytest.raises(ValueError, match="condition must be Tensor"):
        tiny.generate(reference["condition"][..., :-1], reference["unconditional"][..., :-1], steps=1)
    with pytest.raises(ValueError, match="unconditional shape"):
        tiny.generate(reference["condition"], reference["unconditional"][:1], steps=1)
    with pytest.raises(ValueError, match="unknown sampler"):
        tiny.generate(reference["condition"], reference["unconditional"], steps=1, sampler="euler-magic")
    with pytest.raises(ValueError, match="steps"):
        tiny.generate(reference["condition"], reference["unconditional"], steps=0)


# ------------------------------------------------------------------------------------- samplers

def test_official_ddim_step_schedule():
    assert ddim_timesteps(50) == list(range(1, 1000, 20))
    schedule = DiffusionSchedule.linear(1000, 0.0015, 0.0195)
    plan = ddim_plan(schedule, 50, eta=1.0)
    assert [s.t for s in plan] == list(range(981, 0, -20))
    assert plan[-1].sqrt_alpha_prev == pytest.approx(math.sqrt(schedule.alpha_bar32(0)))
    assert all(s.sigma > 0 for s in plan)
    assert all(s.sigma == 0 for s in ddim_plan(schedule, 50, eta=0.0))
    assert len(ddim_timesteps(30)) == 31  # upstream quirk: stride 1000 // 30 = 33 gives 31 steps
    assert ddim_timesteps(3) == [1, 334, 667]  # upstream would index t = 1000 and fail
    points = dpm_timesteps(schedule, 10)
    assert points == [999, 916, 821, 709, 571, 399, 212, 76, 19, 4, 0]
    gaps = [schedule.lambda_(b) - schedule.lambda_(a) for a, b in itertools.pairwise(points)]
    assert max(gaps) < 1.5 * min(gaps)  # uniform in log-SNR up to integer rounding


def test_schedule_values():
    schedule = DiffusionSchedule.linear(1000, 0.0015, 0.0195)
    betas = torch.linspace(0.0015**0.5, 0.0195**0.5, 1000, dtype=torch.float64) ** 2
    expected = torch.cumprod(1 - betas, 0)
    assert schedule.alphas_cumprod64[0] == pytest.approx(1 - 0.0015)
    assert schedule.alphas_cumprod64[-1] == pytest.approx(expected[-1].item(), rel=1e-12)
    x, v = torch.randn(4), torch.randn(4)
    t = 400
    x0, eps = schedule.x0_from_v(x, v, t), schedule.eps_from_v(x, v, t)
    a = schedule.alphas_cumprod64[t]
    torch.testing.assert_close(math.sqrt(a) * x0 + math.sqrt(1 - a) * eps, x, atol=1e-5, rtol=0)


def _gaussian_problem(schedule: DiffusionSchedule, seed: int = 0):
    """Data ~ N(mu, s^2): the exact v-prediction and the exact probability-flow ODE end point."""
    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(1, 8, 16, 8, generator=gen, dtype=torch.float64)
    s = 0.5

    def denoise(x: torch.Tensor, t: int) -> torch.Tensor:
        a = math.sqrt(schedule.alphas_cumprod64[t])
        sigma = math.sqrt(1 - schedule.alphas_cumprod64[t])
        x = x.double()
        x0 = mu + a * s**2 / (a**2 * s**2 + sigma**2) * (x - a * mu)
        eps = (x - a * x0) / sigma
        return (a * eps - sigma * x0).float()

    def exact(x_T: torch.Tensor, t_start: int, alpha_bar_end: float) -> torch.Tensor:
        a_T = math.sqrt(schedule.alphas_cumprod64[t_start])
        z = (x_T.double() - a_T * mu) / math.sqrt(a_T**2 * s**2 + 1 - a_T**2)
        a = math.sqrt(alpha_bar_end)
        return a * mu + math.sqrt(a**2 * s**2 + 1 - a**2) * z

    x_T = torch.randn(1, 8, 16, 8, generator=gen)
    return denoise, exact, x_T


def test_dpm_solver_converges_to_exact_ode_solution():
    """With an analytic denoiser the PF-ODE solution is known; DPM-Solver++(2M) must converge to it."""
    schedule = DiffusionSchedule.linear(1000, 0.0015, 0.0195)
    denoise, exact, x_T = _gaussian_problem(schedule)
    target = exact(x_T, 999, schedule.alphas_cumprod64[0])
    sampler = get_sampler("dpmpp_2m")
    errors = {n: (sampler(denoise, x_T, schedule, steps=n, eta=0.0, generator=None).double() - target).abs().max()
              .item() for n in (5, 10, 20)}
    assert errors[20] < errors[10] < errors[5], errors
    scale = target.abs().max().item()
    assert errors[10] < 0.015 * scale and errors[20] < 0.007 * scale, errors
    # deterministic DDIM (eta = 0, first order) with the 50 official steps is less accurate than
    # DPM-Solver++ with 10 steps (both end at alpha_bar_0)
    ddim = get_sampler("ddim")(denoise, x_T, schedule, steps=50, eta=0.0, generator=None)
    ddim_error = (ddim.double() - exact(x_T, 981, schedule.alphas_cumprod64[0])).abs().max().item()
    assert errors[10] < ddim_error < 0.05 * scale


@pytest.mark.slow
def test_full_size_window_has_official_length():
    """Full-size decoder (random weights, TEST ONLY): one window -> 163 872 samples in [-1, 1]."""
    torch.manual_seed(0)
    decoder = SemantiCodecDecoder(DecoderConfig.official(100)).eval()
    condition = torch.randn(1, 512, 1728)
    unconditional = torch.cat([torch.zeros(1, 512, 1536), condition[..., 1536:]], dim=-1)
    wave = decoder.generate(condition, unconditional, steps=1, sampler="dpmpp_2m",
                            generator=torch.Generator().manual_seed(0))
    assert wave.shape == (1, 163872)
    assert torch.isfinite(wave).all() and wave.abs().max() <= 1.0 and wave.std() > 0
