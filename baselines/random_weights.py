"""Deterministic random weights (TEST ONLY) and the test signals the parity references were made with.

One recipe for every test and tool that needs the same weights in two processes (ours and an
official implementation): the value of a state-dict entry depends only on its key, its shape and a
seed, so nothing has to be stored. Every draw comes from a generator seeded with `key_seed`
(``seed * 1_000_003 + crc32(key)``) and is scaled like a trained layer of its kind:

- SemantiCodec (`random_tensor`, `fill_state_dict`, `semantic_codebook`): torch draws; the encoder
  and decoder scales differ (decoder keys are recognised by `DECODER_PREFIXES`);
- HiFi-Codec (`hificodec_state`): numpy draws, codebooks picked from the encoder's own latents.

The scales and generators are frozen: the reference files under ``tests/**/data`` and
``tests/**/golden`` were produced by the official code with exactly these values, so a change here
needs those references regenerated with the tools in ``tools/parity``.

Imports only numpy and torch, so a process that runs the official SemantiCodec package (which is
also called ``semanticodec``) can load this file by its path.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "DECODER_PREFIXES",
    "fill_state_dict",
    "harmonic_tone",
    "hificodec_state",
    "hificodec_test_signal",
    "key_seed",
    "random_tensor",
    "semantic_codebook",
    "test_signal",
]

#: SemantiCodec decoder.ckpt entries used at inference (schedule buffers, EMA and VAE encoder are not).
DECODER_PREFIXES = ("model.diffusion_model.", "first_stage_model.decoder.", "first_stage_model.post_quant_conv.",
                    "first_stage_model.vocoder.", "scale_factor")
#: SemantiCodec decoder latent scale of the parity references.
DECODER_SCALE_FACTOR = 0.8


def key_seed(key: str, seed: int = 0) -> int:
    """The generator seed of state-dict entry `key`."""
    return seed * 1_000_003 + zlib.crc32(key.encode())


def _fan_in(shape: tuple[int, ...]) -> int:
    fan_in = 1
    for size in shape[1:]:
        fan_in *= size
    return max(fan_in, 1)


def _decoder_scale(key: str, name: str, shape: tuple[int, ...], values: torch.Tensor) -> torch.Tensor:
    if len(shape) <= 1:
        is_norm_weight = name == "weight" and ("norm" in key or ".in_layers.0." in key
                                               or ".out_layers.0." in key or key.endswith("out.0.weight"))
        return 1.0 + 0.1 * values if is_norm_weight else 0.05 * values
    return values / _fan_in(shape) ** 0.5


def _encoder_scale(key: str, name: str, shape: tuple[int, ...], values: torch.Tensor) -> torch.Tensor:
    if "norm" in key and name == "weight":
        return 1.0 + 0.1 * values
    if name.startswith("bias") or "norm" in key:
        return 0.02 * values
    if name in ("pos_embed", "cls_token", "decoder_pos_embed", "mask_token"):
        return 0.5 * values
    if name == "embed":  # acoustic VQ codebook
        return 0.3 * values
    if name.startswith(("weight_hh", "weight_ih")):
        return values / (shape[1] ** 0.5)
    return values / _fan_in(shape) ** 0.5


def random_tensor(key: str, shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """Float32 Tensor[shape] for SemantiCodec checkpoint entry `key` (encoder or decoder)."""
    if key == "scale_factor":
        return torch.tensor(DECODER_SCALE_FACTOR)
    values = torch.randn(shape, generator=torch.Generator().manual_seed(key_seed(key, seed)))
    name = key.rsplit(".", 1)[-1]
    scale = _decoder_scale if key.startswith(DECODER_PREFIXES) else _encoder_scale
    return scale(key, name, shape, values)


def fill_state_dict(
    state: dict[str, torch.Tensor], seed: int = 0, prefixes: tuple[str, ...] | None = None
) -> dict[str, torch.Tensor]:
    """`state` with every floating tensor replaced by `random_tensor` (others are kept).

    Args:
        prefixes: only keys starting with one of these are replaced (0-d entries included); None
            replaces every floating tensor with at least one dimension.
    """
    out = {}
    for key, value in state.items():
        chosen = key.startswith(prefixes) if prefixes is not None else value.dim() > 0
        if value.is_floating_point() and chosen:
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


test_signal.__test__ = False  # a signal builder, not a pytest test


def harmonic_tone(
    duration_s: float = 1.0, sample_rate: int = 16_000, f0_hz: float = 220.0, seed: int = 0
) -> np.ndarray:
    """A speech-like test signal: harmonics with a slow amplitude envelope and a little noise. ndarray[T]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    x = sum(np.sin(2 * np.pi * f0_hz * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 12))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t - np.pi / 2))
    x = x * envelope + 0.01 * rng.standard_normal(t.shape)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


