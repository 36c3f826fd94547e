"""The ``device=`` setting: checked once, then passed as the ``device`` constructor argument to every codec
and metric whose constructor takes one.

``device: null`` (the default) passes nothing, so every constructor keeps its own default and results
keep their fingerprints. A configuration file that sets a device keeps it; one that says ``device: null``
(as the built-in ones do) takes the run's. A device enters the fingerprint of the configurations that receive it
(``Codec.info()`` holds every constructor argument), so CPU and GPU results never share a column.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from benchmarks.config_schema import ConfigError

__all__ = ["accepts_device", "check_device", "device_kwargs"]

_DEVICE = re.compile(r"^(cpu|cuda|mps)(:\d+)?$")


def check_device(device: str | None) -> str | None:
    """`device` if this machine has it; ConfigError (one line) for a malformed or missing device."""
    if device is None:
        return None
    text = str(device).strip()
    if not _DEVICE.match(text) or (text.startswith("cpu:")):
        raise ConfigError(f"device={device}: give cpu, cuda, cuda:<index> or mps")
    if text.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(
                f"device={text}: CUDA is not available here (torch {torch.__version__}, "
                f"{'built without CUDA' if torch.version.cuda is None else 'no GPU visible'}); use device=cpu"
            )
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise ConfigError(f"device={text}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if text.startswith("mps"):
        import torch

        if not torch.backends.mps.is_available():
            raise ConfigError(f"device={text}: MPS is not available here; use device=cpu")
    return text


def accepts_device(target: Any) -> bool:
    """Whether the class (or callable) `target` takes a ``device`` keyword argument."""
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return "device" in parameters


def device_kwargs(target: Any, device: str | None, explicit: dict[str, Any]) -> dict[str, Any]:
    """``{"device": device}`` for a constructor that takes it, unless its configuration sets one already
    (``device: null`` in a configuration sets none)."""
    if device is None or explicit.get("device") is not None or not accepts_device(target):
        return {}
    return {"device": device}
