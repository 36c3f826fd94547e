"""Saying that something cannot run here, and what would make it run.

- `Unavailable`: a codec or metric configuration cannot run here (missing package, weights or model);
  carries the `reason` and the exact `remedy`. `baselines.base.CodecUnavailable` and
  `benchmarks.metrics.base.MetricUnavailable` are its two kinds.
- `require_package`: raise `Unavailable` (or a given kind of it) when a Python package is missing.
- `package_version`: installed version of a distribution, or `NOT_INSTALLED`, for provenance.

Lowest layer: imports nothing of ours.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util

__all__ = ["NOT_INSTALLED", "Unavailable", "package_version", "require_package"]

#: What `package_version` reports for a distribution that is not installed.
NOT_INSTALLED = "not installed"


class Unavailable(RuntimeError):
    """A configuration cannot run here (missing package, weights or model file).

    `reason` says what is missing; `remedy` is the exact command or file that would provide it.
    """

    def __init__(self, reason: str, remedy: str) -> None:
        super().__init__(f"{reason}\n  remedy: {remedy}")
        self.reason = reason
        self.remedy = remedy


def require_package(
    module: str,
    remedy: str,
    *,
    what: str,
    load: bool = False,
    error: type[Unavailable] = Unavailable,
) -> None:
    """Raise `error(reason, remedy)` when Python package `module` cannot be used.

    Args:
        module: importable name, e.g. ``"opuslib"``.
        remedy: the command that installs it.
        what: the configuration that needs it (starts the reason), e.g. ``"opus"``.
        load: import the module instead of only looking for it; for bindings that find their C library
            at import time (the import error is kept in the reason).
        error: the kind of `Unavailable` to raise.
    """
    if not load:
        if importlib.util.find_spec(module) is None:
            raise error(f"{what}: Python package {module!r} is {NOT_INSTALLED}", remedy)
        return
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - ctypes bindings raise plain Exception when the C library is absent
        raise error(f"{what}: cannot import {module} ({type(exc).__name__}: {exc})", remedy) from None


def package_version(distribution: str) -> str:
    """Installed version of `distribution` (e.g. ``"visqol-python"``), or ``"not installed"``."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED
