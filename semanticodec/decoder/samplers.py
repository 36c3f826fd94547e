"""Samplers for the v-predicting latent diffusion model.

A sampler receives `denoise(x_t, t) -> v` (guidance already applied, one batched UNet call),
the initial noise `x_T`, the schedule and options, and returns the clean latent.

- "ddim": the official DDIM sampler. Steps t = range(0, N, N // steps) + 1, visited descending
  (50 steps -> 981, 961, ..., 1); alpha_prev of the last step is alpha_bar_0 (not 1);
  sigma = eta * sqrt((1 - a_prev)/(1 - a) * (1 - a/a_prev)); noise is drawn after the UNet call
  of each step (official order: x_T first, then one draw per step), so with the same generator
  state the whole trajectory equals upstream's.
- "dpmpp_2m": DPM-Solver++(2M) (Lu et al. 2022), deterministic, data-prediction multistep
  solver of the probability-flow ODE; time points linspace(N-1, 0, steps+1)[:-1] rounded, the
  first step first-order, the last step (to sigma = 0) returns the x0 prediction.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Protocol

import torch
from torch import Tensor

from semanticodec.decoder.schedule import DiffusionSchedule

DenoiseFn = Callable[[Tensor, int], Tensor]  # (x_t: Tensor[B x C x T x F], t) -> v, same shape


class Sampler(Protocol):
    def __call__(self, denoise: DenoiseFn, x_T: Tensor, schedule: DiffusionSchedule, *, steps: int,
                 eta: float, generator: torch.Generator | None) -> Tensor: ...


SAMPLERS: dict[str, Sampler] = {}


def register_sampler(name: str) -> Callable[[Sampler], Sampler]:
    def wrap(fn: Sampler) -> Sampler:
        SAMPLERS[name] = fn
        return fn

    return wrap


def get_sampler(name: str) -> Sampler:
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of {sorted(SAMPLERS)}") from None


def _check_steps(steps: int, num_timesteps: int) -> None:
    if not isinstance(steps, int) or not 1 <= steps <= num_timesteps:
        raise ValueError(f"steps must be an int in [1, {num_timesteps}], got {steps!r}")


def randn_like(x: Tensor, generator: torch.Generator | None) -> Tensor:
    """Standard normal noise shaped like `x`, drawn on the generator's device then moved."""
    device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


# ----------------------------------------------------------------------------------------------- DDIM

def ddim_timesteps(steps: int, num_timesteps: int = 1000) -> list[int]:
    """Official "uniform" DDIM steps, ascending: range(0, N, N // steps) + 1 (may exceed `steps`
    entries when `steps` does not divide N, as upstream)."""
    _check_steps(steps, num_timesteps)
    stride = num_timesteps // steps
    return [t + 1 for t in range(0, num_timesteps, stride)]


@dataclasses.dataclass(frozen=True)
class DDIMStep:
    """Scalar coefficients of one DDIM update from step `t` (all float32-rounded like upstream)."""

    t: int
    sqrt_alpha: float  # sqrt(alpha_bar_t)
    sqrt_one_minus_alpha: float  # sqrt(1 - alpha_bar_t)
    sqrt_alpha_prev: float  # sqrt(alpha_prev)
    dir_coef: float  # sqrt(1 - alpha_prev - sigma^2)
    sigma: float


def ddim_plan(schedule: DiffusionSchedule, steps: int, eta: float) -> list[DDIMStep]:
    """DDIM steps in the order they are applied (descending t)."""
    ts = ddim_timesteps(steps, schedule.num_timesteps)
    alphas = [schedule.alpha_bar32(t) for t in ts]
    alphas_prev = [schedule.alpha_bar32(0)] + alphas[:-1]
    plan = []
    for t, a, a_prev in zip(ts, alphas, alphas_prev):
        sigma = eta * math.sqrt((1.0 - a_prev) / (1.0 - a) * (1.0 - a / a_prev))
        plan.append(DDIMStep(
            t=t,
            sqrt_alpha=schedule.sqrt_alpha_bar(t),
            sqrt_one_minus_alpha=schedule.sqrt_one_minus_alpha_bar(t),
            sqrt_alpha_prev=math.sqrt(a_prev),
            dir_coef=math.sqrt(max(1.0 - a_prev - sigma**2, 0.0)),
            sigma=sigma,
        ))
    return plan[::-1]


def ddim_update(x: Tensor, v: Tensor, step: DDIMStep, noise: Tensor | None) -> Tensor:
    """One DDIM update from v-prediction: `x_prev = sqrt(a_prev) x0 + dir * eps + sigma * noise`."""
    x0 = step.sqrt_alpha * x - step.sqrt_one_minus_alpha * v
    eps = step.sqrt_alpha * v + step.sqrt_one_minus_alpha * x
    x_prev = step.sqrt_alpha_prev * x0 + step.dir_coef * eps
    if noise is not None and step.sigma != 0.0:
        x_prev = x_prev + step.sigma * noise
    return x_prev


@register_sampler("ddim")
def sample_ddim(denoise: DenoiseFn, x_T: Tensor, schedule: DiffusionSchedule, *, steps: int = 50,
                eta: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Official DDIM loop (see module docstring); `x_T: Tensor[B x C x T x F]` float32."""
    x = x_T
    for step in ddim_plan(schedule, steps, eta):
        v = denoise(x, step.t)
        noise = randn_like(x, generator) if eta != 0.0 else None
        x = ddim_update(x, v, step, noise)
    return x


# ------------------------------------------------------------------------------------ DPM-Solver++

def dpm_timesteps(steps: int, num_timesteps: int = 1000) -> list[int]:
    """Model-evaluation steps of DPM-Solver++, descending: linspace(N-1, 0, steps+1)[:-1], rounded."""
    _check_steps(steps, num_timesteps)
    last = num_timesteps - 1
    return [round(last - i * last / steps) for i in range(steps)]


@register_sampler("dpmpp_2m")
def sample_dpmpp_2m(denoise: DenoiseFn, x_T: Tensor, schedule: DiffusionSchedule, *, steps: int = 20,
                    eta: float = 0.0, generator: torch.Generator | None = None) -> Tensor:
    """DPM-Solver++(2M) in data prediction; deterministic given x_T (`eta`/`generator` unused)."""
    ts = dpm_timesteps(steps, schedule.num_timesteps)
    x = x_T
    prev_x0: Tensor | None = None
    prev_h: float | None = None
    for i, t in enumerate(ts):
        x0 = schedule.x0_from_v(x, denoise(x, t), t)
        if i == len(ts) - 1:
            return x0  # final step to sigma = 0: first order gives the data prediction itself
        t_next = ts[i + 1]
        a_s, a_t = schedule.alphas_cumprod64[t], schedule.alphas_cumprod64[t_next]
        sigma_ratio = math.sqrt((1.0 - a_t) / (1.0 - a_s))
        h = schedule.lambda_(t_next) - schedule.lambda_(t)
        coef = math.sqrt(a_t) * math.expm1(-h)  # alpha_t * (exp(-h) - 1), negative
        if prev_x0 is None:
            x = sigma_ratio * x - coef * x0
        else:
            r = prev_h / h
            d = (1.0 + 0.5 / r) * x0 - (0.5 / r) * prev_x0
            x = sigma_ratio * x - coef * d
        prev_x0, prev_h = x0, h
    return x
