"""Diffusion noise schedule of the SemantiCodec decoder and v-prediction conversions.

betas = linspace(sqrt(linear_start), sqrt(linear_end), N)^2 in float64 (the LDM "linear" schedule),
alpha_bar = cumprod(1 - betas). Values used by the network math are rounded to float32 exactly as
the official buffers are (`sqrt` taken in float64 first), so our sampler reproduces upstream numbers.
"""

from __future__ import annotations

import dataclasses
import math
import struct

import torch
from torch import Tensor


@dataclasses.dataclass(frozen=True)
class DiffusionSchedule:
    """Discrete-time variance-preserving schedule; index t in [0, num_timesteps)."""

    alphas_cumprod64: tuple[float, ...]  # float64 alpha_bar_t

    @classmethod
    def linear(cls, num_timesteps: int, linear_start: float, linear_end: float) -> DiffusionSchedule:
        betas = torch.linspace(linear_start**0.5, linear_end**0.5, num_timesteps, dtype=torch.float64,
                               device="cpu") ** 2
        return cls(tuple(torch.cumprod(1.0 - betas, dim=0).tolist()))

    @property
    def num_timesteps(self) -> int:
        return len(self.alphas_cumprod64)

    def alpha_bar32(self, t: int) -> float:
        """alpha_bar_t rounded to float32 (the official `alphas_cumprod` buffer value)."""
        return _f32(self.alphas_cumprod64[t])

    def sqrt_alpha_bar(self, t: int) -> float:
        """float32(sqrt(alpha_bar_t)), the official `sqrt_alphas_cumprod` buffer."""
        return _f32(math.sqrt(self.alphas_cumprod64[t]))

    def sqrt_one_minus_alpha_bar(self, t: int) -> float:
        """float32(sqrt(1 - alpha_bar_t)), the official `sqrt_one_minus_alphas_cumprod` buffer."""
        return _f32(math.sqrt(1.0 - self.alphas_cumprod64[t]))

    def lambda_(self, t: int) -> float:
        """Half log-SNR, log(alpha_t / sigma_t), in float64."""
        a = self.alphas_cumprod64[t]
        return 0.5 * (math.log(a) - math.log1p(-a))

    def x0_from_v(self, x_t: Tensor, v: Tensor, t: int) -> Tensor:
        """x0 = sqrt(a_t) x_t - sqrt(1 - a_t) v."""
        return self.sqrt_alpha_bar(t) * x_t - self.sqrt_one_minus_alpha_bar(t) * v

    def eps_from_v(self, x_t: Tensor, v: Tensor, t: int) -> Tensor:
        """eps = sqrt(a_t) v + sqrt(1 - a_t) x_t."""
        return self.sqrt_alpha_bar(t) * v + self.sqrt_one_minus_alpha_bar(t) * x_t


def _f32(value: float) -> float:
    """Round a Python float to the nearest float32 value."""
    return struct.unpack("f", struct.pack("f", value))[0]
