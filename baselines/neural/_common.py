"""Small helpers shared by the neural adapters."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

from baselines.base import CodecUnavailable
from baselines.weights import CheckpointError, describe_contents

__all__ = ["check_state_dict_keys", "pad_to_multiple", "require_package", "seeded", "sha256_prefix"]


def pad_to_multiple(waveform: torch.Tensor, hop: int) -> torch.Tensor:
    """Right-pad Tensor[B x T] with zeros so that T is a multiple of `hop` (at least one hop)."""
    length = waveform.shape[-1]
    target = max(hop, -(-length // hop) * hop)
    return torch.nn.functional.pad(waveform, (0, target - length))


def require_package(module: str, codec: str, remedy: str) -> None:
    """Raise `CodecUnavailable` when `module` is not installed (does not import it)."""
    if importlib.util.find_spec(module) is None:
        raise CodecUnavailable(f"{codec}: Python package {module!r} is not installed", remedy)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block (model construction) under a fixed torch seed, restoring the global RNG after."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def state_dict_problems(module: torch.nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """Missing / unexpected keys and shape mismatches of `state` against `module` (empty when it fits)."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong_shape = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:5])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:5])})")
    if wrong_shape:
        problems.append(f"{len(wrong_shape)} shape mismatches (e.g. {'; '.join(wrong_shape[:3])})")
    return problems


def check_state_dict_keys(module: torch.nn.Module, state: Any, where: str, expected_format: str) -> None:
    """Raise `CheckpointError` (a ValueError) naming `where` when `state` is not a state dict of tensors
    that fits `module` exactly (missing / unexpected keys and shape mismatches are listed)."""
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            where, f"holds {describe_contents(state)}, not a state dict of tensors", expected_format
        )
    problems = state_dict_problems(module, state)
    if problems:
        raise CheckpointError(
            where, "checkpoint does not match the model: " + "; ".join(problems), expected_format
        )


def sha256_prefix(path: Path, length: int = 8) -> str:
    """First `length` hex digits of the file's sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]