# -- HiFi-Codec ------------------------------------------------------------------------------
def hificodec_test_signal() -> np.ndarray:
    """ndarray[8000]: the 0.5 s, 16 kHz signal of the HiFi-Codec parity reference (25 codec frames)."""
    return harmonic_tone(0.5, 16_000, f0_hz=180.0, seed=11)


def _numpy_tensor(name: str, shape: tuple[int, ...], kind: str) -> torch.Tensor:
    rng = np.random.default_rng(key_seed(name))
    if kind == "weight":
        values = rng.standard_normal(shape) / np.sqrt(_fan_in(shape) if len(shape) > 1 else 1)
    elif kind == "bias":
        values = 0.01 * rng.standard_normal(shape)
    elif kind == "norm_weight":
        values = 1.0 + 0.1 * rng.standard_normal(shape)
    else:  # norm_bias
        values = 0.1 * rng.standard_normal(shape)
    return torch.from_numpy(values.astype(np.float32))


def _hificodec_part(part: str, template: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key in sorted(template):
        shape = tuple(template[key].shape)
        name = f"{part}.{key}"
        if key.endswith("weight_v") or (key.endswith(".weight") and len(shape) == 3):
            out[key] = _numpy_tensor(name, shape, "weight")
        elif key.endswith("bias") and key.startswith("normalize"):
            out[key] = _numpy_tensor(name, shape, "norm_bias")
        elif key.endswith("weight") and key.startswith("normalize"):
            out[key] = _numpy_tensor(name, shape, "norm_weight")
        elif key.endswith("bias"):
            out[key] = _numpy_tensor(name, shape, "bias")
    for key, value in template.items():
        if key.endswith("weight_g"):  # g = ||v|| per output slice: the effective weight is v itself
            v = out[key[: -len("weight_g")] + "weight_v"]
            out[key] = v.flatten(1).norm(dim=1).view(value.shape)
    return out


def hificodec_state(
    encoder_forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    templates: dict[str, dict[str, torch.Tensor]],
) -> dict[str, dict[str, torch.Tensor]]:
    """HiFi-Codec weights for {generator, encoder, quantizer} from key names and shapes only.

    `templates` are the three modules' state dicts (shapes only are read). `encoder_forward(state_dict)
    -> latent Tensor[1 x 512 x T]` runs an encoder with the given weights on the test signal; the
    first residual layer's codebooks are picked from those latents so that the codes are not degenerate.
    """
    state = {part: _hificodec_part(part, templates[part]) for part in ("generator", "encoder")}
    latent = encoder_forward(state["encoder"])[0].T  # [T, 512]
    frames = latent.shape[0]
    quantizer = {}
    for layer, bank in enumerate(("quantizer_modules", "quantizer_modules2")):
        for group in (0, 1):
            key = f"{bank}.{group}.embedding.weight"
            rows, dim = templates["quantizer"][key].shape
            rng = np.random.default_rng(key_seed(f"quantizer.{key}"))
            part = latent[:, group * dim : (group + 1) * dim]
            scale = float(part.std())
            if layer == 0:
                picks = torch.from_numpy(rng.integers(0, frames, rows))
                noise = torch.from_numpy(rng.standard_normal((rows, dim)).astype(np.float32))
                quantizer[key] = part[picks] + 0.5 * scale * noise
            else:
                quantizer[key] = torch.from_numpy((0.3 * scale * rng.standard_normal((rows, dim))).astype(np.float32))
    state["quantizer"] = quantizer
    return state

