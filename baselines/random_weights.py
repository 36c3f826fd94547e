"""Deterministic random weights for parity tests, identical in any process that imports this file.

Imports only torch, so the official package (which is also called ``semanticodec``) can use it in a
separate process: both sides fill every state-dict key from the same recipe and compare outputs.
"""

from __future__ import annotations

import zlib

import torch

__all__ = ["fill_state_dict", "random_tensor"]


def random_tensor(key: str, shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """A float32 tensor for checkpoint entry `key`, scaled like a trained layer of that kind."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
    values = torch.randn(shape, generator=generator)
    name = key.rsplit(".", 1)[-1]
    if "norm" in key and name == "weight":
        return 1.0 + 0.1 * values
    if name.startswith("bias") or "norm" in key:
        return 0.02 * values
    if name in ("pos_embed", "cls_token", "decoder_pos_embed", "mask_token"):
        return 0.5 * values
    if name == "embed":  # acoustic VQ codebook
        return 0.3 * values
    fan_in = 1
    for size in shape[1:]:
        fan_in *= size
    if name.startswith(("weight_hh", "weight_ih")):
        return values / (shape[1] ** 0.5)
    return values / max(fan_in, 1) ** 0.5


def fill_state_dict(state: dict[str, torch.Tensor], seed: int = 0) -> dict[str, torch.Tensor]:
    """Replace every floating tensor of `state` with `random_tensor` (others are kept)."""
    out = {}
    for key, value in state.items():
        if value.is_floating_point() and value.dim() > 0:
            out[key] = random_tensor(key, tuple(value.shape), seed).to(value.dtype)
        else:
            out[key] = value
    return out


def semantic_codebook(vocab_size: int, dim: int, seed: int = 0) -> torch.Tensor:
    """Float32 Tensor[V x dim] standing in for a k-means codebook file."""
    return random_tensor(f"semantic_codebook_{vocab_size}x{dim}", (vocab_size, dim), seed)


def test_signal(duration_s: float, seed: int = 0, sample_rate: int = 16_000) -> torch.Tensor:
    """Float32 Tensor[T]: a gliding harmonic tone with an amplitude envelope and a little noise."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(round(duration_s * sample_rate), dtype=torch.float64) / sample_rate
    f0 = 180.0 + 60.0 * torch.sin(2 * torch.pi * 0.3 * t)
    phase = 2 * torch.pi * torch.cumsum(f0, 0) / sample_rate
    x = sum(torch.sin(k * phase) / k for k in range(1, 9))
    envelope = 0.5 * (1 + torch.sin(2 * torch.pi * 2.0 * t - torch.pi / 2))
    noise = torch.randn(t.shape, generator=generator, dtype=torch.float64)
    x = x * envelope + 0.05 * noise
    return (0.3 * x / x.abs().max()).to(torch.float32)
